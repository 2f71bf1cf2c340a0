"""review: approvals of previewed invoices and acknowledgements of review findings

Issuing waits for an approval of each agency's preview (services/review).
An approval keeps the preview's content hash and snapshot, so a preview that
changed since (a late import) is a stale approval whose changed lines can be
named; an acknowledgement keeps a fingerprint of the finding's numbers.
Both tables are append-only by convention: the newest row counts.

Revision ID: 0008
Revises: 0006
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import db.types

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_approval",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("agency_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("total", db.types.ExactDecimal(2), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.Column("approved_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("approved_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_review_approval_cycle", "review_approval", ["cycle", "agency_id"])
    op.create_table(
        "review_acknowledgement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("agency_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("evidence_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("acknowledged_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("acknowledged_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_review_ack_cycle", "review_acknowledgement", ["cycle", "agency_id"])


def downgrade() -> None:
    op.drop_index("ix_review_ack_cycle", table_name="review_acknowledgement")
    op.drop_table("review_acknowledgement")
    op.drop_index("ix_review_approval_cycle", table_name="review_approval")
    op.drop_table("review_approval")

"""communications: contacts, the outbox and its attachments, paused agencies

``agency.billing_email`` stays where it is and keeps counting as a billing
contact: the services read both (the agencies import still writes it), so
nothing is copied and nothing can drift between two places.

Revision ID: 0009
Revises: 0011
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0009"
down_revision = "0011"
branch_labels = None
depends_on = None

_S = sqlmodel.sql.sqltypes.AutoString
_T = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", _S(length=40), nullable=False),
        sa.Column("name", _S(length=200), nullable=False),
        sa.Column("email", _S(length=200), nullable=False),
        sa.Column("kind", _S(length=20), nullable=False),
        sa.Column("created_at", _T(), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agency_id", "email", "kind", name="uq_contact_agency_email_kind"),
        sa.CheckConstraint("kind IN ('billing', 'ops', 'account_owner')", name="ck_contact_kind"),
    )
    op.create_index("ix_contact_agency_id", "contact", ["agency_id"])
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", _S(length=200), nullable=False),
        sa.Column("agency_id", _S(length=40), nullable=False),
        sa.Column("kind", _S(length=40), nullable=False),
        sa.Column("scope", _S(length=40), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("subject", _S(length=300), nullable=False),
        sa.Column("sender", _S(length=200), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=False),
        sa.Column("message_id", _S(length=200), nullable=False),
        sa.Column("status", _S(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _T(), nullable=False),
        sa.Column("last_answer", sa.Text(), nullable=True),
        sa.Column("created_at", _T(), nullable=False),
        sa.Column("claimed_at", _T(), nullable=True),
        sa.Column("claimed_by", _S(length=80), nullable=True),
        sa.Column("sent_at", _T(), nullable=True),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
        sa.CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed', 'blocked')", name="ck_outbox_status"),
    )
    op.create_index("ix_outbox_message_agency_id", "outbox_message", ["agency_id"])
    op.create_index("ix_outbox_message_kind", "outbox_message", ["kind"])
    op.create_index("ix_outbox_status_next", "outbox_message", ["status", "next_attempt_at"])
    op.create_table(
        "outbox_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("filename", _S(length=200), nullable=False),
        sa.Column("content_type", _S(length=100), nullable=False),
        sa.Column("sha256", _S(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["outbox_message.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outbox_attachment_message_id", "outbox_attachment", ["message_id"])
    op.create_table(
        "message_pause",
        sa.Column("agency_id", _S(length=40), nullable=False),
        sa.Column("paused_at", _T(), nullable=False),
        sa.Column("paused_by", _S(length=200), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"]),
        sa.PrimaryKeyConstraint("agency_id"),
    )


def downgrade() -> None:
    op.drop_table("message_pause")
    op.drop_index("ix_outbox_attachment_message_id", table_name="outbox_attachment")
    op.drop_table("outbox_attachment")
    for index in ("ix_outbox_status_next", "ix_outbox_message_kind", "ix_outbox_message_agency_id"):
        op.drop_index(index, table_name="outbox_message")
    op.drop_table("outbox_message")
    op.drop_index("ix_contact_agency_id", table_name="contact")
    op.drop_table("contact")

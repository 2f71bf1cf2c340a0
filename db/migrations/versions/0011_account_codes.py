"""account codes: where each charge goes in the accounting system

One row per charge that finance mapped on the revenue page (the ledger
account for Xero and the journal, the product/service item for QuickBooks).
Charges without a row use the app's defaults.

Revision ID: 0011
Revises: 0008
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0011"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_code",
        sa.Column("charge", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("account", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("item", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.PrimaryKeyConstraint("charge"),
    )


def downgrade() -> None:
    op.drop_table("account_code")

"""login failures: wrong passwords are remembered to rate-limit guessing

Revision ID: 0003
Revises: 0002
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_failure_email", "login_failure", ["email"])
    op.create_index("ix_login_failure_at", "login_failure", ["at"])


def downgrade() -> None:
    op.drop_index("ix_login_failure_at", table_name="login_failure")
    op.drop_index("ix_login_failure_email", table_name="login_failure")
    op.drop_table("login_failure")

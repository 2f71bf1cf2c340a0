"""login attempts per client: count every attempt before checking it, per e-mail and per client

Revision ID: 0004
Revises: 0003
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("login_failure") as batch:
        batch.add_column(sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False,
                                   server_default=""))
    op.create_index("ix_login_failure_client", "login_failure", ["client"])


def downgrade() -> None:
    op.drop_index("ix_login_failure_client", table_name="login_failure")
    with op.batch_alter_table("login_failure") as batch:
        batch.drop_column("client")

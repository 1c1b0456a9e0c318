"""login throttling (failed logins by account and address); API keys expire and rotate

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 15:20:00
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import xinyong.db

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Keys issued before keys expired get the platform's default lifetime from their issue.
LEGACY_KEY_DAYS = 365


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("at", xinyong.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index("ix_login_failures_scope_key_at", "login_failures", ["scope", "key_hash", "at"])
    op.create_index("ix_login_failures_at", "login_failures", ["at"])
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("expires_at", xinyong.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("replaced_by_id", sa.Integer(), nullable=True))
    keys = sa.table(
        "api_keys",
        sa.column("id", sa.Integer()),
        sa.column("created_at", xinyong.db.UTCDateTime(timezone=True)),
        sa.column("expires_at", xinyong.db.UTCDateTime(timezone=True)),
    )
    bind = op.get_bind()
    for key_id, created in bind.execute(sa.select(keys.c.id, keys.c.created_at)).all():
        bind.execute(
            keys.update()
            .where(keys.c.id == key_id)
            .values(expires_at=created + dt.timedelta(days=LEGACY_KEY_DAYS))
        )


def downgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_column("replaced_by_id")
        batch_op.drop_column("expires_at")
    op.drop_index("ix_login_failures_at", table_name="login_failures")
    op.drop_index("ix_login_failures_scope_key_at", table_name="login_failures")
    op.drop_table("login_failures")

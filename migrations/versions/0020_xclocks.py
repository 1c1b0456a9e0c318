"""the exchange outbox: when an item was flagged overdue (HLJ 21 ¶2, 51)

Revision ID: 0020_xclocks
Revises: 0019_exchange
Create Date: 2026-12-07 19:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import xinyong.db

revision: str = "0020_xclocks"
down_revision: str | None = "0019_exchange"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("exchange_outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "overdue_flagged_at", xinyong.db.UTCDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("exchange_outbox", schema=None) as batch_op:
        batch_op.drop_column("overdue_flagged_at")

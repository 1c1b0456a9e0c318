"""ingest: who runs a batch and when it last committed, so a crashed batch can be closed

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import xinyong.db

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ingest_batches") as batch:
        batch.add_column(sa.Column("owner", sa.String(length=200), nullable=True))
        batch.add_column(
            sa.Column("heartbeat_at", xinyong.db.UTCDateTime(timezone=True), nullable=True)
        )
    op.create_index(op.f("ix_ingest_batches_state"), "ingest_batches", ["state"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_ingest_batches_state"), table_name="ingest_batches")
    with op.batch_alter_table("ingest_batches") as batch:
        batch.drop_column("heartbeat_at")
        batch.drop_column("owner")

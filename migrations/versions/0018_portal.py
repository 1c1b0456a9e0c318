"""provider portal: one open quarantine row per source row (source_key, unique while open)

Revision ID: 0018_portal
Revises: 0017_admin
Create Date: 2026-12-07 17:00:00

Rows quarantined before this migration keep source_key NULL (NULLs never collide), so the
unique index is created whatever duplicates an older database holds; a re-push of such a row
opens one new keyed row, and from then on it is counted there.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_portal"
down_revision: str | None = "0017_admin"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("quarantined_rows", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_key", sa.String(length=64), nullable=True))
    op.create_index(
        "uq_quarantined_rows_open_source",
        "quarantined_rows",
        ["provider_code", "item_code", "source_key"],
        unique=True,
        sqlite_where=sa.text("state = 'open'"),
        postgresql_where=sa.text("state = 'open'"),
    )


def downgrade() -> None:
    op.drop_index("uq_quarantined_rows_open_source", table_name="quarantined_rows")
    with op.batch_alter_table("quarantined_rows", schema=None) as batch_op:
        batch_op.drop_column("source_key")

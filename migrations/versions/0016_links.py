"""HLJ 33 relations: one code. Links stored as `directly_responsible` (the API's former code)
become `responsible_person`, the law pack's code, which the listing reads.

Revision ID: 0016_links
Revises: 0015_desk
Create Date: 2026-12-07 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_links"
down_revision: str | None = "0015_desk"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UPDATE = "UPDATE {table} SET relation = :new WHERE relation = :old"


def upgrade() -> None:
    for table in ("subject_links", "list_entries"):
        op.execute(
            sa.text(_UPDATE.format(table=table)).bindparams(
                new="responsible_person", old="directly_responsible"
            )
        )


def downgrade() -> None:
    """One code is kept: the former alias is not restored (both meant the same relation)."""

"""search: how many names hold each bigram (a query walks its rarest bigram)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 09:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "subject_name_gram_counts",
        sa.Column("gram", sa.String(length=2), nullable=False),
        sa.Column("postings", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("gram", name=op.f("pk_subject_name_gram_counts")),
    )
    op.execute(
        "INSERT INTO subject_name_gram_counts (gram, postings)"
        " SELECT gram, count(*) FROM subject_name_grams GROUP BY gram"
    )


def downgrade() -> None:
    op.drop_table("subject_name_gram_counts")

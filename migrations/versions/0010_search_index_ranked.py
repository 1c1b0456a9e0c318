"""search index keyed by (gram, name length, subject): the first page is read off the index

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 09:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REBUILD = (
    "INSERT INTO subject_name_grams (gram, name_len, subject_id)"
    " SELECT DISTINCT substr(s.name, p.i, 2), length(s.name), s.id FROM subjects s"
    " JOIN gram_positions p ON p.i < length(s.name)"
    " WHERE s.id <= (SELECT coalesce(max(indexed_upto), 0) FROM search_state)"
    " AND s.kind <> 'natural_person'"
)


def upgrade() -> None:
    op.drop_table("subject_name_grams")
    op.create_table(
        "subject_name_grams",
        sa.Column("gram", sa.String(length=2), nullable=False),
        sa.Column("name_len", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("subject_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint(
            "gram", "name_len", "subject_id", name=op.f("pk_subject_name_grams")
        ),
        sqlite_with_rowid=False,
    )
    op.execute(_REBUILD)


def downgrade() -> None:
    op.drop_table("subject_name_grams")
    op.create_table(
        "subject_name_grams",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("gram", sa.String(length=2), nullable=False),
        sa.Column("subject_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_name_grams")),
    )
    op.create_index(
        "ix_subject_name_grams_gram_subject_id", "subject_name_grams", ["gram", "subject_id"]
    )
    op.execute(
        "INSERT INTO subject_name_grams (gram, subject_id)"
        " SELECT DISTINCT substr(s.name, p.i, 2), s.id FROM subjects s"
        " JOIN gram_positions p ON p.i < length(s.name)"
        " WHERE s.id <= (SELECT coalesce(max(indexed_upto), 0) FROM search_state)"
        " AND s.kind <> 'natural_person'"
    )

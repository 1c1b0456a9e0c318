"""integrity points (issue 19): memberships and published benefits

Revision ID: 0022_points
Revises: 0021_commitments
Create Date: 2026-12-07 20:21:54.938028
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import xinyong.db

revision: str = "0022_points"
down_revision: str | None = "0021_commitments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "points_benefits",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("in_force", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("provider", sa.String(length=200), nullable=False),
        sa.Column("service_area", sa.String(length=40), nullable=False),
        sa.Column("min_points", sa.Integer(), nullable=False),
        sa.Column("changed_at", xinyong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_benefits")),
    )
    with op.batch_alter_table("points_benefits", schema=None) as batch_op:
        batch_op.create_index("ix_points_benefits_code", ["code", "is_current"], unique=False)

    op.create_table(
        "points_memberships",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("subject_key", sa.String(length=64), nullable=False),
        sa.Column("joined_at", xinyong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("left_at", xinyong.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_memberships")),
    )
    with op.batch_alter_table("points_memberships", schema=None) as batch_op:
        batch_op.create_index(
            "ix_points_memberships_subject", ["subject_key", "left_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("points_memberships", schema=None) as batch_op:
        batch_op.drop_index("ix_points_memberships_subject")

    op.drop_table("points_memberships")
    with op.batch_alter_table("points_benefits", schema=None) as batch_op:
        batch_op.drop_index("ix_points_benefits_code")

    op.drop_table("points_benefits")

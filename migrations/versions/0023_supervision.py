"""graded supervision (issue 19): inspection plans, their pools of objects, inspectors and their
conflicts (HLJ 48, 49)

Revision ID: 0023_supervision
Revises: 0022_points
Create Date: 2026-12-07 20:23:35.463064
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import xinyong.db

revision: str = "0023_supervision"
down_revision: str | None = "0022_points"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inspection_objects",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("plan_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("subject_key", sa.String(length=64), nullable=False),
        sa.Column("subject_name", sa.String(length=200), nullable=False),
        sa.Column("subject_kind", sa.String(length=32), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("supervision_class", sa.String(length=16), nullable=True),
        sa.Column("class_source", sa.String(length=100), nullable=True),
        sa.Column("added_by", sa.String(length=120), nullable=False),
        sa.Column("added_at", xinyong.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_objects")),
    )
    with op.batch_alter_table("inspection_objects", schema=None) as batch_op:
        batch_op.create_index(
            "uq_inspection_objects_subject", ["plan_id", "subject_key"], unique=True
        )
        batch_op.create_index("uq_inspection_objects_token", ["plan_id", "token"], unique=True)

    op.create_table(
        "inspection_plans",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("agency_code", sa.String(length=18), nullable=False),
        sa.Column("agency_name", sa.String(length=200), nullable=False),
        sa.Column("matter", sa.String(length=200), nullable=False),
        sa.Column("area_code", sa.String(length=6), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("enforcement_field", sa.String(length=100), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("draw_on", sa.Date(), nullable=False),
        sa.Column("ratio_high", sa.Integer(), nullable=False),
        sa.Column("ratio_ordinary", sa.Integer(), nullable=False),
        sa.Column("ratio_low", sa.Integer(), nullable=False),
        sa.Column("inspectors_per_object", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("seed_source", sa.String(length=16), nullable=True),
        sa.Column("seed_commitment", sa.String(length=64), nullable=True),
        sa.Column("seed_held", sa.String(length=128), nullable=True),
        sa.Column("seed", sa.String(length=128), nullable=True),
        sa.Column("inputs_json", sa.Text(), nullable=True),
        sa.Column("inputs_digest", sa.String(length=64), nullable=True),
        sa.Column("result_json", sa.Text(), nullable=True),
        sa.Column("result_digest", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", xinyong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_at", xinyong.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("drawn_at", xinyong.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("announced_at", xinyong.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_plans")),
        sa.UniqueConstraint("number", name=op.f("uq_inspection_plans_number")),
    )
    with op.batch_alter_table("inspection_plans", schema=None) as batch_op:
        batch_op.create_index("ix_inspection_plans_agency", ["agency_code"], unique=False)

    op.create_table(
        "inspector_conflicts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "inspector_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("subject_key", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("registered_by", sa.String(length=120), nullable=False),
        sa.Column("registered_at", xinyong.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspector_conflicts")),
    )
    with op.batch_alter_table("inspector_conflicts", schema=None) as batch_op:
        batch_op.create_index(
            "uq_inspector_conflicts", ["inspector_id", "subject_key"], unique=True
        )

    op.create_table(
        "inspectors",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("agency_code", sa.String(length=18), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("enforcement_field", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("registered_by", sa.String(length=120), nullable=False),
        sa.Column("registered_at", xinyong.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspectors")),
    )
    with op.batch_alter_table("inspectors", schema=None) as batch_op:
        batch_op.create_index("uq_inspectors_code", ["agency_code", "code"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("inspectors", schema=None) as batch_op:
        batch_op.drop_index("uq_inspectors_code")

    op.drop_table("inspectors")
    with op.batch_alter_table("inspector_conflicts", schema=None) as batch_op:
        batch_op.drop_index("uq_inspector_conflicts")

    op.drop_table("inspector_conflicts")
    with op.batch_alter_table("inspection_plans", schema=None) as batch_op:
        batch_op.drop_index("ix_inspection_plans_agency")

    op.drop_table("inspection_plans")
    with op.batch_alter_table("inspection_objects", schema=None) as batch_op:
        batch_op.drop_index("uq_inspection_objects_token")
        batch_op.drop_index("uq_inspection_objects_subject")

    op.drop_table("inspection_objects")

"""the administrators' console: agencies, accounts bound to an agency, disabled accounts,
forced password change after a reset, provider units' USCC

Revision ID: 0015_admin
Revises: 0014
Create Date: 2026-12-07 16:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import xinyong.db

revision: str = "0015_admin"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agencies",
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", xinyong.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("uscc", name=op.f("pk_agencies")),
    )
    with op.batch_alter_table("provider_units", schema=None) as batch_op:
        batch_op.add_column(sa.Column("uscc", sa.String(length=18), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_provider_units_uscc"), ["uscc"])
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("agency_code", sa.String(length=18), nullable=True))
        batch_op.add_column(
            sa.Column("disabled_at", xinyong.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_users_agency_code_agencies"), "agencies", ["agency_code"], ["uscc"]
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_users_agency_code_agencies"), type_="foreignkey")
        batch_op.drop_column("must_change_password")
        batch_op.drop_column("disabled_at")
        batch_op.drop_column("agency_code")
    with op.batch_alter_table("provider_units", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_provider_units_uscc"), type_="unique")
        batch_op.drop_column("uscc")
    op.drop_table("agencies")

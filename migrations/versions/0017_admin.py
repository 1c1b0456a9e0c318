"""the administrators' console: agencies, accounts bound to an agency, disabled accounts,
forced password change after a reset, provider units' USCC

Revision ID: 0017_admin
Revises: 0016_links
Create Date: 2026-12-07 16:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import xinyong.db

revision: str = "0017_admin"
down_revision: str | None = "0016_links"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# provider_units and users are referenced by other tables' foreign keys: on SQLite they are not
# rebuilt (batch mode drops and recreates a table, which fails once rows reference it), their
# columns are added in place, the foreign key inline.


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
    op.add_column("provider_units", sa.Column("uscc", sa.String(length=18), nullable=True))
    op.create_index(op.f("ix_provider_units_uscc"), "provider_units", ["uscc"], unique=True)
    op.add_column(
        "users", sa.Column("disabled_at", xinyong.db.UTCDateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "users",
        sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE users ADD COLUMN agency_code VARCHAR(18) "
            "CONSTRAINT fk_users_agency_code_agencies REFERENCES agencies (uscc)"
        )
    else:
        op.add_column("users", sa.Column("agency_code", sa.String(length=18), nullable=True))
        op.create_foreign_key(
            op.f("fk_users_agency_code_agencies"), "users", "agencies", ["agency_code"], ["uscc"]
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_drop_agency_code()
    else:
        op.drop_constraint(op.f("fk_users_agency_code_agencies"), "users", type_="foreignkey")
        op.drop_column("users", "agency_code")
    op.drop_column("users", "must_change_password")
    op.drop_column("users", "disabled_at")
    op.drop_index(op.f("ix_provider_units_uscc"), table_name="provider_units")
    op.drop_column("provider_units", "uscc")
    op.drop_table("agencies")


def _sqlite_drop_agency_code() -> None:
    """SQLite cannot drop a column with a foreign key in place: `users` is rebuilt (batch mode),
    and dropping the old table deletes its rows first, which fails once sessions, API keys or
    cases reference them. The rebuild runs with foreign-key enforcement off (SQLite's own recipe
    for altering a table; the pragma is a no-op inside a transaction, so the one open is
    committed first), every reference is checked afterwards, and enforcement is restored."""
    raw = op.get_bind().connection.dbapi_connection
    assert raw is not None
    if raw.in_transaction:
        raw.commit()
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        with op.batch_alter_table("users", schema=None) as batch_op:
            batch_op.drop_column("agency_code")
        broken = raw.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"rebuilding users broke foreign keys: {broken[:5]}")
    except BaseException:
        if raw.in_transaction:
            raw.rollback()
        raise
    finally:
        if raw.in_transaction:
            raw.commit()
        raw.execute("PRAGMA foreign_keys=ON")

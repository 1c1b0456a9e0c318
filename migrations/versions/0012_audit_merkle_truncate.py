"""audit: the Merkle tree's right edge in the head row; TRUNCATE refused on the audit tables

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30

The edge of an existing log is computed here from the entries' stored hashes, so the first tree
head signed after the upgrade covers the whole log (`xinyong audit verify` then recomputes
every hash from the fields). On PostgreSQL a statement-level BEFORE TRUNCATE trigger refuses
TRUNCATE of audit_events, audit_head and audit_checkpoints (row triggers do not see TRUNCATE).
"""

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE = "audit tables cannot be truncated (审计日志不得清空)"
TABLES = ("audit_events", "audit_head", "audit_checkpoints")


def _edge(hashes: Sequence[str]) -> str:
    """merkle.Frontier over the entries' leaves (RFC 6962), written out here so that the
    migration stays as it is when the code changes."""
    stack: list[bytes] = []
    for size, hex_hash in enumerate(hashes):  # `size` leaves before this one
        stack.append(hashlib.sha256(b"\x00" + bytes.fromhex(hex_hash)).digest())
        n = size
        while n & 1:
            right = stack.pop()
            stack[-1] = hashlib.sha256(b"\x01" + stack[-1] + right).digest()
            n >>= 1
    return "".join(h.hex() for h in stack)


def upgrade() -> None:
    with op.batch_alter_table("audit_head") as batch:
        batch.add_column(sa.Column("frontier", sa.Text(), nullable=True))
    bind = op.get_bind()
    head = bind.execute(sa.text("SELECT seq FROM audit_head WHERE id = 1")).first()
    if head is not None:
        hashes = bind.execute(
            sa.text("SELECT hash FROM audit_events WHERE id <= :n ORDER BY id"), {"n": head.seq}
        ).scalars()
        listed = list(hashes)
        if len(listed) == head.seq:  # else left NULL: `audit verify` reports the gap
            bind.execute(
                sa.text("UPDATE audit_head SET frontier = :f WHERE id = 1"), {"f": _edge(listed)}
            )
    if bind.dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION audit_refuse_truncate() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '{MESSAGE}';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}"
                " FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate()"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION audit_refuse_truncate()")
    with op.batch_alter_table("audit_head") as batch:
        batch.drop_column("frontier")

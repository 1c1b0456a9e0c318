"""exchange between platforms: peers, the outbox, the inbox; records keep their origin

Revision ID: 0019_exchange
Revises: 0018_portal
Create Date: 2026-12-07 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import xinyong.db

revision: str = "0019_exchange"
down_revision: str | None = "0018_portal"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "exchange_peers",
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("relation", sa.String(length=8), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", xinyong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("seq_out", sa.BigInteger(), nullable=False),
        sa.Column("seq_in", sa.BigInteger(), nullable=False),
        sa.Column("last_success_at", xinyong.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "exchange_outbox",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("peer_code", sa.String(length=6), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref", sa.String(length=400), nullable=False),
        sa.Column("ref_version", sa.Integer(), nullable=False),
        sa.Column("payload_json", sa.Text(), nullable=True),
        sa.Column("created_at", xinyong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("aggregated_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("due_provisional", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", xinyong.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("reasons_json", sa.Text(), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("settled_at", xinyong.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_exchange_outbox_peer_state", "exchange_outbox", ["peer_code", "state", "id"]
    )
    op.create_index("ix_exchange_outbox_ref", "exchange_outbox", ["kind", "ref"])
    op.create_table(
        "exchange_inbox",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("sender_code", sa.String(length=6), nullable=False),
        sa.Column("uid", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref", sa.String(length=400), nullable=False),
        sa.Column("ref_version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reasons_json", sa.Text(), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("received_at", xinyong.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("uq_exchange_inbox_uid", "exchange_inbox", ["sender_code", "uid"], unique=True)
    with op.batch_alter_table("credit_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin_platform", sa.String(length=6), nullable=True))
        batch_op.add_column(sa.Column("origin_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("credit_records", schema=None) as batch_op:
        batch_op.drop_column("origin_version")
        batch_op.drop_column("origin_platform")
    op.drop_index("uq_exchange_inbox_uid", table_name="exchange_inbox")
    op.drop_table("exchange_inbox")
    op.drop_index("ix_exchange_outbox_ref", table_name="exchange_outbox")
    op.drop_index("ix_exchange_outbox_peer_state", table_name="exchange_outbox")
    op.drop_table("exchange_outbox")
    op.drop_table("exchange_peers")

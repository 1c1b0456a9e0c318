from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, BigId, UTCDateTime


class AuditEvent(Base):
    """One entry of the append-only log. Never updated, never deleted.

    `id` is assigned from the chain head, so the sequence has no gaps: a missing number is a
    deleted entry. `hash` covers every field and the previous entry's hash."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    action: Mapped[str] = mapped_column(String(120), index=True)  # e.g. accounts:user:login
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_username: Mapped[str | None] = mapped_column(String(120))
    actor_role: Mapped[str] = mapped_column(String(32))
    purpose: Mapped[str | None] = mapped_column(String(200))
    legal_basis: Mapped[str | None] = mapped_column(String(400))
    object_type: Mapped[str | None] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(120))
    subject_key: Mapped[str | None] = mapped_column(String(64), index=True)
    personal_read: Mapped[bool] = mapped_column(Boolean, default=False)
    detail_json: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """A single row: the last sequence number and hash, and the tree's right edge. Appends lock
    it (at commit), so the chain is linear."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))
    #: The Merkle tree's right edge after entry `seq` (audit/merkle.py Frontier.dump): one
    #: 64-hex hash per set bit of `seq`. NULL: unknown (rebuilt by a clean `audit verify`).
    frontier: Mapped[str | None] = mapped_column(Text, nullable=True)


class AuditCheckpoint(Base):
    """A signed (HMAC, key outside the database) snapshot of the chain at one entry."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    upto_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    hash: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

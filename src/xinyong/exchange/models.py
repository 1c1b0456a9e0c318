"""The exchange's tables: the peers this node talks to, what it must tell them (the outbox, one
row per item and peer) and what it has received from them (the inbox, for idempotence)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, BigId, UTCDateTime


class Peer(Base):
    """A platform this node exchanges with: its upper platform or one of its lower ones, with
    the URL of its exchange endpoint and the Ed25519 public key its messages are signed with.
    Messages from a platform not registered here, or not signed by its key, are refused."""

    __tablename__ = "exchange_peers"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)  # GB/T 2260 division code
    name: Mapped[str] = mapped_column(String(200))
    relation: Mapped[str] = mapped_column(String(8))  # upper | lower
    url: Mapped[str] = mapped_column(String(500))
    public_key: Mapped[str] = mapped_column(String(64))  # Ed25519, hex
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    #: the last message sequence number sent to it / accepted from it (replay protection)
    seq_out: Mapped[int] = mapped_column(BigInteger, default=0)
    seq_in: Mapped[int] = mapped_column(BigInteger, default=0)
    last_success_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class OutboxItem(Base):
    """One thing one peer must learn: a record version (read from credit_records when sent;
    versions never change), or a list entry, measure or case outcome (its payload kept here).
    Written in the same transaction as the change it reports (`outbox.py`); settled by the
    peer's signed receipt: applied, unchanged or refused (refused items wait here, with the
    peer's reasons, as the exchange's quarantine)."""

    __tablename__ = "exchange_outbox"
    __table_args__ = (
        Index("ix_exchange_outbox_peer_state", "peer_code", "state", "id"),
        Index("ix_exchange_outbox_ref", "kind", "ref"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    peer_code: Mapped[str] = mapped_column(String(6))
    kind: Mapped[str] = mapped_column(String(16))  # record | list_entry | measure | outcome
    #: what it is about: a record's natural key (provider, item, key joined by '|'), an entry's
    #: or case's number, a measure's code
    ref: Mapped[str] = mapped_column(String(400))
    ref_version: Mapped[int] = mapped_column(Integer, default=1)
    payload_json: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    #: HLJ 21 ¶2: the day it was aggregated and the day it is due at the upper platform
    aggregated_on: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    reasons_json: Mapped[str | None] = mapped_column(Text)
    seq: Mapped[int | None] = mapped_column(BigInteger)  # the message it was last sent in
    settled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: when `xinyong jobs run` first flagged it overdue (HLJ 51; flagged once)
    overdue_flagged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class InboxItem(Base):
    """One item received from a peer and what was done with it: a re-delivered item is answered
    as before and changes nothing."""

    __tablename__ = "exchange_inbox"
    __table_args__ = (Index("uq_exchange_inbox_uid", "sender_code", "uid", unique=True),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sender_code: Mapped[str] = mapped_column(String(6))
    uid: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(400))
    ref_version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(12))  # applied | unchanged | refused
    reasons_json: Mapped[str | None] = mapped_column(Text)
    seq: Mapped[int] = mapped_column(BigInteger)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

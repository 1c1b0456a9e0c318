from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, BigId, UTCDateTime


class IngestBatch(Base):
    """One push from a provider: a JSON batch or a file. Its receipt counts every row."""

    __tablename__ = "ingest_batches"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    provider_code: Mapped[str] = mapped_column(String(40), index=True)
    item_code: Mapped[str] = mapped_column(String(40))
    item_version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16))  # api | csv | xlsx | resubmit
    filename: Mapped[str | None] = mapped_column(String(300))
    actor: Mapped[str] = mapped_column(String(120))
    # processing | done | failed (refused or stopped part-way) | interrupted (its process died)
    state: Mapped[str] = mapped_column(String(16), index=True)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    receipt_json: Mapped[str] = mapped_column(Text, default="{}")
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: "host|pid|process start" of the process running it: a crashed batch is recognised by it
    owner: Mapped[str | None] = mapped_column(String(200))
    #: when its last chunk committed (the counts above are kept up to date with each chunk)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class QuarantinedRow(Base):
    """A rejected row, kept with every reason until the provider fixes or withdraws it."""

    __tablename__ = "quarantined_rows"
    __table_args__ = (
        Index("ix_quarantined_rows_provider_code_state", "provider_code", "state"),
        # one open row per source row (quarantine.source_key): a re-push counts an attempt
        Index(
            "uq_quarantined_rows_open_source",
            "provider_code",
            "item_code",
            "source_key",
            unique=True,
            sqlite_where=text("state = 'open'"),
            postgresql_where=text("state = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    batch_id: Mapped[int] = mapped_column(BigId, index=True)
    provider_code: Mapped[str] = mapped_column(String(40))
    item_code: Mapped[str] = mapped_column(String(40))
    row_number: Mapped[int] = mapped_column(Integer)
    record_key: Mapped[str | None] = mapped_column(String(300))
    #: which source row this is: sha256 of its record key, or of its content when it has none
    #: (None on rows quarantined before migration 0015)
    source_key: Mapped[str | None] = mapped_column(String(64))
    payload_json: Mapped[str] = mapped_column(Text)  # the row exactly as received
    reasons_json: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="open")  # open | resubmitted | withdrawn
    attempts: Mapped[int] = mapped_column(Integer, default=1)  # pushes of this source row
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(120))
    resolved_batch_id: Mapped[int | None] = mapped_column(BigId)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

"""Batches left `processing` by a process that died are closed when the server starts (and by
`xinyong ingest` and `xinyong jobs run`, see tests/reliability/test_crash.py): one of this host
at once, by its process; one of another host only once it has been silent for
XINYONG_INGEST_STALE_MINUTES. A batch whose process still runs is left alone."""

from __future__ import annotations

import datetime as dt
import json
import os

from fastapi.testclient import TestClient
from sqlalchemy import select

from xinyong.context import Context
from xinyong.ingest.models import IngestBatch
from xinyong.ingest.service import _owner
from xinyong.web.app import create_app


def open_batch(ctx: Context, owner: str, heartbeat: dt.datetime, rows: int = 0) -> int:
    with ctx.sessions() as session, session.begin():
        batch = IngestBatch(
            provider_code="HRB-SCJG",
            item_code="HLJ-CF-001",
            item_version=1,
            source="csv",
            filename="x.csv",
            actor="unit",
            state="processing",
            received_at=heartbeat,
            heartbeat_at=heartbeat,
            owner=owner,
            rows=rows,
            accepted=rows,
        )
        session.add(batch)
        session.flush()
        return batch.id


def test_server_start_closes_crashed_batches_only(seeded: Context) -> None:
    now = seeded.clock.now()
    host = _owner().split("|")[0]
    dead = open_batch(seeded, f"{host}|{2**22 + 12345}|1", now, rows=4000)  # no such pid
    recycled = open_batch(seeded, f"{host}|{os.getpid()}|0", now)  # our pid, other start
    running = open_batch(seeded, _owner(), now)  # this very process
    silent = open_batch(seeded, "elsewhere|42|7", now - dt.timedelta(minutes=61))
    recent = open_batch(seeded, "elsewhere|43|7", now - dt.timedelta(minutes=5))
    with TestClient(create_app(seeded)):  # the lifespan runs: the server starts
        pass
    with seeded.sessions() as session:
        states = dict(session.execute(select(IngestBatch.id, IngestBatch.state)).all())
        closed = session.get(IngestBatch, dead)
        assert closed is not None
        receipt = json.loads(closed.receipt_json)
    assert states == {
        dead: "interrupted",
        recycled: "interrupted",
        running: "processing",
        silent: "interrupted",
        recent: "processing",
    }
    assert receipt["rows"] == receipt["accepted"] == 4000
    message = receipt["error"]["message"]
    assert "已提交4000行" in message and "不会重复" in message

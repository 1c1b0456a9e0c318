"""A saturated platform refuses with 503 and Retry-After, having written nothing, and says so
in Chinese; it never answers 500 for want of a turn (issue 14, item 2)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.conftest import make_settings
from xinyong.cases.models import Case
from xinyong.common.clock import FixedClock
from xinyong.context import Context, build_context
from xinyong.demo.seed import DEMO_CITIZEN, DEMO_PASSWORD, load_demo
from xinyong.records.models import CreditRecord
from xinyong.web.app import create_app
from xinyong.write_gate import write_gate

WAIT = 1.0


def _demo(db_url: str, tmp_path: Path, clock: FixedClock, **settings: Any) -> Context:
    from xinyong.sharing.reads import clear_caches

    clear_caches()
    ctx = build_context(make_settings(tmp_path, db_url).model_copy(update=settings), clock=clock)
    load_demo(ctx, subjects=2, records=2)
    return ctx


@pytest.fixture
def busy_ctx(db_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[Context]:
    """A demo platform whose writers wait WAIT seconds for their turn, serving one request at a
    time beyond which it refuses (max_in_flight=1), with one worker thread."""
    ctx = _demo(
        db_url,
        tmp_path,
        clock,
        write_wait_seconds=WAIT,
        max_in_flight=1,
        retry_after_seconds=3,
        worker_threads=1,
    )
    yield ctx
    ctx.engine.dispose()


@contextmanager
def holding_the_write_turn(ctx: Context) -> Iterator[None]:
    """Another writer holding the turn: SQLite's write gate, or on PostgreSQL a lock on the
    cases table (an objection must insert there)."""
    gate = write_gate(ctx.engine)
    if gate is not None:
        gate.acquire()
        try:
            yield
        finally:
            gate.release()
        return
    with ctx.engine.begin() as conn:
        conn.exec_driver_sql("LOCK TABLE cases IN EXCLUSIVE MODE")
        yield


def _citizen(client: TestClient, ctx: Context) -> tuple[dict[str, str], int]:
    r = client.post("/api/auth/token", data={"username": "citizen", "password": DEMO_PASSWORD})
    assert r.status_code == 200, r.text
    with ctx.sessions() as session:
        record = session.scalar(
            select(CreditRecord.id).where(CreditRecord.subject_key == DEMO_CITIZEN).limit(1)
        )
    assert record is not None
    return {"Authorization": f"Bearer {r.json()['access_token']}"}, record


def _cases(ctx: Context, text: str) -> int:
    with ctx.sessions() as session:
        return int(session.scalar(select(func.count()).where(Case.request == text)) or 0)


def test_a_write_that_cannot_get_its_turn_is_refused_with_503_and_leaves_nothing(
    busy_ctx: Context,
) -> None:
    ctx = busy_ctx
    with TestClient(create_app(ctx)) as client:
        bearer, record = _citizen(client, ctx)
        body = {"record_id": record, "request": "饱和时提出的异议"}
        with holding_the_write_turn(ctx):
            began = time.monotonic()
            r = client.post("/api/me/objections", json=body, headers=bearer)
            waited = time.monotonic() - began
        assert r.status_code == 503, r.text
        assert r.headers["retry-after"] == "3"
        error = r.json()["error"]
        assert error["code"] in {"db.write_busy", "db.busy"}
        assert "稍后重试" in error["message"] and "未执行" in error["message"]
        assert waited < WAIT + 5  # a bounded wait, not SQLite's or PostgreSQL's own
        assert _cases(ctx, "饱和时提出的异议") == 0  # told it failed: nothing written

        r = client.post("/api/me/objections", json=body, headers=bearer)  # the retry
        assert r.status_code == 201, r.text
        assert _cases(ctx, "饱和时提出的异议") == 1


def test_beyond_the_admission_limit_a_request_is_refused_at_once(
    db_url: str, tmp_path: Path, clock: FixedClock
) -> None:
    ctx = _demo(
        db_url,
        tmp_path,
        clock,
        write_wait_seconds=30,  # the objection below waits until the turn is given back
        max_in_flight=1,
        retry_after_seconds=3,
        worker_threads=1,
    )
    try:
        with TestClient(create_app(ctx)) as client:
            bearer, record = _citizen(client, ctx)
            answers: list[httpx.Response] = []
            with holding_the_write_turn(ctx):
                body = {"record_id": record, "request": "占用唯一名额的异议"}
                slow = threading.Thread(
                    target=lambda: answers.append(
                        client.post("/api/me/objections", json=body, headers=bearer)
                    )
                )
                slow.start()
                time.sleep(0.3)  # the objection is in flight, waiting for its turn
                began = time.monotonic()
                refused = client.get("/api/law")
                assert time.monotonic() - began < 5  # refused at once, not queued
                health = client.get("/api/health")  # not counted: monitoring always gets in,
                assert slow.is_alive(), (answers[0].text, health.text)  # not queued behind it
            slow.join(timeout=30)
            assert answers[0].status_code == 201  # served once the turn came
            assert refused.status_code == 503
            assert refused.headers["retry-after"] == "3"
            assert refused.json()["error"]["code"] == "platform.busy"
            assert "请求过多" in refused.json()["error"]["message"]
            assert health.status_code == 200
            assert client.get("/api/law").status_code == 200  # and the platform serves again
    finally:
        ctx.engine.dispose()


def test_a_transaction_never_waits_for_a_worker_thread(
    db_url: str, tmp_path: Path, clock: FixedClock
) -> None:
    """With one worker thread, concurrent writes each hold their transaction only within the
    route's own thread. Before, FastAPI validated a sync route's answer in a second worker
    thread while the transaction (SQLite's write gate, PostgreSQL's audit head row) was still
    open: the next request's thread waited for that lock, the first for a thread, and the
    server froze (on SQLite until its timeouts ran out, on PostgreSQL for good)."""
    ctx = _demo(db_url, tmp_path, clock, worker_threads=1, write_wait_seconds=5)
    try:
        with TestClient(create_app(ctx)) as client:
            bearer, record = _citizen(client, ctx)
            statuses: list[int] = []

            def objection(n: int) -> None:
                body = {"record_id": record, "request": f"并发异议{n}"}
                statuses.append(
                    client.post("/api/me/objections", json=body, headers=bearer).status_code
                )

            threads = [threading.Thread(target=objection, args=(n,)) for n in range(8)]
            began = time.monotonic()
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=30)
            seconds = time.monotonic() - began
        assert statuses == [201] * 8
        assert seconds < 5, f"{seconds:.1f} s: a transaction waited for a worker thread"
    finally:
        ctx.engine.dispose()


def test_every_router_commits_in_the_route_thread(tmp_path: Path) -> None:
    """Routers added later must be `web.deps.Router`s too, or their sync routes hold their
    transaction across a thread hop again."""
    from fastapi.routing import APIRoute

    from xinyong.config import Settings
    from xinyong.web.deps import Router

    app = create_app(build_context(Settings(data_dir=tmp_path, secret_key="k")))
    routers = [r.original_router for r in app.routes if hasattr(r, "original_router")]
    assert len(routers) > 10
    assert all(isinstance(router, Router) for router in routers), routers
    direct = [r for r in app.router.routes if isinstance(r, APIRoute)]  # added to the app itself
    assert not direct, direct


def test_writes_take_turns_and_reads_are_never_queued_behind_them(
    db_url: str, tmp_path: Path, clock: FixedClock
) -> None:
    """With one write slot and two worker threads: a write waiting for a lock holds the slot and
    one thread; a second write waits for its turn on the event loop (no thread) and is refused
    with 503 when its wait runs out, having written nothing; a read is answered meanwhile. Before
    turns, the second write took the last thread and the read waited behind both (issue 14's
    500-client soak: self-queries waited 10 s behind queued writes)."""
    ctx = _demo(
        db_url,
        tmp_path,
        clock,
        write_wait_seconds=30,
        write_slots=1,
        write_turn_seconds=1.0,
        retry_after_seconds=3,
        worker_threads=2,
    )
    try:
        with TestClient(create_app(ctx)) as client:
            bearer, record = _citizen(client, ctx)
            answers: list[httpx.Response] = []
            with holding_the_write_turn(ctx):
                body = {"record_id": record, "request": "占用写入名额的异议"}
                slow = threading.Thread(
                    target=lambda: answers.append(
                        client.post("/api/me/objections", json=body, headers=bearer)
                    )
                )
                slow.start()
                time.sleep(0.3)  # the objection holds the write slot, waiting for the lock
                began = time.monotonic()
                second = client.post(
                    "/api/me/objections",
                    json={"record_id": record, "request": "等待写入名额的异议"},
                    headers=bearer,
                )
                waited = time.monotonic() - began
                began = time.monotonic()
                read = client.get("/api/law")  # a read that writes nothing (no audit entry)
                read_seconds = time.monotonic() - began
                assert slow.is_alive(), answers[0].text if answers else ""
            slow.join(timeout=30)
        assert second.status_code == 503 and second.headers["retry-after"] == "3"
        assert second.json()["error"]["code"] == "platform.busy"
        assert 0.9 < waited < 5
        assert _cases(ctx, "等待写入名额的异议") == 0
        assert read.status_code == 200 and read_seconds < 5
        assert answers[0].status_code == 201
        assert _cases(ctx, "占用写入名额的异议") == 1
    finally:
        ctx.engine.dispose()

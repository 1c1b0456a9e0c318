"""The fast read paths' storage helpers: a prepared SELECT gives the rows Core gives (with the
same Python types) on both backends, and a connection held between uses sees every commit."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import psycopg
import pytest
from sqlalchemy import bindparam, select, text

from tests.ingest.conftest import TODAY, push_as_system
from xinyong.context import Context
from xinyong.db import table_of
from xinyong.demo.rows import penalty_row
from xinyong.fastpath import (
    PreparedRead,
    close_loop_connections,
    held_connection,
    loop_connections,
)
from xinyong.records.models import CreditRecord

_records = table_of(CreditRecord)
_QUERY = (
    select(
        _records.c.id,
        _records.c.subject_key,
        _records.c.decided_on,
        _records.c.is_current,
        _records.c.recorded_at,
        _records.c.payload_json,
    )
    .where(_records.c.subject_key == bindparam("key"), _records.c.nature == "dishonesty")
    .order_by(_records.c.id)
)


def test_prepared_read_equals_core(seeded: Context) -> None:
    push_as_system(seeded, [penalty_row(i % 2, TODAY - dt.timedelta(days=i)) for i in range(4)])
    key = penalty_row(0, TODAY)["统一社会信用代码"]
    prepared = PreparedRead(_QUERY)
    with seeded.engine.connect() as conn:
        core = [tuple(row) for row in conn.execute(_QUERY, {"key": key})]
        fast = prepared.all(conn, {"key": key})
        again = prepared.all(conn, {"key": key})  # compiled once, reused
    assert core and [tuple(row) for row in fast] == core == [tuple(row) for row in again]
    first = fast[0]
    assert isinstance(first.decided_on, dt.date) and isinstance(first.is_current, bool)
    assert first.recorded_at.tzinfo is not None  # UTC-aware, as the UTCDateTime type gives
    assert prepared.all(seeded.engine.connect(), {"key": "NO-SUCH-SUBJECT"}) == []
    if seeded.engine.dialect.name == "postgresql":  # and on an event loop's own connection

        async def on_the_loop() -> list[Any]:
            try:
                async with loop_connections(seeded.engine).connection() as aconn:
                    return await prepared.all_async(aconn, seeded.engine.dialect, {"key": key})
            finally:
                await close_loop_connections(seeded.engine)

        assert [tuple(row) for row in asyncio.run(on_the_loop())] == core


def test_loop_connections_close_what_they_cannot_trust(seeded: Context) -> None:
    """A connection left in a transaction or broken by an error is closed, not handed out."""
    if seeded.engine.dialect.name != "postgresql":
        pytest.skip("the loop's own connections are PostgreSQL's")

    async def scenario() -> None:
        connections = loop_connections(seeded.engine)
        async with connections.connection() as first:
            await first.execute("SELECT 1")
        async with connections.connection() as again:
            assert again is first  # kept: idle, not in a transaction
            await again.execute("BEGIN")
        assert again.closed  # left in a transaction: closed
        with pytest.raises(psycopg.errors.UndefinedTable):
            async with connections.connection() as failing:
                await failing.execute("SELECT * FROM no_such_table")
        assert failing.closed
        async with connections.connection() as fresh:
            assert fresh is not failing
        async with connections.connection() as one, connections.connection() as two:
            pids = [one.info.backend_pid, two.info.backend_pid]
        with seeded.engine.begin() as admin:  # the server drops both (a restart, say)
            for pid in pids:
                admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(psycopg.OperationalError):
            async with connections.connection() as dropped:
                await dropped.execute("SELECT 1")
        assert one.closed and two.closed  # the other idle one is not handed out either
        async with connections.connection() as fresh:
            assert (await (await fresh.execute("SELECT 3")).fetchone()) == (3,)
        await close_loop_connections(seeded.engine)
        assert fresh.closed

    asyncio.run(scenario())


def test_held_connection_sees_each_commit_and_keeps_no_transaction(seeded: Context) -> None:
    count = text("SELECT count(*) FROM credit_records")
    with held_connection(seeded.engine) as conn:
        before = conn.execute(count).scalar_one()  # begins a transaction on this connection
    assert not conn.in_transaction()  # ended after use, so it holds no old snapshot
    push_as_system(seeded, [penalty_row(7, TODAY)])  # committed by another connection
    with held_connection(seeded.engine) as again:
        assert again is conn  # the same connection, kept open
        assert again.execute(count).scalar_one() == before + 1


def test_prepared_write_stores_what_core_stores(seeded: Context) -> None:
    """A prepared INSERT (one row and executemany) stores each value as Core's INSERT does, a
    prepared UPDATE gives back its RETURNING rows, and SQLite's write gate is held meanwhile.
    On PostgreSQL a COPY (sync and on the loop's own connection) stores the same values, text
    with tabs, newlines and backslashes included."""
    from sqlalchemy import insert, update

    from xinyong.audit.models import AuditEvent
    from xinyong.fastpath import CopyWrite, PreparedWrite
    from xinyong.write_gate import write_gate

    events = table_of(AuditEvent)
    moment = dt.datetime(2026, 11, 23, 20, 30, 1, 123456, tzinfo=dt.timezone(dt.timedelta(hours=8)))

    def values(n: int) -> dict[str, Any]:
        return {
            "id": 10_000_000 + n,
            "occurred_at": moment,
            "action": "test:prepared",
            "actor_id": None,
            "actor_username": "张三",
            "actor_role": "public",
            "purpose": None,
            "legal_basis": "HLJ 35",
            "object_type": None,
            "object_id": str(n),
            "subject_key": "KEY",
            "personal_read": n % 2 == 0,
            "detail_json": '{"中":1}' if n % 3 else '{"a":"\\t\tb\nc\\\\N"}',
            "prev_hash": "0" * 64,
            "hash": f"{n:064d}",
        }

    prepared = PreparedWrite(insert(events), [c.key for c in events.columns])
    with seeded.engine.begin() as conn:
        conn.execute(insert(events), [values(0), values(1)])
        prepared.run_sync(conn, values(2))
        gate = write_gate(seeded.engine)
        assert gate is None or gate.locked()  # held from the first write until commit
        prepared.run_sync(conn, [values(3), values(4)])
    assert gate is None or not gate.locked()
    keys = [c.key for c in events.columns]
    if seeded.engine.dialect.name == "postgresql":
        copied = CopyWrite(events, keys)
        with seeded.engine.begin() as conn:
            copied.run_sync(conn, [values(5), values(6)])

        async def on_loop() -> None:
            try:
                connections = loop_connections(seeded.engine)
                async with connections.connection() as aconn, aconn.transaction():
                    await copied.run(aconn, seeded.engine.dialect, [values(7), values(8)])
            finally:
                await close_loop_connections(seeded.engine)

        asyncio.run(on_loop())
    with seeded.engine.connect() as conn:
        rows = conn.execute(
            select(events).where(events.c.action == "test:prepared").order_by(events.c.id)
        ).all()
    stored = [row._asdict() for row in rows]
    assert len(stored) == (9 if seeded.engine.dialect.name == "postgresql" else 5)
    for row in stored:
        n = row.pop("id") - 10_000_000
        expected = values(n)
        expected.pop("id")
        assert row == expected  # the same instant, back as UTC; booleans as booleans
        assert row["occurred_at"].utcoffset() == dt.timedelta(0)
    head = table_of(AuditEvent).metadata.tables["audit_head"]
    bump = PreparedWrite(update(head).values(seq=head.c.seq + bindparam("n")).returning(head.c.seq))
    with seeded.engine.begin() as conn:
        before = conn.execute(select(head.c.seq)).scalar_one()
        assert bump.run_sync(conn, {"n": 3}) == [(before + 3,)]
        conn.rollback()

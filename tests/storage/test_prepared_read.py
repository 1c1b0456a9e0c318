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
from xinyong.db import (
    PreparedRead,
    close_loop_connections,
    held_connection,
    loop_connections,
    table_of,
)
from xinyong.demo.rows import penalty_row
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

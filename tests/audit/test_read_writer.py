"""Group commit of read audits (audit/writer.py): entries from concurrent readers form one
gap-free chain, a batch is signed at the checkpoint it crosses, and a reader whose entry could not
be committed gets the error instead of an answer."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from tests.ingest.conftest import push_as_system
from xinyong.audit.models import AuditCheckpoint, AuditEvent
from xinyong.audit.service import AuditLog, entry_values
from xinyong.audit.writer import ReadAuditWriter
from xinyong.common.roles import ANONYMOUS, Actor, Role
from xinyong.context import Context
from xinyong.demo.rows import penalty_row
from xinyong.fastpath import HELD_CHECKPOINT_PAGES, close_loop_connections, held_connection
from xinyong.sharing.service import profile, profile_async
from xinyong.visibility.engine import Viewer
from xinyong.write_gate import write_gate

READER = Actor(role=Role.AGENCY, user_id=3, username="agency")


def _entry(ctx: Context, i: int) -> dict[str, object]:
    return entry_values(ctx.clock, READER, "test:read", object_id=i, detail={"i": i})


def _numbers(ctx: Context) -> list[int]:
    with ctx.sessions() as session:
        return list(session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))


def test_concurrent_threads_form_one_gap_free_chain(ctx: Context) -> None:
    writer = ReadAuditWriter(ctx.engine, ctx.audit)

    def read(i: int) -> int:  # half write their own entry, half hand it to the writer thread
        return writer.write(_entry(ctx, i)) if i % 2 else writer.submit(_entry(ctx, i)).result()

    with ThreadPoolExecutor(16) as pool:
        got = list(pool.map(read, range(200)))
    assert sorted(got) == _numbers(ctx) == list(range(1, 201))
    with ctx.sessions() as session:
        assert ctx.audit.verify(session, full=True).ok


def test_reads_on_one_event_loop_turn_share_a_commit(ctx: Context) -> None:
    writer = ReadAuditWriter(ctx.engine, ctx.audit)
    commits = 0
    original = ctx.audit.append

    def counting(target, entries):  # type: ignore[no-untyped-def]
        nonlocal commits
        commits += 1
        return original(target, entries)

    ctx.audit.append = counting  # type: ignore[method-assign]

    async def readers() -> list[int]:
        return await asyncio.gather(*(writer.write_on_loop(_entry(ctx, i)) for i in range(50)))

    got = asyncio.run(readers())
    assert sorted(got) == list(range(1, 51)) and commits == 1
    with ctx.sessions() as session:
        assert ctx.audit.verify(session, full=True).ok


def test_loop_readers_on_a_server_commit_in_batches_with_checkpoints(ctx: Context) -> None:
    """`write_async` (PostgreSQL, the loop's own connections): while one transaction commits,
    the entries that queue go together in the next; one chain, signed where it crosses."""
    if ctx.engine.dialect.name != "postgresql":
        pytest.skip("write_async is for a database server")
    ctx.audit = AuditLog("test-secret-key", checkpoint_every=10)
    writer = ReadAuditWriter(ctx.engine, ctx.audit)
    batches: list[int] = []
    original = ctx.audit.append_async

    async def counting(conn, dialect, entries):  # type: ignore[no-untyped-def]
        batches.append(len(entries))
        return await original(conn, dialect, entries)

    ctx.audit.append_async = counting  # type: ignore[method-assign]

    async def readers() -> list[int]:
        try:
            first = await asyncio.gather(*(writer.write_async(_entry(ctx, i)) for i in range(25)))
            return [*first, await writer.write_async(_entry(ctx, 25))]
        finally:
            await close_loop_connections(ctx.engine)

    got = asyncio.run(readers())
    assert sorted(got) == _numbers(ctx) == list(range(1, 27))
    assert sum(batches) == 26 and len(batches) < 26  # grouped, not one transaction each
    with ctx.sessions() as session:
        signed = list(session.scalars(select(AuditCheckpoint.upto_id).order_by("upto_id")))
        assert ctx.audit.verify(session, full=True).ok
    assert signed[-1] == 20 and all(upto % 10 == 0 for upto in signed)  # one per batch, at most


def test_a_cancelled_reader_does_not_fail_its_batch(ctx: Context) -> None:
    """A request dropped while its entry waits for the batch's commit: the others still get
    their numbers (on SQLite the loop-turn batch, on PostgreSQL the loop's transaction)."""
    writer = ReadAuditWriter(ctx.engine, ctx.audit)
    write = writer.write_on_loop if ctx.engine.dialect.name == "sqlite" else writer.write_async

    async def readers() -> int:
        try:
            dropped = asyncio.ensure_future(write(_entry(ctx, 1)))
            kept = asyncio.ensure_future(write(_entry(ctx, 2)))
            await asyncio.sleep(0)  # both queued
            dropped.cancel()
            return await asyncio.wait_for(kept, 10)  # without the fix it never resolves
        finally:
            await close_loop_connections(ctx.engine)

    assert asyncio.run(readers()) == 2 and _numbers(ctx) == [1, 2]  # the entry is kept


def test_a_batch_is_signed_at_the_checkpoint_it_crosses(ctx: Context) -> None:
    ctx.audit = AuditLog("test-secret-key", checkpoint_every=10)
    with ctx.sessions() as session, session.begin():
        ctx.audit.append(session, [_entry(ctx, i) for i in range(7)])
    with ctx.sessions() as session, session.begin():
        ctx.audit.append(session, [_entry(ctx, i) for i in range(6)])  # entries 8-13
    with ctx.sessions() as session:
        signed = list(session.scalars(select(AuditCheckpoint.upto_id)))
        routine = ctx.audit.verify(session)
    assert signed == [10] and routine.ok and routine.checked == 13  # the whole log, always


def test_no_answer_leaves_when_its_audit_entry_fails(seeded: Context) -> None:
    ctx = seeded
    row = penalty_row(1, ctx.today())
    push_as_system(ctx, [row])
    key = row["统一社会信用代码"]
    before = len(_numbers(ctx))

    def failing(entries, first, prev):  # type: ignore[no-untyped-def]
        raise RuntimeError("audit store unavailable")

    # Chaining fails after the head row has been moved on, inside the append's transaction
    # (on the sync path, and on the async one: the loop's own connection on PostgreSQL).
    ctx.audit._chain = failing  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="audit store unavailable"):
        profile(ctx, viewer=Viewer(actor=ANONYMOUS), subject_key=key)
    with pytest.raises(RuntimeError, match="audit store unavailable"):
        asyncio.run(profile_async(ctx, viewer=Viewer(actor=ANONYMOUS), subject_key=key))
    assert len(_numbers(ctx)) == before
    del ctx.audit._chain  # the head was rolled back with the rest: the next number follows on
    answer = asyncio.run(profile_async(ctx, viewer=Viewer(actor=ANONYMOUS), subject_key=key))
    assert answer.audit_id == max(_numbers(ctx)) and len(_numbers(ctx)) == before + 1
    with ctx.sessions() as session:
        assert ctx.audit.verify(session, full=True).ok


def test_profile_async_answers_with_its_committed_receipt(seeded: Context) -> None:
    ctx = seeded
    row = penalty_row(2, ctx.today())
    push_as_system(ctx, [row])
    answer = asyncio.run(
        profile_async(ctx, viewer=Viewer(actor=ANONYMOUS), subject_key=row["统一社会信用代码"])
    )
    with ctx.sessions() as session:
        event = session.get(AuditEvent, answer.audit_id)
        assert session.scalar(select(func.max(AuditEvent.id))) == answer.audit_id
    assert event is not None and event.action == "sharing:profile:read"
    assert [r.record_key for r in answer.records] == [row["处罚决定书文号"]]


def test_the_loop_never_waits_on_another_writer(ctx: Context) -> None:
    gate = write_gate(ctx.engine)
    if gate is None:
        pytest.skip("the write gate is SQLite's")
    writer = ReadAuditWriter(ctx.engine, ctx.audit)

    async def main() -> int:
        assert gate.acquire(timeout=1)  # an ingestion in another thread is writing
        pending = asyncio.ensure_future(writer.write_on_loop(_entry(ctx, 1)))
        for _ in range(5):
            await asyncio.sleep(0)  # the loop keeps turning meanwhile
        assert not pending.done()  # handed to the writer thread, which waits for the gate
        gate.release()
        return await pending

    assert asyncio.run(main()) == 1 and _numbers(ctx) == [1]


def test_the_loop_connection_checkpoints_the_wal_less_often(ctx: Context) -> None:
    if ctx.engine.dialect.name != "sqlite":
        pytest.skip("WAL checkpoints are SQLite's")
    writer = ReadAuditWriter(ctx.engine, ctx.audit)
    for i in range(3):  # three loop turns, three commits on the loop's held connection
        asyncio.run(writer.write_on_loop(_entry(ctx, i)))
    with held_connection(ctx.engine) as conn:
        pages = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
        limit = conn.exec_driver_sql("PRAGMA journal_size_limit").scalar()
    assert pages == HELD_CHECKPOINT_PAGES and limit == 64 * 1024 * 1024
    assert _numbers(ctx) == [1, 2, 3]

"""SQLite writers in one process queue on a lock instead of SQLite's sleeping busy handler."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.orm import Session

from xinyong.common.roles import SYSTEM
from xinyong.context import Context
from xinyong.write_gate import write_gate


def _gate(ctx: Context) -> threading.Lock:
    gate = write_gate(ctx.engine)
    if gate is None:
        pytest.skip("PostgreSQL queues writers itself; the gate is SQLite's")
    return gate


def _write(ctx: Context, session: Session) -> None:
    """A write now (ctx.log appends only at commit)."""
    ctx.audit.append(session, [ctx.read_entry(actor=SYSTEM, action="test:gate")])


def test_gate_is_held_from_the_first_write_until_commit(ctx: Context) -> None:
    gate = _gate(ctx)
    with ctx.sessions() as session, session.begin():
        assert not gate.locked()  # reads do not take it
        ctx.log(session, actor=SYSTEM, action="test:gate")
        assert not gate.locked()  # an entry logged is written at commit
        _write(ctx, session)
        assert gate.locked()
    assert not gate.locked()


def test_gate_is_released_on_rollback(ctx: Context) -> None:
    gate = _gate(ctx)
    with pytest.raises(RuntimeError), ctx.sessions() as session, session.begin():
        _write(ctx, session)
        raise RuntimeError("abort")
    assert not gate.locked()
    with ctx.sessions() as session:  # a session closed without commit rolls back too
        _write(ctx, session)
        assert gate.locked()
    assert not gate.locked()


def test_concurrent_appends_all_land_in_one_gap_free_chain(ctx: Context) -> None:
    def append() -> None:
        for _ in range(25):
            with ctx.sessions() as session, session.begin():
                ctx.log(session, actor=SYSTEM, action="test:concurrent")

    threads = [threading.Thread(target=append) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with ctx.sessions() as session:
        result = ctx.audit.verify(session)
    assert result.ok, result.message
    assert result.checked >= 150

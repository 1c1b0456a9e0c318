"""The audit chain: any edit, deletion or insertion is found and named, on both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tests.conftest import tampering
from xinyong.audit.models import AuditCheckpoint, AuditEvent
from xinyong.audit.service import AuditLog
from xinyong.common.roles import Actor, Role
from xinyong.context import Context

STAFF = Actor(role=Role.STAFF, user_id=7, username="staff")


def write(ctx: Context, n: int, **kwargs: object) -> None:
    with ctx.sessions() as session, session.begin():
        for i in range(n):
            ctx.audit.record(
                session,
                clock=ctx.clock,
                actor=STAFF,
                action="test:entry:write",
                object_type="thing",
                object_id=i,
                subject_key="91230100MA1B2C3D49",
                purpose="测试",
                detail={"i": i, "名称": "哈尔滨"},
                **kwargs,  # type: ignore[arg-type]
            )


def verify(ctx: Context, full: bool = False):  # type: ignore[no-untyped-def]
    with ctx.sessions() as session:
        return ctx.audit.verify(session, full=full)


def test_intact_chain_verifies(ctx: Context) -> None:
    write(ctx, 25)
    result = verify(ctx)
    assert result.ok and result.checked == 25 and result.last_id == 25


def test_entries_are_numbered_without_gaps_and_linked(ctx: Context) -> None:
    write(ctx, 3)
    with ctx.sessions() as session:
        rows = list(session.query(AuditEvent).order_by(AuditEvent.id))
    assert [r.id for r in rows] == [1, 2, 3]
    assert rows[1].prev_hash == rows[0].hash and rows[2].prev_hash == rows[1].hash
    assert rows[0].occurred_at == ctx.clock.now()


def test_edited_entry_is_named(ctx: Context) -> None:
    write(ctx, 10)
    with tampering(ctx.engine) as conn:
        conn.execute(update(AuditEvent).where(AuditEvent.id == 6).values(purpose="篡改"))
    result = verify(ctx)
    assert not result.ok and result.bad_id == 6 and result.problem == "edited"
    assert "第6条被修改" in result.message


def test_edited_timestamp_is_caught(ctx: Context) -> None:
    write(ctx, 4)
    with tampering(ctx.engine) as conn:
        conn.execute(
            update(AuditEvent)
            .where(AuditEvent.id == 2)
            .values(occurred_at=ctx.clock.now() - dt.timedelta(days=1))
        )
    assert verify(ctx).bad_id == 2


def test_deleted_entry_is_named(ctx: Context) -> None:
    write(ctx, 10)
    with tampering(ctx.engine) as conn:
        conn.execute(delete(AuditEvent).where(AuditEvent.id == 4))
    result = verify(ctx)
    assert not result.ok and result.bad_id == 4 and result.problem == "deleted"


def test_deleted_tail_is_named(ctx: Context) -> None:
    write(ctx, 10)
    with tampering(ctx.engine) as conn:
        conn.execute(delete(AuditEvent).where(AuditEvent.id >= 9))
    result = verify(ctx)
    assert not result.ok and result.bad_id == 9 and result.problem == "deleted"


def test_inserted_entry_is_named(ctx: Context) -> None:
    write(ctx, 5)
    with tampering(ctx.engine) as conn:
        conn.execute(
            text(
                "INSERT INTO audit_events (id, occurred_at, action, actor_role, personal_read,"
                " detail_json, prev_hash, hash)"
                " VALUES (6, :t, 'forged', 'admin', false, '{}', :p, :h)"
            ),
            {"t": ctx.clock.now(), "p": "0" * 64, "h": "1" * 64},
        )
    result = verify(ctx)
    assert not result.ok and result.bad_id == 6 and result.problem == "inserted"


def test_rewritten_chain_is_caught_by_the_signed_checkpoint(ctx: Context) -> None:
    """Rewriting an entry and re-hashing everything after it still fails: checkpoints are
    signed with a key the database does not hold."""
    write(ctx, 5)
    with ctx.sessions() as session, session.begin():
        ctx.audit.checkpoint(session, ctx.clock)
    write(ctx, 3)
    from xinyong.audit.service import entry_hash

    with tampering(ctx.engine) as conn, Session(conn) as session:
        events = list(session.query(AuditEvent).order_by(AuditEvent.id))
        prev = events[1].hash
        events[2].purpose = "改写"
        for e in events[2:]:
            e.prev_hash = prev
            e.hash = entry_hash(e)
            prev = e.hash
        session.execute(text("UPDATE audit_head SET last_hash = :h"), {"h": prev})
        session.flush()
    routine = verify(ctx)
    assert not routine.ok and routine.bad_id == 5
    full = verify(ctx, full=True)
    assert not full.ok and full.bad_id == 5


def test_forged_checkpoint_is_refused(ctx: Context) -> None:
    write(ctx, 3)
    with ctx.sessions() as session, session.begin():
        ctx.audit.checkpoint(session, ctx.clock)
    with tampering(ctx.engine) as conn:
        conn.execute(update(AuditCheckpoint).values(mac="f" * 64))
    result = verify(ctx)
    assert not result.ok and result.problem == "checkpoint"


def test_routine_verification_covers_entries_before_the_newest_checkpoint(ctx: Context) -> None:
    """Issue 14 item 5: the routine run used to start at the newest checkpoint, so an edit
    (re-hashed up to that checkpoint) before it passed. Every run now starts at entry 1."""
    ctx.audit = AuditLog("test-secret-key", checkpoint_every=10)
    write(ctx, 35)
    routine = verify(ctx)
    assert routine.ok and routine.started_at == 1 and routine.checked == 35
    with tampering(ctx.engine) as conn:
        conn.execute(update(AuditEvent).where(AuditEvent.id == 3).values(purpose="篡改"))
    routine = verify(ctx)
    assert not routine.ok and routine.bad_id == 3 and routine.problem == "edited"


def test_a_rolled_back_transaction_leaves_no_entry_and_no_gap(ctx: Context) -> None:
    write(ctx, 2)
    with pytest.raises(RuntimeError), ctx.sessions() as session, session.begin():
        ctx.audit.record(session, clock=ctx.clock, actor=STAFF, action="test:entry:lost")
        raise RuntimeError("boom")
    write(ctx, 1)
    result = verify(ctx)
    assert result.ok and result.last_id == 3


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_events SET purpose = 'x'", "DELETE FROM audit_events"]
)
def test_the_database_refuses_to_change_audit_rows(ctx: Context, statement: str) -> None:
    write(ctx, 2)
    with pytest.raises(DBAPIError, match="append-only"), ctx.engine.begin() as conn:
        conn.execute(text(statement))
    assert verify(ctx).ok

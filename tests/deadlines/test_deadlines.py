"""Statutory deadlines: computed once from the rule in force, stored with citations; provisional
ones are recomputed when the year's notice is imported."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlalchemy import select

from xinyong.audit.models import AuditEvent
from xinyong.common.roles import SYSTEM
from xinyong.context import Context
from xinyong.deadlines.models import StatutoryDeadline
from xinyong.deadlines.service import import_calendar_notice, load_calendar, start_deadline
from xinyong.law.workdays import Pause

FIXTURE = Path(__file__).parent.parent / "fixtures" / "calendar-2027-test.yaml"


def test_deadline_is_stored_with_rule_citations_and_due_date(ctx: Context) -> None:
    with ctx.sessions() as session, session.begin():
        row = start_deadline(
            session,
            ctx,
            actor=SYSTEM,
            rule_key="objection.decide",
            object_type="objection",
            object_id="1",
            started_on=dt.date(2026, 9, 30),
            subject_key="91230100MA1B2C3D49",
        )
    assert row.due_on == dt.date(2026, 10, 10) and not row.provisional
    stored = json.loads(row.citations_json)
    assert stored["citations"][0]["article"] == 39
    assert any(c["article"] == 201 for c in stored["citations"])  # 民法典: start day not counted
    with ctx.sessions() as session:
        event = session.scalar(
            select(AuditEvent).where(AuditEvent.action == "deadlines:deadline:start")
        )
    assert event is not None and "第三十九条" in (event.legal_basis or "")


def test_pauses_are_stored_and_extend_the_deadline(ctx: Context) -> None:
    with ctx.sessions() as session, session.begin():
        row = start_deadline(
            session,
            ctx,
            actor=SYSTEM,
            rule_key="objection.decide",
            object_type="objection",
            object_id="2",
            started_on=dt.date(2026, 11, 23),
            pauses=[Pause(dt.date(2026, 11, 24), dt.date(2026, 11, 25), "检测")],
        )
    assert row.due_on == dt.date(2026, 11, 30)
    assert json.loads(row.pauses_json)[0]["reason"] == "检测"


def test_month_periods_use_the_civil_code(ctx: Context) -> None:
    with ctx.sessions() as session, session.begin():
        row = start_deadline(
            session,
            ctx,
            actor=SYSTEM,
            rule_key="commitment.verify",
            object_type="commitment",
            object_id="3",
            started_on=dt.date(2026, 12, 31),
        )
    assert row.due_on == dt.date(2027, 2, 28) and row.unit == "month"


def test_importing_a_notice_recomputes_provisional_deadlines_only(ctx: Context) -> None:
    with ctx.sessions() as session, session.begin():
        provisional = start_deadline(
            session,
            ctx,
            actor=SYSTEM,
            rule_key="objection.decide",
            object_type="objection",
            object_id="4",
            started_on=dt.date(2026, 12, 31),
        )
        settled = start_deadline(
            session,
            ctx,
            actor=SYSTEM,
            rule_key="objection.decide",
            object_type="objection",
            object_id="5",
            started_on=dt.date(2026, 11, 2),
        )
    # Statutory holidays only: 2027-01-01 off, so 1-4, 1-5, 1-6.
    assert provisional.provisional and provisional.due_on == dt.date(2027, 1, 6)
    with ctx.sessions() as session, session.begin():
        notice, changed = import_calendar_notice(session, ctx, actor=SYSTEM, path=FIXTURE)
    assert notice.year == 2027 and notice.version == 1
    assert [c.object_id for c in changed] == ["4"]
    with ctx.sessions() as session:
        again = session.get(StatutoryDeadline, provisional.id)
        untouched = session.get(StatutoryDeadline, settled.id)
        assert again is not None and untouched is not None
        # With the notice: 1-4 and 1-5 off too; working days 1-6, 1-7, 1-8.
        assert again.due_on == dt.date(2027, 1, 8) and not again.provisional
        assert untouched.due_on == settled.due_on and untouched.recomputed_at is None
        assert load_calendar(session).is_official(2027)
        actions = list(session.scalars(select(AuditEvent.action)))
    assert "calendar:notice:import" in actions and "deadlines:deadline:recompute" in actions
    with ctx.sessions() as session, session.begin():
        again_notice, changed = import_calendar_notice(session, ctx, actor=SYSTEM, path=FIXTURE)
    assert again_notice.version == 2 and changed == []
    with ctx.sessions() as session:
        assert ctx.audit.verify(session).ok

"""Statutory deadlines and the working-day calendar kept in the database.

A deadline is computed once, when its clock starts, from the rule in force on the start day,
and stored with its citations. Its due date changes only when an official calendar arrives for
a year that was provisional (``import_calendar_notice`` recomputes those)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from xinyong.audit.tags import AuditTag
from xinyong.common.errors import DomainError
from xinyong.common.roles import Actor
from xinyong.context import Context
from xinyong.deadlines.models import CalendarNotice, StatutoryDeadline
from xinyong.law.rules import DURATION_UNITS, load_yaml
from xinyong.law.workdays import (
    CIVIL_CODE_201,
    Pause,
    WorkdayCalendar,
    YearCalendar,
    add_period,
    parse_calendar,
)


def load_calendar(session: Session) -> WorkdayCalendar:
    """The calendar with every imported notice (the newest version of each year) applied."""
    latest = (
        select(CalendarNotice.year, func.max(CalendarNotice.version).label("v"))
        .group_by(CalendarNotice.year)
        .subquery()
    )
    rows = session.scalars(
        select(CalendarNotice).join(
            latest, (CalendarNotice.year == latest.c.year) & (CalendarNotice.version == latest.c.v)
        )
    )
    overrides: list[YearCalendar] = []
    for row in rows:
        cal = parse_calendar(_revive(json.loads(row.data_json)), f"calendar notice {row.year}")
        overrides.append(
            YearCalendar(cal.year, cal.holidays, cal.workdays, source="notice", notice=cal.notice)
        )
    return WorkdayCalendar(overrides)


def _revive(data: dict[str, object]) -> dict[str, object]:
    out = dict(data)
    for name in ("holidays", "workdays"):
        out[name] = [dt.date.fromisoformat(str(d)) for d in data.get(name) or []]  # type: ignore[attr-defined]
    return out


def _pauses(raw: str) -> list[Pause]:
    return [
        Pause(
            dt.date.fromisoformat(p["start"]), dt.date.fromisoformat(p["end"]), p.get("reason", "")
        )
        for p in json.loads(raw)
    ]


def _pauses_json(pauses: Sequence[Pause]) -> str:
    return json.dumps(
        [
            {"start": p.start.isoformat(), "end": p.end.isoformat(), "reason": p.reason}
            for p in pauses
        ],
        ensure_ascii=False,
    )


def _due(
    calendar: WorkdayCalendar, start: dt.date, amount: int, unit: str, pauses: Sequence[Pause]
) -> tuple[dt.date, bool]:
    if unit == "working_day":
        due = calendar.add_working_days(start, amount, pauses)
        return due.due, due.provisional
    return add_period(start, amount, unit), False


def start_deadline(
    session: Session,
    ctx: Context,
    *,
    actor: Actor,
    rule_key: str,
    object_type: str,
    object_id: str,
    started_on: dt.date,
    subject_key: str | None = None,
    pauses: Sequence[Pause] = (),
) -> StatutoryDeadline:
    answer = ctx.rules.get(rule_key, started_on)
    if answer.unit not in DURATION_UNITS:
        raise DomainError(code="deadlines.not_a_period", message=f"“{rule_key}”不是期限规则")
    calendar = load_calendar(session)
    due, provisional = _due(calendar, started_on, int(answer.value), answer.unit, pauses)
    citations = [c.as_dict() for c in answer.citations] + [CIVIL_CODE_201.as_dict()]
    row = StatutoryDeadline(
        rule_key=rule_key,
        platform=ctx.platform.code,
        object_type=object_type,
        object_id=object_id,
        subject_key=subject_key,
        started_on=started_on,
        amount=int(answer.value),
        unit=answer.unit,
        pauses_json=_pauses_json(pauses),
        due_on=due,
        provisional=provisional,
        citations_json=json.dumps(
            {"citations": citations, "notes": list(answer.notes), "unverified": answer.unverified},
            ensure_ascii=False,
        ),
        state="running",
        created_at=ctx.clock.now(),
    )
    session.add(row)
    session.flush()
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.DEADLINES_DEADLINE_START,
        object_type=object_type,
        object_id=object_id,
        subject_key=subject_key,
        legal_basis="；".join(c["label"] for c in citations),
        detail={
            "deadline_id": row.id,
            "rule": rule_key,
            "due_on": due.isoformat(),
            "provisional": provisional,
        },
    )
    return row


def recompute_provisional(
    session: Session, ctx: Context, *, actor: Actor
) -> list[StatutoryDeadline]:
    """Recompute every stored provisional deadline with the calendar as it now is."""
    calendar = load_calendar(session)
    changed: list[StatutoryDeadline] = []
    for row in session.scalars(
        select(StatutoryDeadline)
        .where(StatutoryDeadline.provisional.is_(True))
        .order_by(StatutoryDeadline.id)
    ):
        due, provisional = _due(
            calendar, row.started_on, row.amount, row.unit, _pauses(row.pauses_json)
        )
        if due == row.due_on and provisional == row.provisional:
            continue
        old = row.due_on
        row.due_on, row.provisional, row.recomputed_at = due, provisional, ctx.clock.now()
        ctx.log(
            session,
            actor=actor,
            action=AuditTag.DEADLINES_DEADLINE_RECOMPUTE,
            object_type=row.object_type,
            object_id=row.object_id,
            subject_key=row.subject_key,
            detail={
                "deadline_id": row.id,
                "old_due_on": old.isoformat(),
                "due_on": due.isoformat(),
                "provisional": provisional,
            },
        )
        changed.append(row)
    return changed


def import_calendar_notice(
    session: Session, ctx: Context, *, actor: Actor, path: Path
) -> tuple[CalendarNotice, list[StatutoryDeadline]]:
    """Load a year's State Council notice and recompute the provisional deadlines it settles."""
    cal = parse_calendar(load_yaml(path), str(path))
    version = (
        session.scalar(
            select(func.max(CalendarNotice.version)).where(CalendarNotice.year == cal.year)
        )
        or 0
    ) + 1
    row = CalendarNotice(
        year=cal.year,
        version=version,
        title=str(cal.notice.get("title")),
        document=str(cal.notice.get("document")),
        data_json=json.dumps(
            {
                "year": cal.year,
                "notice": dict(cal.notice),
                "holidays": sorted(d.isoformat() for d in cal.holidays),
                "workdays": sorted(d.isoformat() for d in cal.workdays),
            },
            ensure_ascii=False,
        ),
        imported_at=ctx.clock.now(),
        imported_by=actor.username or actor.role.value,
    )
    session.add(row)
    session.flush()
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.CALENDAR_NOTICE_IMPORT,
        object_type="calendar_notice",
        object_id=row.id,
        legal_basis=f"{row.title}（{row.document}）",
        detail={
            "year": cal.year,
            "version": version,
            "holidays": len(cal.holidays),
            "workdays": len(cal.workdays),
        },
    )
    return row, recompute_provisional(session, ctx, actor=actor)


def clocks_of(session: Session, object_type: str, object_id: str) -> list[StatutoryDeadline]:
    return list(
        session.scalars(
            select(StatutoryDeadline)
            .where(
                StatutoryDeadline.object_type == object_type,
                StatutoryDeadline.object_id == object_id,
            )
            .order_by(StatutoryDeadline.id)
        )
    )


def settle(row: StatutoryDeadline, on: dt.date, state: str | None = None) -> None:
    """Stop a running clock: met on or before its due day, late after it (or `state`)."""
    if row.state in ("running", "overdue"):
        row.state = state or ("met" if on <= row.due_on else "late")


def pause_clock(
    session: Session, ctx: Context, *, actor: Actor, row: StatutoryDeadline, pause: Pause
) -> StatutoryDeadline:
    """An interval the law excludes (HLJ 39 ¶2: testing, inspection, ...): the due day moves."""
    pauses = [*_pauses(row.pauses_json), pause]
    calendar = load_calendar(session)
    old = row.due_on
    row.due_on, row.provisional = _due(calendar, row.started_on, row.amount, row.unit, pauses)
    row.pauses_json = _pauses_json(pauses)
    row.recomputed_at = ctx.clock.now()
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.DEADLINES_DEADLINE_PAUSE,
        object_type=row.object_type,
        object_id=row.object_id,
        subject_key=row.subject_key,
        detail={"deadline_id": row.id, "old_due_on": str(old), "due_on": str(row.due_on)},
    )
    return row


def mark_overdue(session: Session, ctx: Context, *, actor: Actor) -> int:
    """Flag every running clock whose due day has passed (HLJ 51); idempotent, set-based."""
    today = ctx.today()
    done = session.execute(
        update(StatutoryDeadline)
        .where(StatutoryDeadline.state == "running", StatutoryDeadline.due_on < today)
        .values(state="overdue")
    )
    count = int(getattr(done, "rowcount", 0) or 0)
    if count:
        ctx.log(
            session,
            actor=actor,
            action=AuditTag.DEADLINES_DEADLINE_OVERDUE,
            detail={"count": count},
        )
    return count

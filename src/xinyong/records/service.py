"""Corrections and withdrawals by the provider (HLJ 38 ¶1), a record's history, and timeliness.

A correction is a new version that replaces the content retroactively (same valid time, later
recorded time); the platform records when the error was discovered and whether the provider met
its deadline, computed from the law packs and the working-day calendar."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import Integer, case, func, select, update
from sqlalchemy.orm import Session

from xinyong.audit.tags import AuditTag, record_tag
from xinyong.catalog.service import get_item, spec_of
from xinyong.common.clock import PLATFORM_TZ
from xinyong.common.errors import DomainError, Forbidden, NotFound
from xinyong.common.roles import Actor, Role
from xinyong.context import Context
from xinyong.deadlines.service import load_calendar
from xinyong.ingest.readers import ReadLimits, read_json_records
from xinyong.ingest.validate import RowValidator, ValidRow
from xinyong.records.models import CreditRecord

RULE_PROVIDER_FIX = "correction.provider_fix"


def _current(session: Session, provider_code: str, item_code: str, record_key: str) -> CreditRecord:
    row = session.scalar(
        select(CreditRecord).where(
            CreditRecord.provider_code == provider_code,
            CreditRecord.item_code == item_code,
            CreditRecord.record_key == record_key,
            CreditRecord.is_current.is_(True),
        )
    )
    if row is None:
        raise NotFound("records.unknown", f"记录“{record_key}”不存在", record_key=record_key)
    return row


def correct(
    ctx: Context,
    *,
    actor: Actor,
    provider_code: str,
    item_code: str,
    record_key: str,
    discovered_on: dt.date,
    reason: str,
    record: dict[str, Any] | None = None,
) -> CreditRecord:
    """Correct (with `record`) or withdraw (without) a record the provider pushed."""
    if actor.role is Role.PROVIDER and actor.provider_code != provider_code:
        raise Forbidden("records.other_provider", "只能更正本单位推送的信息")
    if actor.role not in (Role.PROVIDER, Role.STAFF, Role.ADMIN):
        raise Forbidden("records.role", "无权更正信息")
    if not reason.strip():
        raise DomainError(code="records.reason_required", message="更正或撤回须说明理由")
    if "\x00" in reason:
        raise DomainError(code="records.bad_reason", message="理由含有空字符（\\x00），不予接收")
    today = ctx.today()
    if discovered_on > today:
        raise DomainError(code="records.discovered_in_future", message="发现错误的日期不能晚于今天")
    with ctx.sessions() as session, session.begin():
        old = _current(session, provider_code, item_code, record_key)
        item = get_item(session, item_code)
        payload_json, payload_hash, state = old.payload_json, old.payload_hash, "withdrawn"
        subject_key, decided_on = old.subject_key, old.decided_on
        if record is not None:
            _, limited = next(read_json_records([record], ReadLimits.from_settings(ctx.settings)))
            result = RowValidator(spec_of(item), ctx.rules, today).validate(1, limited)
            if not isinstance(result, ValidRow):
                raise DomainError(
                    code="records.invalid_correction",
                    message="更正后的记录未通过校验："
                    + "；".join(r.message for r in result.reasons),
                    details={"reasons": [r.as_dict() for r in result.reasons]},
                )
            if result.record_key != record_key:
                raise DomainError(
                    code="records.key_changed", message="更正不得改变记录键，请撤回后重新推送"
                )
            payload_json, payload_hash, state = result.payload_json, result.payload_hash, "active"
            subject_key, decided_on = result.subject_key, result.decided_on
        answer = ctx.rules.get(RULE_PROVIDER_FIX, discovered_on)
        due = load_calendar(session).add_working_days(discovered_on, int(answer.value)).due
        now = ctx.clock.now()
        new = _supersede(
            session,
            old,
            now,
            item_version=item.version,
            subject_key=subject_key,
            decided_on=decided_on,
            payload_json=payload_json,
            payload_hash=payload_hash,
            state=state,
            change="correction" if record is not None else "withdrawal",
            discovered_on=discovered_on,
            correction_due_on=due,
            correction_on_time=today <= due,
            reason=reason.strip(),
        )
        ctx.log(
            session,
            actor=actor,
            action=AuditTag.RECORDS_RECORD_CORRECTION
            if record is not None
            else AuditTag.RECORDS_RECORD_WITHDRAWAL,
            object_type="credit_record",
            object_id=f"{provider_code}/{item_code}/{record_key}",
            subject_key=subject_key,
            legal_basis="；".join(c.label() for c in answer.citations),
            detail={
                "version": new.version,
                "discovered_on": discovered_on.isoformat(),
                "due_on": due.isoformat(),
                "on_time": new.correction_on_time,
            },
        )
        return new


def _supersede(
    session: Session, old: CreditRecord, now: dt.datetime, **changes: Any
) -> CreditRecord:
    """Close `old` and add its next version with `changes`: nothing is overwritten or deleted."""
    session.execute(
        update(CreditRecord)
        .where(CreditRecord.id == old.id)
        .values(is_current=False, superseded_at=now)
    )
    values: dict[str, Any] = {
        "subject_key": old.subject_key,
        "provider_code": old.provider_code,
        "item_code": old.item_code,
        "item_version": old.item_version,
        "record_key": old.record_key,
        "version": old.version + 1,
        "is_current": True,
        "category": old.category,
        "nature": old.nature,
        "severity": old.severity,
        "title": old.title,
        "decided_on": old.decided_on,
        "payload_json": old.payload_json,
        "payload_hash": old.payload_hash,
        "state": old.state,
        "valid_from": old.valid_from,
        "valid_to": None,
        "recorded_at": now,
        "synthetic": old.synthetic,
        **changes,
    }
    new = CreditRecord(**values)
    session.add(new)
    session.flush()
    return new


def change_state(
    session: Session,
    ctx: Context,
    *,
    actor: Actor,
    record_id: int,
    state: str,
    change: str,
    reason: str,
    legal_basis: str,
) -> CreditRecord:
    """A new version of a current record in another state (e.g. `repaired` after a repair,
    `withdrawn` after an upheld objection); the record's history shows what changed and why."""
    old = session.get(CreditRecord, record_id)
    if old is None or not old.is_current:
        raise NotFound("records.unknown", "未找到该信用记录的现行版本")
    new = _supersede(session, old, ctx.clock.now(), state=state, change=change, reason=reason)
    ctx.log(
        session,
        actor=actor,
        action=record_tag(change),
        object_type="credit_record",
        object_id=f"{old.provider_code}/{old.item_code}/{old.record_key}",
        subject_key=old.subject_key,
        legal_basis=legal_basis[:400],
        detail={"version": new.version, "state": state, "reason": reason},
    )
    return new


def versions_of(
    session: Session, provider_code: str, item_code: str, record_key: str
) -> list[CreditRecord]:
    """Every version of one record, oldest first; NotFound if it has none."""
    rows = session.scalars(
        select(CreditRecord)
        .where(
            CreditRecord.provider_code == provider_code,
            CreditRecord.item_code == item_code,
            CreditRecord.record_key == record_key,
        )
        .order_by(CreditRecord.version)
    ).all()
    if not rows:
        raise NotFound("records.unknown", f"记录“{record_key}”不存在", record_key=record_key)
    return list(rows)


def history(
    session: Session, provider_code: str, item_code: str, record_key: str
) -> list[dict[str, Any]]:
    """Every version: what it said, when it held (valid time), when the platform knew it."""
    rows = versions_of(session, provider_code, item_code, record_key)
    return [
        {
            "version": r.version,
            "current": r.is_current,
            "state": r.state,
            "change": r.change,
            "payload": json.loads(r.payload_json),
            "valid_from": r.valid_from.isoformat(),
            "valid_to": r.valid_to.isoformat() if r.valid_to else None,
            "recorded_at": r.recorded_at.isoformat(),
            "superseded_at": r.superseded_at.isoformat() if r.superseded_at else None,
            "discovered_on": r.discovered_on.isoformat() if r.discovered_on else None,
            "correction_due_on": r.correction_due_on.isoformat() if r.correction_due_on else None,
            "correction_on_time": r.correction_on_time,
            "reason": r.reason,
            "batch_id": r.batch_id,
        }
        for r in rows
    ]


def timeliness(
    session: Session, provider_code: str, year: int | None = None
) -> list[dict[str, Any]]:
    """Per catalog item: how many records first arrived, how many later than the item's update
    cycle allows (the basis of HRB 6's annual assessment)."""
    late = func.sum(case((CreditRecord.late.is_(True), 1), else_=0)).cast(Integer)
    query = (
        select(CreditRecord.item_code, func.count(), late)
        .where(
            CreditRecord.provider_code == provider_code,
            CreditRecord.version == 1,
            CreditRecord.late.is_not(None),
        )
        .group_by(CreditRecord.item_code)
        .order_by(CreditRecord.item_code)
    )
    if year is not None:
        start = dt.datetime(year, 1, 1, tzinfo=PLATFORM_TZ)
        end = dt.datetime(year + 1, 1, 1, tzinfo=PLATFORM_TZ)
        query = query.where(CreditRecord.recorded_at >= start, CreditRecord.recorded_at < end)
    out = []
    for item_code, total, late_count in session.execute(query):
        late_count = int(late_count or 0)
        out.append(
            {
                "item": item_code,
                "records": int(total),
                "late": late_count,
                "on_time": int(total) - late_count,
                "on_time_ratio": round((int(total) - late_count) / int(total), 4)
                if total
                else None,
            }
        )
    return out

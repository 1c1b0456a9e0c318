"""Corrections and withdrawals by the provider (HLJ 38 ¶1), a record's versions, and timeliness.

A correction is a new version that replaces the content retroactively (same valid time, later
recorded time); the platform records when the error was discovered and whether the provider met
its deadline, computed from the law packs and the working-day calendar."""

from __future__ import annotations

import datetime as dt
from typing import Any

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
from xinyong.records import store
from xinyong.records.models import CreditRecord

RULE_PROVIDER_FIX = "correction.provider_fix"


def _current(session: Session, provider_code: str, item_code: str, record_key: str) -> CreditRecord:
    row = store.current(session, provider_code, item_code, record_key)
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
        new = store.supersede(
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
    old = store.get(session, record_id)
    if old is None or not old.is_current:
        raise NotFound("records.unknown", "未找到该信用记录的现行版本")
    new = store.supersede(session, old, ctx.clock.now(), state=state, change=change, reason=reason)
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
    rows = store.versions(session, provider_code, item_code, record_key)
    if not rows:
        raise NotFound("records.unknown", f"记录“{record_key}”不存在", record_key=record_key)
    return rows


def timeliness(
    session: Session, provider_code: str, year: int | None = None
) -> list[dict[str, Any]]:
    """Per catalog item: how many records first arrived, how many later than the item's update
    cycle allows (the basis of HRB 6's annual assessment)."""
    start = end = None
    if year is not None:
        start = dt.datetime(year, 1, 1, tzinfo=PLATFORM_TZ)
        end = dt.datetime(year + 1, 1, 1, tzinfo=PLATFORM_TZ)
    out = []
    for item_code, total, late_count in store.arrivals_by_item(session, provider_code, start, end):
        out.append(
            {
                "item": item_code,
                "records": total,
                "late": late_count,
                "on_time": total - late_count,
                "on_time_ratio": round((total - late_count) / total, 4) if total else None,
            }
        )
    return out

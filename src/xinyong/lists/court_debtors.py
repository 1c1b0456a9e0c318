"""Court debtors (HLJ 28 ¶3): every current 失信被执行人 record the provincial high court pushes
is a serious-dishonesty entry, for as long as the record's publicity lasts."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.common.errors import DomainError
from xinyong.common.identifiers import check_identifier
from xinyong.common.roles import Actor
from xinyong.context import Context
from xinyong.law.workdays import add_period
from xinyong.lists.models import ListEntry
from xinyong.lists.recognition import prior_notice, related_persons, remove_entry, store_entry
from xinyong.lists.schemas import RecognitionIn
from xinyong.providers.models import ProviderUnit
from xinyong.records import store
from xinyong.subjects.models import Subject

COURT_DEBTOR_ITEM = "HLJ-SX-001"  # the catalog item the provincial high court pushes (seed)


def sync_court_debtors(session: Session, ctx: Context, *, actor: Actor) -> dict[str, int]:
    """Make every current 失信被执行人 record pushed by the court a serious-dishonesty entry, and
    remove entries whose court record was withdrawn or replaced. Idempotent.

    The court decided the listing (on `decided_on`, which the entry keeps, with the term counted
    from it); the platform lists it today. So the law that makes it an entry (HLJ 28 ¶3), the
    persons related to it (HLJ 33) and the prior notice (HRB 31 ¶2) are those in force on the day
    of the sync: a court record decided before the province's regulation is a current listing
    all the same. The links reaching related persons are those valid on the decision's day."""
    today = ctx.today()
    rule = ctx.rules.get("serious_dishonesty.court_debtors", today)
    listed = {
        rid: entry
        for rid, entry in session.execute(
            select(ListEntry.source_record_id, ListEntry).where(
                ListEntry.source_record_id.is_not(None)
            )
        )
        if rid is not None
    }
    added = removed = 0
    current = store.current_of_item(session, COURT_DEBTOR_ITEM)
    live: set[int] = set()
    for record in current:
        if record.state != "active":
            continue
        live.add(record.id)
        if record.id in listed:
            continue
        payload = json.loads(record.payload_json)
        decided = record.decided_on or today
        window_until = _court_term(ctx, decided)
        court = str(payload.get("执行法院") or _unit_name(session, record.provider_code))
        body = RecognitionIn(
            subject_key=record.subject_key,
            subject_name=str(
                payload.get("被执行人名称")
                or session.scalar(
                    select(Subject.name).where(Subject.subject_key == record.subject_key)
                )
                or record.subject_key
            ),
            entity_type="market" if len(record.subject_key) == 18 else "person",
            authority=court,
            conduct_category="refusal_to_perform",
            basis_type="court_debtor",
            basis_document=court_basis(court, payload, record.record_key),
            reasons=str(payload.get("失信情形") or "被人民法院纳入失信被执行人名单"),
            valid_until=window_until,
            removal_conditions="人民法院将其从失信被执行人名单中删除；或者依法完成信用修复",
            remedies="对纳入失信被执行人名单有异议的，可以向执行法院申请纠正；对本平台记载有异议的，"
            "可以依照《黑龙江省社会信用条例》第三十五条、第三十九条提出异议",
            decided_on=decided,
        )
        check = check_identifier(record.subject_key, today)
        if not check.valid:
            continue  # ingestion validated it; a legacy row without a valid key is left alone
        notice = prior_notice(ctx, today) if check.kind == "citizen_id" else None
        entry = store_entry(
            session,
            ctx,
            actor,
            body,
            "serious",
            check,
            body.subject_name or "",
            decided,
            state="notice_pending" if notice else "active",
            cites=[*rule.citations, *(notice.citations if notice else ())],
            valid_from=None if notice else decided,
            source_record_id=record.id,
        )
        if check.kind == "uscc":
            related_persons(session, ctx, actor, entry, body, decided, law_on=today)
        added += 1
    for rid, entry in listed.items():
        if rid not in live and entry.state in ("active", "notice_pending"):
            remove_entry(
                session,
                ctx,
                actor=actor,
                number=entry.number,
                reason="basis_revoked",
                note="人民法院推送的失信被执行人信息已撤回或更正",
            )
            removed += 1
    return {"added": added, "removed": removed}


def court_basis(court: str, payload: dict[str, Any], record_key: str) -> str:
    """ "某法院（案号）纳入失信被执行人名单；执行依据某文书": from the record's fields; a part
    the record lacks is left out rather than shown empty."""
    case = str(payload.get("案号") or record_key or "").strip()
    text = f"{court}（{case}）" if case else court
    text += "纳入失信被执行人名单"
    basis = str(payload.get("执行依据文号") or payload.get("文书号") or "").strip()
    return f"{text}；执行依据{basis}" if basis else text


def _unit_name(session: Session, code: str) -> str:
    return session.scalar(select(ProviderUnit.name).where(ProviderUnit.code == code)) or "人民法院"


def _court_term(ctx: Context, decided: dt.date) -> dt.date:
    """The entry lasts as long as the court record's publicity (serious, from the packs)."""
    try:
        high = ctx.rules.get("publicity.serious.max", decided)
    except DomainError:  # decided before the rule: the period in force today, from the decision
        high = ctx.rules.get("publicity.serious.max", ctx.today())
    return add_period(decided, int(high.value), high.unit)

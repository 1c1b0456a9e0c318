"""One case engine for every remedy (HLJ 35, 38-41, HRB 37-39, national repair rules).

Each kind has explicit states and allowed transitions. Entering a state may start statutory
clocks: due dates are computed once from the rule in force on the day of receipt (working days,
that day not counted, provisional where the year's calendar is not yet official) and stored with
their citations; a transition stops them (met or late). Every transition records actor, time,
reasons and article, in the case and in the audit log."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.accounts.models import User
from xinyong.audit.service import readers_of
from xinyong.audit.tags import AuditTag, case_tag
from xinyong.cases.models import Case, CaseAttachment, CaseEvent, CaseNotice
from xinyong.catalog.models import CatalogItem
from xinyong.catalog.service import spec_of
from xinyong.common.clock import PLATFORM_TZ
from xinyong.common.errors import DomainError, Forbidden, NotFound
from xinyong.common.identifiers import check_identifier
from xinyong.common.roles import Actor, Role
from xinyong.context import Context
from xinyong.deadlines.models import StatutoryDeadline
from xinyong.deadlines.service import (
    clocks_of,
    load_calendar,
    pause_clock,
    settle,
    start_deadline,
)
from xinyong.law.workdays import Pause
from xinyong.lists import emergencies, recognition
from xinyong.lists.models import ListEntry
from xinyong.records import store
from xinyong.records.models import CreditRecord
from xinyong.records.service import change_state
from xinyong.subjects.models import Subject
from xinyong.visibility.engine import Viewer, shown_identity, view_record
from xinyong.visibility.publicity import publicity_window


@dataclass(frozen=True)
class Flow:
    label: str
    first: str
    transitions: dict[str, frozenset[str]]
    clocks: dict[str, tuple[str, ...]]  # state entered -> rule keys of the clocks it starts
    needs_reasons: frozenset[str] = frozenset({"rejected"})


def _t(**moves: set[str]) -> dict[str, frozenset[str]]:
    return {state: frozenset(targets) for state, targets in moves.items()}


FLOWS: dict[str, Flow] = {
    "objection": Flow(
        "异议",
        "filed",
        _t(
            filed={"marked", "redirected"},
            marked={"assisting", "upheld", "rejected"},
            assisting={"upheld", "rejected"},
        ),
        {
            "filed": ("objection.mark", "objection.decide"),
            "assisting": ("objection.decide_with_assistance", "objection.assistant_reply"),
        },
    ),
    "serious_objection": Flow(
        "严重失信主体名单异议",
        "filed",
        _t(filed={"upheld", "rejected"}),
        {"filed": ("serious_dishonesty.objection.decide",)},
    ),
    "repair": Flow(
        "信用修复", "filed", _t(filed={"approved", "rejected"}), {"filed": ("repair.decide",)}
    ),
    "complaint": Flow(
        "投诉",
        "filed",
        _t(filed={"answered"}),
        {"filed": ("complaint.answer",)},
        needs_reasons=frozenset({"answered"}),
    ),
    "basis_change": Flow(
        "认定依据变更",
        "reported",
        _t(reported={"acted"}),
        {"reported": ("correction.basis_changed.platform_act",)},
    ),
}
STATE_LABELS = {
    "filed": "已受理",
    "marked": "已标注“异议处理中”",
    "assisting": "协助核查中",
    "redirected": "已告知有权处理的单位",
    "upheld": "异议成立，已更正",
    "rejected": "不予支持",
    "approved": "修复完成",
    "answered": "已书面答复",
    "reported": "已报告",
    "acted": "已处理",
}
#: favourable outcomes: decided with a short statement the applicant receives
APPROVALS = frozenset({"upheld", "approved"})
#: a decision to choose on the case page: the targets of the current state, in this order
RECEIVED_VIA_LABELS = {"online": "网上申请", "window": "服务窗口（纸质申请）"}
OPEN_STATES = frozenset({"filed", "marked", "assisting", "reported"})
STAFF = (Role.STAFF, Role.ADMIN)


def _label(answer_citations: Any) -> str:
    return "；".join(c.label() for c in answer_citations)


def _number(kind: str, on: dt.date) -> str:
    return f"{kind[:2].upper()}{on:%Y%m%d}{secrets.token_hex(3).upper()}"


def _open_case(
    session: Session,
    ctx: Context,
    *,
    actor: Actor,
    kind: str,
    subject_key: str,
    request: str,
    record_id: int | None = None,
    entry_number: str | None = None,
    attachments: list[str] | None = None,
    conditions: list[str] | None = None,
    clock_rules: tuple[str, ...] | None = None,
    received_on: dt.date | None = None,
    received_via: str = "online",
    applicant: str | None = None,
) -> Case:
    flow = FLOWS[kind]
    if not request.strip():
        raise DomainError(
            code="cases.request_required", message=f"{flow.label}申请须写明事实和理由"
        )
    received = received_on or ctx.today()
    case = Case(
        number=_number(kind, received),
        kind=kind,
        state=flow.first,
        subject_key=subject_key,
        applicant=applicant or actor.username or actor.role.value,
        record_id=record_id,
        entry_number=entry_number,
        received_on=received,
        received_via=received_via,
        request=request.strip(),
        attachments_json=json.dumps(attachments or [], ensure_ascii=False),
        conditions_json=json.dumps(conditions or [], ensure_ascii=False),
        created_at=ctx.clock.now(),
    )
    session.add(case)
    session.flush()
    _event(session, ctx, actor, case, None, flow.first, request, None)
    for key in clock_rules if clock_rules is not None else flow.clocks.get(flow.first, ()):
        _clock(session, ctx, actor, case, key, received)
    return case


def _clock(
    session: Session, ctx: Context, actor: Actor, case: Case, key: str, start: dt.date
) -> StatutoryDeadline:
    return start_deadline(
        session,
        ctx,
        actor=actor,
        rule_key=key,
        object_type="case",
        object_id=case.number,
        started_on=start,
        subject_key=case.subject_key,
    )


def _event(
    session: Session,
    ctx: Context,
    actor: Actor,
    case: Case,
    from_state: str | None,
    to_state: str,
    reasons: str | None,
    article: str | None,
) -> None:
    row = CaseEvent(
        case_id=case.id,
        at=ctx.clock.now(),
        actor=actor.username or actor.role.value,
        from_state=from_state,
        to_state=to_state,
        reasons=reasons,
        article=article,
    )
    session.add(row)
    ctx.log(
        session,
        actor=actor,
        action=case_tag(case.kind, to_state),
        object_type="case",
        object_id=case.number,
        subject_key=case.subject_key,
        legal_basis=article,
        detail={"from": from_state, "to": to_state, "reasons": reasons},
        then=lambda number: setattr(row, "audit_id", number),  # numbered at commit
    )


def get_case(session: Session, number: str) -> Case:
    case = session.scalar(select(Case).where(Case.number == number))
    if case is None:
        raise NotFound("cases.unknown", f"未找到案件{number}")
    return case


def _own_record(session: Session, actor: Actor, record_id: int) -> CreditRecord:
    record = store.get(session, record_id)
    if record is None or not record.is_current:
        raise NotFound("cases.unknown_record", "未找到该信用信息的现行版本")
    if actor.role is Role.SUBJECT and actor.subject_key != record.subject_key:
        raise Forbidden("cases.not_own", "只能对本人（本单位）的信用信息提出申请")
    return record


# ---------------------------------------------------------------- filing


def file_objection(
    session: Session,
    ctx: Context,
    *,
    actor: Actor,
    record_id: int,
    request: str,
    attachments: list[str] | None = None,
) -> Case:
    """HLJ 39: a written objection to specific information; marked within 1 working day and
    decided within 3 (the packs; on the Harbin platform the province's shorter term binds)."""
    record = _own_record(session, actor, record_id)
    return _open_case(
        session,
        ctx,
        actor=actor,
        kind="objection",
        subject_key=record.subject_key,
        request=request,
        record_id=record.id,
        attachments=attachments,
    )


def file_list_objection(
    session: Session, ctx: Context, *, actor: Actor, entry_number: str, request: str
) -> Case:
    """HLJ 35 ¶2: an objection to a serious-dishonesty listing, reviewed within 3 working days."""
    entry = recognition.get_entry(session, entry_number)
    if actor.role is Role.SUBJECT and actor.subject_key != entry.subject_key:
        raise Forbidden("cases.not_own", "只能对本人（本单位）的名单认定提出异议")
    return _open_case(
        session,
        ctx,
        actor=actor,
        kind="serious_objection",
        subject_key=entry.subject_key,
        request=request,
        entry_number=entry.number,
        record_id=entry.source_record_id,
    )


#: The repair conditions the applicant declares (the minimum period is checked by the platform).
DECLARED_CONDITIONS = ("conduct_corrected", "public_commitment")


def repair_conditions(value: list[dict[str, Any]]) -> list[dict[str, str]]:
    """`repair.conditions` as one entry per code: every pack in force adds its own wording of a
    condition (national measures, HLJ 40, HRB 37), and a condition is one thing to declare."""
    merged: dict[str, list[str]] = {}
    for entry in value:
        names = merged.setdefault(str(entry["code"]), [])
        if str(entry["name"]) not in names:
            names.append(str(entry["name"]))
    return [{"code": code, "name": "；".join(names)} for code, names in merged.items()]


def repair_eligibility(ctx: Context, record: CreditRecord) -> dt.date | None:
    """The first day a repair may be applied for: after the minimum publicity period."""
    return publicity_window(ctx.rules, record.severity, record.decided_on).repair_from


def file_repair(
    session: Session,
    ctx: Context,
    *,
    actor: Actor,
    record_id: int,
    request: str,
    conditions: list[str],
    commitment: str,
    entry_number: str | None = None,
    received_on: dt.date | None = None,
    received_via: str = "online",
    applicant: str | None = None,
) -> Case:
    """National repair rules, HLJ 40, HRB 37: after the minimum publicity period, the conduct
    corrected and obligations fulfilled, a public credit commitment signed."""
    record = _own_record(session, actor, record_id)
    today = received_on or ctx.today()
    rule = ctx.rules.get("repair.conditions", today)
    if record.nature != "dishonesty" or record.state != "active":
        raise DomainError(
            code="cases.repair_not_applicable", message="只有公示中的失信信息可以申请信用修复"
        )
    first = repair_eligibility(ctx, record)
    if first is not None and today < first:
        raise DomainError(
            code="cases.repair_too_early",
            message=f"最短公示期届满后方可申请信用修复：自{first.isoformat()}起可以申请",
            citations=list(rule.citations),
            details={"from": first.isoformat()},
        )
    declared = set(conditions)
    held = repair_conditions(rule.value)
    required = [e for e in held if e["code"] in DECLARED_CONDITIONS]
    missing = [e for e in required if e["code"] not in declared]
    commitment_required = any(e["code"] == "public_commitment" for e in held)
    if missing or (commitment_required and not commitment.strip()):
        raise DomainError(
            code="cases.repair_conditions",
            message="申请信用修复须满足：" + "；".join(e["name"] for e in required),
            citations=list(rule.citations),
        )
    if entry_number is not None:
        entry = recognition.get_entry(session, entry_number)
        if entry.subject_key != record.subject_key:
            raise Forbidden("cases.not_own", "名单认定与信用信息不属于同一主体")
    emergency = emergencies.emergency_for(session, _region(record), today)
    clocks = ("emergency.repair_decide",) if emergency else None
    return _open_case(
        session,
        ctx,
        actor=actor,
        kind="repair",
        subject_key=record.subject_key,
        request=f"{request.strip()}\n信用承诺：{commitment.strip()}",
        record_id=record.id,
        entry_number=entry_number,
        conditions=sorted(declared),
        clock_rules=clocks,
        received_on=received_on,
        received_via=received_via,
        applicant=applicant,
    )


def _region(record: CreditRecord) -> str | None:
    check = check_identifier(record.subject_key, record.recorded_at.date())
    return emergencies.region_of(check) if check.valid else None


def file_complaint(session: Session, ctx: Context, *, actor: Actor, request: str) -> Case:
    """HLJ 41: a complaint about a collector of non-public credit information; a written
    answer within 20 working days."""
    return _open_case(
        session,
        ctx,
        actor=actor,
        kind="complaint",
        subject_key=actor.subject_key or actor.username or "",
        request=request,
    )


def report_basis_change(
    session: Session,
    ctx: Context,
    *,
    actor: Actor,
    record_id: int,
    learned_on: dt.date,
    request: str,
) -> Case:
    """HLJ 38 ¶3, HRB 38: the provider reports a revoked, changed or voided basis within its
    clock from the day it learned of it; the platform acts within its own."""
    record = store.get(session, record_id)
    if record is None or not record.is_current:
        raise NotFound("cases.unknown_record", "未找到该信用信息的现行版本")
    if actor.role is Role.PROVIDER and actor.provider_code != record.provider_code:
        raise Forbidden("cases.other_provider", "只能报告本单位推送信息的依据变更")
    case = _open_case(
        session,
        ctx,
        actor=actor,
        kind="basis_change",
        subject_key=record.subject_key,
        request=request,
        record_id=record.id,
    )
    report = _clock(
        session, ctx, actor, case, "correction.basis_changed.provider_report", learned_on
    )
    settle(report, ctx.today())  # the report arrives now: on time or late, recorded
    return case


# ---------------------------------------------------------------- transitions


def transition(
    session: Session,
    ctx: Context,
    *,
    actor: Actor,
    number: str,
    to: str | None,
    reasons: str | None = None,
    competent_unit: str | None = None,
) -> Case:
    if actor.role not in STAFF:
        raise Forbidden("cases.role", "只有公共信用工作机构工作人员可以办理")
    case = get_case(session, number)
    flow = FLOWS[case.kind]
    rule_cites = decision_citations(ctx, case)
    cited = _label(rule_cites)
    if not to:
        raise DomainError(
            code="cases.choice_required",
            message=f"请明确选择办理结果：{flow.label}案件的处理决定不设默认选项（{cited}）",
            citations=list(rule_cites),
        )
    if to not in flow.transitions.get(case.state, frozenset()):
        raise DomainError(
            code="cases.transition",
            message=f"{flow.label}案件不能从“{STATE_LABELS.get(case.state, case.state)}”"
            f"转为“{STATE_LABELS.get(to, to)}”",
            status=409,
        )
    if to in flow.needs_reasons and not (reasons and reasons.strip()):
        raise DomainError(
            code="cases.reasons_required",
            message=f"不予支持或书面答复必须写明理由（{cited}）",
            citations=list(rule_cites),
        )
    if to in APPROVALS and not (reasons and reasons.strip()):
        raise DomainError(
            code="cases.statement_required",
            message=f"“{STATE_LABELS[to]}”须写明简要说明，该说明将告知申请人（{cited}）",
            citations=list(rule_cites),
        )
    if to == "redirected" and not (competent_unit and competent_unit.strip()):
        raise DomainError(
            code="cases.competent_unit_required", message="须告知申请人有权处理的单位"
        )
    today = ctx.today()
    clocks = clocks_of(session, "case", case.number)
    article = (
        "；".join(
            dict.fromkeys(
                c["label"] for row in clocks for c in json.loads(row.citations_json)["citations"]
            )
        )[:400]
        or None
    )
    if to == "assisting":  # the 3-day clock gives way to the 7-day one with assistance
        for row in clocks:
            if row.rule_key == "objection.decide":
                settle(row, today, "superseded")
        for key in flow.clocks["assisting"]:
            _clock(
                session,
                ctx,
                actor,
                case,
                key,
                case.received_on if key.endswith("assistance") else today,
            )
    else:
        for row in clocks:
            if to == "marked" and row.rule_key != "objection.mark":
                continue
            settle(row, today)
    _apply(session, ctx, actor, case, to, reasons)
    previous, case.state = case.state, to
    final = to not in OPEN_STATES and to != "marked"
    if final:
        case.outcome, case.outcome_reasons, case.decided_at = to, reasons, ctx.clock.now()
    if competent_unit:
        case.competent_unit = competent_unit.strip()
    _event(session, ctx, actor, case, previous, to, reasons, article)
    if final:
        _notify(
            session,
            ctx,
            case,
            "subject",
            case.applicant,
            f"您的{flow.label}申请（{case.number}）：{STATE_LABELS[to]}"
            + (f"。理由：{reasons}" if reasons else "")
            + (f"。有权处理的单位：{competent_unit}" if competent_unit else ""),
        )
    return case


@dataclass(frozen=True)
class Outcome:
    """What an outcome does to the record and the lists, and whom it tells."""

    rule_key: str  # the rule the record change cites
    record_state: str | None  # the record's new state (None: the record is left as it is)
    change: str  # the record version's change label, and the lists' removal reason
    default_reason: str
    tell: str  # downstream: every receiving system (HLJ 39 ¶3); upper: the upper platform
    message: str = ""


OUTCOMES: dict[tuple[str, str], Outcome] = {
    ("objection", "upheld"): Outcome(
        "objection.decide", "withdrawn", "objection_upheld", "异议成立", "downstream"
    ),
    ("serious_objection", "upheld"): Outcome(
        "serious_dishonesty.objection.decide", None, "objection_upheld", "异议成立", "downstream"
    ),
    ("repair", "approved"): Outcome(
        "repair.end_measures",
        "repaired",
        "repaired",
        "信用修复",
        "upper",
        "信用修复完成，请同步停止公示和共享",
    ),
    ("basis_change", "acted"): Outcome(
        "correction.basis_changed.platform_act",
        "withdrawn",
        "basis_revoked",
        "认定依据变更",
        "upper",
        "认定依据已撤销或变更，请同步处理",
    ),
}


@dataclass(frozen=True)
class OutcomeDecided:
    """An outcome decided on this platform, for whoever must learn of it (the exchange tells
    every platform that holds or sent the record: HLJ 39 ¶3, HLJ 40)."""

    case_number: str
    case_kind: str
    to: str  # the case's final state (upheld | approved | acted)
    outcome: Outcome
    reasons: str
    record_id: int | None  # the version decided about (its natural key names the record)
    entry_numbers: tuple[str, ...]  # the list entries it removed
    subject_key: str
    decided_at: dt.datetime


class OnOutcome(Protocol):
    def __call__(self, session: Session, ctx: Context, decided: OutcomeDecided) -> None: ...


#: Who must learn of every outcome, in the same transaction (exchange/outcomes.py registers the
#: outbox's listener; cases never import the exchange)
ON_OUTCOMES: list[OnOutcome] = []


def _apply(
    session: Session, ctx: Context, actor: Actor, case: Case, to: str, reasons: str | None
) -> None:
    """What an outcome does, in the same transaction as the transition: all or nothing."""
    outcome = OUTCOMES.get((case.kind, to))
    if outcome is None:
        return
    removed = carry_out(
        session,
        ctx,
        actor=actor,
        outcome=outcome,
        record_id=case.record_id,
        entry_number=case.entry_number,
        reason=reasons or outcome.default_reason,
        note=f"案件{case.number}：{STATE_LABELS.get(case.state, case.state)}",
    )
    if outcome.tell == "downstream":
        _downstream(session, ctx, actor, case)
    else:
        _upper_platform(session, ctx, case, outcome.message)
    decided = OutcomeDecided(
        case_number=case.number,
        case_kind=case.kind,
        to=to,
        outcome=outcome,
        reasons=reasons or outcome.default_reason,
        record_id=case.record_id,
        entry_numbers=tuple(removed),
        subject_key=case.subject_key,
        decided_at=ctx.clock.now(),
    )
    for listener in ON_OUTCOMES:
        listener(session, ctx, decided)


def carry_out(
    session: Session,
    ctx: Context,
    *,
    actor: Actor,
    outcome: Outcome,
    record_id: int | None,
    entry_number: str | None,
    reason: str,
    note: str,
) -> list[str]:
    """What an outcome does to the record and the lists, whether decided here or on another
    platform (exchange/outcomes.py): the record's new version in the outcome's state (unless it
    is in that state already), and every entry resting on the record (or named) removed, with
    every measure based on it (HLJ 40 ¶2). Answers the numbers of the entries removed."""
    if outcome.record_state and record_id:
        record = store.get(session, record_id)
        if record is None or record.state != outcome.record_state or not record.is_current:
            rule = ctx.rules.get(outcome.rule_key, ctx.today())
            change_state(
                session,
                ctx,
                actor=actor,
                record_id=record_id,
                state=outcome.record_state,
                change=outcome.change,
                reason=reason,
                legal_basis=_label(rule.citations),
            )
    return _end_entries(session, ctx, actor, record_id, entry_number, outcome.change, note)


def _end_entries(
    session: Session,
    ctx: Context,
    actor: Actor,
    record_id: int | None,
    entry_number: str | None,
    reason: str,
    note: str,
) -> list[str]:
    """Remove from any list the entries resting on the record (or named in the case); every
    measure based on them ends at the same moment (HLJ 40 ¶2)."""
    numbers = set()
    if entry_number:
        numbers.add(entry_number)
    if record_id:
        record = store.get(session, record_id)
        ids = [record_id]
        if record is not None:  # every version of the record
            ids = store.version_ids(session, record)
        numbers |= set(
            session.scalars(select(ListEntry.number).where(ListEntry.source_record_id.in_(ids)))
        )
    removed = []
    for number in sorted(numbers):
        entry = session.scalar(select(ListEntry).where(ListEntry.number == number))
        if entry is not None and entry.state in ("active", "notice_pending"):
            recognition.remove_entry(
                session, ctx, actor=actor, number=number, reason=reason, note=note
            )
            removed.append(number)
    return removed


def _notify(
    session: Session,
    ctx: Context,
    case: Case,
    kind: str,
    recipient: str,
    message: str,
    deadline: StatutoryDeadline | None = None,
) -> None:
    session.add(
        CaseNotice(
            case_id=case.id,
            recipient_kind=kind,
            recipient=recipient,
            message=message,
            deadline_id=deadline.id if deadline else None,
            sent_at=ctx.clock.now(),
        )
    )


def _downstream(session: Session, ctx: Context, actor: Actor, case: Case) -> None:
    """HLJ 39 ¶3: every agency that received the information is told and must fix it within
    its clock; tracked like any other."""
    agencies = readers_of(
        session, case.subject_key, AuditTag.SHARING_PROFILE_READ, role=Role.AGENCY
    )
    for username in agencies:
        clock = _clock(session, ctx, actor, case, "objection.downstream_fix", ctx.today())
        _notify(
            session,
            ctx,
            case,
            "agency",
            username,
            f"信用信息已依异议更正（{case.number}），请同步更正",
            clock,
        )
    _upper_platform(session, ctx, case, "信用信息已依异议更正，请同步更正")


def _upper_platform(session: Session, ctx: Context, case: Case, message: str) -> None:
    parent = ctx.platform.parent
    if parent:
        _notify(session, ctx, case, "platform", parent, f"{message}（{case.number}）")


def notice_acted(session: Session, ctx: Context, *, actor: Actor, notice_id: int) -> CaseNotice:
    notice = session.get(CaseNotice, notice_id)
    if notice is None:
        raise NotFound("cases.unknown_notice", "未找到该通知")
    if actor.role is Role.AGENCY and actor.username != notice.recipient:
        raise Forbidden("cases.other_notice", "只能确认发给本机关的通知")
    notice.acted_at = ctx.clock.now()
    if notice.deadline_id:
        row = session.get(StatutoryDeadline, notice.deadline_id)
        if row is not None:
            settle(row, ctx.today())
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.CASES_NOTICE_ACTED,
        object_type="case_notice",
        object_id=notice_id,
    )
    return notice


# ---------------------------------------------------------------- reading


def describe(session: Session, ctx: Context, case: Case) -> dict[str, Any]:
    today = ctx.today()
    calendar = load_calendar(session)
    clocks = []
    for row in clocks_of(session, "case", case.number):
        meta = json.loads(row.citations_json)
        left = None
        if row.state in ("running", "overdue"):
            left = (
                calendar.working_days_between(today, row.due_on)
                if row.due_on >= today
                else -calendar.working_days_between(row.due_on, today)
            )
        clocks.append(
            {
                "rule": row.rule_key,
                "started_on": row.started_on.isoformat(),
                "due_on": row.due_on.isoformat(),
                "amount": row.amount,
                "unit": row.unit,
                "provisional": row.provisional,
                "state": row.state,
                "working_days_left": left,
                "citations": [c["label"] for c in meta["citations"]],
                "notes": meta.get("notes", []),
                "unverified": meta.get("unverified", False),
            }
        )
    events = session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
    )
    notices = session.scalars(
        select(CaseNotice).where(CaseNotice.case_id == case.id).order_by(CaseNotice.id)
    )
    return {
        "number": case.number,
        "kind": case.kind,
        "kind_label": FLOWS[case.kind].label,
        "state": case.state,
        "state_label": STATE_LABELS.get(case.state, case.state),
        "subject_key": case.subject_key,
        "applicant": case.applicant,
        "record_id": case.record_id,
        "entry_number": case.entry_number,
        "received_on": case.received_on.isoformat(),
        "received_via": case.received_via,
        "request": case.request,
        "outcome": case.outcome,
        "outcome_reasons": case.outcome_reasons,
        "competent_unit": case.competent_unit,
        "allowed": sorted(FLOWS[case.kind].transitions.get(case.state, ())),
        "clocks": clocks,
        "events": [
            {
                "at": e.at.isoformat(),
                "actor": e.actor,
                "from": e.from_state,
                "to": e.to_state,
                "reasons": e.reasons,
                "article": e.article,
            }
            for e in events
        ],
        "notices": [
            {
                "id": n.id,
                "to": n.recipient,
                "kind": n.recipient_kind,
                "message": n.message,
                "acted_at": n.acted_at.isoformat() if n.acted_at else None,
            }
            for n in notices
        ],
    }


def my_cases(session: Session, actor: Actor) -> list[Case]:
    return list(
        session.scalars(
            select(Case)
            .where((Case.subject_key == actor.subject_key) | (Case.applicant == actor.username))
            .order_by(Case.id.desc())
        )
    )


def queue(session: Session, ctx: Context) -> list[dict[str, Any]]:
    """Open cases for staff, by their nearest due date; overdue first (HLJ 51)."""
    rows = session.execute(
        select(Case, StatutoryDeadline)
        .join(
            StatutoryDeadline,
            (StatutoryDeadline.object_type == "case")
            & (StatutoryDeadline.object_id == Case.number),
        )
        .where(StatutoryDeadline.state.in_(("running", "overdue")))
        .order_by(StatutoryDeadline.due_on, Case.id)
    )
    today = ctx.today()
    seen: dict[str, dict[str, Any]] = {}
    for case, clock in rows:
        if case.number in seen:
            continue
        seen[case.number] = {
            "number": case.number,
            "kind": FLOWS[case.kind].label,
            "state": STATE_LABELS.get(case.state, case.state),
            "subject_key": case.subject_key,
            "rule": clock.rule_key,
            "due_on": clock.due_on.isoformat(),
            "overdue": clock.due_on < today,
            "due_today": clock.due_on == today,
            "provisional": clock.provisional,
        }
    return list(seen.values())


def _labels(clock: StatutoryDeadline | None) -> list[str]:
    return [c["label"] for c in json.loads(clock.citations_json)["citations"]] if clock else []


def notices_for(session: Session, ctx: Context, actor: Actor) -> list[dict[str, Any]]:
    """What a unit must act on after an outcome (HLJ 39 ¶3: fix within 3 working days): an
    agency sees the notices sent to it, staff every notice; open ones first, by due date."""
    query = select(CaseNotice, Case.number, StatutoryDeadline).join(
        Case, Case.id == CaseNotice.case_id
    )
    query = query.outerjoin(StatutoryDeadline, StatutoryDeadline.id == CaseNotice.deadline_id)
    if actor.role is Role.AGENCY:
        query = query.where(
            CaseNotice.recipient_kind == "agency", CaseNotice.recipient == actor.username
        )
    elif actor.role not in (Role.STAFF, Role.ADMIN):
        raise Forbidden("cases.notices", "只有接收通知的机关和工作人员可以查看")
    today = ctx.today()
    answer = []
    for notice, number, clock in session.execute(query.order_by(CaseNotice.id)):
        answer.append(
            {
                "id": notice.id,
                "case": number,
                "recipient_kind": notice.recipient_kind,
                "recipient": notice.recipient,
                "message": notice.message,
                "sent_at": notice.sent_at.isoformat(),
                "acted_at": notice.acted_at.isoformat() if notice.acted_at else None,
                "due_on": clock.due_on.isoformat() if clock else None,
                "citations": _labels(clock),
                "overdue": bool(clock and notice.acted_at is None and clock.due_on < today),
            }
        )
    return sorted(answer, key=lambda n: (n["acted_at"] is not None, n["due_on"] or "9999"))


def pause_decision(
    session: Session,
    ctx: Context,
    *,
    actor: Actor,
    number: str,
    start: dt.date,
    end: dt.date,
    reason: str,
) -> Case:
    """An excluded interval (HLJ 39 ¶2: testing, inspection, ...) extends the case's decision
    clocks; `reason` is a code of the pack's list (the schema maps its Chinese name)."""
    rule = ctx.rules.get("objection.excluded_intervals", ctx.today())
    if reason not in ctx.rules.codes("objection.excluded_intervals", ctx.today()):
        raise DomainError(
            code="cases.pause_reason",
            message="只有" + "、".join(str(e["name"]) for e in rule.value) + "期间不计入处理时间",
            citations=list(rule.citations),
        )
    if end < start:
        raise DomainError(code="cases.pause_dates", message="中止期间的结束日期不得早于开始日期")
    case = get_case(session, number)
    for row in clocks_of(session, "case", case.number):
        if row.state in ("running", "overdue") and "decide" in row.rule_key:
            pause_clock(session, ctx, actor=actor, row=row, pause=Pause(start, end, reason))
    return case


# ---------------------------------------------------------------- the staff desk


def decision_citations(ctx: Context, case: Case) -> tuple[Any, ...]:
    """The articles of a case's decision (its first clocks' last rule), for a refusal to name."""
    keys = FLOWS[case.kind].clocks.get(FLOWS[case.kind].first, ())
    if not keys:
        return ()
    return tuple(ctx.rules.get(keys[-1], case.received_on).citations)


def find_record(session: Session, subject_key: str, record_key: str) -> int:
    """The current record of a subject named on a paper application by its document number."""
    found = session.scalar(
        select(CreditRecord.id).where(
            CreditRecord.subject_key == subject_key,
            CreditRecord.record_key == record_key,
            CreditRecord.is_current.is_(True),
        )
    )
    if found is None:
        raise NotFound(
            "cases.unknown_record", "未找到该主体的这条信用信息：请核对统一社会信用代码和文书号"
        )
    return int(found)


def may_read(actor: Actor, case: Case) -> bool:
    """Staff, the case's subject, and the account that filed it online."""
    if actor.role in STAFF:
        return True
    if actor.subject_key is not None and case.subject_key == actor.subject_key:
        return True
    return case.received_via == "online" and actor.username == case.applicant


def file_paper(
    session: Session,
    ctx: Context,
    *,
    actor: Actor,
    kind: str,
    record_id: int,
    applicant: str,
    received_on: dt.date,
    request: str,
    conditions: list[str] | None = None,
    commitment: str = "",
) -> Case:
    """A paper application received at a service window (HLJ 24: windows are a channel of the
    platform's services), registered by staff with its real date of receipt: the statutory
    clocks run from that day."""
    if actor.role not in STAFF:
        raise Forbidden("cases.role", "只有公共信用工作机构工作人员可以登记窗口申请")
    rule = ctx.rules.get("objection.mark", ctx.today())
    cited = _label(rule.citations)
    if kind not in ("objection", "repair"):
        raise DomainError(code="cases.kind", message="窗口申请只能登记异议或信用修复")
    if not applicant.strip():
        raise DomainError(code="cases.applicant_required", message="须填写申请人姓名或名称")
    if received_on > ctx.today():
        raise DomainError(
            code="cases.received_future",
            message=f"收到日期不能晚于今天（{ctx.today().isoformat()}）：法定期限自收到申请之日起计算"
            f"（{cited}）",
            citations=list(rule.citations),
        )
    record = store.get(session, record_id)
    if record is None or not record.is_current:
        raise NotFound("cases.unknown_record", "未找到该信用信息的现行版本")
    first = min(
        (r.recorded_at for i in store.version_ids(session, record) if (r := store.get(session, i))),
        default=record.recorded_at,
    )
    first_day = first.astimezone(PLATFORM_TZ).date()
    if received_on < first_day:
        raise DomainError(
            code="cases.received_before_record",
            message=f"收到日期不能早于该信用信息归集之日（{first_day.isoformat()}）",
            citations=list(rule.citations),
        )
    if kind == "repair":
        return file_repair(
            session,
            ctx,
            actor=actor,
            record_id=record_id,
            request=request,
            conditions=conditions or [],
            commitment=commitment,
            received_on=received_on,
            received_via="window",
            applicant=applicant.strip(),
        )
    return _open_case(
        session,
        ctx,
        actor=actor,
        kind="objection",
        subject_key=record.subject_key,
        request=request,
        record_id=record.id,
        received_on=received_on,
        received_via="window",
        applicant=applicant.strip(),
    )


#: evidence files the platform accepts, by their first bytes (never by the file name)
MAGIC = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)


def attachment_filename(row: CaseAttachment) -> str:
    """The name a downloaded evidence file is given: its number and the extension of its
    checked type (never the uploader's file name)."""
    ext = next(ext for _, kind, ext in MAGIC if kind == row.content_type)
    return f"attachment-{row.id}.{ext}"


def attachment_folder(ctx: Context) -> Path:
    return Path(ctx.settings.data_dir) / "attachments"


def add_attachment(
    session: Session, ctx: Context, *, actor: Actor, case: Case, name: str, data: bytes
) -> CaseAttachment:
    """Store an evidence file of `case` under the data folder by its SHA-256 (the uploader's
    file name is kept only as a label), after checking its size and type by its content."""
    if not may_read(actor, case):
        raise NotFound("cases.unknown", f"未找到案件{case.number}")
    limit = ctx.settings.attachment_max_bytes
    if not data:
        raise DomainError(code="cases.attachment_empty", message="附件为空文件")
    if len(data) > limit:
        raise DomainError(
            code="cases.attachment_too_large",
            message=f"附件不能超过{limit // 1024}KB（XINYONG_ATTACHMENT_MAX_BYTES）",
            status=413,
        )
    kind = next((m for m in MAGIC if data.startswith(m[0])), None)
    if kind is None:
        raise DomainError(
            code="cases.attachment_type",
            message="附件只接受PDF、JPEG或PNG文件（按文件内容判断，不看扩展名）",
        )
    digest = hashlib.sha256(data).hexdigest()
    folder = attachment_folder(ctx)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / digest
    if not path.exists():
        partial = folder / f".{digest}.{secrets.token_hex(4)}"
        partial.write_bytes(data)
        os.replace(partial, path)
    label = "".join(ch for ch in Path(name.replace("\\", "/")).name if ch.isprintable())[:200]
    row = CaseAttachment(
        case_id=case.id,
        sha256=digest,
        content_type=kind[1],
        size=len(data),
        name=label or f"附件.{kind[2]}",
        uploaded_by=actor.username or actor.role.value,
        uploaded_at=ctx.clock.now(),
    )
    session.add(row)
    session.flush()
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.CASES_ATTACHMENT_STORED,
        object_type="case",
        object_id=case.number,
        subject_key=case.subject_key,
        detail={"attachment": row.id, "sha256": digest, "size": len(data), "type": kind[1]},
    )
    return row


def read_attachment(
    session: Session, ctx: Context, *, actor: Actor, number: str, attachment_id: int
) -> tuple[CaseAttachment, bytes]:
    """An evidence file for staff and the applicant only; every download audited."""
    case = get_case(session, number)
    row = session.get(CaseAttachment, attachment_id)
    if row is None or row.case_id != case.id or not may_read(actor, case):
        raise NotFound("cases.unknown_attachment", "未找到该附件")
    if actor.role not in STAFF and actor.role is not Role.SUBJECT:
        raise NotFound("cases.unknown_attachment", "未找到该附件")
    data = (attachment_folder(ctx) / row.sha256).read_bytes()
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.CASES_ATTACHMENT_READ,
        object_type="case",
        object_id=case.number,
        subject_key=case.subject_key,
        personal_read=True,
        detail={"attachment": row.id},
    )
    return row, data


def _names(session: Session, usernames: set[str]) -> dict[str, str]:
    if not usernames:
        return {}
    rows = session.execute(
        select(User.username, User.display_name).where(User.username.in_(usernames))
    )
    return {u: d for u, d in rows}


def _subject_names(session: Session, actor: Actor, keys: set[str]) -> dict[str, str]:
    """Subjects' names as `actor` may see them (a natural person's through the engine)."""
    if not keys:
        return {}
    shown = {}
    for key, name, kind in session.execute(
        select(Subject.subject_key, Subject.name, Subject.kind).where(Subject.subject_key.in_(keys))
    ):
        shown[key] = shown_identity(actor, key, name)["name"] if kind == "natural_person" else name
    return shown


def _beijing(moment: dt.datetime) -> str:
    return moment.astimezone(PLATFORM_TZ).strftime("%Y-%m-%d %H:%M")


def desk_view(session: Session, ctx: Context, *, actor: Actor, case: Case) -> dict[str, Any]:
    """The case page: the case (`describe`), with the subject's name and the record as `actor`
    may see them, clocks with their Chinese names, the history with names and Beijing time,
    the attachments; audited as a read of the subject's information."""
    if not may_read(actor, case):
        raise NotFound("cases.unknown", f"未找到案件{case.number}")
    answer = describe(session, ctx, case)
    today = ctx.today()
    for clock in answer["clocks"]:
        try:
            clock["label"] = ctx.rules.get(clock["rule"], today).description
        except Exception:  # a rule no longer in force keeps its stored citation
            clock["label"] = "法定期限"
    events = answer["events"]
    names = _names(session, {e["actor"] for e in events} | ({case.applicant} - {""}))
    for e, row in zip(events, _event_rows(session, case), strict=True):
        e["actor_name"] = names.get(e["actor"], "工作人员" if e["actor"] else "")
        e["at_local"] = _beijing(row.at)
        e["to_label"] = STATE_LABELS.get(e["to"], e["to"])
    answer["applicant_name"] = (
        names.get(case.applicant, case.applicant)
        if case.received_via == "online"
        else case.applicant
    )
    answer["subject_name"] = _subject_names(session, actor, {case.subject_key}).get(
        case.subject_key, ""
    )
    answer["received_via_label"] = RECEIVED_VIA_LABELS.get(case.received_via, case.received_via)
    statement, _, commitment = case.request.partition("\n信用承诺：")
    answer["statement"], answer["commitment"] = statement, commitment
    answer["attachments"] = [
        {"id": a.id, "name": a.name, "size": a.size, "type": a.content_type}
        for a in session.scalars(
            select(CaseAttachment)
            .where(CaseAttachment.case_id == case.id)
            .order_by(CaseAttachment.id)
        )
    ]
    answer["record"] = None
    personal: list[str] = []
    if case.record_id is not None:
        record = store.get(session, case.record_id)
        item = (
            session.scalar(
                select(CatalogItem).where(
                    CatalogItem.code == record.item_code,
                    CatalogItem.version == record.item_version,
                )
            )
            if record is not None
            else None
        )
        if record is not None and item is not None:
            view = view_record(Viewer(actor=actor), record, spec_of(item), ctx.rules, today)
            if view is not None:
                answer["record"] = view.as_dict()
                personal = view.personal_shown
    answer["allowed_labels"] = {t: STATE_LABELS[t] for t in answer["allowed"]}
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.CASES_CASE_READ,
        object_type="case",
        object_id=case.number,
        subject_key=case.subject_key,
        personal_read=bool(personal),
        detail={"personal": sorted(personal)},
    )
    return answer


def _event_rows(session: Session, case: Case) -> list[CaseEvent]:
    return list(
        session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
        )
    )


def desk_queue(session: Session, ctx: Context, *, actor: Actor) -> list[dict[str, Any]]:
    """The queue as staff read it: names, not keys; each case's nearest clock in words."""
    rows = queue(session, ctx)
    cases = {
        c.number: c
        for c in session.scalars(select(Case).where(Case.number.in_([r["number"] for r in rows])))
    }
    subjects = _subject_names(session, actor, {c.subject_key for c in cases.values()})
    users = _names(session, {c.applicant for c in cases.values() if c.received_via == "online"})
    records = {
        r.id: r
        for r in (store.get(session, c.record_id) for c in cases.values() if c.record_id)
        if r is not None
    }
    items = dict(
        session.execute(
            select(CatalogItem.code, CatalogItem.name).where(
                CatalogItem.code.in_({r.item_code for r in records.values()})
            )
        ).all()
    )
    calendar = load_calendar(session)
    today = ctx.today()
    for row in rows:
        case = cases[row["number"]]
        record = records.get(case.record_id or 0)
        due = dt.date.fromisoformat(row["due_on"])
        row["subject_name"] = subjects.get(case.subject_key, "")
        row["item"] = items.get(record.item_code, "") if record else ""
        row["record_key"] = record.record_key if record else (case.entry_number or "")
        row["applicant_name"] = (
            users.get(case.applicant, case.applicant)
            if case.received_via == "online"
            else case.applicant
        )
        row["received_on"] = case.received_on.isoformat()
        row["received_via_label"] = RECEIVED_VIA_LABELS.get(case.received_via, "")
        try:
            row["clock_label"] = ctx.rules.get(row["rule"], today).description
        except Exception:
            row["clock_label"] = "法定期限"
        row["working_days_left"] = (
            calendar.working_days_between(today, due)
            if due >= today
            else -calendar.working_days_between(due, today)
        )
    return rows

"""What happens to a commitment after it is accepted: 容缺受理 (HLJ 45 ¶2), the certification
matter handled on the promise alone (HLJ 45 ¶3), the verification within two months of the
licence decision (HLJ 46) and what a broken promise costs: a credit record of the subject's own
(HLJ 18 (3)), which bars it from commitments until repaired (HLJ 45 ¶1).

Every step is an event (CommitmentEvent) and an audit entry in the same transaction; every
outcome sets the commitment's fulfilment status (履行状态):

    materials_missing → materials_received (licence decided on the spot) | materials_late |
        materials_lapsed (not kept)
    licence_decided → verification clock (`commitment.verify`, months under the Civil Code)
    verified_kept (kept) | verified_not_kept / verified_false → guidance | rectification_ordered
        (staff-entered deadline) → rectified (kept, or partly) | licence_revoked | penalty

A breach (a false commitment, materials late or never delivered, partly kept after
rectification, a licence revoked or a penalty) writes the subject's credit record of the
catalog's commitments item HLJ-CN-001 through records/store (the only writer of
credit_records), once per commitment, and keeps its natural key in `breach_record`.

The 信用修复型 commitment a repair requires is filed with the repair through the cases hook
`ON_REPAIR_FILED` (registered here; cases never import commitments)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.audit.tags import AuditTag
from xinyong.cases import service as cases
from xinyong.cases.models import Case
from xinyong.catalog.service import get_item, spec_of
from xinyong.commitments.filing import number_for, subject_kind_of
from xinyong.commitments.models import Commitment, CommitmentEvent, CommitmentMatter
from xinyong.common.errors import Citation, DomainError, NotFound
from xinyong.common.identifiers import check_identifier
from xinyong.common.roles import Actor
from xinyong.context import Context
from xinyong.deadlines.models import StatutoryDeadline
from xinyong.deadlines.service import clocks_of, load_calendar, settle, start_deadline
from xinyong.ingest.validate import Rejected, RowValidator
from xinyong.providers.models import ProviderUnit
from xinyong.records import store
from xinyong.records.models import CreditRecord
from xinyong.subjects.models import Subject
from xinyong.subjects.service import ensure_subjects

VERIFY_RULE = "commitment.verify"
#: the catalog's item for commitments and their fulfilment (HLJ 18 (3); catalog seed)
BREACH_ITEM = "HLJ-CN-001"
#: the severity a breach record carries: a platform setting, not fixed by the law (a false or
#: broken commitment is 失信; the platform counts it 一般失信, so the national minimum
#: publicity period for general dishonesty applies before a repair may be filed)
BREACH_SEVERITY = "general"

HLJ = "黑龙江省社会信用条例"
HLJ_18_3 = Citation(HLJ, 18, item=3)
HLJ_45_1 = Citation(HLJ, 45, 1)
HLJ_45_2 = Citation(HLJ, 45, 2)
HLJ_45_3 = Citation(HLJ, 45, 3)
HLJ_46 = Citation(HLJ, 46)

#: 履行状态 as users read them
FULFILMENT_LABELS = {
    "pending": "待核查",
    "kept": "全部履行",
    "partly": "部分履行",
    "not_kept": "全部未履行",
    "false": "虚假承诺",
}
#: the catalog item's 履行状态 values (HLJ-CN-001) for a breach
RECORD_STATUS = {"false": "虚假承诺", "not_kept": "未履行", "partly": "未履行"}
EVENT_LABELS = {
    "materials_missing": "容缺受理：材料待补",
    "materials_received": "补齐材料，当场作出许可决定",
    "materials_late": "逾期补交材料，未履行承诺",
    "materials_lapsed": "期满未补交材料，未履行承诺",
    "handled_on_promise": "依书面承诺办理证明事项",
    "licence_decided": "作出行政许可决定",
    "verified_kept": "核查：全部履行",
    "verified_not_kept": "核查：未履行承诺",
    "verified_false": "核查：虚假承诺",
    "guidance": "予以指导",
    "rectification_ordered": "责令限期整改",
    "rectified": "按期整改",
    "licence_revoked": "撤销行政许可",
    "penalty": "予以行政处罚",
    "breach_recorded": "记入信用承诺及履行信息（失信）",
    "repair_commitment": "随信用修复申请作出信用承诺",
}
#: commitment types decided as a licence (HLJ 46 applies): 审批替代型, 容缺受理型
LICENSING_TYPES = frozenset({"approval_substitute", "cure"})
#: outcomes a staff member records at verification, and after it
VERIFY_OUTCOMES = frozenset({"kept", "not_kept", "false"})
MEASURES = frozenset({"guidance", "rectify"})
SANCTIONS = frozenset({"revoked", "penalty"})
#: said wherever the days for missing materials appear (the law sets no number)
CURE_DAYS_NOTE = "补交材料期限为平台设定（按事项配置的工作日数），非法定"


def _refuse(code: str, message: str, *citations: Citation, status: int = 422) -> DomainError:
    return DomainError(code=code, message=message, citations=list(citations), status=status)


def get_commitment(session: Session, number: str) -> Commitment:
    row = session.scalar(select(Commitment).where(Commitment.number == number))
    if row is None:
        raise NotFound("commitments.unknown", f"未找到信用承诺{number}")
    return row


def events_of(session: Session, commitment: Commitment) -> list[CommitmentEvent]:
    return list(
        session.scalars(
            select(CommitmentEvent)
            .where(CommitmentEvent.commitment_id == commitment.id)
            .order_by(CommitmentEvent.id)
        )
    )


def _matter(session: Session, commitment: Commitment) -> CommitmentMatter | None:
    if commitment.matter_code is None:
        return None
    query = select(CommitmentMatter).where(CommitmentMatter.code == commitment.matter_code)
    if commitment.matter_version is not None:
        query = query.where(CommitmentMatter.version == commitment.matter_version)
    else:
        query = query.where(CommitmentMatter.is_current.is_(True))
    return session.scalar(query)


def _event(
    session: Session,
    ctx: Context,
    actor: Actor,
    commitment: Commitment,
    kind: str,
    on: dt.date,
    *,
    tag: AuditTag,
    note: str | None = None,
    due_on: dt.date | None = None,
    basis: tuple[Citation, ...] = (),
) -> CommitmentEvent:
    row = CommitmentEvent(
        commitment_id=commitment.id,
        kind=kind,
        happened_on=on,
        due_on=due_on,
        note=note,
        actor=actor.username or actor.role.value,
        at=ctx.clock.now(),
    )
    session.add(row)
    session.flush()
    ctx.log(
        session,
        actor=actor,
        action=tag,
        object_type="commitment",
        object_id=commitment.number,
        subject_key=commitment.subject_key,
        legal_basis="；".join(c.label() for c in basis) or None,
        detail={
            "event": kind,
            "on": on.isoformat(),
            "due_on": due_on.isoformat() if due_on else None,
            "fulfilment": commitment.fulfilment,
            "note": note,
        },
    )
    return row


# ---------------------------------------------------------------- 容缺受理 (HLJ 45 ¶2)


def accept_incomplete(
    session: Session,
    ctx: Context,
    *,
    actor: Actor,
    number: str,
    missing: str,
    on: dt.date | None = None,
) -> Commitment:
    """Accept a licence application with materials missing on the written promise to hand them
    in (HLJ 45 ¶2: the agency shall accept first). What is missing is recorded, and the day
    they are due: the matter's `cure_days` (a platform setting per matter: the law sets no
    number) counted as **working days** after the day of acceptance, the day itself not
    counted. Working days, not calendar days, because the applicant gathers the materials
    from offices that work on working days, and every other period of days an agency runs on
    this platform is one of working days: a count in calendar days would shrink to nothing
    over the Spring Festival or National Day holidays."""
    commitment = get_commitment(session, number)
    today = on or ctx.today()
    if commitment.commitment_type != "cure":
        raise _refuse(
            "commitments.not_cure",
            "只有容缺受理型承诺可以在材料不齐备时先行受理（《黑龙江省社会信用条例》第四十五条第二款）",
            HLJ_45_2,
        )
    if commitment.missing_materials is not None:
        raise _refuse("commitments.already_accepted", "该承诺已容缺受理", HLJ_45_2, status=409)
    matter = _matter(session, commitment)
    if matter is None or matter.cure_days is None:
        raise _refuse(
            "commitments.no_cure_days",
            "该事项未设定容缺补交材料的期限，不能容缺受理（期限为平台设定，非法定）",
            HLJ_45_2,
        )
    if not missing.strip():
        raise _refuse("commitments.missing_required", "请写明待补交的材料", HLJ_45_2)
    due = load_calendar(session).add_working_days(today, matter.cure_days).due
    commitment.missing_materials = missing.strip()
    commitment.materials_due_on = due
    _event(
        session,
        ctx,
        actor,
        commitment,
        "materials_missing",
        today,
        tag=AuditTag.COMMITMENTS_MATERIALS_ACCEPT,
        note=f"{missing.strip()}；{matter.cure_days}个工作日内补交（{CURE_DAYS_NOTE}）",
        due_on=due,
        basis=(HLJ_45_2,),
    )
    return commitment


def receive_materials(
    session: Session, ctx: Context, *, actor: Actor, number: str, on: dt.date | None = None
) -> Commitment:
    """The missing materials arrive. In time: the licence is decided on the spot (HLJ 45 ¶2:
    当场作出行政许可决定), decided_on that day, and its verification clock starts (HLJ 46).
    Late: the promise was not kept (a breach)."""
    commitment = get_commitment(session, number)
    today = on or ctx.today()
    if commitment.materials_due_on is None:
        raise _refuse("commitments.no_missing", "该承诺没有待补交的材料", HLJ_45_2, status=409)
    if commitment.materials_received_on is not None or commitment.fulfilment != "pending":
        raise _refuse("commitments.materials_closed", "补交材料已办结", HLJ_45_2, status=409)
    commitment.materials_received_on = today
    if today > commitment.materials_due_on:
        commitment.fulfilment = "not_kept"
        _event(
            session,
            ctx,
            actor,
            commitment,
            "materials_late",
            today,
            tag=AuditTag.COMMITMENTS_MATERIALS_LATE,
            note=f"应于{commitment.materials_due_on.isoformat()}前补交",
            due_on=commitment.materials_due_on,
            basis=(HLJ_45_2,),
        )
        _breach(session, ctx, actor, commitment, today)
        return commitment
    _event(
        session,
        ctx,
        actor,
        commitment,
        "materials_received",
        today,
        tag=AuditTag.COMMITMENTS_MATERIALS_RECEIVE,
        due_on=commitment.materials_due_on,
        basis=(HLJ_45_2,),
    )
    return _decide(session, ctx, actor, commitment, today)


def lapse_materials(
    session: Session, ctx: Context, *, actor: Actor, on: dt.date | None = None
) -> list[Commitment]:
    """Every 容缺受理 whose materials never came by their day: not kept (a breach). Run daily."""
    today = on or ctx.today()
    lapsed = list(
        session.scalars(
            select(Commitment)
            .where(
                Commitment.materials_due_on < today,
                Commitment.materials_received_on.is_(None),
                Commitment.fulfilment == "pending",
                Commitment.state == "active",
            )
            .order_by(Commitment.id)
        )
    )
    for commitment in lapsed:
        commitment.fulfilment = "not_kept"
        _event(
            session,
            ctx,
            actor,
            commitment,
            "materials_lapsed",
            today,
            tag=AuditTag.COMMITMENTS_MATERIALS_LATE,
            due_on=commitment.materials_due_on,
            basis=(HLJ_45_2,),
        )
        _breach(session, ctx, actor, commitment, today)
    return lapsed


# ---------------------------------------------------------------- decisions


def decide(
    session: Session, ctx: Context, *, actor: Actor, number: str, on: dt.date | None = None
) -> Commitment:
    """The agency decides on the commitment: a licence (审批替代型; 容缺受理型 once its materials
    are in) starts the two-month verification (HLJ 46); a certification matter (证明事项型) is
    handled on the promise alone, no certificate asked for (HLJ 45 ¶3)."""
    commitment = get_commitment(session, number)
    today = on or ctx.today()
    if commitment.decided_on is not None:
        raise _refuse("commitments.decided", "该承诺事项已作出决定", status=409)
    if (
        commitment.commitment_type == "cure"
        and commitment.materials_received_on is None
        and commitment.fulfilment == "pending"
    ):
        raise _refuse(
            "commitments.materials_outstanding",
            "容缺受理的材料补齐后方可作出行政许可决定（《黑龙江省社会信用条例》第四十五条第二款）",
            HLJ_45_2,
        )
    if commitment.commitment_type == "cure" and commitment.fulfilment != "pending":
        raise _refuse(
            "commitments.materials_late",
            "未在承诺期限内补交材料，承诺未履行，不能依承诺作出行政许可决定"
            "（《黑龙江省社会信用条例》第四十五条第二款）",
            HLJ_45_2,
            status=409,
        )
    if commitment.commitment_type == "certification":
        commitment.decided_on = today
        _event(
            session,
            ctx,
            actor,
            commitment,
            "handled_on_promise",
            today,
            tag=AuditTag.COMMITMENTS_LICENCE_DECIDE,
            note="不再索要有关证明，依据书面承诺办理",
            basis=(HLJ_45_3,),
        )
        return commitment
    if commitment.commitment_type not in LICENSING_TYPES:
        raise _refuse(
            "commitments.not_licensing",
            "只有适用信用承诺制的行政许可或者证明事项作出决定（《黑龙江省社会信用条例》第四十五条）",
            HLJ_45_2,
            HLJ_45_3,
        )
    return _decide(session, ctx, actor, commitment, today)


def _decide(
    session: Session, ctx: Context, actor: Actor, commitment: Commitment, on: dt.date
) -> Commitment:
    clock = start_deadline(
        session,
        ctx,
        actor=actor,
        rule_key=VERIFY_RULE,
        object_type="commitment",
        object_id=commitment.number,
        started_on=on,
        subject_key=commitment.subject_key,
    )
    commitment.decided_on, commitment.verify_due_on = on, clock.due_on
    _event(
        session,
        ctx,
        actor,
        commitment,
        "licence_decided",
        on,
        tag=AuditTag.COMMITMENTS_LICENCE_DECIDE,
        due_on=clock.due_on,
        basis=(HLJ_45_2, HLJ_46) if commitment.commitment_type == "cure" else (HLJ_46,),
    )
    return commitment


# ---------------------------------------------------------------- verification (HLJ 46)


def _clock(session: Session, commitment: Commitment) -> StatutoryDeadline | None:
    rows = [r for r in clocks_of(session, "commitment", commitment.number)]
    return next((r for r in reversed(rows) if r.rule_key == VERIFY_RULE), None)


def _kinds(session: Session, commitment: Commitment) -> list[str]:
    return [e.kind for e in events_of(session, commitment)]


def verify(
    session: Session,
    ctx: Context,
    *,
    actor: Actor,
    number: str,
    outcome: str,
    measure: str | None = None,
    rectify_by: dt.date | None = None,
    note: str | None = None,
    on: dt.date | None = None,
) -> Commitment:
    """The verification's finding (HLJ 46): kept (全部履行); not kept or false, with guidance or
    an order to rectify by a day the staff member sets. A false commitment is a breach at
    once; a promise not kept becomes one if it is not rectified in time."""
    commitment = get_commitment(session, number)
    today = on or ctx.today()
    if outcome not in VERIFY_OUTCOMES:
        raise _refuse("commitments.outcome", "核查结论应为：全部履行、未履行承诺或虚假承诺", HLJ_46)
    if commitment.state != "active":
        raise _refuse("commitments.withdrawn", "该承诺已撤回", status=409)
    if commitment.decided_on is None and commitment.commitment_type != "repair":
        raise _refuse(
            "commitments.not_decided",
            "行政许可决定作出后方可核查承诺（《黑龙江省社会信用条例》第四十六条）",
            HLJ_46,
            status=409,
        )
    done = _kinds(session, commitment)
    if any(k.startswith("verified_") for k in done):
        raise _refuse("commitments.verified", "该承诺已有核查结论", HLJ_46, status=409)
    if outcome == "kept":
        if measure is not None:
            raise _refuse("commitments.measure", "全部履行的承诺无需指导或整改", HLJ_46)
    elif measure not in MEASURES:
        raise _refuse(
            "commitments.measure_required",
            "发现未履行承诺或者虚假承诺的，应当予以指导或者责令限期整改"
            "（《黑龙江省社会信用条例》第四十六条）",
            HLJ_46,
        )
    if measure == "rectify" and (rectify_by is None or rectify_by <= today):
        raise _refuse(
            "commitments.rectify_by",
            "责令限期整改须写明整改期限（晚于核查当日的日期）",
            HLJ_46,
        )
    clock = _clock(session, commitment)
    if clock is not None:
        settle(clock, today)
    commitment.fulfilment = outcome
    _event(
        session,
        ctx,
        actor,
        commitment,
        f"verified_{outcome}",
        today,
        tag=AuditTag.COMMITMENTS_VERIFY_RECORD,
        note=note,
        due_on=commitment.verify_due_on,
        basis=(HLJ_46,),
    )
    if measure == "guidance":
        _event(
            session,
            ctx,
            actor,
            commitment,
            "guidance",
            today,
            tag=AuditTag.COMMITMENTS_VERIFY_RECORD,
            note=note,
            basis=(HLJ_46,),
        )
    elif measure == "rectify":
        _event(
            session,
            ctx,
            actor,
            commitment,
            "rectification_ordered",
            today,
            tag=AuditTag.COMMITMENTS_VERIFY_RECORD,
            note=note,
            due_on=rectify_by,
            basis=(HLJ_46,),
        )
    if outcome == "false":
        _breach(session, ctx, actor, commitment, today)
    return commitment


def _rectification(session: Session, commitment: Commitment) -> CommitmentEvent | None:
    rows = [
        e for e in events_of(session, commitment) if e.kind in ("guidance", "rectification_ordered")
    ]
    return rows[-1] if rows else None


def rectified(
    session: Session,
    ctx: Context,
    *,
    actor: Actor,
    number: str,
    result: str,
    note: str | None = None,
    on: dt.date | None = None,
) -> Commitment:
    """Rectified in time (HLJ 46): kept (全部履行) or partly (部分履行, still a breach). A false
    commitment stays false: rectifying does not make a false statement true. After the
    deadline there is no rectification: the licence is revoked or a penalty imposed."""
    commitment = get_commitment(session, number)
    today = on or ctx.today()
    if result not in ("kept", "partly"):
        raise _refuse("commitments.result", "整改结果应为：全部履行或部分履行", HLJ_46)
    order = _rectification(session, commitment)
    if order is None or "rectified" in _kinds(session, commitment):
        raise _refuse("commitments.no_order", "该承诺没有待完成的指导或整改", HLJ_46, status=409)
    if _sanctioned(session, commitment):
        raise _refuse("commitments.sanctioned", "该承诺已依法处理", HLJ_46, status=409)
    if order.due_on is not None and today > order.due_on:
        raise _refuse(
            "commitments.rectify_late",
            f"整改期限已于{order.due_on.isoformat()}届满，逾期未整改的，依法撤销行政许可或者"
            "予以行政处罚（《黑龙江省社会信用条例》第四十六条）",
            HLJ_46,
        )
    if commitment.fulfilment != "false":
        commitment.fulfilment = result
    _event(
        session,
        ctx,
        actor,
        commitment,
        "rectified",
        today,
        tag=AuditTag.COMMITMENTS_VERIFY_RECORD,
        note=f"{FULFILMENT_LABELS[result]}" + (f"；{note}" if note else ""),
        due_on=order.due_on,
        basis=(HLJ_46,),
    )
    if commitment.fulfilment in RECORD_STATUS:
        _breach(session, ctx, actor, commitment, today)
    return commitment


def _sanctioned(session: Session, commitment: Commitment) -> bool:
    return any(k in ("licence_revoked", "penalty") for k in _kinds(session, commitment))


def sanction(
    session: Session,
    ctx: Context,
    *,
    actor: Actor,
    number: str,
    sanction: str,
    reason: str,
    document: str,
    on: dt.date | None = None,
) -> Commitment:
    """Still not kept, not rectified in time, or still not meeting the conditions after
    rectification: the licence revoked, or a penalty (HLJ 46), with the decision's number.
    Only after guidance or an order to rectify (the article's order)."""
    commitment = get_commitment(session, number)
    today = on or ctx.today()
    if sanction not in SANCTIONS:
        raise _refuse("commitments.sanction", "处理结果应为：撤销行政许可或者行政处罚", HLJ_46)
    if reason not in ("still_not_kept", "not_rectified", "still_not_meeting"):
        raise _refuse(
            "commitments.sanction_reason",
            "处理事由应为：仍不履行承诺、逾期未整改或者整改后仍不符合法定条件",
            HLJ_46,
        )
    if not document.strip():
        raise _refuse("commitments.document", "请写明处理决定书文号", HLJ_46)
    order = _rectification(session, commitment)
    if order is None:
        raise _refuse(
            "commitments.order_first",
            "发现未履行承诺或者虚假承诺的，应当先予以指导或者责令限期整改"
            "（《黑龙江省社会信用条例》第四十六条）",
            HLJ_46,
            status=409,
        )
    if _sanctioned(session, commitment):
        raise _refuse("commitments.sanctioned", "该承诺已依法处理", HLJ_46, status=409)
    if reason == "not_rectified" and order.due_on is not None and today <= order.due_on:
        raise _refuse(
            "commitments.rectify_running",
            f"整改期限至{order.due_on.isoformat()}，届满前不能以逾期未整改为由处理",
            HLJ_46,
            status=409,
        )
    if commitment.commitment_type == "certification" and sanction == "revoked":
        raise _refuse("commitments.no_licence", "证明事项型承诺没有可撤销的行政许可", HLJ_46)
    if commitment.fulfilment not in ("false",):
        commitment.fulfilment = "partly" if commitment.fulfilment == "partly" else "not_kept"
    labels = {
        "still_not_kept": "仍不履行承诺",
        "not_rectified": "逾期未整改",
        "still_not_meeting": "整改后仍不符合法定条件",
    }
    _event(
        session,
        ctx,
        actor,
        commitment,
        "licence_revoked" if sanction == "revoked" else "penalty",
        today,
        tag=AuditTag.COMMITMENTS_VERIFY_RECORD,
        note=f"{labels[reason]}；{document.strip()}",
        basis=(HLJ_46,),
    )
    _breach(session, ctx, actor, commitment, today)
    return commitment


# ---------------------------------------------------------------- the breach record (HLJ 18 (3))


def _provider(session: Session, ctx: Context, commitment: Commitment) -> str:
    """The provider unit the record is held under: the accepting agency where it is a
    registered unit, otherwise the platform itself (which made the record)."""
    if commitment.accepting_agency_uscc:
        code = session.scalar(
            select(ProviderUnit.code).where(ProviderUnit.uscc == commitment.accepting_agency_uscc)
        )
        if code:
            return code
    return ctx.platform.code


def _payload(commitment: Commitment, on: dt.date) -> dict[str, Any]:
    organisation = check_identifier(commitment.subject_key, on).kind == "uscc"
    payload: dict[str, Any] = {
        "主体名称": commitment.subject_name,
        "主体类别": "法人及非法人组织" if organisation else "自然人",
        "承诺编号": commitment.number,
        "承诺事项": f"{commitment.reason}：{commitment.content}"[:2000],
        "承诺日期": commitment.made_on.isoformat(),
        "履行状态": RECORD_STATUS.get(commitment.fulfilment, "未履行"),
    }
    if organisation:
        payload["统一社会信用代码"] = commitment.subject_key
    else:
        payload["证件类型"] = "身份证"
        payload["证件号码"] = commitment.subject_key
    return payload


def _breach(
    session: Session, ctx: Context, actor: Actor, commitment: Commitment, on: dt.date
) -> None:
    """The subject's credit record of its broken promise (HLJ 18 (3)), once per commitment:
    validated as any provider's row is, appended through records/store, its natural key kept.
    A record written for an earlier breach of the same commitment stays as it is."""
    if commitment.breach_record:
        return
    item = get_item(session, BREACH_ITEM)
    spec = spec_of(item)
    result = RowValidator(spec, ctx.rules, on).validate(0, _payload(commitment, on))
    if isinstance(result, Rejected):
        raise _refuse(
            "commitments.breach_invalid",
            "失信记录不符合目录要求：" + "；".join(r.message for r in result.reasons),
            HLJ_18_3,
        )
    provider = _provider(session, ctx, commitment)
    now = ctx.clock.now()
    held = store.current(session, provider, BREACH_ITEM, result.record_key)
    if held is not None:  # a record of this commitment kept from an earlier life: its next version
        store.supersede(
            session,
            held,
            now,
            payload_json=result.payload_json,
            payload_hash=result.payload_hash,
            nature="dishonesty",
            severity=BREACH_SEVERITY,
            state="active",
            change="update",
            decided_on=on,
            valid_from=on,
            reason="核查发现违背信用承诺",
        )
    else:
        _ensure_subject(session, commitment, result.subject_kind, result.id_type, now)
        store.append_versions(
            session,
            [
                {
                    "subject_key": result.subject_key,
                    "provider_code": provider,
                    "item_code": BREACH_ITEM,
                    "item_version": item.version,
                    "record_key": result.record_key,
                    "version": 1,
                    "is_current": True,
                    "category": spec.category,
                    # the item holds every commitment; a broken one is dishonesty information
                    "nature": "dishonesty",
                    "severity": BREACH_SEVERITY,
                    "title": f"{spec.name}（{result.record_key}）"[:300],
                    "decided_on": on,
                    "payload_json": result.payload_json,
                    "payload_hash": result.payload_hash,
                    "state": "active",
                    "change": "new",
                    "valid_from": on,
                    "valid_to": None,
                    "recorded_at": now,
                    "superseded_at": None,
                    "batch_id": None,
                    "arrival_due_on": None,
                    "late": None,
                    "discovered_on": None,
                    "correction_due_on": None,
                    "correction_on_time": None,
                    "reason": "核查发现违背信用承诺",
                    "synthetic": False,
                    "origin_platform": None,
                    "origin_version": None,
                }
            ],
        )
    commitment.breach_record = f"{provider}|{BREACH_ITEM}|{result.record_key}"
    _event(
        session,
        ctx,
        actor,
        commitment,
        "breach_recorded",
        on,
        tag=AuditTag.COMMITMENTS_BREACH_RECORD,
        note=f"{FULFILMENT_LABELS[commitment.fulfilment]}：{commitment.breach_record}",
        basis=(HLJ_18_3, HLJ_45_1),
    )


def _ensure_subject(
    session: Session,
    commitment: Commitment,
    kind: str,
    id_type: str | None,
    now: dt.datetime,
) -> None:
    ensure_subjects(
        session,
        [
            {
                "subject_key": commitment.subject_key,
                "kind": kind,
                "id_type": id_type,
                "name": commitment.subject_name[:200],
                "region_code": None,
                "state": "active",
                "synthetic": False,
                "created_at": now,
            }
        ],
    )


def breach_record_of(session: Session, commitment: Commitment) -> CreditRecord | None:
    if not commitment.breach_record:
        return None
    provider, item, key = commitment.breach_record.split("|", 2)
    return store.current(session, provider, item, key)


# ---------------------------------------------------------------- the staff queue


@dataclass
class QueueRow:
    commitment: Commitment
    pending_order: CommitmentEvent | None


def queue(session: Session, ctx: Context) -> list[QueueRow]:
    """Commitments awaiting verification or the end of a rectification, soonest due first:
    licences with their HLJ 46 clock, 容缺受理 awaiting materials, repair commitments (no
    statutory clock: last). Kept and partly kept commitments are done; the events of the rest
    are read in one query."""
    rows = list(
        session.scalars(
            select(Commitment).where(
                Commitment.state == "active",
                Commitment.fulfilment.in_(["pending", "not_kept", "false"]),
            )
        )
    )
    events: dict[int, list[CommitmentEvent]] = {}
    for event in session.scalars(
        select(CommitmentEvent)
        .where(CommitmentEvent.commitment_id.in_([c.id for c in rows]))
        .order_by(CommitmentEvent.id)
    ):
        events.setdefault(event.commitment_id, []).append(event)
    out: list[QueueRow] = []
    for commitment in rows:
        mine = events.get(commitment.id, [])
        kinds = {e.kind for e in mine}
        orders = [e for e in mine if e.kind in ("guidance", "rectification_ordered")]
        order = orders[-1] if orders else None
        closed = (
            bool(kinds & {"licence_revoked", "penalty", "rectified", "verified_kept"})
            or (commitment.fulfilment in ("not_kept", "false") and order is None)
            or (
                commitment.decided_on is None
                and commitment.missing_materials is None
                and commitment.commitment_type != "repair"
            )
        )
        if not closed:
            out.append(QueueRow(commitment, order))

    def key(row: QueueRow) -> tuple[int, dt.date, str]:
        day = due_of(row)
        return (0, day, row.commitment.number) if day else (1, dt.date.max, row.commitment.number)

    out.sort(key=key)
    return out


def due_of(row: QueueRow) -> dt.date | None:
    c = row.commitment
    if row.pending_order is not None:
        return row.pending_order.due_on
    if c.decided_on is not None:
        return c.verify_due_on
    return c.materials_due_on


# ---------------------------------------------------------------- repair commitments (cases hook)


def _repair_commitment(
    session: Session,
    ctx: Context,
    actor: Actor,
    case: Case,
    record: CreditRecord,
    commitment: str,
) -> None:
    """The public credit commitment a repair requires, filed with the repair as a 信用修复型
    commitment in the same transaction: published, and verified like the others."""
    today = case.received_on
    name = (
        session.scalar(select(Subject.name).where(Subject.subject_key == case.subject_key))
        or case.subject_key
    )
    row = Commitment(
        number=number_for(session, ctx, today),
        subject_key=case.subject_key,
        subject_name=name,
        subject_kind=subject_kind_of(
            session, case.subject_key, check_identifier(case.subject_key, today).kind
        ),
        commitment_type="repair",
        matter_code=None,
        matter_version=None,
        reason=f"申请信用修复（案件{case.number}，{record.title}）",
        content=commitment.strip(),
        liability="违背承诺的，信用修复可以被撤销，并记入信用承诺及履行信息",
        made_on=today,
        accepting_agency=None,
        publicity="public",
        fulfilment="pending",
        state="active",
        case_number=case.number,
        filed_via="repair",
        filed_by=actor.username or actor.role.value,
        created_at=ctx.clock.now(),
    )
    session.add(row)
    session.flush()
    _event(
        session,
        ctx,
        actor,
        row,
        "repair_commitment",
        today,
        tag=AuditTag.COMMITMENTS_REPAIR_FILE,
        note=f"案件{case.number}",
    )


cases.ON_REPAIR_FILED.append(_repair_commitment)


# ---------------------------------------------------------------- what the routes and pages show

TYPE_LABELS = {
    "approval_substitute": "审批替代型",
    "cure": "容缺受理型",
    "certification": "证明事项型",
    "repair": "信用修复型",
    "self_regulation": "行业自律型",
    "voluntary": "主动型",
    "service_agency": "信用服务机构型",
}
QUEUE_NOTE = (
    "行政许可决定作出后两个月内核查（《黑龙江省社会信用条例》第四十六条，按月计算的期间依"
    "《中华人民共和国民法典》第二百零一条至第二百零三条）；" + CURE_DAYS_NOTE + "；"
    "信用修复型承诺无法定核查期限，排在最后。"
)


def describe(session: Session, ctx: Context, commitment: Commitment) -> dict[str, Any]:
    events = events_of(session, commitment)
    order = next(
        (e for e in reversed(events) if e.kind in ("rectification_ordered", "guidance")), None
    )
    citations: list[dict[str, Any]] = []
    if commitment.decided_on is not None and commitment.verify_due_on is not None:
        rule = ctx.rules.get(VERIFY_RULE, commitment.decided_on)
        citations = [c.as_dict() for c in rule.citations]
    record = breach_record_of(session, commitment)
    return {
        "number": commitment.number,
        "subject_key": commitment.subject_key,
        "subject_name": commitment.subject_name,
        "commitment_type": commitment.commitment_type,
        "fulfilment": commitment.fulfilment,
        "fulfilment_label": FULFILMENT_LABELS.get(commitment.fulfilment, commitment.fulfilment),
        "decided_on": _day(commitment.decided_on),
        "verify_due_on": _day(commitment.verify_due_on),
        "verify_citations": citations,
        "missing_materials": commitment.missing_materials,
        "materials_due_on": _day(commitment.materials_due_on),
        "materials_received_on": _day(commitment.materials_received_on),
        "cure_days_note": CURE_DAYS_NOTE if commitment.materials_due_on else None,
        "rectify_by": _day(order.due_on) if order else None,
        "case_number": commitment.case_number,
        "breach_record": None
        if not commitment.breach_record
        else {
            "key": commitment.breach_record,
            "record_id": record.id if record else None,
            "state": record.state if record else None,
        },
        "events": [
            {
                "kind": e.kind,
                "label": EVENT_LABELS.get(e.kind, e.kind),
                "happened_on": e.happened_on.isoformat(),
                "due_on": _day(e.due_on),
                "note": e.note,
                "actor": e.actor,
            }
            for e in events
        ],
    }


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def queue_view(session: Session, ctx: Context, *, actor: Actor) -> dict[str, Any]:
    """The verification queue as staff read it, soonest due first, each row with its article;
    a natural person's row is a read of personal information, audited."""
    today = ctx.today()
    items, entries = [], []
    for row in queue(session, ctx):
        c = row.commitment
        due = due_of(row)
        if row.pending_order is not None:
            stage = "整改期限" if row.pending_order.due_on else "已予指导"
            article = HLJ_46.label()
        elif c.verify_due_on is not None:
            stage, article = "待核查（行政许可决定后两个月内）", HLJ_46.label()
        elif c.decided_on is not None:
            stage, article = "待核查（无法定期限）", HLJ_45_3.label()
        elif c.materials_due_on is not None:
            stage, article = "待补交材料（平台设定，非法定）", HLJ_45_2.label()
        else:
            stage, article = "待核查（无法定期限）", "《黑龙江省社会信用条例》第四十条"
        items.append(
            {
                "number": c.number,
                "subject_name": c.subject_name,
                "commitment_type": c.commitment_type,
                "type_label": TYPE_LABELS.get(c.commitment_type, c.commitment_type),
                "stage": stage,
                "due_on": _day(due),
                "article": article,
                "fulfilment_label": FULFILMENT_LABELS.get(c.fulfilment, c.fulfilment),
                "overdue": due is not None and due < today,
            }
        )
        if check_identifier(c.subject_key, today).kind == "citizen_id":
            entries.append(
                ctx.read_entry(
                    actor=actor,
                    action=AuditTag.COMMITMENTS_QUEUE_READ,
                    object_type="commitment",
                    object_id=c.number,
                    subject_key=c.subject_key,
                    personal_read=True,
                    detail={"name_shown": "full"},
                )
            )
    ctx.reads.write_all(entries)
    return {"items": items, "note": QUEUE_NOTE}

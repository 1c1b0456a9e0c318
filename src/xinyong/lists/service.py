"""Measures, red-list criteria, recognition, removal, emergencies (HLJ 25-33, HRB 30-32).

Every refusal names the article that refused it; every change is audited. Whether an entry or a
measure applies on a day is computed from its dates on read, so a term that ends needs no job."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from xinyong.audit.tags import AuditTag, list_tag
from xinyong.common.errors import Citation, DomainError, Forbidden, NotFound
from xinyong.common.identifiers import IdentifierCheck, check_identifier
from xinyong.common.roles import Actor, Role
from xinyong.context import Context
from xinyong.law.rules import RuleAnswer
from xinyong.law.workdays import add_period
from xinyong.lists.models import (
    Emergency,
    ListEntry,
    Measure,
    RedListCriteria,
    StateUnitNotice,
)
from xinyong.lists.schemas import CriteriaIn, EmergencyIn, MeasureIn, RecognitionIn
from xinyong.records.models import CreditRecord
from xinyong.sharing.masking import mask_id_number, mask_name
from xinyong.subjects.models import Subject, SubjectLink

#: The pack lists that bound each kind of measure (HLJ 26, HLJ 31 ¶1, HLJ 31 ¶2).
KIND_RULES = {
    "incentive": ("incentives.kinds",),
    "constraint": ("constraints.kinds",),
    "punishment": ("punishments.national_base_list", "punishments.supplement_kinds"),
}
LIST_OF_MEASURE = {"incentive": "red", "constraint": "serious", "punishment": "serious"}
TARGETS = ("subject", "related_person")
LIST_LABELS = {"red": "守信激励名单", "serious": "严重失信主体名单"}
STATE_LABELS = {
    "notice_pending": "已事前告知，待列入",
    "active": "名单内",
    "removed": "已移出",
    "exempted": "免于惩戒（仅提醒）",
}
#: Why an entry leaves a list, and the rule each reason applies.
REMOVAL_RULES = {
    "objection_upheld": "serious_dishonesty.objection.decide",
    "repaired": "repair.end_measures",
    "basis_revoked": "correction.basis_changed.platform_act",
}
REMOVAL_LABELS = {
    "term_ended": "期限届满",
    "objection_upheld": "异议成立",
    "repaired": "信用修复",
    "basis_revoked": "认定依据被撤销、变更或者宣告无效",
}
COURT_DEBTOR_ITEM = "HLJ-SX-001"  # the catalog item the provincial high court pushes (seed)


def _labels(answer: RuleAnswer) -> str:
    return "；".join(c.label() for c in answer.citations)


def _refuse(code: str, message: str, answer: RuleAnswer, **details: Any) -> DomainError:
    return DomainError(
        code=code, message=message, citations=list(answer.citations), details=details
    )


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


# ---------------------------------------------------------------- measures (HLJ 26, 30, 31)


def define_measure(session: Session, ctx: Context, *, actor: Actor, body: MeasureIn) -> Measure:
    """Add a measure to a list, unpublished: it cannot be applied until it is published."""
    today = ctx.today()
    if body.list_kind not in KIND_RULES:
        raise DomainError(
            code="measures.list_kind",
            message="措施清单只能是守信激励（incentive）、失信约束（constraint）或失信惩戒（punishment）",
        )
    answers = [ctx.rules.get(key, today) for key in KIND_RULES[body.list_kind]]
    kinds = {str(e["code"]) for a in answers for e in a.value}
    if body.kind not in kinds:
        raise DomainError(
            code="measures.outside_list",
            message=f"措施类别“{body.kind}”不在法定清单范围内：" + "、".join(sorted(kinds)),
            citations=[c for a in answers for c in a.citations],
        )
    if not body.legal_basis or not body.legal_basis.strip():
        rule = ctx.rules.get("measures.proportionality", today)
        raise _refuse("measures.basis_required", "措施必须注明其法律、法规或者政策依据", rule)
    scenarios = ctx.rules.get("query.mandatory_scenarios", today)
    known = set(ctx.rules.codes("query.mandatory_scenarios", today))
    unknown = sorted(set(body.scenarios) - known) if body.scenarios else ["（未指定）"]
    if unknown:
        raise _refuse(
            "measures.scenario",
            "适用场景须从法定查询使用场景中选择：" + "、".join(sorted(known)),
            scenarios,
            unknown=unknown,
        )
    if LIST_OF_MEASURE[body.list_kind] == "serious":
        categories = ctx.rules.get("serious_dishonesty.conduct_categories", today)
        allowed = set(ctx.rules.codes("serious_dishonesty.conduct_categories", today))
        if not body.conduct_categories or set(body.conduct_categories) - allowed:
            raise _refuse(
                "measures.conduct_categories",
                "失信约束和惩戒措施须与失信行为相关联：请从严重失信行为类别中选择适用类别",
                categories,
                allowed=sorted(allowed),
            )
    if set(body.targets) - set(TARGETS) or not body.targets:
        raise DomainError(
            code="measures.targets", message="适用对象只能是 subject 或 related_person"
        )
    if body.list_kind == "punishment" and not (body.term_amount and body.term_unit):
        rule = ctx.rules.get("punishments.term_required", today)
        raise _refuse("measures.term_required", "失信惩戒措施必须同时规定期限", rule)
    if body.term_unit not in (None, "month", "year", "calendar_day"):
        raise DomainError(
            code="measures.term_unit", message="期限单位只能是 month、year 或 calendar_day"
        )
    if session.scalar(select(Measure.id).where(Measure.code == body.code)) is not None:
        raise DomainError(
            code="measures.duplicate", message=f"措施编码{body.code}已存在", status=409
        )
    measure = Measure(
        code=body.code,
        list_kind=body.list_kind,
        kind=body.kind,
        name=body.name,
        legal_basis=body.legal_basis.strip(),
        scenarios_json=_json(sorted(set(body.scenarios))),
        conduct_categories_json=_json(sorted(set(body.conduct_categories))),
        targets_json=_json(sorted(set(body.targets))),
        implementing_agency=body.implementing_agency,
        term_amount=body.term_amount,
        term_unit=body.term_unit,
        created_by=actor.username or actor.role.value,
        created_at=ctx.clock.now(),
    )
    session.add(measure)
    session.flush()
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.LISTS_MEASURE_DEFINE,
        object_type="measure",
        object_id=body.code,
    )
    return measure


def publish_measure(
    session: Session, ctx: Context, *, actor: Actor, code: str, on: dt.date | None = None
) -> Measure:
    measure = _measure(session, code)
    if measure.published_on is not None:
        raise DomainError(code="measures.already_published", message="该措施已公布", status=409)
    measure.published_on = on or ctx.today()
    rule = ctx.rules.get("measures.published_only", measure.published_on)
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.LISTS_MEASURE_PUBLISH,
        object_type="measure",
        object_id=code,
        legal_basis=_labels(rule),
        detail={"published_on": measure.published_on.isoformat()},
    )
    return measure


def withdraw_measure(session: Session, ctx: Context, *, actor: Actor, code: str) -> Measure:
    measure = _measure(session, code)
    measure.withdrawn_on = ctx.today()
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.LISTS_MEASURE_WITHDRAW,
        object_type="measure",
        object_id=code,
    )
    return measure


def _measure(session: Session, code: str) -> Measure:
    measure = session.scalar(select(Measure).where(Measure.code == code))
    if measure is None:
        raise NotFound("measures.unknown", f"未找到措施{code}")
    return measure


def measure_in_force(measure: Measure, on: dt.date) -> bool:
    """Published on or before `on` and not withdrawn by then (HLJ 30 ¶4)."""
    return (
        measure.published_on is not None
        and measure.published_on <= on
        and (measure.withdrawn_on is None or measure.withdrawn_on > on)
    )


def describe_measure(measure: Measure) -> dict[str, Any]:
    return {
        "code": measure.code,
        "list_kind": measure.list_kind,
        "kind": measure.kind,
        "name": measure.name,
        "legal_basis": measure.legal_basis,
        "scenarios": json.loads(measure.scenarios_json),
        "conduct_categories": json.loads(measure.conduct_categories_json),
        "targets": json.loads(measure.targets_json),
        "implementing_agency": measure.implementing_agency,
        "term": (
            {"amount": measure.term_amount, "unit": measure.term_unit}
            if measure.term_amount
            else None
        ),
        "published_on": measure.published_on.isoformat() if measure.published_on else None,
        "withdrawn_on": measure.withdrawn_on.isoformat() if measure.withdrawn_on else None,
    }


def list_measures(session: Session, *, published_only: bool, on: dt.date) -> list[Measure]:
    measures = list(session.scalars(select(Measure).order_by(Measure.list_kind, Measure.code)))
    return [m for m in measures if not published_only or measure_in_force(m, on)]


# ---------------------------------------------------------------- red-list criteria (HLJ 25)


def define_criteria(
    session: Session, ctx: Context, *, actor: Actor, body: CriteriaIn
) -> RedListCriteria:
    rule = ctx.rules.get("red_list.criteria_published", ctx.today())
    if not body.approval or not body.published_on:
        raise _refuse(
            "red_list.criteria_unpublished",
            "守信激励对象认定标准须经本级人民政府同意（注明文件）并向社会公布（注明公布日期）",
            rule,
        )
    if session.scalar(select(RedListCriteria.id).where(RedListCriteria.code == body.code)):
        raise DomainError(
            code="red_list.criteria_duplicate",
            message=f"认定标准编码{body.code}已存在",
            status=409,
        )
    criteria = RedListCriteria(
        code=body.code,
        authority=body.authority,
        industry=body.industry,
        title=body.title,
        text=body.text,
        approval=body.approval,
        published_on=body.published_on,
        created_by=actor.username or actor.role.value,
    )
    session.add(criteria)
    session.flush()
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.LISTS_CRITERIA_DEFINE,
        object_type="red_list_criteria",
        object_id=body.code,
        legal_basis=_labels(rule),
    )
    return criteria


# ---------------------------------------------------------------- emergencies (HLJ 30 ¶3)


def declare_emergency(
    session: Session, ctx: Context, *, actor: Actor, body: EmergencyIn
) -> Emergency:
    rule = ctx.rules.get("emergency.effects", ctx.today())
    if body.ends_on < body.starts_on or not body.region.isdigit():
        raise _refuse(
            "emergency.invalid",
            "突发事件期间的结束日期不得早于开始日期，地区须为行政区划代码前缀",
            rule,
        )
    emergency = Emergency(
        region=body.region,
        name=body.name,
        starts_on=body.starts_on,
        ends_on=body.ends_on,
        declared_by=actor.username or actor.role.value,
        declared_at=ctx.clock.now(),
    )
    session.add(emergency)
    session.flush()
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.LISTS_EMERGENCY_DECLARE,
        object_type="emergency",
        object_id=emergency.id,
        legal_basis=_labels(rule),
        detail={"region": body.region, "from": str(body.starts_on), "to": str(body.ends_on)},
    )
    return emergency


def emergency_for(session: Session, region: str | None, on: dt.date) -> Emergency | None:
    """The emergency in force for an area on a day, if any (its region is a code prefix)."""
    if not region:
        return None
    for emergency in session.scalars(
        select(Emergency).where(Emergency.starts_on <= on, Emergency.ends_on >= on)
    ):
        if region.startswith(emergency.region.rstrip("0") or emergency.region):
            return emergency
    return None


def region_of(check: IdentifierCheck) -> str:
    """The region code inside a USCC (characters 3-8) or a citizen ID number (1-6)."""
    return check.value[2:8] if check.kind == "uscc" else check.value[:6]


# ---------------------------------------------------------------- recognition (HLJ 25, 27-33)


def _number(list_kind: str, on: dt.date) -> str:
    prefix = "HX" if list_kind == "red" else "YZ"
    return f"{prefix}{on:%Y%m%d}{secrets.token_hex(4).upper()}"


def _prior_notice(ctx: Context, on: dt.date) -> RuleAnswer | None:
    """HRB 31 ¶2 where the platform is bound by it: a natural person is told before listing."""
    try:
        answer = ctx.rules.get("punishments.natural_person_prior_notice", on)
    except DomainError:
        return None
    return answer if answer.value else None


def _missing_elements(ctx: Context, body: RecognitionIn, on: dt.date) -> None:
    """HLJ 28 ¶2: a decision states reasons, basis, term, removal conditions and remedies."""
    rule = ctx.rules.get("serious_dishonesty.decision_elements", on)
    present = {
        "reasons": bool(body.reasons and body.reasons.strip()),
        "basis": bool(body.basis_type and body.basis_document and body.basis_document.strip()),
        "term": body.valid_until is not None,
        "removal_conditions": bool(body.removal_conditions and body.removal_conditions.strip()),
        "remedies": bool(body.remedies and body.remedies.strip()),
    }
    missing = [e for e in rule.value if not present.get(str(e["code"]), False)]
    if missing:
        raise _refuse(
            "lists.decision_incomplete",
            "认定决定书缺少法定告知事项：" + "、".join(str(e["name"]) for e in missing),
            rule,
            missing=[e["code"] for e in missing],
        )


def _subject(session: Session, ctx: Context, key: str) -> tuple[IdentifierCheck, Subject | None]:
    check = check_identifier(key, ctx.today())
    check.raise_if_invalid()
    subject = session.scalar(select(Subject).where(Subject.subject_key == check.value))
    return check, subject


def _prudent(
    session: Session, ctx: Context, actor: Actor, body: RecognitionIn, region: str, on: dt.date
) -> Emergency | None:
    """HLJ 30 ¶3: in an area under a declared emergency, recognition needs a second reviewer."""
    emergency = emergency_for(session, region, on)
    if emergency is None:
        return None
    rule = ctx.rules.get("emergency.recognition_reviewers", on)
    reviewers = {actor.username, body.reviewed_by} - {None, ""}
    if len(reviewers) < int(rule.value):
        raise _refuse(
            "lists.prudent_recognition",
            f"该地区处于突发事件期间（{emergency.name}，{emergency.starts_on}至{emergency.ends_on}），"
            f"须审慎认定：需另一名工作人员复核（共{rule.value}人）",
            rule,
            emergency=emergency.id,
        )
    return emergency


def recognise(
    session: Session, ctx: Context, *, actor: Actor, list_kind: str, body: RecognitionIn
) -> ListEntry:
    """Recognise a subject for the red list (HLJ 25) or the serious-dishonesty list (HLJ 27-29),
    or record only a reminder where HLJ 30 ¶2 exempts the conduct."""
    _known_list(list_kind)
    on = body.decided_on or ctx.today()
    check, subject = _subject(session, ctx, body.subject_key)
    name = (subject.name if subject else None) or body.subject_name
    if not name:
        raise DomainError(code="lists.subject_name", message="平台中没有该主体，请填写主体名称")
    natural = check.kind == "citizen_id"
    cites: list[Citation] = []
    if list_kind == "serious":
        exemption = ctx.rules.get("measures.exemption_minor", on)
        conditions = set(ctx.rules.codes("measures.exemption_minor", on))
        if body.circumstances and conditions <= set(body.circumstances):
            if not body.reasons:
                raise _refuse(
                    "lists.reasons_required", "免于惩戒的提醒也须写明事实和理由", exemption
                )
            return _store(
                session,
                ctx,
                actor,
                body,
                list_kind,
                check,
                name,
                on,
                state="exempted",
                cites=list(exemption.citations),
                valid_from=None,
            )
        categories = ctx.rules.get("serious_dishonesty.conduct_categories", on)
        if body.conduct_category not in ctx.rules.codes(
            "serious_dishonesty.conduct_categories", on
        ):
            raise _refuse(
                "lists.conduct_category",
                "严重失信主体名单只能依据法定的严重失信行为类别认定",
                categories,
                allowed=ctx.rules.codes("serious_dishonesty.conduct_categories", on),
            )
        bases = ctx.rules.get("serious_dishonesty.recognition_bases", on)
        if body.basis_type not in ctx.rules.codes("serious_dishonesty.recognition_bases", on):
            raise _refuse(
                "lists.basis_type",
                "认定失信行为只能依据生效的司法裁判文书、仲裁文书、行政处罚或行政裁决等决定文书，"
                "或法律、法规和国家规定的其他文书",
                bases,
            )
        _missing_elements(ctx, body, on)
        cites += [*categories.citations, *bases.citations]
        cites += ctx.rules.get("serious_dishonesty.decision_elements", on).citations
    else:
        criteria = session.scalar(
            select(RedListCriteria).where(RedListCriteria.code == (body.criteria_code or ""))
        )
        rule = ctx.rules.get("red_list.criteria_published", on)
        if criteria is None or criteria.published_on > on:
            raise _refuse(
                "lists.criteria_unpublished", "守信激励名单只能按照已公布的认定标准认定", rule
            )
        if not body.reasons or body.valid_until is None:
            raise _refuse("lists.red_incomplete", "守信激励名单须写明认定理由和有效期", rule)
        body = body.model_copy(
            update={
                "basis_type": "red_list_criteria",
                "basis_document": body.basis_document or f"{criteria.title}（{criteria.approval}）",
                "removal_conditions": body.removal_conditions or "有效期届满或者不再符合认定标准",
                "remedies": body.remedies or "对认定有异议的，可以向认定部门提出",
            }
        )
        cites += rule.citations
    assert body.valid_until is not None
    if body.valid_until < on:
        raise DomainError(code="lists.term", message="名单期限不得早于认定日期")
    _check_measures(session, ctx, list_kind, body, on)
    emergency = _prudent(session, ctx, actor, body, region_of(check), on)
    notice = _prior_notice(ctx, on) if natural and list_kind == "serious" else None
    if notice is not None:
        cites += notice.citations
    entry = _store(
        session,
        ctx,
        actor,
        body,
        list_kind,
        check,
        name,
        on,
        state="notice_pending" if notice else "active",
        cites=cites,
        valid_from=None if notice else on,
        emergency=emergency,
        source_record_id=_resting_on(session, body.record_id, check.value),
    )
    if list_kind == "serious":
        _notify_state_units(session, ctx, entry, body, on)
        if not natural and body.entity_type == "market":
            _related_persons(session, ctx, actor, entry, body, on)
    return entry


def _resting_on(session: Session, record_id: int | None, subject_key: str) -> int | None:
    """The record a listing rests on must be the same subject's; its repair, upheld objection
    or revoked basis then ends the listing too."""
    if record_id is None:
        return None
    record = session.get(CreditRecord, record_id)
    if record is None or record.subject_key != subject_key:
        raise DomainError(code="lists.record", message="认定所依据的信用信息不属于该主体")
    listed = select(ListEntry.number).where(ListEntry.source_record_id == record_id)
    number = session.scalar(listed)
    if number is not None:
        raise DomainError(
            code="lists.record_listed",
            message=f"该信用信息已是认定决定{number}的依据，不能重复认定",
            status=409,
        )
    return record_id


def _check_measures(
    session: Session, ctx: Context, list_kind: str, body: RecognitionIn, on: dt.date
) -> None:
    """Measures a decision names must be published (HLJ 30 ¶4), on this list, and linked to the
    conduct (HLJ 30 ¶1)."""
    for code in body.measures:
        measure = session.scalar(select(Measure).where(Measure.code == code))
        if measure is None or LIST_OF_MEASURE[measure.list_kind] != list_kind:
            rule = ctx.rules.get("measures.proportionality", on)
            raise _refuse(
                "measures.outside_list", f"措施{code}不在本名单公布的措施清单中", rule, measure=code
            )
        if not measure_in_force(measure, on):
            rule = ctx.rules.get("measures.published_only", on)
            raise _refuse(
                "measures.unpublished",
                f"措施“{measure.name}”未向社会公布（或已废止），禁止实施",
                rule,
                measure=code,
            )
        if list_kind == "serious" and body.conduct_category not in json.loads(
            measure.conduct_categories_json
        ):
            rule = ctx.rules.get("measures.proportionality", on)
            raise _refuse(
                "measures.unrelated",
                f"措施“{measure.name}”与认定的失信行为类别不相关联，不得适用",
                rule,
                measure=code,
            )


def _store(
    session: Session,
    ctx: Context,
    actor: Actor,
    body: RecognitionIn,
    list_kind: str,
    check: IdentifierCheck,
    name: str,
    on: dt.date,
    *,
    state: str,
    cites: list[Citation],
    valid_from: dt.date | None,
    emergency: Emergency | None = None,
    parent: ListEntry | None = None,
    relation: str | None = None,
    source_record_id: int | None = None,
) -> ListEntry:
    now = ctx.clock.now()
    entry = ListEntry(
        number=_number(list_kind, on) + (f"-{relation[:2].upper()}" if relation else ""),
        list_kind=list_kind,
        subject_key=check.value,
        subject_name=name,
        subject_kind="natural_person" if check.kind == "citizen_id" else "legal_person",
        entity_type=body.entity_type if parent is None else "person",
        authority=body.authority,
        conduct_category=body.conduct_category,
        criteria_code=body.criteria_code,
        basis_type=body.basis_type,
        basis_document=body.basis_document or "",
        reasons=body.reasons or "",
        removal_conditions=body.removal_conditions or "",
        remedies=body.remedies or "",
        decided_on=on,
        valid_from=valid_from,
        valid_until=body.valid_until or on,
        state=state,
        recognised_by=actor.username or actor.role.value,
        reviewed_by=body.reviewed_by,
        emergency_id=emergency.id if emergency else None,
        notice_sent_at=now if state == "notice_pending" else None,
        parent_id=parent.id if parent else None,
        relation=relation,
        source_record_id=source_record_id,
        citations=_json([c.as_dict() for c in cites]),
        measure_codes=_json(sorted(set(body.measures))),
        created_at=now,
    )
    session.add(entry)
    session.flush()
    ctx.log(
        session,
        actor=actor,
        action=list_tag(list_kind, exempt=state == "exempted"),
        object_type="list_entry",
        object_id=entry.number,
        subject_key=entry.subject_key,
        legal_basis="；".join(dict.fromkeys(c.label() for c in cites))[:400] or None,
        personal_read=entry.subject_kind == "natural_person",
        detail={"state": state, "valid_until": str(entry.valid_until), "parent": entry.parent_id},
    )
    return entry


def _notify_state_units(
    session: Session, ctx: Context, entry: ListEntry, body: RecognitionIn, on: dt.date
) -> None:
    """HLJ 32 ¶2: a listed state organ or state-owned unit, or their staff, are reported."""
    key = {
        "state_unit": "serious_dishonesty.state_unit_notifications",
        "state_staff": "serious_dishonesty.state_staff_notifications",
    }.get(body.entity_type)
    if key is None:
        return
    rule = ctx.rules.get(key, on)
    missing = [e for e in rule.value if not body.notify.get(str(e["code"]), "").strip()]
    if missing:
        raise _refuse(
            "lists.notice_recipient_missing",
            "须填写应当通报的单位：" + "、".join(str(e["name"]) for e in missing),
            rule,
        )
    for e in rule.value:
        session.add(
            StateUnitNotice(
                entry_id=entry.id,
                recipient_kind=str(e["code"]),
                recipient_name=body.notify[str(e["code"])].strip(),
                sent_at=ctx.clock.now(),
            )
        )


def _related_persons(
    session: Session, ctx: Context, actor: Actor, entry: ListEntry, body: RecognitionIn, on: dt.date
) -> list[ListEntry]:
    """HLJ 33: the listed market entity's legal representative, principal, actual controller and
    directly responsible persons receive the corresponding measures, in their own records."""
    rule = ctx.rules.get("serious_dishonesty.related_persons", on)
    relations = {str(e["code"]): str(e["name"]) for e in rule.value}
    people: dict[tuple[str, str], str] = {}
    for link in session.scalars(
        select(SubjectLink).where(
            SubjectLink.organisation_key == entry.subject_key,
            SubjectLink.valid_from <= on,
            or_(SubjectLink.valid_to.is_(None), SubjectLink.valid_to >= on),
        )
    ):
        if link.relation in relations:
            people[(link.person_key, link.relation)] = link.person_name
    for person in body.related_persons:
        if person.relation not in relations:
            raise _refuse(
                "lists.relation",
                "关联人员只能是法定代表人、主要负责人、实际控制人或直接责任人",
                rule,
            )
        people[(person.person_key.strip().upper(), person.relation)] = person.person_name
    notice = _prior_notice(ctx, on)
    made = []
    for (person_key, relation), person_name in sorted(people.items()):
        check = check_identifier(person_key, ctx.today())
        check.raise_if_invalid()
        derived = body.model_copy(
            update={
                "reasons": f"{entry.subject_name}被列入严重失信主体名单（{entry.number}），"
                f"本人系其{relations[relation]}。原认定理由：{entry.reasons}",
                "basis_document": f"{entry.basis_document}；认定决定{entry.number}",
                "measures": [],  # the measures linked to related persons apply
            }
        )
        made.append(
            _store(
                session,
                ctx,
                actor,
                derived,
                "serious",
                check,
                person_name,
                on,
                state="notice_pending" if notice else entry.state,
                cites=[*rule.citations, *(notice.citations if notice else ())],
                valid_from=None if notice else entry.valid_from,
                parent=entry,
                relation=relation,
            )
        )
    return made


def deliver_notice(
    session: Session, ctx: Context, *, actor: Actor, number: str, delivered_on: dt.date
) -> ListEntry:
    """The prior notice reached the person (HRB 31 ¶2): the listing takes effect from then."""
    entry = get_entry(session, number)
    if entry.state != "notice_pending":
        raise DomainError(code="lists.not_pending", message="该认定不处于待告知状态", status=409)
    entry.notice_delivered_on = delivered_on
    entry.valid_from = max(delivered_on, entry.decided_on)
    entry.state = "active"
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.LISTS_NOTICE_DELIVER,
        object_type="list_entry",
        object_id=number,
        subject_key=entry.subject_key,
        personal_read=True,
        detail={"delivered_on": delivered_on.isoformat()},
    )
    return entry


def remove_entry(
    session: Session, ctx: Context, *, actor: Actor, number: str, reason: str, note: str
) -> ListEntry:
    """Take an entry off its list (objection upheld, repair, basis revoked); every measure based
    on it, and on entries derived from it under HLJ 33, ends at once."""
    entry = get_entry(session, number)
    if reason not in REMOVAL_RULES:
        raise DomainError(
            code="lists.removal_reason",
            message="移出原因只能是：" + "、".join(REMOVAL_LABELS[k] for k in REMOVAL_RULES),
        )
    if entry.state in ("removed", "exempted"):
        raise DomainError(code="lists.not_listed", message="该主体不在名单中", status=409)
    rule = ctx.rules.get(REMOVAL_RULES[reason], ctx.today())
    today = ctx.today()
    children = list(session.scalars(select(ListEntry).where(ListEntry.parent_id == entry.id)))
    for target in (entry, *children):
        if target.state in ("removed", "exempted"):
            continue
        target.state = "removed"
        target.removed_on = today
        target.removal_reason = reason
        target.removal_note = note
        target.removal_citation = _labels(rule)
        ctx.log(
            session,
            actor=actor,
            action=AuditTag.LISTS_ENTRY_REMOVE,
            object_type="list_entry",
            object_id=target.number,
            subject_key=target.subject_key,
            legal_basis=_labels(rule),
            detail={"reason": reason, "note": note},
        )
    return entry


def get_entry(session: Session, number: str) -> ListEntry:
    entry = session.scalar(select(ListEntry).where(ListEntry.number == number))
    if entry is None:
        raise NotFound("lists.unknown_entry", f"未找到认定决定{number}")
    return entry


def entry_in_force(entry: ListEntry, on: dt.date) -> bool:
    """On the list that day: active, the notice delivered, within its term (the last day
    included, until 24:00)."""
    return (
        entry.state == "active"
        and entry.valid_from is not None
        and entry.valid_from <= on <= entry.valid_until
    )


def entry_status(entry: ListEntry, on: dt.date) -> str:
    if entry.state == "active" and entry.valid_until < on:
        return REMOVAL_LABELS["term_ended"]
    return STATE_LABELS.get(entry.state, entry.state)


def _known_list(list_kind: str) -> None:
    if list_kind not in LIST_LABELS:
        raise NotFound("lists.unknown_list", "名单只能是 red 或 serious")


def public_list(session: Session, list_kind: str, on: dt.date, limit: int = 500) -> list[ListEntry]:
    """Entries within their term, for the public list pages."""
    _known_list(list_kind)
    return list(
        session.scalars(
            select(ListEntry)
            .where(
                ListEntry.list_kind == list_kind,
                ListEntry.state == "active",
                ListEntry.valid_from <= on,
                ListEntry.valid_until >= on,
            )
            .order_by(ListEntry.decided_on.desc(), ListEntry.id.desc())
            .limit(limit)
        )
    )


def shown_entry(
    session: Session, number: str, actor: Actor, on: dt.date, ctx: Context | None = None
) -> dict[str, Any]:
    """A written decision as `actor` may see it: unknown unless visible to them; in full to
    staff and the subject itself, natural persons masked for everyone else. With `ctx`, a
    natural person's decision shown is audited (`audit_persons_shown`)."""
    entry = get_entry(session, number)
    if not visible_to(entry, actor, on):
        raise NotFound("lists.unknown_entry", f"未找到认定决定{number}")
    full = actor.role in (Role.STAFF, Role.ADMIN) or actor.subject_key == entry.subject_key
    if ctx is not None:
        audit_persons_shown(ctx, actor, [entry], full=full)
    return describe_entry(entry, on, full=full)


def audit_persons_shown(
    ctx: Context, actor: Actor, entries: list[ListEntry], *, full: bool = False
) -> None:
    """A list or decision that shows natural persons (desensitised unless `full`) is a read of
    each one's personal information: audited under the person's key, so it is in their access
    log (HLJ 35); committed before the answer leaves."""
    values = [
        ctx.read_entry(
            actor=actor,
            action=AuditTag.LISTS_ENTRY_READ,
            object_type="list_entry",
            object_id=e.number,
            subject_key=e.subject_key,
            personal_read=True,
            detail={"list": e.list_kind, "identity": "full" if full else "masked"},
        )
        for e in entries
        if e.subject_kind == "natural_person"
    ]
    ctx.reads.write_all(values)


def visible_to(entry: ListEntry, actor: Actor, on: dt.date) -> bool:
    """Anyone sees an entry in force; the subject itself and staff see every entry."""
    if actor.role in (Role.STAFF, Role.ADMIN, Role.AGENCY):
        return True
    if actor.role is Role.SUBJECT and actor.subject_key == entry.subject_key:
        return True
    return entry_in_force(entry, on)


def describe_entry(entry: ListEntry, on: dt.date, *, full: bool) -> dict[str, Any]:
    """The written decision (认定决定书). Natural persons' ID numbers are masked unless `full`."""
    natural = entry.subject_kind == "natural_person"
    return {
        "number": entry.number,
        "list": entry.list_kind,
        "list_label": LIST_LABELS[entry.list_kind],
        "subject_key": entry.subject_key
        if full or not natural
        else mask_id_number(entry.subject_key),
        "subject_name": entry.subject_name
        if full or not natural
        else mask_name(entry.subject_name),
        "subject_kind": entry.subject_kind,
        "authority": entry.authority,
        "conduct_category": entry.conduct_category,
        "criteria": entry.criteria_code,
        "basis_type": entry.basis_type,
        "basis_document": entry.basis_document,
        "reasons": entry.reasons,
        "decided_on": entry.decided_on.isoformat(),
        "valid_from": entry.valid_from.isoformat() if entry.valid_from else None,
        "valid_until": entry.valid_until.isoformat(),
        "removal_conditions": entry.removal_conditions,
        "remedies": entry.remedies,
        "state": entry.state,
        "status": entry_status(entry, on),
        "in_force": entry_in_force(entry, on),
        "relation": entry.relation,
        "parent_id": entry.parent_id,
        "removed_on": entry.removed_on.isoformat() if entry.removed_on else None,
        "removal_reason": entry.removal_reason,
        "removal_citation": entry.removal_citation,
        "citations": json.loads(entry.citations),
    }


# ---------------------------------------------------------------- court debtors (HLJ 28 ¶3)


def sync_court_debtors(session: Session, ctx: Context, *, actor: Actor) -> dict[str, int]:
    """Make every current 失信被执行人 record pushed by the court a serious-dishonesty entry, and
    remove entries whose court record was withdrawn or replaced. Idempotent."""
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
    current = session.scalars(
        select(CreditRecord).where(
            CreditRecord.item_code == COURT_DEBTOR_ITEM, CreditRecord.is_current.is_(True)
        )
    )
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
        body = RecognitionIn(
            subject_key=record.subject_key,
            subject_name=str(payload.get("被执行人名称") or record.subject_key),
            entity_type="market" if len(record.subject_key) == 18 else "person",
            authority=str(payload.get("执行法院") or record.provider_code),
            conduct_category="refusal_to_perform",
            basis_type="court_debtor",
            basis_document=f"{payload.get('执行法院', '')}（{payload.get('案号', '')}）"
            f"纳入失信被执行人名单；执行依据{payload.get('执行依据文号', '')}",
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
        notice = _prior_notice(ctx, decided) if check.kind == "citizen_id" else None
        entry = _store(
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
            _related_persons(session, ctx, actor, entry, body, decided)
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


def _court_term(ctx: Context, decided: dt.date) -> dt.date:
    """The entry lasts as long as the court record's publicity (serious, from the packs)."""
    try:
        high = ctx.rules.get("publicity.serious.max", decided)
    except DomainError:  # decided before the rule: the period in force today, from the decision
        high = ctx.rules.get("publicity.serious.max", ctx.today())
    return add_period(decided, int(high.value), high.unit)


def notices(session: Session, *, open_only: bool) -> list[tuple[StateUnitNotice, ListEntry]]:
    query = select(StateUnitNotice, ListEntry).join(
        ListEntry, and_(ListEntry.id == StateUnitNotice.entry_id)
    )
    if open_only:
        query = query.where(StateUnitNotice.answered_at.is_(None))
    return [(n, e) for n, e in session.execute(query.order_by(StateUnitNotice.id))]


def answer_notice(
    session: Session, ctx: Context, *, actor: Actor, notice_id: int, handling: str
) -> StateUnitNotice:
    notice = session.get(StateUnitNotice, notice_id)
    if notice is None:
        raise NotFound("lists.unknown_notice", "未找到该通报")
    if not handling.strip():
        raise Forbidden("lists.handling_required", "须写明处理结果")
    notice.answered_at = ctx.clock.now()
    notice.handling = handling
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.LISTS_NOTICE_ANSWER,
        object_type="state_unit_notice",
        object_id=notice_id,
        detail={"handling": handling},
    )
    return notice

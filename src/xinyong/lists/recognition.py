"""Recognition for the red list (HLJ 25) and the serious-dishonesty list (HLJ 27-33): exemption,
prior notice, related persons, removal, and the written decisions as each reader may see them.

Whether an entry applies on a day is computed from its dates on read, so a term that ends needs
no job to be honoured (lists/jobs.py only records it)."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Any, Protocol

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from xinyong.audit.tags import AuditTag, list_tag
from xinyong.common.errors import Citation, DomainError, NotFound
from xinyong.common.identifiers import IdentifierCheck, check_identifier
from xinyong.common.roles import Actor, Role
from xinyong.context import Context
from xinyong.law.rules import RuleAnswer
from xinyong.lists.common import as_json, labels, refuse
from xinyong.lists.emergencies import emergency_for, region_of
from xinyong.lists.measures import check_measures
from xinyong.lists.models import Emergency, ListEntry, RedListCriteria
from xinyong.lists.notices import notify_state_units
from xinyong.lists.schemas import RecognitionIn
from xinyong.providers.service import unit_names
from xinyong.records import store
from xinyong.subjects.models import Subject, SubjectLink
from xinyong.subjects.relations import relation_labels
from xinyong.visibility.masking import mask_id_number, mask_name

RELATED_RULE = "serious_dishonesty.related_persons"
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


#: An entry's states in the order they follow one another: the version a peer platform is told
#: (a later state never gives way to an earlier one received late)
STATE_ORDER = {"notice_pending": 1, "exempted": 1, "active": 2, "removed": 3}
#: the columns of an entry another platform learns (exchange/), besides its links
SNAPSHOT_FIELDS = (
    "number", "list_kind", "subject_key", "subject_name", "subject_kind", "entity_type",
    "authority", "conduct_category", "criteria_code", "basis_type", "basis_document", "reasons",
    "removal_conditions", "remedies", "state", "recognised_by", "reviewed_by", "relation",
    "removal_reason", "removal_note", "removal_citation", "citations", "measure_codes",
)  # fmt: skip
DATE_FIELDS = ("decided_on", "valid_from", "valid_until", "notice_delivered_on", "removed_on")


class OnEntries(Protocol):
    def __call__(self, session: Session, ctx: Context, entries: list[ListEntry]) -> None: ...


#: Who must learn of every entry listed, taking effect or removed, in the same transaction (the
#: exchange's outbox registers here; lists never import the exchange)
ON_ENTRIES: list[OnEntries] = []


def _report(session: Session, ctx: Context, entries: list[ListEntry]) -> None:
    if entries:
        for listener in ON_ENTRIES:
            listener(session, ctx, entries)


def snapshot(session: Session, entry: ListEntry) -> dict[str, Any]:
    """An entry as another platform learns it: its content, the record it rests on by natural
    key (a record's id is this database's), its parent by number."""
    body: dict[str, Any] = {f: getattr(entry, f) for f in SNAPSHOT_FIELDS}
    body |= {f: (v.isoformat() if (v := getattr(entry, f)) else None) for f in DATE_FIELDS}
    record = store.get(session, entry.source_record_id) if entry.source_record_id else None
    body["record"] = [record.provider_code, record.item_code, record.record_key] if record else None
    parent = session.get(ListEntry, entry.parent_id) if entry.parent_id else None
    body["parent"] = parent.number if parent else None
    return body


def receive_entry(
    session: Session, ctx: Context, *, actor: Actor, body: dict[str, Any]
) -> ListEntry | None:
    """An entry decided on another platform, as that platform reports it: added if unknown here,
    its later state taken (a removal through `remove_entry`, the same as a removal here); None
    when there is nothing to change (the same or an earlier state)."""
    entry = session.scalar(select(ListEntry).where(ListEntry.number == body["number"]))
    if entry is not None and STATE_ORDER.get(body["state"], 0) <= STATE_ORDER.get(entry.state, 0):
        return None
    if entry is not None and body["state"] == "removed":
        if body.get("removal_reason") in REMOVAL_RULES:
            return remove_entry(
                session,
                ctx,
                actor=actor,
                number=entry.number,
                reason=body["removal_reason"],
                note=body.get("removal_note") or "",
            )
        entry.state, entry.removed_on = "removed", _date(body.get("removed_on"))
        entry.removal_reason = body.get("removal_reason")
        entry.removal_note = body.get("removal_note")
        entry.removal_citation = body.get("removal_citation")
    elif entry is not None:  # notice delivered: the listing took effect there
        entry.state = body["state"]
        entry.valid_from = _date(body.get("valid_from"))
        entry.notice_delivered_on = _date(body.get("notice_delivered_on"))
    else:
        entry = ListEntry(
            **{f: body.get(f) for f in SNAPSHOT_FIELDS},
            **{f: _date(body.get(f)) for f in DATE_FIELDS},
            created_at=ctx.clock.now(),
        )
        record = store.current(session, *body["record"]) if body.get("record") else None
        if (
            record is not None
            and session.scalar(select(ListEntry.id).where(ListEntry.source_record_id == record.id))
            is None
        ):
            entry.source_record_id = record.id
        if body.get("parent"):
            parent = session.scalar(select(ListEntry).where(ListEntry.number == body["parent"]))
            entry.parent_id = parent.id if parent else None
        session.add(entry)
        session.flush()
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.LISTS_ENTRY_RECEIVE,
        object_type="list_entry",
        object_id=entry.number,
        subject_key=entry.subject_key,
        detail={"state": entry.state},
    )
    _report(session, ctx, [entry])
    return entry


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _number(list_kind: str, on: dt.date) -> str:
    prefix = "HX" if list_kind == "red" else "YZ"
    return f"{prefix}{on:%Y%m%d}{secrets.token_hex(4).upper()}"


def prior_notice(ctx: Context, on: dt.date) -> RuleAnswer | None:
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
        raise refuse(
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
        raise refuse(
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
                raise refuse(
                    "lists.reasons_required", "免于惩戒的提醒也须写明事实和理由", exemption
                )
            return store_entry(
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
            raise refuse(
                "lists.conduct_category",
                "严重失信主体名单只能依据法定的严重失信行为类别认定",
                categories,
                allowed=ctx.rules.codes("serious_dishonesty.conduct_categories", on),
            )
        bases = ctx.rules.get("serious_dishonesty.recognition_bases", on)
        if body.basis_type not in ctx.rules.codes("serious_dishonesty.recognition_bases", on):
            raise refuse(
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
            raise refuse(
                "lists.criteria_unpublished", "守信激励名单只能按照已公布的认定标准认定", rule
            )
        if not body.reasons or body.valid_until is None:
            raise refuse("lists.red_incomplete", "守信激励名单须写明认定理由和有效期", rule)
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
    check_measures(session, ctx, list_kind, body, on)
    emergency = _prudent(session, ctx, actor, body, region_of(check), on)
    notice = prior_notice(ctx, on) if natural and list_kind == "serious" else None
    if notice is not None:
        cites += notice.citations
    entry = store_entry(
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
        notify_state_units(session, ctx, entry, body, on)
        if not natural and body.entity_type == "market":
            related_persons(session, ctx, actor, entry, body, on)
    return entry


def _resting_on(session: Session, record_id: int | None, subject_key: str) -> int | None:
    """The record a listing rests on must be the same subject's; its repair, upheld objection
    or revoked basis then ends the listing too."""
    if record_id is None:
        return None
    record = store.get(session, record_id)
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


def store_entry(
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
        citations=as_json([c.as_dict() for c in cites]),
        measure_codes=as_json(sorted(set(body.measures))),
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
    _report(session, ctx, [entry])
    return entry


def related_persons(
    session: Session,
    ctx: Context,
    actor: Actor,
    entry: ListEntry,
    body: RecognitionIn,
    on: dt.date,
    *,
    law_on: dt.date | None = None,
) -> list[ListEntry]:
    """HLJ 33: the listed market entity's legal representative, principal, actual controller and
    directly responsible persons receive the corresponding measures, in their own records: the
    links registered by the day of the decision, and the persons the decision names. A link
    registered later reaches its person through `extend_to_link`. `law_on` is the day whose law
    lists them (the decision's day, or the day the platform lists a court's earlier decision)."""
    law_on = law_on or on
    rule = ctx.rules.get(RELATED_RULE, law_on)
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
            raise refuse(
                "lists.relation",
                "关联人员只能是" + "、".join(relations.values()),
                rule,
            )
        people[(person.person_key.strip().upper(), person.relation)] = person.person_name
    return [
        _derive(session, ctx, actor, entry, person_key, person_name, relation, on, law_on=law_on)
        for (person_key, relation), person_name in sorted(people.items())
    ]


def extend_to_link(session: Session, ctx: Context, *, actor: Actor, link: SubjectLink) -> list[str]:
    """HLJ 33 for a link registered after the listing: the person reaches the listing at once.

    The article says that when a market entity is listed, measures are taken against its legal
    representative (or principal), actual controller and directly responsible persons *and the
    corresponding dishonest conduct is recorded in the natural person's public credit
    information*. A record is a fact kept in the person's own file, not something a joint check
    could work out on the fly: so the link extends the listing here, as a derived entry under the
    organisation's (the same entry `related_persons` makes at recognition). It then shows on the
    person's profile and the lists, is checked like every entry (lists/check.py reads derived
    entries as `related_person` targets), and ends with its parent (removal, objection, repair).

    Reached: every serious-list entry of the organisation as a market entity, active or awaiting
    its prior notice and within its term today, when the link is in force today and its relation
    is one HLJ 33 names. An entry the person already has under that parent and relation is not
    made twice. Returns the numbers of the entries made."""
    today = ctx.today()
    relations = ctx.rules.codes(RELATED_RULE, today)
    if link.relation not in relations:
        return []
    if link.valid_from > today or (link.valid_to is not None and link.valid_to < today):
        return []
    parents = session.scalars(
        select(ListEntry)
        .where(
            ListEntry.subject_key == link.organisation_key,
            ListEntry.list_kind == "serious",
            ListEntry.parent_id.is_(None),
            ListEntry.entity_type == "market",
            ListEntry.state.in_(("active", "notice_pending")),
            ListEntry.valid_until >= today,
        )
        .order_by(ListEntry.id)
    ).all()
    made = []
    for parent in parents:
        already = select(ListEntry.id).where(
            ListEntry.parent_id == parent.id,
            ListEntry.subject_key == link.person_key,
            ListEntry.relation == link.relation,
        )
        if session.scalar(already) is None:
            derived = _derive(
                session, ctx, actor, parent, link.person_key, link.person_name, link.relation, today
            )
            made.append(derived.number)
    return made


def _derive(
    session: Session,
    ctx: Context,
    actor: Actor,
    parent: ListEntry,
    person_key: str,
    person_name: str,
    relation: str,
    on: dt.date,
    *,
    law_on: dt.date | None = None,
) -> ListEntry:
    """The entry HLJ 33 makes in a related person's record: the parent's decision, its term and
    measures for related persons, effective from `on` at the earliest (after the prior notice
    where HRB 31 ¶2 binds the platform); under the law in force on `law_on` (default `on`)."""
    rule = ctx.rules.get(RELATED_RULE, law_on or on)
    relations = {str(e["code"]): str(e["name"]) for e in rule.value}
    check = check_identifier(person_key, ctx.today())
    check.raise_if_invalid()
    notice = prior_notice(ctx, law_on or on)
    derived = RecognitionIn(
        subject_key=check.value,
        entity_type="person",
        authority=parent.authority,
        conduct_category=parent.conduct_category,
        criteria_code=parent.criteria_code,
        basis_type=parent.basis_type,
        basis_document=f"{parent.basis_document}；认定决定{parent.number}"[:300],
        reasons=f"{parent.subject_name}被列入严重失信主体名单（{parent.number}），"
        f"本人系其{relations[relation]}。原认定理由：{parent.reasons}",
        valid_until=parent.valid_until,
        removal_conditions=parent.removal_conditions,
        remedies=parent.remedies,
        reviewed_by=parent.reviewed_by,
        measures=[],  # the measures linked to related persons apply
    )
    pending = notice is not None or parent.state == "notice_pending"
    return store_entry(
        session,
        ctx,
        actor,
        derived,
        "serious",
        check,
        person_name,
        on,
        state="notice_pending" if pending else parent.state,
        cites=[*rule.citations, *(notice.citations if notice else ())],
        valid_from=None if pending or parent.valid_from is None else max(parent.valid_from, on),
        parent=parent,
        relation=relation,
    )


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
    _report(session, ctx, [entry])
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
    removed = []
    for target in (entry, *children):
        if target.state in ("removed", "exempted"):
            continue
        removed.append(target)
        target.state = "removed"
        target.removed_on = today
        target.removal_reason = reason
        target.removal_note = note
        target.removal_citation = labels(rule)
        ctx.log(
            session,
            actor=actor,
            action=AuditTag.LISTS_ENTRY_REMOVE,
            object_type="list_entry",
            object_id=target.number,
            subject_key=target.subject_key,
            legal_basis=labels(rule),
            detail={"reason": reason, "note": note},
        )
    _report(session, ctx, removed)
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
        raise NotFound("lists.unknown_list", "名单只能是" + "或".join(LIST_LABELS.values()))


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


PAGE_SIZE = 20


def _escape_like(q: str) -> str:
    return q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_page(
    session: Session,
    list_kind: str,
    on: dt.date,
    *,
    q: str | None = None,
    authority: str | None = None,
    category: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    page: int = 1,
    size: int = PAGE_SIZE,
) -> tuple[list[ListEntry], int]:
    """A page of a public list and how many entries match. `q` finds organisations by name
    (a part of it) or by their code; natural persons are never found by name or ID number."""
    _known_list(list_kind)
    where: list[Any] = [
        ListEntry.list_kind == list_kind,
        ListEntry.state == "active",
        ListEntry.valid_from <= on,
        ListEntry.valid_until >= on,
    ]
    if q and q.strip():
        text = q.strip()
        where.append(ListEntry.subject_kind != "natural_person")
        pattern = f"%{_escape_like(text)}%"
        named = select(Subject.subject_key).where(  # entries stored under the code as name
            Subject.subject_key == ListEntry.subject_key, Subject.name.like(pattern, escape="\\")
        )
        where.append(
            or_(
                ListEntry.subject_name.like(pattern, escape="\\"),
                ListEntry.subject_key == text.upper(),
                named.exists(),
            )
        )
    if authority and authority.strip():
        where.append(ListEntry.authority.like(f"%{_escape_like(authority.strip())}%", escape="\\"))
    if category:
        where.append(ListEntry.conduct_category == category)
    if since:
        where.append(ListEntry.decided_on >= since)
    if until:
        where.append(ListEntry.decided_on <= until)
    total = session.scalar(select(func.count()).select_from(ListEntry).where(*where)) or 0
    rows = list(
        session.scalars(
            select(ListEntry)
            .where(*where)
            .order_by(ListEntry.decided_on.desc(), ListEntry.id.desc())
            .offset((page - 1) * size)
            .limit(size)
        )
    )
    return rows, total


def public_rows(session: Session, entries: list[ListEntry], on: dt.date) -> list[dict[str, Any]]:
    """A list page's rows for the public: names, not codes (an entry stored with its code as
    its name is named from the subject register), natural persons by masked name only, the
    deciding unit by its name; `subject_page` only for organisations (a person's page address
    would carry the ID number)."""
    keys = {e.subject_key for e in entries}
    names = (
        dict(
            session.execute(
                select(Subject.subject_key, Subject.name).where(Subject.subject_key.in_(keys))
            ).all()
        )
        if keys
        else {}
    )
    units = unit_names(session, {e.authority for e in entries})
    out = []
    for e in entries:
        row = describe_entry(e, on, full=False)
        natural = e.subject_kind == "natural_person"
        name = e.subject_name
        if not name or name == e.subject_key:
            name = str(names.get(e.subject_key) or "")
        if natural:
            row["subject_name"] = mask_name(name) if name and name != e.subject_key else "自然人"
            row["subject_page"] = None
        else:
            row["subject_name"] = name or e.subject_key
            row["subject_page"] = f"/subjects/{e.subject_key}"
        row["authority"] = str(units.get(e.authority) or e.authority)
        out.append(row)
    return out


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
        "relation_label": relation_labels().get(entry.relation or "", entry.relation),
        "parent_id": entry.parent_id,
        "removed_on": entry.removed_on.isoformat() if entry.removed_on else None,
        "removal_reason": entry.removal_reason,
        "removal_citation": entry.removal_citation,
        "citations": json.loads(entry.citations),
    }

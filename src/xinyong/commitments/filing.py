"""Filing a commitment and publishing it.

Agencies file the commitments made before them (their service systems through the API, or a
page; staff may file for them); subjects file voluntary ones from their own pages (主动型, HRB 15
¶2); credit service agencies' commitments (HLJ 43 ¶2) are a type of their own, filed and shown the
same way. A subject that may not promise (HLJ 45 ¶1) is refused with the article and the ground,
except for a 信用修复型 commitment: that one is part of the repair itself. Commitments whose
publicity is `public` are published (HLJ 50): a list with search and paging, the subject's page,
its credit report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session

from xinyong.audit.tags import AuditTag
from xinyong.commitments.eligibility import eligibility
from xinyong.commitments.matters import current as current_matter
from xinyong.commitments.models import Commitment, CommitmentEvent, CommitmentMatter
from xinyong.commitments.schemas import (
    FULFILMENT,
    MATTER_TYPES,
    PUBLICITY,
    SUBJECT_KIND_LABELS,
    SUBJECT_TYPES,
    TYPE_SOURCES,
    TYPES,
    CommitmentIn,
    VoluntaryIn,
)
from xinyong.common.choices import label_of
from xinyong.common.errors import Citation, DomainError, Forbidden, NotFound
from xinyong.common.identifiers import check_identifier, explain
from xinyong.common.roles import Actor, Role
from xinyong.context import Context
from xinyong.subjects.models import Subject
from xinyong.visibility.engine import shown_identity

HLJ50 = Citation("黑龙江省社会信用条例", 50)
HRB15 = Citation("哈尔滨市社会信用体系建设促进条例", 15, 2)
FILERS = (Role.AGENCY, Role.STAFF, Role.ADMIN)
DEFAULT_REGION = "230000"


def _checked_subject(key: str, on: dt.date) -> tuple[str, str]:
    """The subject's key, normalised and checked as everywhere (GB 32100 / GB 11643), and its
    identifier kind; a wrong check character is named."""
    checked = check_identifier(key, on)
    if not checked.valid:
        first = checked.failures[0]
        raise DomainError(
            code=f"identifier.{checked.kind}.{first.rule}",
            message=f"承诺人代码有误：{explain(checked)}",
            details=checked.as_dict(),
        )
    return checked.value, checked.kind


def subject_kind_of(session: Session, key: str, identifier_kind: str) -> str:
    """The subject's kind as the register knows it, else as its identifier says (a citizen ID
    number: a natural person, whose name is masked and who cannot be searched for)."""
    kind = session.scalar(select(Subject.kind).where(Subject.subject_key == key))
    if kind:
        return str(kind)
    return "natural_person" if identifier_kind == "citizen_id" else "legal_person"


def _refuse_if_ineligible(
    session: Session, ctx: Context, key: str, commitment_type: str, on: dt.date
) -> None:
    if commitment_type == "repair":
        return  # the repair's own commitment (it is how the ground ends)
    found = eligibility(session, ctx.rules, key, on)
    if not found.eligible:
        raise DomainError(
            code="commitments.ineligible",
            message=found.message(),
            citations=list(found.citations),
            details={"grounds": [{"code": c, "name": n, "ground": g} for c, n, g in found.reasons]},
        )


def _matter(session: Session, commitment_type: str, code: str | None) -> CommitmentMatter | None:
    if commitment_type in MATTER_TYPES and not code:
        raise DomainError(
            code="commitments.matter_required",
            message=f"{TYPES[commitment_type]}承诺须写明适用信用承诺制的事项（{TYPE_SOURCES[commitment_type]}）",
        )
    if not code:
        return None
    matter = current_matter(session, code)
    if matter is None:
        raise NotFound("commitments.matters.unknown", f"事项{code}不存在", matter=code)
    if not matter.in_force:
        raise DomainError(
            code="commitments.matters.not_in_force",
            message=f"事项“{matter.name}”已停止适用信用承诺制（{matter.change_reason or ''}）",
            citations=[Citation("哈尔滨市社会信用体系建设促进条例", 17)],
        )
    if commitment_type == "cure" and matter.cure_days is None:
        raise DomainError(
            code="commitments.matters.no_cure",
            message=f"事项“{matter.name}”不适用容缺受理",
            citations=[Citation("黑龙江省社会信用条例", 45, 2)],
        )
    return matter


def number_for(session: Session, ctx: Context, made_on: dt.date) -> str:
    """承诺编码 (unverified: the national data set's form as secondary sources give it): the
    platform's region code, the date, a six-digit serial of that day. Numbering is one at a time
    per day (SQLite: the write gate; PostgreSQL: a transaction lock on the day's prefix), so two
    commitments filed at once never get the same number."""
    region = ctx.settings.platform if str(ctx.settings.platform).isdigit() else DEFAULT_REGION
    prefix = f"{str(region)[:6]:0<6}{made_on:%Y%m%d}"
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:p))"), {"p": prefix})
    count = session.scalar(
        select(func.count()).select_from(Commitment).where(Commitment.number.like(f"{prefix}%"))
    )
    return f"{prefix}{int(count or 0) + 1:06d}"


def file(
    session: Session, ctx: Context, *, actor: Actor, body: CommitmentIn, via: str = "api"
) -> Commitment:
    """An agency (or staff for it) files a commitment made before it."""
    if actor.role not in FILERS:
        raise Forbidden(
            "commitments.role", "信用承诺由受理的国家机关登记；信用主体可登记主动型承诺"
        )
    today = ctx.today()
    key, identifier_kind = _checked_subject(body.subject_key, today)
    made_on = body.made_on or today
    if made_on > today:
        raise DomainError(code="commitments.made_on", message="承诺作出日期不能晚于今天")
    if body.valid_until and body.valid_until < made_on:
        raise DomainError(code="commitments.valid_until", message="承诺有效期不能早于作出日期")
    matter = _matter(session, body.commitment_type, body.matter_code)
    _refuse_if_ineligible(session, ctx, key, body.commitment_type, today)
    agency = actor.organisation or actor.display_name or actor.username
    agency_uscc = actor.agency_code
    if actor.role is not Role.AGENCY and matter is not None:
        agency, agency_uscc = matter.agency, matter.agency_uscc
    return _store(
        session,
        ctx,
        actor=actor,
        key=key,
        name=body.subject_name,
        kind=subject_kind_of(session, key, identifier_kind),
        commitment_type=body.commitment_type,
        matter=matter,
        reason=body.reason,
        content=body.content,
        liability=body.liability,
        made_on=made_on,
        valid_until=body.valid_until,
        agency=agency,
        agency_uscc=agency_uscc,
        publicity=body.publicity,
        via=via,
    )


def file_own(session: Session, ctx: Context, *, actor: Actor, body: VoluntaryIn) -> Commitment:
    """A subject publishes a commitment of its own accord (HRB 15 ¶2)."""
    if actor.role is not Role.SUBJECT or not actor.subject_key:
        raise Forbidden("commitments.own", "只有信用主体本人可以作出主动承诺", [HRB15])
    if body.commitment_type not in SUBJECT_TYPES:
        raise DomainError(
            code="commitments.own_type",
            message="信用主体本人可登记的承诺类型："
            + "、".join(TYPES[t] for t in sorted(SUBJECT_TYPES)),
            citations=[HRB15],
        )
    today = ctx.today()
    key, identifier_kind = _checked_subject(actor.subject_key, today)
    if body.valid_until and body.valid_until < today:
        raise DomainError(code="commitments.valid_until", message="承诺有效期不能早于今天")
    _refuse_if_ineligible(session, ctx, key, body.commitment_type, today)
    name = session.scalar(select(Subject.name).where(Subject.subject_key == key))
    return _store(
        session,
        ctx,
        actor=actor,
        key=key,
        name=str(name or actor.display_name or key),
        kind=subject_kind_of(session, key, identifier_kind),
        commitment_type=body.commitment_type,
        matter=None,
        reason=body.reason,
        content=body.content,
        liability=body.liability,
        made_on=today,
        valid_until=body.valid_until,
        agency=None,
        agency_uscc=None,
        publicity=body.publicity,
        via="subject",
    )


def _store(
    session: Session,
    ctx: Context,
    *,
    actor: Actor,
    key: str,
    name: str,
    kind: str,
    commitment_type: str,
    matter: CommitmentMatter | None,
    reason: str,
    content: str,
    liability: str,
    made_on: dt.date,
    valid_until: dt.date | None,
    agency: str | None,
    agency_uscc: str | None,
    publicity: str,
    via: str,
) -> Commitment:
    row = Commitment(
        number=number_for(session, ctx, made_on),
        subject_key=key,
        subject_name=name,
        subject_kind=kind,
        commitment_type=commitment_type,
        matter_code=matter.code if matter else None,
        matter_version=matter.version if matter else None,
        reason=reason,
        content=content,
        liability=liability,
        made_on=made_on,
        valid_until=valid_until,
        accepting_agency=agency,
        accepting_agency_uscc=agency_uscc,
        publicity=publicity,
        fulfilment="pending",
        state="active",
        filed_via=via,
        filed_by=actor.username or actor.role.value,
        created_at=ctx.clock.now(),
    )
    session.add(row)
    session.flush()
    session.add(
        CommitmentEvent(
            commitment_id=row.id,
            kind="filed",
            happened_on=made_on,
            actor=row.filed_by,
            at=row.created_at,
        )
    )
    source = TYPE_SOURCES.get(commitment_type)
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.COMMITMENTS_COMMITMENT_FILE,
        object_type="commitment",
        object_id=row.number,
        subject_key=key,
        legal_basis=source or "未核实",
        detail={"type": commitment_type, "matter": row.matter_code, "via": via},
    )
    return row


# --- publicity (HLJ 50) ----------------------------------------------------------------------


def describe(
    row: Commitment, actor: Actor, matter_names: dict[str, str] | None = None
) -> dict[str, Any]:
    """A commitment as `actor` may see it: a natural person's name and number masked for anyone
    but the person, agencies and staff (visibility/)."""
    who = {"subject_key": row.subject_key, "name": row.subject_name}
    if row.subject_kind == "natural_person":
        who = shown_identity(actor, row.subject_key, row.subject_name)
    return {
        "number": row.number,
        "subject_key": who["subject_key"],
        "subject_name": who["name"],
        "subject_kind": SUBJECT_KIND_LABELS.get(row.subject_kind, "法人及非法人组织"),
        "commitment_type": row.commitment_type,
        "type_label": label_of(TYPES, row.commitment_type),
        "type_source": TYPE_SOURCES.get(row.commitment_type),
        "matter_code": row.matter_code,
        "matter_version": row.matter_version,
        "matter_name": (matter_names or {}).get(row.matter_code or ""),
        "reason": row.reason,
        "content": row.content,
        "liability": row.liability,
        "made_on": row.made_on.isoformat(),
        "valid_until": row.valid_until.isoformat() if row.valid_until else None,
        "accepting_agency": row.accepting_agency,
        "accepting_agency_uscc": row.accepting_agency_uscc,
        "publicity": row.publicity,
        "publicity_label": label_of(PUBLICITY, row.publicity),
        "fulfilment": row.fulfilment,
        "fulfilment_label": label_of(FULFILMENT, row.fulfilment),
        "filed_via": row.filed_via,
    }


def matter_names(session: Session, rows: list[Commitment]) -> dict[str, str]:
    codes = {r.matter_code for r in rows if r.matter_code}
    if not codes:
        return {}
    return {
        code: name
        for code, name in session.execute(
            select(CommitmentMatter.code, CommitmentMatter.name).where(
                CommitmentMatter.code.in_(codes), CommitmentMatter.is_current.is_(True)
            )
        )
    }


def audit_persons(ctx: Context, actor: Actor, rows: list[Commitment]) -> None:
    """Showing a natural person's commitment is a read of personal information: audited under
    the person's key (their access log, HLJ 35), committed before the answer leaves."""
    values = [
        ctx.read_entry(
            actor=actor,
            action=AuditTag.COMMITMENTS_COMMITMENT_READ,
            object_type="commitment",
            object_id=r.number,
            subject_key=r.subject_key,
            personal_read=True,
            detail={
                "identity": "full"
                if shown_identity(actor, r.subject_key, r.subject_name)["name"] == r.subject_name
                else "masked"
            },
        )
        for r in rows
        if r.subject_kind == "natural_person"
    ]
    if values:
        ctx.reads.write_all(values)


@dataclass
class Found:
    total: int
    rows: list[Commitment]


def published(
    session: Session, *, q: str | None = None, page: int = 1, per_page: int = 20
) -> Found:
    """The commitments published for the public (HLJ 50), newest first; `q` matches the number,
    an organisation's code or name (a natural person's never), the type's label or the
    accepting agency."""
    query = select(Commitment).where(Commitment.publicity == "public", Commitment.state == "active")
    text = (q or "").strip()
    if text:
        types = [code for code, label in TYPES.items() if text in label]
        like = f"%{text}%"
        organisation = Commitment.subject_kind != "natural_person"  # a person is not searchable
        query = query.where(
            or_(
                Commitment.number == text,
                organisation & (Commitment.subject_key == text.upper()),
                organisation & Commitment.subject_name.like(like),
                Commitment.accepting_agency.like(like),
                Commitment.commitment_type.in_(types),
            )
        )
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = list(
        session.scalars(
            query.order_by(Commitment.made_on.desc(), Commitment.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    return Found(total, rows)


def of_subject(session: Session, subject_key: str, actor: Actor) -> list[Commitment]:
    """A subject's commitments as `actor` may see them: the public ones for everyone; all of them
    for the subject itself, agencies and staff."""
    query = select(Commitment).where(
        Commitment.subject_key == subject_key, Commitment.state == "active"
    )
    own = actor.role is Role.SUBJECT and actor.subject_key == subject_key
    if not own and actor.role not in (Role.AGENCY, Role.STAFF, Role.ADMIN):
        query = query.where(Commitment.publicity == "public")
    return list(session.scalars(query.order_by(Commitment.made_on.desc(), Commitment.id.desc())))


def by_number(session: Session, number: str, actor: Actor) -> Commitment:
    row = session.scalar(select(Commitment).where(Commitment.number == number))
    visible = row is not None and (
        row.publicity == "public"
        or actor.role in (Role.AGENCY, Role.STAFF, Role.ADMIN)
        or (actor.role is Role.SUBJECT and actor.subject_key == row.subject_key)
    )
    if row is None or not visible:
        raise NotFound("commitments.unknown", f"承诺{number}不存在或未公开", number=number)
    return row


REPORT_FIELDS = (
    ("承诺编码", "number"),
    ("承诺类型", "type_label"),
    ("承诺事由", "reason"),
    ("承诺内容", "content"),
    ("违诺责任", "liability"),
    ("承诺作出日期", "made_on"),
    ("承诺有效期", "valid_until"),
    ("受理单位", "accepting_agency"),
    ("履行状态", "fulfilment_label"),
)


def as_record(shown: dict[str, Any]) -> dict[str, Any]:
    """A commitment in the shape of a report's or a subject page's record: its fields in the
    national data set's order (names unverified), its article, its fulfilment in Chinese."""
    fields = {name: shown[key] or "—" for name, key in REPORT_FIELDS}
    if shown["matter_name"]:
        fields["承诺事由"] = f"{shown['reason']}（事项：{shown['matter_name']}）"
    source = shown["type_source"]
    return {
        "item_name": "信用承诺",
        "record_key": shown["number"],
        "fields": fields,
        "field_order": [name for name, _ in REPORT_FIELDS],
        "citations": [source or "承诺类型名称未核实", "黑龙江省社会信用条例第五十条"],
        "basis": "黑龙江省社会信用条例第五十条",
        "unverified": source is None,
        "fulfilment_label": shown["fulfilment_label"],
        "type_label": shown["type_label"],
        "marks": [],
        "publicity_ends_on": None,
        "repair_from": None,
    }


def records_of_subject(
    ctx: Context, session: Session, subject_key: str, actor: Actor
) -> list[dict[str, Any]]:
    """The subject's commitments `actor` may see, as records (the 信用承诺 section), audited
    when they are a natural person's."""
    rows = of_subject(session, subject_key, actor)
    audit_persons(ctx, actor, rows)
    names = matter_names(session, rows)
    return [as_record(describe(r, actor, names)) for r in rows]

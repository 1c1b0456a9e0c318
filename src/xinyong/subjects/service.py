"""Links between an organisation and the natural persons who answer for it (HLJ 33)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from xinyong.audit.tags import AuditTag
from xinyong.common.choices import label_of
from xinyong.common.errors import DomainError, Forbidden
from xinyong.common.identifiers import check_citizen_id, check_uscc
from xinyong.common.roles import Actor, Role
from xinyong.context import Context
from xinyong.db import table_of
from xinyong.subjects.models import Subject, SubjectLink
from xinyong.subjects.relations import relation_labels
from xinyong.subjects.schemas import LinkIn
from xinyong.visibility.engine import sees_identity
from xinyong.visibility.masking import mask_name


def add_link(
    session: Session, ctx: Context, *, actor: Actor, organisation_key: str, body: LinkIn
) -> SubjectLink:
    if actor.role not in (Role.PROVIDER, Role.STAFF, Role.ADMIN):
        raise Forbidden("subjects.role", "无权登记主体关联关系")
    relations = relation_labels()
    if body.relation not in relations:  # the schema maps names and aliases to these codes
        raise DomainError(
            code="subjects.relation", message=f"关系应为：{'、'.join(relations.values())}"
        )
    check_uscc(organisation_key).raise_if_invalid()
    person = check_citizen_id(body.person_key, ctx.today())
    person.raise_if_invalid()
    organisation = organisation_key.strip().upper()
    _refuse_duplicate(session, organisation, person.value, body.relation, body.valid_from)
    link = SubjectLink(
        organisation_key=organisation,
        person_key=person.value,
        person_name=body.person_name,
        relation=body.relation,
        valid_from=body.valid_from,
        source=body.source,
        recorded_at=ctx.clock.now(),
    )
    session.add(link)
    session.flush()
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.SUBJECTS_LINK_ADD,
        object_type="subject_link",
        object_id=link.id,
        subject_key=link.organisation_key,
        detail={"relation": body.relation, "valid_from": body.valid_from.isoformat()},
    )
    return link


def _refuse_duplicate(
    session: Session, organisation: str, person_key: str, relation: str, valid_from: dt.date
) -> None:
    """The same person in the same relation to the same organisation, still in force on the
    new link's first day (or starting later), is already registered: 409."""
    same = session.scalars(
        select(SubjectLink).where(
            SubjectLink.organisation_key == organisation,
            SubjectLink.person_key == person_key,
            SubjectLink.relation == relation,
        )
    )
    if any(r.valid_to is None or r.valid_to >= valid_from for r in same):
        raise DomainError(
            code="subjects.link_exists",
            message=f"该人员作为{relation_labels()[relation]}的关联关系已登记且仍然有效，不能重复登记",
            status=409,
        )


def links_of(session: Session, organisation_key: str, on: dt.date) -> list[dict[str, Any]]:
    """The organisation's links in force on `on`, names in full: for the platform's own use
    (an answer to anyone goes through `shown_links`)."""
    return [_describe(r) for r in _links(session, organisation_key, on)]


def shown_links(ctx: Context, *, actor: Actor, organisation_key: str) -> list[dict[str, Any]]:
    """The natural persons who answer for an organisation (HLJ 33) as `actor` may see them:
    the name in full to the person, the organisation itself, staff and agencies, desensitised
    to everyone else (HLJ 23 ¶4); ID numbers to no one. Each person shown is a read of their
    personal information, audited under their key (committed before this returns) so it
    appears in their access log (HLJ 35)."""
    key = organisation_key.strip().upper()
    with ctx.sessions() as session:
        rows = _links(session, key, ctx.today())
    shown, entries = [], []
    for row in rows:
        full = actor.role is Role.SUBJECT and actor.subject_key == key
        full = full or sees_identity(actor, row.person_key)
        link = _describe(row)
        if not full:
            link["person_name"] = mask_name(row.person_name)
        shown.append(link)
        entries.append(
            ctx.read_entry(
                actor=actor,
                action=AuditTag.SUBJECTS_LINKS_READ,
                object_type="subject_link",
                object_id=row.id,
                subject_key=row.person_key,
                personal_read=True,
                detail={
                    "organisation": key,
                    "relation": row.relation,
                    "name_shown": "full" if full else "masked",
                },
            )
        )
    ctx.reads.write_all(entries)
    return shown


def registered_links(
    ctx: Context, *, actor: Actor, organisation_key: str, limit: int, offset: int
) -> tuple[int, list[dict[str, Any]]]:
    """Every link registered for an organisation (in force, ended or starting later), newest
    first, one page of them and their total: for those who register links (a provider, staff,
    an administrator). Each name as `sees_identity` decides for the reader (in full to staff,
    desensitised to a provider unit); ID numbers to no one; each person shown is an audited read
    of their personal information, as in `shown_links`."""
    if actor.role not in (Role.PROVIDER, Role.STAFF, Role.ADMIN):
        raise Forbidden("subjects.role", "无权查看主体关联关系登记")
    key = organisation_key.strip().upper()
    where = SubjectLink.organisation_key == key
    with ctx.sessions() as session:
        total = session.scalar(select(func.count()).select_from(SubjectLink).where(where)) or 0
        rows = list(
            session.scalars(
                select(SubjectLink)
                .where(where)
                .order_by(SubjectLink.recorded_at.desc(), SubjectLink.id.desc())
                .limit(limit)
                .offset(offset)
            )
        )
    shown, entries = [], []
    for row in rows:
        full = sees_identity(actor, row.person_key)
        link = _describe(row)
        link["person_name"] = row.person_name if full else mask_name(row.person_name)
        link["recorded_at"] = row.recorded_at
        shown.append(link)
        entries.append(
            ctx.read_entry(
                actor=actor,
                action=AuditTag.SUBJECTS_LINKS_READ,
                object_type="subject_link",
                object_id=row.id,
                subject_key=row.person_key,
                personal_read=True,
                detail={
                    "organisation": key,
                    "relation": row.relation,
                    "name_shown": "full" if full else "masked",
                },
            )
        )
    ctx.reads.write_all(entries)
    return total, shown


def _links(session: Session, organisation_key: str, on: dt.date) -> list[SubjectLink]:
    rows = session.scalars(
        select(SubjectLink)
        .where(
            SubjectLink.organisation_key == organisation_key.strip().upper(),
            SubjectLink.valid_from <= on,
        )
        .order_by(SubjectLink.id)
    )
    return [r for r in rows if r.valid_to is None or r.valid_to >= on]


def _describe(r: SubjectLink) -> dict[str, Any]:
    return {
        "id": r.id,
        "relation": r.relation,
        "relation_label": label_of(relation_labels(), r.relation),
        "person_name": r.person_name,
        "valid_from": r.valid_from.isoformat(),
        "valid_to": r.valid_to.isoformat() if r.valid_to else None,
        "source": r.source,
    }


def ensure_subjects(session: Session, rows: list[dict[str, Any]]) -> None:
    """Register the subjects `rows` name (dicts of every column but the id); those already
    known are left as they are. For records made by the platform itself or received from a
    peer (ingestion writes its own in bulk, COPY on PostgreSQL)."""
    if not rows:
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.connection().execute(
        dialect.insert(table_of(Subject)).on_conflict_do_nothing(index_elements=["subject_key"]),
        rows,
    )

"""Links between an organisation and the natural persons who answer for it (HLJ 33)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.common.errors import DomainError, Forbidden
from xinyong.common.identifiers import check_citizen_id, check_uscc
from xinyong.common.inputs import CalendarDate, Key, Line
from xinyong.common.roles import Actor, Role
from xinyong.context import Context
from xinyong.subjects.models import SubjectLink

RELATIONS = {
    "legal_representative": "法定代表人",
    "principal": "主要负责人",
    "actual_controller": "实际控制人",
    "directly_responsible": "直接责任人",
}


class LinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_key: Key
    person_name: Line = Field(min_length=1, max_length=100)
    relation: Key
    valid_from: CalendarDate
    source: Line = Field(min_length=2, max_length=200)


def add_link(
    session: Session, ctx: Context, *, actor: Actor, organisation_key: str, body: LinkIn
) -> SubjectLink:
    if actor.role not in (Role.PROVIDER, Role.STAFF, Role.ADMIN):
        raise Forbidden("subjects.role", "无权登记主体关联关系")
    if body.relation not in RELATIONS:
        raise DomainError(
            code="subjects.relation", message=f"关系应为：{'、'.join(RELATIONS.values())}"
        )
    check_uscc(organisation_key).raise_if_invalid()
    person = check_citizen_id(body.person_key, ctx.today())
    person.raise_if_invalid()
    link = SubjectLink(
        organisation_key=organisation_key.strip().upper(),
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
        action="subjects:link:add",
        object_type="subject_link",
        object_id=link.id,
        subject_key=link.organisation_key,
        detail={"relation": body.relation, "valid_from": body.valid_from.isoformat()},
    )
    return link


def links_of(session: Session, organisation_key: str, on: dt.date) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(SubjectLink)
        .where(
            SubjectLink.organisation_key == organisation_key.strip().upper(),
            SubjectLink.valid_from <= on,
        )
        .order_by(SubjectLink.id)
    )
    return [
        {
            "id": r.id,
            "relation": r.relation,
            "relation_label": RELATIONS.get(r.relation, r.relation),
            "person_name": r.person_name,
            "valid_from": r.valid_from.isoformat(),
            "valid_to": r.valid_to.isoformat() if r.valid_to else None,
            "source": r.source,
        }
        for r in rows
        if r.valid_to is None or r.valid_to >= on
    ]

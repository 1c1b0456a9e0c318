"""Red-list criteria (HLJ 25): approved by the government at the same level and published."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.audit.tags import AuditTag
from xinyong.common.errors import DomainError
from xinyong.common.roles import Actor
from xinyong.context import Context
from xinyong.lists.common import labels, refuse
from xinyong.lists.models import RedListCriteria
from xinyong.lists.schemas import CriteriaIn


def define_criteria(
    session: Session, ctx: Context, *, actor: Actor, body: CriteriaIn
) -> RedListCriteria:
    rule = ctx.rules.get("red_list.criteria_published", ctx.today())
    if not body.approval or not body.published_on:
        raise refuse(
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
        legal_basis=labels(rule),
    )
    return criteria

"""State-unit notices (HLJ 32 ¶2): a listed state organ or state-owned unit, or their staff, are
reported to the units named by the rule, and each notice is answered with its handling."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from xinyong.audit.tags import AuditTag
from xinyong.common.errors import Forbidden, NotFound
from xinyong.common.roles import Actor
from xinyong.context import Context
from xinyong.lists.common import refuse
from xinyong.lists.models import ListEntry, StateUnitNotice
from xinyong.lists.schemas import RecognitionIn


def notify_state_units(
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
        raise refuse(
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

"""Declared emergencies (HLJ 30 ¶3): in an area under one, recognition is prudent."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.audit.tags import AuditTag
from xinyong.common.identifiers import IdentifierCheck
from xinyong.common.roles import Actor
from xinyong.context import Context
from xinyong.lists.common import labels, refuse
from xinyong.lists.models import Emergency
from xinyong.lists.schemas import EmergencyIn


def declare_emergency(
    session: Session, ctx: Context, *, actor: Actor, body: EmergencyIn
) -> Emergency:
    rule = ctx.rules.get("emergency.effects", ctx.today())
    if body.ends_on < body.starts_on or not body.region.isdigit():
        raise refuse(
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
        legal_basis=labels(rule),
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

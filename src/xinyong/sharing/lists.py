"""The 双公示 publicity lists (行政许可, 行政处罚): recent records of one item as the public may see
them, filtered by name and date. Each record still goes through the visibility engine."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.catalog.service import get_item, spec_of
from xinyong.common.roles import ANONYMOUS
from xinyong.context import Context
from xinyong.records.models import CreditRecord
from xinyong.sharing.visibility import Viewer, view_record

PUBLICITY_LISTS = {
    "licences": ("HLJ-XK-001", "行政许可公示"),
    "penalties": ("HLJ-CF-001", "行政处罚公示"),
}
PAGE = 20


def publicity_list(
    session: Session,
    ctx: Context,
    item_code: str,
    *,
    name: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    page: int = 1,
) -> list[dict[str, Any]]:
    item = get_item(session, item_code)
    spec = spec_of(item)
    today = ctx.today()
    query = (
        select(CreditRecord)
        .where(
            CreditRecord.item_code == item_code,
            CreditRecord.is_current.is_(True),
            CreditRecord.state == "active",
        )
        .order_by(CreditRecord.decided_on.desc(), CreditRecord.id.desc())
    )
    if since:
        query = query.where(CreditRecord.decided_on >= since)
    if until:
        query = query.where(CreditRecord.decided_on <= until)
    if name:
        query = query.where(
            CreditRecord.title.contains(name) | CreditRecord.payload_json.contains(name)
        )
    viewer = Viewer(actor=ANONYMOUS)
    shown: list[dict[str, Any]] = []
    offset = (max(page, 1) - 1) * PAGE
    for record in session.scalars(query.offset(offset).limit(PAGE * 3)):
        view = view_record(viewer, record, spec, ctx.rules, today)
        if view is not None:
            shown.append(view.as_dict())
        if len(shown) == PAGE:
            break
    return shown

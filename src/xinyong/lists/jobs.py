"""Scheduled work of the lists: record that terms have ended.

An entry past its term is already off the list on every read (`recognition.entry_in_force`);
this marks it removed so that the record says so too. A set-based conditional update, so a
second or concurrent run finds nothing left to do."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from xinyong.audit.tags import AuditTag
from xinyong.common.roles import SYSTEM
from xinyong.context import Context
from xinyong.lists.models import ListEntry


def end_terms(session: Session, ctx: Context, today: dt.date, done: dict[str, Any]) -> int:
    """Mark removed every active entry whose term ended before `today`; returns how many. One
    audit entry covers the run, with `done` (the run's summary so far) as its detail."""
    ended = session.execute(
        update(ListEntry)
        .where(ListEntry.state == "active", ListEntry.valid_until < today)
        .values(
            state="removed",
            removed_on=today,
            removal_reason="term_ended",
            removal_note="认定期限届满，自动移出",
        )
    )
    count = int(getattr(ended, "rowcount", 0) or 0)
    if count:
        ctx.log(
            session,
            actor=SYSTEM,
            action=AuditTag.LISTS_ENTRY_TERM_END,
            detail={**done, "entries_term_ended": count},
        )
    return count

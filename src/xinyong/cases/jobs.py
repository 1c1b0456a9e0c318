"""`xinyong jobs run`: all time-driven work, idempotent and safe to run twice at once.

Each step is a set-based conditional update (or a sync guarded by a unique key), so a second
run — or a concurrent one — finds nothing left to do. Reads never wait for these jobs: expiry
and terms are also computed on every read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from xinyong.audit.tags import AuditTag
from xinyong.common.roles import SYSTEM
from xinyong.context import Context
from xinyong.deadlines.service import mark_overdue
from xinyong.lists.models import ListEntry
from xinyong.lists.service import sync_court_debtors


def run_jobs(ctx: Context) -> dict[str, Any]:
    today = ctx.today()
    done: dict[str, Any] = {"on": today.isoformat()}
    with ctx.sessions() as session, session.begin():
        done["clocks_overdue"] = mark_overdue(session, ctx, actor=SYSTEM)
    with ctx.sessions() as session, session.begin():
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
        done["entries_term_ended"] = int(getattr(ended, "rowcount", 0) or 0)
        if done["entries_term_ended"]:
            ctx.log(session, actor=SYSTEM, action=AuditTag.LISTS_ENTRY_TERM_END, detail=done)
    try:
        with ctx.sessions() as session, session.begin():
            done["court_debtors"] = sync_court_debtors(session, ctx, actor=SYSTEM)
    except IntegrityError:  # a concurrent run listed them first
        done["court_debtors"] = {"added": 0, "removed": 0, "concurrent": True}
    return done

"""The monthly evaluation (market regulation classifies every month; the platform's cycle is a
platform setting, not law): run by `xinyong jobs run` only when no scheduled run exists for
the month. The month's unique key makes a concurrent second run fail instead of doubling."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from xinyong.common.roles import SYSTEM
from xinyong.context import Context
from xinyong.evaluation import service


def monthly_run(ctx: Context) -> dict[str, Any] | None:
    """This month's run, if none exists yet; None when it already ran."""
    month = ctx.today().strftime("%Y-%m")
    with ctx.sessions() as session:
        if service.has_monthly(session, month):
            return None
    try:
        return service.run_all(ctx, actor=SYSTEM, monthly=month)
    except IntegrityError:  # a concurrent run took the month first
        return None

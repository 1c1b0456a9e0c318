"""/api/workdays and /api/calendar: the working-day calendar the statutory clocks count on."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from xinyong.common.inputs import CalendarDate, CalendarYear, Name
from xinyong.deadlines.schemas import CalendarYearOut, WorkdaysOut
from xinyong.deadlines.service import load_calendar
from xinyong.law.workdays import Pause
from xinyong.web.deps import Router, SessionDep

router = Router(tags=["工作日历"])


@router.get("/api/workdays/add", summary="按工作日推算日期", response_model=WorkdaysOut)
def workdays_add(
    session: SessionDep,
    start: CalendarDate,
    days: Annotated[int, Query(ge=0, le=366)],
    pause: Annotated[
        list[Name] | None, Query(description="不计入的期间，格式 YYYY-MM-DD..YYYY-MM-DD")
    ] = None,
) -> dict[str, Any]:
    pauses = [Pause.parse(raw) for raw in pause or []]
    return load_calendar(session).add_working_days(start, days, pauses).as_dict()


@router.get(
    "/api/calendar/{year}",
    summary="查看某年的工作日历",
    response_model=CalendarYearOut,
    response_model_exclude_unset=True,
)
def calendar_year(year: CalendarYear, session: SessionDep) -> dict[str, Any]:
    cal = load_calendar(session)
    y = cal.year(year)
    return {
        "year": year,
        "official": cal.is_official(year),
        "source": y.source,
        "notice": dict(y.notice),
        "holidays": sorted(d.isoformat() for d in y.holidays),
        "workdays": sorted(d.isoformat() for d in y.workdays),
    }

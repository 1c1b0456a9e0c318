"""Response bodies of the working-day calendar routes."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from xinyong.law.schemas import CitationOut


class WorkdaysOut(BaseModel):
    """A date so many working days after a start, on the platform's working-day calendar."""

    start: str = Field(description="起算日（YYYY-MM-DD）")
    days: int = Field(description="工作日数")
    due: str = Field(description="届满日（YYYY-MM-DD）")
    provisional: bool = Field(description="是否用到了尚未公布放假安排的年份（暂按周末推算）")
    provisional_years: list[int] = Field(description="暂按周末推算的年份")
    paused_workdays: int = Field(description="不计入的工作日数")
    citations: list[CitationOut] = Field(description="期间计算的法律依据")


class CalendarNoticeOut(BaseModel):
    """The State Council notice a year's holidays come from (what it names; none for a
    provisional year)."""

    issuer: str | None = Field(default=None, description="发布机关")
    title: str | None = Field(default=None, description="通知标题")
    document: str | None = Field(default=None, description="文号")
    published: dt.date | str | None = Field(default=None, description="发布日期")


class CalendarYearOut(BaseModel):
    year: int
    official: bool = Field(description="是否依据已公布的放假通知")
    source: str = Field(
        description="来源：notice（导入的通知）/file（随平台发布）/chinesecalendar/statutory（仅法定节假日，暂定）"
    )
    notice: CalendarNoticeOut = Field(description="放假通知")
    holidays: list[str] = Field(description="放假日（YYYY-MM-DD）")
    workdays: list[str] = Field(description="调休上班日（YYYY-MM-DD）")

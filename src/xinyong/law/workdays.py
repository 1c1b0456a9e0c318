"""The working-day calendar (工作日历) and legal period arithmetic.

Sources, in order of precedence for a year:
1. notices imported with ``xinyong calendar import`` (stored in the database);
2. ``law/calendar/<year>.yaml`` files shipped with the code, each citing its State Council notice;
3. the ``chinesecalendar`` library, which carries the official 调休 arrangements for 2004-2026.
A year none of them knows is *provisional*: only the statutory holidays (``holidays`` library,
《全国年节及纪念日放假办法》) and weekends are used, and every date computed from it says so.

Counting follows 民法典 art. 201: the day on which a period starts is not counted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import chinese_calendar
import holidays as holidays_lib
from holidays.countries.china import China

from xinyong.common.errors import Citation, DomainError
from xinyong.law.rules import PackError, load_yaml

CALENDAR_DIR = Path(__file__).parent / "calendar"
CIVIL_CODE_201 = Citation(instrument="中华人民共和国民法典", article=201)
CALENDAR_KEYS = frozenset({"year", "notice", "holidays", "workdays"})
NOTICE_KEYS = frozenset({"issuer", "title", "document", "published"})
#: The years the calendar can count: those whose statutory holidays the ``holidays`` library
#: knows (1950-2100). Outside them every weekday would pass for a working day, so dates and
#: years a request gives are refused beyond them (common/inputs.py).
FIRST_YEAR: int = China.start_year
LAST_YEAR: int = China.end_year


@dataclass(frozen=True)
class YearCalendar:
    """The official arrangement of one year: days off on weekdays and weekend days worked."""

    year: int
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]
    source: str  # "notice" | "file" | "chinesecalendar"
    notice: Mapping[str, Any] = field(default_factory=dict)

    def is_workday(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5


def parse_calendar(data: Any, origin: str) -> YearCalendar:
    """Validate a notice file (``law/calendar/<year>.yaml`` or an imported one)."""
    if not isinstance(data, dict):
        raise PackError(origin, None, "a calendar file must be a mapping")
    unknown = set(data) - CALENDAR_KEYS
    if unknown:
        raise PackError(origin, None, f"unknown keys {sorted(unknown)}")
    year = data.get("year")
    if not isinstance(year, int):
        raise PackError(origin, "year", "year must be an integer")
    notice = data.get("notice")
    if not isinstance(notice, dict) or not notice.get("title") or not notice.get("document"):
        raise PackError(origin, "notice", "the State Council notice (title, document) is required")
    if set(notice) - NOTICE_KEYS:
        raise PackError(origin, "notice", f"unknown keys {sorted(set(notice) - NOTICE_KEYS)}")

    def days(name: str) -> frozenset[dt.date]:
        raw = data.get(name) or []
        if not isinstance(raw, list):
            raise PackError(origin, name, "must be a list of dates")
        out: set[dt.date] = set()
        for d in raw:
            if isinstance(d, dt.datetime) or not isinstance(d, dt.date):
                raise PackError(origin, name, f"{d!r} is not a date")
            if d.year != year:
                raise PackError(origin, name, f"{d} is not in {year}")
            if d in out:
                raise PackError(origin, name, f"{d} listed twice")
            out.add(d)
        return frozenset(out)

    hol, work = days("holidays"), days("workdays")
    both = hol & work
    if both:
        raise PackError(origin, None, f"{sorted(both)[0]} is both a holiday and a working day")
    for d in work:
        if d.weekday() < 5:
            raise PackError(
                origin, "workdays", f"{d} is a weekday; list only adjusted weekend days"
            )
    return YearCalendar(
        year=year,
        holidays=hol,
        workdays=work,
        source="file",
        notice={k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in notice.items()},
    )


@lru_cache(maxsize=1)
def shipped_calendars() -> dict[int, YearCalendar]:
    out: dict[int, YearCalendar] = {}
    for path in sorted(CALENDAR_DIR.glob("*.yaml")):
        cal = parse_calendar(load_yaml(path), str(path))
        if path.stem != str(cal.year):
            raise PackError(path, "year", f"file name must be {cal.year}.yaml")
        out[cal.year] = cal
    return out


@lru_cache(maxsize=64)
def _library_year(year: int) -> YearCalendar | None:
    """chinesecalendar's official data for a year, or None where it has none."""
    try:
        chinese_calendar.is_workday(dt.date(year, 1, 1))
    except NotImplementedError:
        return None
    hol: set[dt.date] = set()
    work: set[dt.date] = set()
    day = dt.date(year, 1, 1)
    while day.year == year:
        official = chinese_calendar.is_workday(day)
        if official and day.weekday() >= 5:
            work.add(day)
        elif not official and day.weekday() < 5:
            hol.add(day)
        day += dt.timedelta(days=1)
    return YearCalendar(
        year=year,
        holidays=frozenset(hol),
        workdays=frozenset(work),
        source="chinesecalendar",
        notice={"title": "国务院办公厅关于部分节假日安排的通知（chinesecalendar 收录）"},
    )


@lru_cache(maxsize=64)
def _statutory_year(year: int) -> YearCalendar:
    """Statutory holidays only, no 调休: the provisional guess for a year not yet announced."""
    statutory = holidays_lib.country_holidays("CN", years=year, observed=False)
    return YearCalendar(
        year=year,
        holidays=frozenset(d for d in statutory if d.weekday() < 5),
        workdays=frozenset(),
        source="statutory",
        notice={"title": "《全国年节及纪念日放假办法》法定节假日（未含调休，暂定）"},
    )


@dataclass(frozen=True)
class Pause:
    """An interval the law does not count (e.g. 检验、检测、检疫、鉴定、专家评审, HLJ 39)."""

    start: dt.date
    end: dt.date  # inclusive
    reason: str = ""

    def covers(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    @classmethod
    def parse(cls, text: str, reason: str = "") -> Pause:
        """'2026-11-24..2026-11-25' (both days included)."""
        start, sep, end = text.partition("..")
        try:
            pause = cls(dt.date.fromisoformat(start), dt.date.fromisoformat(end), reason)
        except ValueError:
            pause = None
        if not sep or pause is None or pause.end < pause.start:
            raise DomainError(
                code="workdays.bad_pause", message=f"期间“{text}”格式应为 开始日期..结束日期"
            )
        return pause


@dataclass(frozen=True)
class DueDate:
    start: dt.date
    days: int
    due: dt.date
    provisional: bool
    provisional_years: tuple[int, ...]
    paused_workdays: int
    citations: tuple[Citation, ...] = (CIVIL_CODE_201,)

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "days": self.days,
            "due": self.due.isoformat(),
            "provisional": self.provisional,
            "provisional_years": list(self.provisional_years),
            "paused_workdays": self.paused_workdays,
            "citations": [c.as_dict() for c in self.citations],
        }


class WorkdayCalendar:
    """Decides working days. ``overrides`` are imported notices (highest precedence)."""

    def __init__(self, overrides: Iterable[YearCalendar] = ()) -> None:
        self._years: dict[int, YearCalendar] = {}
        self._overrides = {c.year: c for c in overrides}

    def year(self, year: int) -> YearCalendar:
        cal = self._years.get(year)
        if cal is None:
            cal = (
                self._overrides.get(year)
                or shipped_calendars().get(year)
                or _library_year(year)
                or _statutory_year(year)
            )
            self._years[year] = cal
        return cal

    def is_official(self, year: int) -> bool:
        return self.year(year).source != "statutory"

    def is_workday(self, day: dt.date) -> bool:
        return self.year(day.year).is_workday(day)

    def add_working_days(self, start: dt.date, days: int, pauses: Sequence[Pause] = ()) -> DueDate:
        """The date by which `days` working days have passed after `start` (start not counted).

        Working days inside a pause are not counted, which extends the deadline by them.
        0 days means the same day (即时)."""
        if days < 0:
            raise ValueError("days must be >= 0")
        provisional: set[int] = set()
        if not self.is_official(start.year):
            provisional.add(start.year)
        day, counted, paused = start, 0, 0
        while counted < days:
            day += dt.timedelta(days=1)
            if not self.is_official(day.year):
                provisional.add(day.year)
            if not self.is_workday(day):
                continue
            if any(p.covers(day) for p in pauses):
                paused += 1
                continue
            counted += 1
        return DueDate(
            start=start,
            days=days,
            due=day,
            provisional=bool(provisional),
            provisional_years=tuple(sorted(provisional)),
            paused_workdays=paused,
        )

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after `start` up to and including `end`."""
        count, day = 0, start
        while day < end:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                count += 1
        return count


def add_period(start: dt.date, amount: int, unit: str) -> dt.date:
    """The last day of a period of months or years (民法典 arts 201-203).

    The start day is not counted; the period ends on the corresponding day of the last month
    (the month's last day where there is none) and lasts until 24:00 of that day."""
    if unit == "calendar_day":
        return start + dt.timedelta(days=amount)
    months = amount * 12 if unit == "year" else amount if unit == "month" else None
    if months is None:
        raise ValueError(f"unit {unit!r} is not a calendar period")
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(start.day, last))

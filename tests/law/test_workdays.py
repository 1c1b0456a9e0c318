"""The working-day calendar: official data, provisional years, pauses, legal periods."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xinyong.law.rules import PackError
from xinyong.law.workdays import Pause, WorkdayCalendar, YearCalendar, add_period, parse_calendar

CAL = WorkdayCalendar()
days_2004_2026 = st.dates(min_value=dt.date(2004, 1, 1), max_value=dt.date(2026, 10, 1))


def test_adjusted_working_saturday_counts() -> None:
    assert CAL.is_workday(dt.date(2026, 10, 10))  # 调休上班
    assert not CAL.is_workday(dt.date(2026, 10, 1))  # 国庆节
    assert not CAL.is_workday(dt.date(2026, 11, 22))  # an ordinary Sunday
    assert CAL.add_working_days(dt.date(2026, 9, 30), 3).due == dt.date(2026, 10, 10)


def test_a_year_without_official_data_is_provisional_never_a_crash() -> None:
    due = CAL.add_working_days(dt.date(2027, 1, 29), 5)
    assert due.provisional and due.provisional_years == (2027,)
    assert not CAL.is_official(2027)
    assert CAL.year(2027).source == "statutory"
    assert dt.date(2027, 10, 1) in CAL.year(2027).holidays  # 国庆节 is statutory
    assert CAL.add_working_days(dt.date(2030, 6, 1), 10).provisional


def test_imported_notice_overrides_library_and_settles_provisional_year() -> None:
    notice = YearCalendar(
        year=2027,
        holidays=frozenset({dt.date(2027, 1, 4)}),
        workdays=frozenset({dt.date(2027, 1, 9)}),
        source="notice",
    )
    cal = WorkdayCalendar([notice])
    assert cal.is_official(2027)
    due = cal.add_working_days(dt.date(2027, 1, 1), 1)
    assert due.due == dt.date(2027, 1, 5) and not due.provisional
    assert cal.is_workday(dt.date(2027, 1, 9))


def test_pauses_extend_by_their_working_days_only() -> None:
    plain = CAL.add_working_days(dt.date(2026, 11, 23), 3)
    paused = CAL.add_working_days(
        dt.date(2026, 11, 23), 3, [Pause(dt.date(2026, 11, 28), dt.date(2026, 12, 1), "鉴定")]
    )
    # 11-28/29 are a weekend; only 11-30 and 12-01 are working days inside the pause.
    assert plain.due == dt.date(2026, 11, 26)
    assert paused.due == plain.due  # the pause starts after the deadline
    paused = CAL.add_working_days(
        dt.date(2026, 11, 23), 3, [Pause(dt.date(2026, 11, 24), dt.date(2026, 11, 29), "专家评审")]
    )
    assert paused.paused_workdays == 4
    assert paused.due == dt.date(2026, 12, 2)


@settings(max_examples=200, deadline=None)
@given(start=days_2004_2026, n=st.integers(min_value=1, max_value=40))
def test_due_date_is_a_working_day_exactly_n_working_days_later(start: dt.date, n: int) -> None:
    due = CAL.add_working_days(start, n)
    assert CAL.is_workday(due.due)
    assert CAL.working_days_between(start, due.due) == n
    assert due.due > start


@settings(max_examples=100, deadline=None)
@given(start=days_2004_2026, n=st.integers(min_value=0, max_value=30))
def test_more_days_never_end_earlier(start: dt.date, n: int) -> None:
    assert CAL.add_working_days(start, n + 1).due > CAL.add_working_days(start, n).due


@pytest.mark.parametrize(
    ("start", "amount", "unit", "end"),
    [
        (dt.date(2026, 1, 31), 1, "month", dt.date(2026, 2, 28)),
        (dt.date(2024, 1, 31), 1, "month", dt.date(2024, 2, 29)),
        (dt.date(2026, 3, 31), 3, "month", dt.date(2026, 6, 30)),
        (dt.date(2024, 2, 29), 1, "year", dt.date(2025, 2, 28)),
        (dt.date(2026, 11, 23), 3, "year", dt.date(2029, 11, 23)),
        (dt.date(2026, 12, 15), 2, "month", dt.date(2027, 2, 15)),
    ],
)
def test_periods_end_on_the_corresponding_day(
    start: dt.date, amount: int, unit: str, end: dt.date
) -> None:
    assert add_period(start, amount, unit) == end


@settings(max_examples=200)
@given(
    start=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 1, 1)),
    months=st.integers(0, 60),
)
def test_period_end_is_same_day_or_month_end(start: dt.date, months: int) -> None:
    end = add_period(start, months, "month")
    assert (end.year * 12 + end.month) - (start.year * 12 + start.month) == months
    nxt = end + dt.timedelta(days=1)
    assert end.day == start.day or (end.day < start.day and nxt.month != end.month)


GOOD = {
    "year": 2027,
    "notice": {"title": "测试通知", "document": "测试〔2026〕1号"},
    "holidays": [dt.date(2027, 1, 1)],
    "workdays": [dt.date(2027, 1, 9)],
}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"notice": {"title": "x"}}, "notice"),
        ({"holidays": [dt.date(2028, 1, 1)]}, "not in 2027"),
        ({"workdays": [dt.date(2027, 1, 4)]}, "weekday"),
        ({"holidays": [dt.date(2027, 1, 9)]}, "both"),
        ({"colour": "red"}, "unknown keys"),
    ],
)
def test_calendar_file_is_validated(change: dict[str, object], problem: str) -> None:
    with pytest.raises(PackError, match=problem):
        parse_calendar({**GOOD, **change}, "2027.yaml")

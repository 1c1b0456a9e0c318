"""Desensitisation and publicity windows, at their boundaries."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xinyong.common.identifiers import region_codes
from xinyong.demo.generate import synthetic_citizen_id
from xinyong.law.rules import default_library
from xinyong.visibility.masking import mask_address, mask_id_number, mask_name, mask_phone
from xinyong.visibility.publicity import publicity_window

RULES = default_library().ruleset("230000")


def test_examples() -> None:
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_id_number("23010219900307123X") == "230102********123X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_address("黑龙江省哈尔滨市南岗区学府路1号") == "黑龙江省哈尔滨市南岗区****"
    assert mask_address("哈尔滨市道里区中央大街") == "哈尔滨市道里区****"


@given(st.integers(min_value=0, max_value=10**9))
def test_masked_id_never_shows_the_birth_date(n: int) -> None:
    number = synthetic_citizen_id(n, region_codes("23"))
    masked = mask_id_number(number)
    assert masked[:6] == number[:6] and masked[-4:] == number[-4:]
    assert number[6:14] not in masked and len(masked) == len(number)


@given(st.text(min_size=1, max_size=8).filter(lambda s: s.strip()))
def test_masked_name_keeps_only_the_first_character(name: str) -> None:
    masked = mask_name(name)
    assert masked[0] == name.strip()[0] and set(masked[1:]) == {"*"}


@pytest.mark.parametrize(
    ("severity", "decided", "last_day"),
    [
        ("general", dt.date(2026, 1, 31), dt.date(2027, 1, 31)),
        ("serious", dt.date(2024, 2, 29), dt.date(2027, 2, 28)),
        ("serious", dt.date(2023, 6, 30), dt.date(2026, 6, 30)),
    ],
)
def test_publicity_ends_on_the_corresponding_day_and_not_a_day_later(
    severity: str, decided: dt.date, last_day: dt.date
) -> None:
    window = publicity_window(RULES, severity, decided)
    assert window.max_end == last_day
    assert window.public_on(last_day) and not window.public_on(last_day + dt.timedelta(days=1))
    assert window.unverified  # the national orders' articles are not verified


def test_minor_dishonesty_is_not_published_and_old_decisions_have_no_rule() -> None:
    assert not publicity_window(RULES, "minor", dt.date(2026, 5, 1)).published
    old = publicity_window(RULES, "general", dt.date(2022, 1, 1))
    assert not old.published and "尚无施行中" in old.reason

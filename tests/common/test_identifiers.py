"""统一社会信用代码 and 公民身份号码: every authority, every failing rule,
every single-character error."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc

from xinyong.common.errors import DomainError
from xinyong.common.identifiers import (
    USCC_ALPHABET,
    check_citizen_id,
    check_identifier,
    check_uscc,
    region_codes,
    ric_check_character,
    uscc_check_character,
)
from xinyong.demo.generate import synthetic_citizen_id, synthetic_uscc

TODAY = dt.date(2026, 11, 23)


def with_check(body: str) -> str:
    return body + uscc_check_character(body)


# Real-format codes of each registering authority (body + computed check character).
AUTHORITY_CODES = {
    "1": with_check("11230000MB1234567"),  # 机构编制 · 机关
    "2": with_check("21110000MB0012345"),  # 外交
    "3": with_check("31230000MD0123456"),  # 司法行政 · 律师执业机构
    "4": with_check("41110000MC0123456"),  # 文化
    "5": with_check("51230100MJ0123456"),  # 民政 · 社会团体
    "6": with_check("61110000MF0123456"),  # 旅游
    "7": with_check("71230100MG0123456"),  # 宗教 · 宗教活动场所
    "8": with_check("81230100MC0123456"),  # 工会 · 基层工会
    "9": with_check("91230100MA1B2C3D4"),  # 市场监管 · 企业
    "A": with_check("A1110000MA0123456"),  # 中央军委改革和编制办公室
    "N": with_check("N2230102MF0123456"),  # 农业 · 村级集体经济组织
    "Y": with_check("Y1230100MA0123456"),  # 其他
}


@pytest.mark.parametrize("authority", sorted(AUTHORITY_CODES))
def test_every_registering_authority_is_accepted(authority: str) -> None:
    result = check_uscc(AUTHORITY_CODES[authority])
    assert result.valid, result.as_dict()
    assert result.info["authority"]


def test_stdnum_alone_would_reject_n_y_and_a() -> None:
    """Why the check is our own (FINDINGS.md): stdnum 2.2 rejects these valid codes."""
    for authority in "ANY":
        assert not stdnum_uscc.is_valid(AUTHORITY_CODES[authority])
        assert check_uscc(AUTHORITY_CODES[authority]).valid


def test_unverified_category_tables_say_so() -> None:
    assert check_uscc(AUTHORITY_CODES["Y"]).unverified
    assert not check_uscc(AUTHORITY_CODES["9"]).unverified


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        ("91230100MA1B2C3D4", "length"),
        ("91230100MA1B2C3D4I", "charset"),
        (with_check("B1230100MA1B2C3D4"), "authority"),
        (with_check("94230100MA1B2C3D4"), "category"),
        (with_check("91999999MA1B2C3D4"), "region"),
        (with_check("91AB0100MA1B2C3D4"), "region"),
        ("91230100MA1B2C3D4X", "check_character"),
    ],
)
def test_each_uscc_failure_names_its_rule(code: str, rule: str) -> None:
    result = check_uscc(code)
    assert not result.valid
    assert result.failures[0].rule == rule
    with pytest.raises(DomainError) as err:
        result.raise_if_invalid()
    assert err.value.code == f"identifier.uscc.{rule}"
    assert any(c.article == 19 for c in err.value.citations)


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        ("23010219900307123", "length"),
        ("23010219900307123A", "charset"),
        ("999999" + "19900307123" + ric_check_character("99999919900307123"), "region"),
        ("230102" + "19900230123" + ric_check_character("23010219900230123"), "birth_date"),
        ("230102" + "20991231123" + ric_check_character("23010220991231123"), "birth_date"),
        ("230102199003071230", "check_character"),
    ],
)
def test_each_citizen_id_failure_names_its_rule(code: str, rule: str) -> None:
    result = check_citizen_id(code, TODAY)
    assert not result.valid
    assert result.failures[0].rule == rule


def test_birth_date_today_is_allowed_tomorrow_is_not() -> None:
    body = f"230102{TODAY:%Y%m%d}123"
    assert check_citizen_id(body + ric_check_character(body), TODAY).valid
    tomorrow = TODAY + dt.timedelta(days=1)
    body = f"230102{tomorrow:%Y%m%d}123"
    assert (
        check_citizen_id(body + ric_check_character(body), TODAY).failures[0].rule == "birth_date"
    )


def test_lowercase_x_and_spaces_are_normalised() -> None:
    body = "23010219900307100"
    code = body + ric_check_character(body)
    assert check_identifier(f" {code.lower()} ", TODAY).valid


def test_all_digit_uscc_is_recognised_as_uscc() -> None:
    code = with_check("12230000123456789")
    result = check_identifier(code, TODAY)
    assert result.kind == "uscc" and result.valid


@settings(max_examples=300)
@given(n=st.integers(min_value=0, max_value=31**8 - 1), pos=st.integers(0, 17), data=st.data())
def test_any_single_character_change_of_a_uscc_is_caught(
    n: int, pos: int, data: st.DataObject
) -> None:
    code = synthetic_uscc(n, "230103")
    assert check_uscc(code).valid
    replacement = data.draw(st.sampled_from([c for c in USCC_ALPHABET if c != code[pos]]))
    assert not check_uscc(code[:pos] + replacement + code[pos + 1 :]).valid


@settings(max_examples=300)
@given(n=st.integers(min_value=0, max_value=10**9), pos=st.integers(0, 17), data=st.data())
def test_any_single_digit_change_of_a_citizen_id_is_caught(
    n: int, pos: int, data: st.DataObject
) -> None:
    code = synthetic_citizen_id(n, region_codes("23"))
    assert check_citizen_id(code, TODAY).valid
    alphabet = "0123456789X" if pos == 17 else "0123456789"
    replacement = data.draw(st.sampled_from([c for c in alphabet if c != code[pos]]))
    assert not check_citizen_id(code[:pos] + replacement + code[pos + 1 :], TODAY).valid

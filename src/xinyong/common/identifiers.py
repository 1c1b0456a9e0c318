"""Subject identifiers (HLJ 19): 统一社会信用代码 (GB 32100-2015) and 公民身份号码 (GB 11643-1999).

Every failure names the rule that failed: length, charset, authority, category, region,
birth_date, check_character. python-stdnum's ``cn.uscc`` wrongly rejects codes whose authority is
A, N or Y, so the USCC check is our own; stdnum's region database (``cn/loc``) is reused.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from stdnum import numdb

from xinyong.common.errors import Citation, DomainError

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100-2015: no I, O, Z, S, V
USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1, 3, 9, 27, 19, 26, ...
USCC_VALUE = {c: i for i, c in enumerate(USCC_ALPHABET)}
USCC_CHARS = frozenset(USCC_ALPHABET)
RIC_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))  # 7, 9, 10, 5, 8, 4, 2, 1, 6, ...
RIC_CHECK = "10X98765432"

GB32100 = Citation(instrument="法人和其他组织统一社会信用代码编码规则", document="GB 32100-2015")
GB11643 = Citation(instrument="公民身份号码", document="GB 11643-1999")
HLJ19 = Citation(instrument="黑龙江省社会信用条例", article=19)
STANDARD_FILE = Path(__file__).parent.parent / "law" / "standards" / "gb32100-2015.yaml"

RULE_LABELS = {
    "length": "长度",
    "charset": "字符集",
    "authority": "登记管理部门代码",
    "category": "机构类别代码",
    "region": "行政区划代码",
    "birth_date": "出生日期码",
    "check_character": "校验码",
}


@dataclass(frozen=True)
class Failure:
    rule: str
    message: str


@dataclass
class IdentifierCheck:
    value: str
    kind: str  # "uscc" | "citizen_id"
    failures: list[Failure] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)
    unverified: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.failures

    def as_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "kind": self.kind,
            "valid": self.valid,
            "failures": [{"rule": f.rule, "message": f.message} for f in self.failures],
            "info": self.info,
            "unverified": self.unverified,
        }

    def raise_if_invalid(self) -> None:
        if self.failures:
            first = self.failures[0]
            standard = GB32100 if self.kind == "uscc" else GB11643
            raise DomainError(
                code=f"identifier.{self.kind}.{first.rule}",
                message="；".join(f.message for f in self.failures),
                citations=[HLJ19, standard],
                details=self.as_dict(),
            )


def normalise(value: str) -> str:
    return value.strip().upper().replace(" ", "")


@lru_cache(maxsize=1)
def _authorities() -> dict[str, Any]:
    from xinyong.law.rules import load_yaml

    data = load_yaml(STANDARD_FILE)
    return dict(data["authorities"])


@lru_cache(maxsize=16384)
def region_name(code: str) -> str | None:
    """The name of a 6-digit administrative division code, any year it existed, else None."""
    if len(code) != 6 or not code.isdigit():
        return None
    results = numdb.get("cn/loc").info(code)
    info = {k: v for _, props in results for k, v in props.items()}
    county = info.get("county")
    if not county:
        return None
    latest = county.split(",")[-1]
    name = latest.split("]", 1)[-1]
    return f"{info.get('province', '')}{'' if name == info.get('province') else name}"


@lru_cache(maxsize=8)
def region_codes(prefix: str) -> tuple[str, ...]:
    """Known county-level codes starting with `prefix` (e.g. '23' for Heilongjiang)."""
    import stdnum

    path = os.path.join(os.path.dirname(stdnum.__file__), "cn", "loc.dat")
    codes: list[str] = []
    province = None
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.startswith(" "):
                province = line.split(" ", 1)[0]
                continue
            rest, _, props = line.strip().partition(" ")
            code = f"{province}{rest}"
            latest = props.rsplit(",", 1)[-1]
            abolished = re.search(r"\[\d*-\d{4}\]", latest) is not None
            placeholder = rest.endswith(("00", "01")) or "市辖区" in latest
            if code.startswith(prefix) and not abolished and not placeholder:
                codes.append(code)
    return tuple(codes)


def uscc_check_character(body: str) -> str:
    total = sum(USCC_VALUE[c] * w for c, w in zip(body, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def check_uscc(value: str) -> IdentifierCheck:
    """统一社会信用代码: 1 authority, 2 category, 3-8 region, 9-17 organisation code, 18 check."""
    code = normalise(value)
    result = IdentifierCheck(value=code, kind="uscc")
    fail = result.failures.append
    if len(code) != 18:
        fail(Failure("length", f"统一社会信用代码应为18位，实为{len(code)}位"))
        return result
    if not USCC_CHARS.issuperset(code):
        bad = sorted(set(code) - USCC_CHARS)
        fail(Failure("charset", f"含有不允许的字符：{''.join(bad)}（不使用I、O、Z、S、V）"))
        return result
    authorities = _authorities()
    authority = authorities.get(code[0])
    if authority is None:
        fail(Failure("authority", f"登记管理部门代码“{code[0]}”不存在（应为1-9、A、N、Y）"))
    else:
        result.info["authority"] = authority["name"]
        categories = {str(k): v for k, v in (authority.get("categories") or {}).items()}
        if authority.get("unverified"):
            result.unverified.append(f"登记管理部门“{code[0]}”的机构类别代码表未经核实")
            if code[1] not in "123456789":
                fail(Failure("category", f"机构类别代码“{code[1]}”应为1-9"))
            elif code[1] in categories:
                result.info["category"] = categories[code[1]]
        elif code[1] not in categories:
            fail(
                Failure(
                    "category",
                    f"登记管理部门“{authority['name']}”下无机构类别代码“{code[1]}”"
                    f"（可用：{'、'.join(categories)}）",
                )
            )
        else:
            result.info["category"] = categories[code[1]]
    region = code[2:8]
    if not region.isdigit():
        fail(Failure("region", f"行政区划代码“{region}”应为6位数字"))
    else:
        name = region_name(region) if region != "100000" else "国家级"
        if name is None:
            fail(Failure("region", f"行政区划代码“{region}”不存在"))
        else:
            result.info["region"] = name
    expected = uscc_check_character(code[:17])
    if code[17] != expected:
        fail(Failure("check_character", f"校验码应为“{expected}”，实为“{code[17]}”"))
    return result


def ric_check_character(body: str) -> str:
    total = sum(int(c) * w for c, w in zip(body, RIC_WEIGHTS, strict=True))
    return RIC_CHECK[total % 11]


def check_citizen_id(value: str, today: dt.date) -> IdentifierCheck:
    """公民身份号码: 1-6 region, 7-14 birth date, 15-17 sequence, 18 check (ISO 7064 MOD 11-2)."""
    code = normalise(value)
    result = IdentifierCheck(value=code, kind="citizen_id")
    fail = result.failures.append
    if len(code) != 18:
        fail(Failure("length", f"公民身份号码应为18位，实为{len(code)}位"))
        return result
    if not code[:17].isdigit() or not (code[17].isdigit() or code[17] == "X"):
        fail(Failure("charset", "公民身份号码前17位应为数字，第18位应为数字或X"))
        return result
    name = region_name(code[:6])
    if name is None:
        fail(Failure("region", f"行政区划代码“{code[:6]}”不存在"))
    else:
        result.info["region"] = name
    try:
        born = dt.date(int(code[6:10]), int(code[10:12]), int(code[12:14]))
    except ValueError:
        fail(Failure("birth_date", f"出生日期码“{code[6:14]}”不是有效日期"))
    else:
        if born > today:
            fail(Failure("birth_date", f"出生日期{born.isoformat()}晚于今天"))
        elif born.year < 1870:
            fail(Failure("birth_date", f"出生日期{born.isoformat()}过早"))
        else:
            result.info["birth_date"] = born.isoformat()
    expected = ric_check_character(code[:17])
    if code[17] != expected:
        fail(Failure("check_character", f"校验码应为“{expected}”，实为“{code[17]}”"))
    return result


def check_identifier(value: str, today: dt.date) -> IdentifierCheck:
    """Either kind: a value that is valid as one kind is that kind. An invalid all-digit value
    is reported as the kind with fewer failed rules (a citizen ID number on a tie), anything
    else as a USCC."""
    code = normalise(value)
    digits = len(code) == 18 and code[:17].isdigit() and code[17] in "0123456789X"
    if digits:
        as_ric = check_citizen_id(code, today)
        if as_ric.valid:
            return as_ric
        as_uscc = check_uscc(code)
        # the kind it is closer to: a USCC with only its check character wrong is a USCC
        return as_uscc if len(as_uscc.failures) < len(as_ric.failures) else as_ric
    return check_uscc(code)


KIND_LABELS = {"uscc": "统一社会信用代码", "citizen_id": "公民身份号码"}


def explain(check: IdentifierCheck) -> str:
    """The rule that failed, for a reader: "统一社会信用代码校验码应为J（输入为K）", or, for
    a value that is neither kind's length or characters, what an identifier looks like."""
    if check.valid:
        return ""
    rules = {f.rule for f in check.failures}
    code = check.value
    if "length" in rules:
        return f"应为18位的统一社会信用代码或公民身份号码，实为{len(code)}位"
    if "charset" in rules:
        return f"不是有效的统一社会信用代码或公民身份号码：{check.failures[0].message}"
    label = KIND_LABELS[check.kind]
    parts = []
    for f in check.failures:
        if f.rule == "check_character":
            body = code[:17]
            expected = (
                uscc_check_character(body) if check.kind == "uscc" else ric_check_character(body)
            )
            parts.append(f"{label}校验码应为{expected}（输入为{code[17]}）")
        else:
            parts.append(f"{label}{f.message}")
    return "；".join(parts)


_PERSON_ID = re.compile(r"\d{17}[\dXx]")


def looks_like_citizen_id(value: str | None) -> bool:
    """A value typed into a search box that has a citizen ID number's shape: a page does not
    echo it back (HLJ 23 ¶4)."""
    return bool(value) and _PERSON_ID.fullmatch((value or "").replace(" ", "")) is not None

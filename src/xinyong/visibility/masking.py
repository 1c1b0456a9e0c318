"""Desensitisation (脱敏, HLJ 23 ¶4, HRB 24 ¶2): what a personal field looks like when the law lets
it be shown to someone other than the subject at all."""

from __future__ import annotations

import re

_DISTRICT = re.compile(r"^(.*?(?:市|州|盟|地区))?(.*?(?:区|县|旗|市))")


def mask_name(name: str) -> str:
    """张三 -> 张*, 欧阳娜娜 -> 欧***."""
    name = name.strip()
    return name[:1] + "*" * max(1, len(name) - 1) if name else name


def mask_id_number(number: str) -> str:
    """230102199003071237 -> 230102********1237 (region kept, birth date hidden)."""
    number = number.strip()
    if len(number) <= 10:
        return number[:2] + "*" * max(1, len(number) - 4) + number[-2:]
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_phone(phone: str) -> str:
    """13812345678 -> 138****5678."""
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_address(address: str) -> str:
    """Kept to the district: 黑龙江省哈尔滨市南岗区学府路1号 -> 黑龙江省哈尔滨市南岗区****."""
    address = address.strip()
    head = address
    for prefix in ("省", "自治区"):
        if prefix in head:
            head = head.split(prefix, 1)[1]
            break
    match = _DISTRICT.match(head)
    if not match or not match.group(2):
        return "****"
    kept = address[: len(address) - len(head) + match.end()]
    return kept + "****"


def mask_for(field: str, value: str) -> str:
    """The masking a personal field gets, chosen by what the field holds."""
    if any(word in field for word in ("证件号码", "身份号码", "身份证")):
        return mask_id_number(value)
    if any(word in field for word in ("电话", "手机", "联系方式")):
        return mask_phone(value)
    if any(word in field for word in ("住址", "地址", "住所")):
        return mask_address(value)
    return mask_name(value)

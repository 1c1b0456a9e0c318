"""Chinese numerals for article labels (第三十九条)."""

_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    if n < 0:
        raise ValueError(n)
    if n < 10:
        return _DIGITS[n]
    if n < 20:
        return "十" + (_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return _DIGITS[n // 10] + "十" + (_DIGITS[n % 10] if n % 10 else "")
    if n < 1000:
        rest = n % 100
        head = _DIGITS[n // 100] + "百"
        if rest == 0:
            return head
        if rest < 10:
            return head + "零" + _DIGITS[rest]
        tail = chinese_number(rest)
        return head + ("一" + tail if rest < 20 else tail)
    return str(n)

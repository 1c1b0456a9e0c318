"""Publicity in time (HLJ 37, HRB 36, national repair rules): a dishonesty record is public only
within its publicity period, from the decision date, by severity, under the rules in force on
the decision date. Computed on every read, so expiry never waits for a job."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from xinyong.common.errors import Citation, DomainError
from xinyong.law.rules import RuleSet
from xinyong.law.workdays import CIVIL_CODE_201, add_period


@dataclass(frozen=True)
class PublicityWindow:
    published: bool  # False: never public (e.g. minor dishonesty, or no rule in force)
    min_end: dt.date | None  # repair may be applied for after this day
    max_end: dt.date | None  # last day of publicity (until 24:00)
    citations: tuple[Citation, ...]
    unverified: bool
    reason: str

    @property
    def repair_from(self) -> dt.date | None:
        """The first day a repair may be applied for: the day after the minimum period."""
        return self.min_end + dt.timedelta(days=1) if self.min_end is not None else None

    def public_on(self, day: dt.date) -> bool:
        return self.published and self.max_end is not None and day <= self.max_end


def publicity_window(
    rules: RuleSet, severity: str | None, decided_on: dt.date | None
) -> PublicityWindow:
    """Computed once per (severity, decision date) and kept with the rules, which cannot change;
    every read of a dishonesty record asks for it."""
    return rules.derived(
        ("publicity_window", severity, decided_on),
        lambda: _publicity_window(rules, severity, decided_on),
    )


def _publicity_window(
    rules: RuleSet, severity: str | None, decided_on: dt.date | None
) -> PublicityWindow:
    if decided_on is None or severity is None:
        return PublicityWindow(
            False, None, None, (), False, "失信信息缺少认定日期或失信程度，不予公示"
        )
    try:
        if severity == "minor":
            published = rules.get("publicity.minor.published", decided_on)
            if not published.value:
                return PublicityWindow(
                    False,
                    None,
                    None,
                    published.citations,
                    published.unverified,
                    "轻微失信信息原则上不予公示",
                )
            low = None
            high = rules.get("publicity.minor.max", decided_on)
        else:
            low = rules.get(f"publicity.{severity}.min", decided_on)
            high = rules.get(f"publicity.{severity}.max", decided_on)
    except DomainError:
        return PublicityWindow(
            False, None, None, (), False, "认定日期时尚无施行中的公示期限规定，不予公示"
        )
    max_end = add_period(decided_on, int(high.value), high.unit)
    return PublicityWindow(
        published=True,
        min_end=add_period(decided_on, int(low.value), low.unit) if low else None,
        max_end=max_end,
        citations=(*high.citations, CIVIL_CODE_201),
        unverified=high.unverified or (low.unverified if low else False),
        reason=f"公示期限至{max_end.isoformat()}（含当日）",
    )

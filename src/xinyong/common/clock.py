"""The one injectable clock. Every date computation in the platform asks it for "now"."""

from __future__ import annotations

import datetime as dt
from typing import Protocol
from zoneinfo import ZoneInfo

#: Legal days are counted in China Standard Time (北京时间).
PLATFORM_TZ = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """An aware datetime (UTC)."""
        ...


def today(clock: Clock) -> dt.date:
    """The legal calendar day in China at the clock's moment."""
    return clock.now().astimezone(PLATFORM_TZ).date()


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FixedClock:
    """A clock for tests and replays: it shows the time it was set to and moves only when told."""

    def __init__(self, moment: dt.datetime | dt.date) -> None:
        self._now = self._aware(moment)

    @staticmethod
    def _aware(moment: dt.datetime | dt.date) -> dt.datetime:
        if isinstance(moment, dt.datetime):
            return moment if moment.tzinfo else moment.replace(tzinfo=PLATFORM_TZ)
        return dt.datetime.combine(moment, dt.time(9, 0), tzinfo=PLATFORM_TZ)

    def now(self) -> dt.datetime:
        return self._now.astimezone(dt.UTC)

    def set(self, moment: dt.datetime | dt.date) -> None:
        self._now = self._aware(moment)

    def advance(self, delta: dt.timedelta) -> None:
        self._now = self._now + delta

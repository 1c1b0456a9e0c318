"""Request bodies of the records routes: corrections (HLJ 38)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from xinyong.common.inputs import CalendarDate, Text


class CorrectionIn(BaseModel):
    discovered_on: CalendarDate
    reason: Text
    record: dict[str, Any] | None = None  # absent: withdraw the record

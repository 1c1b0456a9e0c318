"""Request bodies of natural persons' consents (HLJ 20)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from xinyong.common.inputs import CalendarDate, Key, Line
from xinyong.config import LIST_MAX_ITEMS


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject_key: Key
    item_code: Key
    classes: list[Key] = Field(default_factory=list, max_length=LIST_MAX_ITEMS)
    purpose: Line = Field(min_length=2, max_length=300)
    informed: bool
    written: bool
    adverse_consequences_told: bool = False
    document: Line = Field(min_length=2, max_length=300)
    valid_from: CalendarDate
    valid_until: CalendarDate | None = None

"""Request bodies of credit subjects and their links (HLJ 33)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from xinyong.common.inputs import CalendarDate, Key, Line


class LinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_key: Key
    person_name: Line = Field(min_length=1, max_length=100)
    relation: Key
    valid_from: CalendarDate
    source: Line = Field(min_length=2, max_length=200)

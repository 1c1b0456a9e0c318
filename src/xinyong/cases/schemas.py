"""Request bodies of the remedies: objections, repairs, complaints, basis changes, decisions."""

from __future__ import annotations

from pydantic import BaseModel, Field

from xinyong.common.inputs import CalendarDate, Key, Name, RowId, Text
from xinyong.config import LIST_MAX_ITEMS


class ObjectionIn(BaseModel):
    record_id: RowId
    request: Text
    attachments: list[Name] = Field(default_factory=list, max_length=LIST_MAX_ITEMS)


class ListObjectionIn(BaseModel):
    entry_number: Key
    request: Text


class RepairIn(BaseModel):
    record_id: RowId
    request: Text
    conditions: list[Key] = Field(default_factory=list, max_length=LIST_MAX_ITEMS)
    commitment: Text = ""
    entry_number: Key | None = None


class ComplaintIn(BaseModel):
    request: Text


class BasisChangeIn(BaseModel):
    record_id: RowId
    learned_on: CalendarDate
    request: Text


class TransitionIn(BaseModel):
    to: Key
    reasons: Text | None = None
    competent_unit: Name | None = None


class PauseIn(BaseModel):
    start: CalendarDate
    end: CalendarDate
    reason: Key

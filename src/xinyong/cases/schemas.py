"""Request bodies of the remedies: objections, repairs, complaints, basis changes, decisions."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from pydantic import BaseModel, Field

from xinyong.common.choices import choice
from xinyong.common.inputs import CalendarDate, Key, Name, RowId, Text
from xinyong.config import LIST_MAX_ITEMS
from xinyong.law.rules import list_labels

PAUSE_RULE = "objection.excluded_intervals"
#: Why a decision clock pauses (HLJ 39 ¶2: 检验、检测、检疫、鉴定、专家评审), by code or name.
PauseReason = Annotated[Key, choice(partial(list_labels, PAUSE_RULE))]


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
    #: the decision chosen; none chosen is refused with the article (cases.choice_required)
    to: Key | None = None
    reasons: Text | None = None
    competent_unit: Name | None = None


class PauseIn(BaseModel):
    start: CalendarDate
    end: CalendarDate
    reason: PauseReason


class PaperIn(BaseModel):
    """A paper application received at a service window (HLJ 24), registered by staff."""

    kind: Key  # objection | repair
    record_id: RowId
    applicant: Name
    received_on: CalendarDate
    request: Text
    conditions: list[Key] = Field(default_factory=list, max_length=LIST_MAX_ITEMS)
    commitment: Text = ""


class AttachmentOut(BaseModel):
    id: int
    name: str
    size: int
    type: str

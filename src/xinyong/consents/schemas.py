"""Request bodies of natural persons' consents (HLJ 20)."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from xinyong.common.choices import choice
from xinyong.common.inputs import CalendarDate, Key, Line
from xinyong.config import LIST_MAX_ITEMS
from xinyong.law.rules import list_aliases, list_labels

CLASSES_RULE = "collection.restricted_personal_fields"
#: A restricted class of personal information (HLJ 20 ¶2: 收入、存款、…), by code, name or alias.
ConsentClass = Annotated[
    Key, choice(partial(list_labels, CLASSES_RULE), aliases=partial(list_aliases, CLASSES_RULE))
]


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject_key: Key
    item_code: Key
    classes: list[ConsentClass] = Field(default_factory=list, max_length=LIST_MAX_ITEMS)
    purpose: Line = Field(min_length=2, max_length=300)
    informed: bool
    written: bool
    adverse_consequences_told: bool = False
    document: Line = Field(min_length=2, max_length=300)
    valid_from: CalendarDate
    valid_until: CalendarDate | None = None


class ConsentOut(BaseModel):
    """A recorded consent (HLJ 20)."""

    id: int
    subject_key: str = Field(description="信用主体")
    item_code: str = Field(description="目录项代码")

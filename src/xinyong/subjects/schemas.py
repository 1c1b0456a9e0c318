"""Request bodies of credit subjects and their links (HLJ 33)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from xinyong.common.choices import choice
from xinyong.common.inputs import CalendarDate, Key, Line
from xinyong.subjects.relations import RELATION_ALIASES, relation_labels

#: A link's relation: the code of HLJ 33's list in the law pack, or its Chinese name.
Relation = Annotated[Key, choice(relation_labels, aliases=RELATION_ALIASES)]


class LinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_key: Key
    person_name: Line = Field(min_length=1, max_length=100)
    relation: Relation
    valid_from: CalendarDate
    source: Line = Field(min_length=2, max_length=200)

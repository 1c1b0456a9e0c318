"""Request and response bodies of credit subjects, their links (HLJ 33) and the identifier
check."""

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


class LinkCreatedOut(BaseModel):
    id: int = Field(description="关联的编号")
    relation: str = Field(description="关系代码")
    listed: list[str] = Field(description="随之延及该人员的名单条目编号")


class LinkOut(BaseModel):
    """A person who answers for an organisation, as the caller may see them (the name
    desensitised except to the person, the organisation, staff and agencies)."""

    id: int
    relation: str = Field(description="关系代码")
    relation_label: str = Field(description="关系（中文）")
    person_name: str = Field(description="姓名（依查询者身份脱敏）")
    valid_from: str = Field(description="起始日（YYYY-MM-DD）")
    valid_to: str | None = Field(description="终止日（YYYY-MM-DD）")
    source: str = Field(description="来源")


class IdentifierFailureOut(BaseModel):
    rule: str = Field(description="未通过的规则，如 check_character")
    message: str = Field(description="中文说明")


class IdentifierInfoOut(BaseModel):
    """What the code itself says (only what could be read from it)."""

    authority: str | None = Field(default=None, description="登记管理部门")
    category: str | None = Field(default=None, description="机构类别")
    region: str | None = Field(default=None, description="行政区划")
    birth_date: str | None = Field(default=None, description="出生日期（YYYY-MM-DD）")


class IdentifierCheckOut(BaseModel):
    value: str = Field(description="所查的代码（规范化后）")
    kind: str = Field(description="uscc（统一社会信用代码）或 citizen_id（公民身份号码）")
    valid: bool = Field(description="是否有效")
    failures: list[IdentifierFailureOut] = Field(description="未通过的规则")
    info: IdentifierInfoOut = Field(description="代码所含的信息")
    unverified: list[str] = Field(description="所依据的代码表未经核实之处")

"""Response bodies of the law routes: a platform's rules, one rule's value and its citations."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class CitationOut(BaseModel):
    """Where a rule comes from: an instrument, its article, paragraph and item."""

    instrument: str = Field(description="法规名称")
    article: int | None = Field(description="条")
    paragraph: int | None = Field(description="款")
    item: int | None = Field(description="项")
    document: str | None = Field(description="文号")
    label: str = Field(description="出处（中文），如《黑龙江省社会信用条例》第三十九条第二款")


class RuleKeysOut(BaseModel):
    platform: str = Field(description="平台代码")
    keys: list[str] = Field(description="该平台的全部规则键")


class ContributionOut(BaseModel):
    """One law pack's say on a rule, applied or not."""

    pack: str = Field(description="规则包")
    value: Any = Field(description="该规则包给出的值")
    since: str = Field(description="自何日起（YYYY-MM-DD）")
    citations: list[CitationOut]
    unverified: bool = Field(description="出处是否未经核实")
    applied: bool = Field(description="是否被采用")


class RuleOut(BaseModel):
    """A rule's value for a platform as of a date, with its citations."""

    key: str = Field(description="规则键")
    platform: str = Field(description="平台代码")
    on: str = Field(description="适用日期（YYYY-MM-DD）")
    description: str = Field(description="规则说明")
    unit: str = Field(description="单位，如 working_day、count、list")
    value: Any = Field(description="规则的值（数值、文字或列表）")
    combine: str = Field(description="多个规则包的合并方式")
    citations: list[CitationOut] = Field(description="所采用的值的条文依据")
    contributions: list[ContributionOut] = Field(description="每个规则包的规定")
    unverified: bool = Field(description="出处是否未经核实")
    notes: list[str] = Field(description="说明")
    summary: str = Field(description="一句话概述（中文）")

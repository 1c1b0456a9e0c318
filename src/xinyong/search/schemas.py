"""Response bodies of the search routes."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SubjectHitOut(BaseModel):
    """A subject found: natural persons only to those who may see them."""

    subject_key: str = Field(description="统一社会信用代码或公民身份号码")
    name: str = Field(description="名称")
    kind: str = Field(description="主体类型")
    region: str | None = Field(description="行政区划代码")


class SearchOut(BaseModel):
    """One page of subjects for a query, with the total and the pages."""

    query: str = Field(description="查询内容")
    results: list[SubjectHitOut] = Field(description="本页的信用主体")
    total: int = Field(description="总数（more为真时为“至少”）")
    more: bool = Field(description="总数未计尽：还有更多（显示为“N个以上”）")
    page: int = Field(description="页码")
    pages: int = Field(description="页数")
    problem: str | None = Field(
        description="输入形如代码但不合规则时，所违反的规则（如“统一社会信用代码校验码应为J”）"
    )

"""Request and response bodies of the records routes: corrections (HLJ 38), a record's
versions, the units' timeliness (HRB 6)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from xinyong.common.inputs import CalendarDate, Text


class CorrectionIn(BaseModel):
    discovered_on: CalendarDate
    reason: Text
    record: dict[str, Any] | None = None  # absent: withdraw the record


class CorrectionOut(BaseModel):
    """The version a correction made, with its clock (HLJ 38)."""

    version: int = Field(description="更正后的版本号")
    state: str = Field(description="记录状态")
    change: str = Field(description="变动类型")
    discovered_on: str | None = Field(description="发现错误之日（YYYY-MM-DD）")
    correction_due_on: str | None = Field(description="应更正的期限（YYYY-MM-DD）")
    correction_on_time: bool | None = Field(description="是否按期更正")


class FieldChangeOut(BaseModel):
    """One field a version changed from the version before it."""

    field: str = Field(description="字段（中文字段名）")
    before: Any = Field(description="变动前（查看者可见的值）")
    after: Any = Field(description="变动后（查看者可见的值）")


class RecordVersionOut(BaseModel):
    """One version of a record as the viewer may see it (through the visibility engine)."""

    version: int = Field(description="版本号")
    current: bool = Field(description="是否为现行版本")
    state: str = Field(description="记录状态")
    change: str = Field(description="变动类型")
    change_label: str = Field(description="变动类型（中文）")
    state_label: str = Field(description="记录状态（中文）")
    reason: str | None = Field(description="变动原因")
    valid_from: str = Field(description="起始有效日（YYYY-MM-DD）")
    valid_to: str | None = Field(description="终止有效日（YYYY-MM-DD）")
    recorded_at: str = Field(description="平台记录时间（ISO 8601）")
    superseded_at: str | None = Field(description="被新版本取代的时间（ISO 8601）")
    batch_id: int | None = Field(description="归集批次")
    discovered_on: str | None = Field(description="发现错误之日（更正时）")
    correction_due_on: str | None = Field(description="应更正的期限（更正时）")
    correction_on_time: bool | None = Field(description="是否按期更正（更正时）")
    fields: dict[str, Any] = Field(description="查看者可见的字段（遮蔽的字段已遮蔽）")
    masked: list[str] = Field(description="已遮蔽的字段")
    changes: list[FieldChangeOut] = Field(description="与上一版本相比变动的字段")


class ProviderOut(BaseModel):
    """A provider unit as the public list names it."""

    code: str = Field(description="提供单位代码")
    name: str = Field(description="单位名称")
    level: str = Field(description="层级：province/city/county/township")
    region: str = Field(description="行政区划代码")
    state: str = Field(description="状态")


class ItemTimelinessOut(BaseModel):
    item: str = Field(description="目录项代码")
    records: int = Field(description="首次报送的记录数")
    late: int = Field(description="超过更新周期报送的记录数")
    on_time: int = Field(description="按期报送的记录数")
    on_time_ratio: float | None = Field(description="按期率（0–1），无记录为空")


class TimelinessOut(BaseModel):
    """A unit's timeliness per catalog item (HRB 6)."""

    provider: str = Field(description="提供单位代码")
    year: int | None = Field(description="年度；为空则不限年度")
    items: list[ItemTimelinessOut]

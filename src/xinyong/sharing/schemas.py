"""The answers of the sharing domain: a subject's profile as a viewer may see it, the access
log, a record's history."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
from pydantic import BaseModel, Field

from xinyong.records.schemas import RecordVersionOut
from xinyong.visibility.engine import RecordView


@dataclass
class Profile:
    """A subject's header and current records as one viewer may see them, with the receipt of
    the read's audit entry."""

    subject: dict[str, Any]
    records: list[RecordView] = field(default_factory=list)
    audit_id: int | None = None  # the audit entry of this read: the requester's receipt
    #: the records as `as_dict` gives them, kept with an answer that is served again
    rendered: list[dict[str, Any]] | None = field(default=None, repr=False, compare=False)
    #: `as_json` up to the receipt, kept with an answer that is served again
    encoded: bytes | None = field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "records": self.rendered or [r.as_dict() for r in self.records],
            "audit_receipt": self.audit_id,
        }

    def encoded_head(self) -> bytes:
        """The JSON of `as_dict` without its last member, the receipt (which each read has
        its own of): `{"subject":…,"records":[…]`."""
        if self.encoded is not None:
            return self.encoded
        records = self.rendered or [r.as_dict() for r in self.records]
        return orjson.dumps({"subject": self.subject, "records": records})[:-1]

    def as_json(self) -> bytes:
        """`as_dict` as orjson writes it, byte for byte."""
        receipt = orjson.dumps(self.audit_id)
        return b"".join((self.encoded_head(), b',"audit_receipt":', receipt, b"}"))


class SubjectHeaderOut(BaseModel):
    """Who the subject is, as the viewer may see it (a natural person's key and name are
    desensitised except to those who may see them in full)."""

    subject_key: str = Field(description="统一社会信用代码或公民身份号码（依查询者身份脱敏）")
    name: str = Field(description="名称或姓名（依查询者身份脱敏）")
    kind: str = Field(description="主体类型：legal_person/natural_person/individual_business")
    region: str | None = Field(description="行政区划代码")
    as_of: str = Field(description="信息截至日期（YYYY-MM-DD）")


class RecordOut(BaseModel):
    """One current record as the viewer may see it (fields hidden or desensitised by the
    visibility engine, with the rule that decided it)."""

    record_key: str = Field(description="记录键")
    item: str = Field(description="目录项代码")
    item_name: str = Field(description="目录项名称")
    category: str = Field(description="信息类别")
    nature: str = Field(description="性质：registration/good/dishonesty")
    severity: str | None = Field(description="失信程度：minor/general/serious")
    decided_on: str | None = Field(description="决定日期（YYYY-MM-DD）")
    provider: str = Field(description="提供单位代码")
    state: str = Field(description="记录状态")
    version: int = Field(description="版本号")
    archived: bool = Field(description="是否已过公示期归档")
    publicity_ends_on: str | None = Field(description="失信信息公示期届满日（YYYY-MM-DD）")
    basis: str = Field(description="可见的依据（中文）")
    citations: list[str] = Field(description="条文依据")
    unverified: bool = Field(description="依据是否未经核实")
    fields: dict[str, Any] = Field(description="查看者可见的字段（中文字段名: 值）")
    masked: list[str] = Field(description="已脱敏的字段")
    record_id: int = Field(description="记录编号")
    repair_from: str | None = Field(description="可申请信用修复的首日（YYYY-MM-DD）")
    marks: list[str] = Field(description="标注，如“异议处理中”")


class ProfileOut(BaseModel):
    """A subject's credit information as the caller may see it, with the receipt of the read."""

    subject: SubjectHeaderOut
    records: list[RecordOut] = Field(description="现行记录")
    audit_receipt: int | None = Field(description="本次查询的审计记录编号（查询回执）")


class AccessOut(BaseModel):
    """One access to a subject's information: who, when, for which purpose, on what basis
    (HLJ 35)."""

    at: str = Field(description="时间（ISO 8601）")
    action: str = Field(description="操作（审计标签，供程序使用）")
    who: str | None = Field(description="账户（平台自身的处理为角色）")
    role: str | None = Field(description="角色代码")
    purpose: str | None = Field(description="用途")
    legal_basis: str | None = Field(description="法律依据")
    detail: dict[str, Any] = Field(description="详情")
    action_label: str = Field(description="操作（中文）")
    role_label: str = Field(description="角色（中文）")
    who_label: str = Field(description="查询者（单位或姓名；否则为角色）")
    at_label: str = Field(description="时间（北京时间）")


class RecordHistoryOut(BaseModel):
    """The source unit and every version of one item of a subject's information (HLJ 35)."""

    subject_key: str = Field(description="信用主体")
    provider: str = Field(description="提供单位代码")
    provider_name: str | None = Field(description="提供单位名称")
    item: str = Field(description="目录项代码")
    item_name: str = Field(description="目录项名称")
    record_key: str = Field(description="记录键")
    versions: list[RecordVersionOut] = Field(description="各版本，从早到晚")

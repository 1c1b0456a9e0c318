"""Request and response bodies of the commitments' routes: the matters list (HRB 17), filing a
commitment (HLJ 45, HRB 15 ¶2, HLJ 43 ¶2) and the published commitments (HLJ 50).

Codes are given by their Chinese labels as well (common/choices.py). The commitment types the
articles name carry their article; the others are names of national practice this platform cannot
cite (marked 未核实). Field names follow the national commitments data set where they fit
(承诺编码, 承诺类型, 承诺事由, 承诺内容, 违诺责任, 承诺作出日期, 承诺有效期, 履行状态,
受理单位): that data set is known from secondary sources only, so those names are unverified."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from xinyong.common.choices import choice
from xinyong.common.inputs import CalendarDate, Key, Name, Text
from xinyong.config import LIST_MAX_ITEMS

#: approval_substitute .. service_agency: code -> Chinese label
TYPES: dict[str, str] = {
    "approval_substitute": "审批替代型",
    "cure": "容缺受理型",
    "certification": "证明事项型",
    "voluntary": "主动型",
    "service_agency": "信用服务机构承诺",
    "repair": "信用修复型",
    "self_regulation": "行业自律型",
    "other": "其他",
}
#: where each type comes from: the article that names it, or None (a name of national practice
#: this platform cannot cite: shown as 未核实)
TYPE_SOURCES: dict[str, str | None] = {
    "approval_substitute": "黑龙江省社会信用条例第四十五条第一款",
    "cure": "黑龙江省社会信用条例第四十五条第二款",
    "certification": "黑龙江省社会信用条例第四十五条第三款",
    "voluntary": "哈尔滨市社会信用体系建设促进条例第十五条第二款",
    "service_agency": "黑龙江省社会信用条例第四十三条第二款",
    "repair": None,
    "self_regulation": None,
    "other": None,
}
UNVERIFIED_TYPE = "未核实：该类型名称来自国家实践中的信用承诺数据格式，平台未能核对其出处"
#: the types that rest on a matter of the published list (HRB 17; HLJ 45)
MATTER_TYPES = frozenset({"approval_substitute", "cure", "certification"})
#: the types a subject may file itself from its own page
SUBJECT_TYPES = frozenset({"voluntary", "service_agency", "self_regulation"})
FULFILMENT: dict[str, str] = {
    "pending": "待核查",
    "kept": "全部履行",
    "partly": "部分履行",
    "not_kept": "全部未履行",
    "false": "虚假承诺",
}
PUBLICITY: dict[str, str] = {"public": "可向社会公开", "restricted": "特定范围内公开"}
MATTER_KINDS: dict[str, str] = {
    "licensing": "行政许可",
    "certification": "证明事项",
    "service": "其他政务服务事项",
}
SUBJECT_KIND_LABELS: dict[str, str] = {
    "legal_person": "法人及非法人组织",
    "other_organisation": "法人及非法人组织",
    "natural_person": "自然人",
    "individual_business": "个体工商户",
}
CURE_DAYS_NOTE = "平台设定，非法定：条例未规定补齐材料的期限，由平台按事项设定"
DATASET_NOTE = (
    "字段名称（承诺编码、承诺类型、承诺事由、承诺内容、违诺责任、承诺作出日期、承诺有效期、"
    "履行状态、受理单位）参照国家信用承诺数据格式，出处未核实"
)

CommitmentType = Annotated[str, choice(TYPES)]
Publicity = Annotated[str, choice(PUBLICITY)]
MatterKind = Annotated[str, choice(MATTER_KINDS)]


class MatterIn(BaseModel):
    """A matter that accepts a commitment, as staff create or change it (HRB 17)."""

    model_config = ConfigDict(extra="forbid")

    code: Key = Field(min_length=1, max_length=40, description="事项编码")
    name: Name = Field(min_length=2, description="事项名称")
    kind: MatterKind = Field(description="事项类别：行政许可、证明事项、其他政务服务事项")
    agency: Name = Field(min_length=2, description="实施机关")
    agency_uscc: Key | None = Field(default=None, description="实施机关统一社会信用代码")
    legal_basis: Text = Field(min_length=2, description="设定依据")
    replaces: Text = Field(min_length=2, description="承诺替代的材料、证明或审批环节")
    cure_days: int | None = Field(
        default=None, ge=1, le=365, description=f"容缺受理补齐材料的天数（{CURE_DAYS_NOTE}）"
    )
    reason: Text | None = Field(default=None, description="变更理由（变更时填写）")


class MatterRetireIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    basis: Text = Field(min_length=4, description="停止适用信用承诺制的依据（必填）")


class MatterOut(BaseModel):
    code: str = Field(description="事项编码")
    version: int = Field(description="版本号，每次变更加一")
    name: str
    kind: str
    kind_label: str
    agency: str = Field(description="实施机关")
    agency_uscc: str | None
    legal_basis: str = Field(description="设定依据")
    replaces: str = Field(description="承诺替代的材料、证明或审批环节")
    cure_days: int | None = Field(description="容缺受理补齐材料的天数，空为不适用容缺受理")
    cure_days_note: str = Field(description="补齐材料天数的性质：平台设定，非法定")
    in_force: bool
    changed_at: str
    changed_by: str
    change_reason: str | None


class CommitmentIn(BaseModel):
    """A commitment an agency files (made before it), or staff file for it (HLJ 45, HLJ 43 ¶2)."""

    model_config = ConfigDict(extra="forbid")

    subject_key: Key = Field(description="承诺人代码：统一社会信用代码或公民身份号码（未核实）")
    subject_name: Name = Field(min_length=1, description="承诺人名称（未核实）")
    commitment_type: CommitmentType = Field(description="承诺类型（可填中文名称）")
    matter_code: Key | None = Field(default=None, description="适用信用承诺制的事项编码")
    reason: Text = Field(min_length=2, description="承诺事由（未核实）")
    content: Text = Field(min_length=2, max_length=4000, description="承诺内容（未核实）")
    liability: Text = Field(min_length=2, description="违诺责任（未核实）")
    made_on: CalendarDate | None = Field(default=None, description="承诺作出日期，默认今天")
    valid_until: CalendarDate | None = Field(default=None, description="承诺有效期（未核实）")
    publicity: Publicity = Field(default="public", description="公开类型")


class VoluntaryIn(BaseModel):
    """A commitment a subject makes of its own accord (主动型, HRB 15 ¶2)."""

    model_config = ConfigDict(extra="forbid")

    commitment_type: CommitmentType = Field(default="voluntary", description="承诺类型")
    reason: Text = Field(min_length=2, description="承诺事由")
    content: Text = Field(min_length=2, max_length=4000, description="承诺内容")
    liability: Text = Field(min_length=2, description="违诺责任")
    valid_until: CalendarDate | None = Field(default=None, description="承诺有效期")
    publicity: Publicity = Field(default="public", description="公开类型")


class CommitmentOut(BaseModel):
    """One commitment as this reader may see it (a natural person's name and number masked for
    the public, HLJ 23 ¶4)."""

    number: str = Field(description="承诺编码（未核实：按国家数据格式，行政区划+日期+序号）")
    subject_key: str = Field(description="承诺人代码")
    subject_name: str = Field(description="承诺人名称")
    subject_kind: str = Field(description="承诺人类别")
    commitment_type: str
    type_label: str = Field(description="承诺类型")
    type_source: str | None = Field(description="类型出处；空为未核实")
    matter_code: str | None
    matter_version: int | None
    matter_name: str | None
    reason: str = Field(description="承诺事由")
    content: str = Field(description="承诺内容")
    liability: str = Field(description="违诺责任")
    made_on: str = Field(description="承诺作出日期")
    valid_until: str | None = Field(description="承诺有效期")
    accepting_agency: str | None = Field(description="受理单位")
    accepting_agency_uscc: str | None
    publicity: str
    publicity_label: str
    fulfilment: str
    fulfilment_label: str = Field(description="履行状态")
    filed_via: str


class CommitmentPage(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[CommitmentOut]
    note: str = Field(description="字段名称的来源说明")


# ---------------------------------------------------------------- verification (cverify)


class CitationOut(BaseModel):
    instrument: str
    article: int | None = None
    paragraph: int | None = None
    item: int | None = None
    document: str | None = None
    label: str


class MissingIn(BaseModel):
    """容缺受理 (HLJ 45 ¶2): what is missing; the due day comes from the matter's setting."""

    missing: Text


class DecideIn(BaseModel):
    on: CalendarDate | None = None


class VerifyIn(BaseModel):
    """HLJ 46's finding: kept, not kept or false; for the last two, guidance or an order to
    rectify by a day the staff member sets."""

    outcome: Literal["kept", "not_kept", "false"]
    measure: Literal["guidance", "rectify"] | None = None
    rectify_by: CalendarDate | None = None
    note: Text | None = None


class RectifiedIn(BaseModel):
    result: Literal["kept", "partly"]
    note: Text | None = None


class SanctionIn(BaseModel):
    sanction: Literal["revoked", "penalty"]
    reason: Literal["still_not_kept", "not_rectified", "still_not_meeting"]
    document: Name


class CommitmentEventOut(BaseModel):
    kind: str
    label: str
    happened_on: str
    due_on: str | None = None
    note: str | None = None
    actor: str


class BreachRecordOut(BaseModel):
    """The credit record a breach created (HLJ 18 (3)), by its natural key."""

    key: str
    record_id: int | None = None
    state: str | None = None


class VerificationOut(BaseModel):
    number: str
    subject_key: str
    subject_name: str
    commitment_type: str
    fulfilment: str
    fulfilment_label: str
    decided_on: str | None = None
    verify_due_on: str | None = None
    #: where the due day comes from: HLJ 46's two months (Civil Code art. 201-203 for months)
    verify_citations: list[CitationOut] = Field(default_factory=list)
    missing_materials: str | None = None
    materials_due_on: str | None = None
    materials_received_on: str | None = None
    #: "平台设定，非法定": the days for missing materials are the platform's, not the law's
    cure_days_note: str | None = None
    rectify_by: str | None = None
    case_number: str | None = None
    breach_record: BreachRecordOut | None = None
    events: list[CommitmentEventOut] = Field(default_factory=list, max_length=LIST_MAX_ITEMS)


class QueueItemOut(BaseModel):
    number: str
    subject_name: str
    commitment_type: str
    type_label: str
    stage: str
    due_on: str | None = None
    article: str
    fulfilment_label: str
    overdue: bool


class VerifyQueueOut(BaseModel):
    items: list[QueueItemOut]
    note: str

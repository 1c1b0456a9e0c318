"""Request bodies. Elements the law requires are optional here on purpose: the service refuses
their absence itself, in Chinese and citing the article, instead of a generic 422."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from xinyong.common.choices import choice
from xinyong.common.inputs import CalendarDate, Key, Line, Name, RowId, Text
from xinyong.config import LIST_MAX_ITEMS
from xinyong.law.rules import list_labels
from xinyong.subjects.schemas import Relation

# -- the codes these bodies carry, with their Chinese labels (a form shows the label, a request
# -- may send either; common/choices.py)

MEASURE_LIST_LABELS = {"incentive": "守信激励", "constraint": "失信约束", "punishment": "失信惩戒"}
#: The pack lists bounding a measure's kind, by measure list (HLJ 26, HLJ 31 ¶1, HLJ 31 ¶2).
KIND_RULES = {
    "incentive": ("incentives.kinds",),
    "constraint": ("constraints.kinds",),
    "punishment": ("punishments.national_base_list", "punishments.supplement_kinds"),
}
TARGET_LABELS = {"subject": "被认定主体", "related_person": "关联人员（法定代表人等，第三十三条）"}
TERM_UNIT_LABELS = {"month": "个月", "year": "年", "calendar_day": "日"}
ENTITY_TYPE_LABELS = {
    "market": "市场主体",
    "person": "自然人",
    "state_unit": "国家机关、国有企事业单位",
    "state_staff": "国家机关、国有企事业单位工作人员",
}
REMOVAL_REASON_LABELS = {
    "objection_upheld": "异议成立",
    "repaired": "信用修复",
    "basis_revoked": "认定依据被撤销、变更或者宣告无效",
}


@cache
def measure_kind_labels() -> dict[str, str]:
    """Every measure kind the packs name (a kind's list is checked by the service)."""
    return list_labels(*(key for keys in KIND_RULES.values() for key in keys))


@cache
def _kind_names() -> dict[str, str]:
    """Name -> code in each list apart (two lists share the code `other`)."""
    return {
        name: code
        for keys in KIND_RULES.values()
        for key in keys
        for code, name in list_labels(key).items()
    }


MeasureList = Annotated[Key, choice(MEASURE_LIST_LABELS)]
#: Checked against its own list by the service (cited): a name is mapped, the rest passes.
MeasureKind = Annotated[Key, choice(measure_kind_labels, aliases=_kind_names, strict=False)]
Target = Annotated[Key, choice(TARGET_LABELS)]
TermUnit = Annotated[Key, choice(TERM_UNIT_LABELS, aliases={"月": "month", "天": "calendar_day"})]
EntityType = Annotated[Key, choice(ENTITY_TYPE_LABELS)]
RemovalReason = Annotated[Key, choice(REMOVAL_REASON_LABELS)]
#: Pack-bound on the date: a name is mapped, anything else reaches the service's cited refusal.
ConductCategory = Annotated[
    Key, choice(lambda: list_labels("serious_dishonesty.conduct_categories"), strict=False)
]
BasisType = Annotated[
    Key, choice(lambda: list_labels("serious_dishonesty.recognition_bases"), strict=False)
]
Scenario = Annotated[Key, choice(lambda: list_labels("query.mandatory_scenarios"), strict=False)]


def _keys() -> Any:
    """A list of codes in a request: at most LIST_MAX_ITEMS of them."""
    return Field(default_factory=list, max_length=LIST_MAX_ITEMS)


class MeasureIn(BaseModel):
    code: Line = Field(min_length=1, max_length=64)
    list_kind: MeasureList
    kind: MeasureKind
    name: Line = Field(min_length=1, max_length=300)
    legal_basis: Line | None = Field(default=None, max_length=500)
    scenarios: list[Scenario] = _keys()
    conduct_categories: list[ConductCategory] = _keys()
    targets: list[Target] = Field(default_factory=lambda: ["subject"], max_length=LIST_MAX_ITEMS)
    implementing_agency: Line = Field(min_length=1, max_length=200)
    term_amount: int | None = Field(default=None, gt=0, le=1200)  # a century of months at most
    term_unit: TermUnit | None = None


class CriteriaIn(BaseModel):
    code: Line = Field(min_length=1, max_length=64)
    authority: Line = Field(min_length=1, max_length=200)
    industry: Line = Field(min_length=1, max_length=100)
    title: Line = Field(min_length=1, max_length=300)
    text: Text = Field(min_length=1)
    approval: Line | None = Field(default=None, max_length=300)
    published_on: CalendarDate | None = None


class RelatedPerson(BaseModel):
    person_key: Key
    person_name: Name
    relation: Relation


class RecognitionIn(BaseModel):
    """A recognition decision (认定决定): the five elements of HLJ 28 ¶2 are required."""

    subject_key: Key
    subject_name: Name | None = None
    entity_type: EntityType = "market"
    authority: Line = Field(min_length=1, max_length=200)
    conduct_category: ConductCategory | None = None  # serious list: HLJ 29 / HRB 32
    criteria_code: Key | None = None  # red list: HLJ 25
    basis_type: BasisType | None = None  # HLJ 27
    basis_document: Line | None = Field(default=None, max_length=300)
    reasons: Text | None = None
    valid_until: CalendarDate | None = None  # the term
    removal_conditions: Text | None = None
    remedies: Text | None = None
    decided_on: CalendarDate | None = None
    reviewed_by: Name | None = None  # the second reviewer (prudent recognition, HLJ 30 ¶3)
    circumstances: list[Key] = _keys()  # HLJ 30 ¶2 exemption codes
    related_persons: list[RelatedPerson] = Field(default_factory=list, max_length=LIST_MAX_ITEMS)
    notify: dict[Key, Name] = Field(default_factory=dict, max_length=LIST_MAX_ITEMS)  # HLJ 32
    measures: list[Key] = _keys()  # the measures decided; [] = all linked
    record_id: RowId | None = None  # the credit record the listing rests on, if on the platform


class RemovalIn(BaseModel):
    reason: RemovalReason
    note: Text = Field(min_length=1)


class EmergencyIn(BaseModel):
    region: Line = Field(min_length=2, max_length=6)
    name: Line = Field(min_length=1, max_length=200)
    starts_on: CalendarDate
    ends_on: CalendarDate


class CheckIn(BaseModel):
    scenario: Scenario
    subjects: list[Key] = Field(min_length=1)  # how many: lists.check.MAX_SUBJECTS
    matter: Line | None = Field(default=None, max_length=300)


class PublishIn(BaseModel):
    published_on: CalendarDate | None = None


class NoticeIn(BaseModel):
    delivered_on: CalendarDate


class HandlingIn(BaseModel):
    handling: Text


# -- response bodies


class CitationOut(BaseModel):
    """An article applied, as the law packs cite it."""

    instrument: str = Field(description="法规名称", examples=["黑龙江省社会信用条例"])
    article: int | None = Field(description="条")
    paragraph: int | None = Field(description="款")
    item: int | None = Field(description="项")
    document: str | None = Field(description="文号")
    label: str = Field(
        description="引用的中文写法", examples=["《黑龙江省社会信用条例》第二十八条"]
    )


class TermOut(BaseModel):
    amount: int = Field(description="期限的数量")
    unit: str | None = Field(description="期限的单位：month 月、year 年、calendar_day 日")


class MeasureOut(BaseModel):
    """A measure of a published list (HLJ 26, 31)."""

    code: str = Field(description="措施代码")
    list_kind: str = Field(
        description="所属清单：incentive 守信激励、constraint 失信约束、punishment 失信惩戒"
    )
    kind: str = Field(description="措施种类代码（法律规则包所列）")
    name: str = Field(description="措施名称")
    legal_basis: str | None = Field(description="措施依据")
    scenarios: list[str] = Field(description="适用的核查场景代码")
    conduct_categories: list[str] = Field(
        description="关联的严重失信行为类别代码（第三十条第一款）"
    )
    targets: list[str] = Field(description="实施对象：subject 被认定主体、related_person 关联人员")
    implementing_agency: str = Field(description="实施部门")
    term: TermOut | None = Field(description="措施期限；与名单有效期一致的为空")
    published_on: str | None = Field(description="公布日期（YYYY-MM-DD）；未公布为空")
    withdrawn_on: str | None = Field(description="撤回日期（YYYY-MM-DD）")


class CriteriaOut(BaseModel):
    """Published red-list criteria (HLJ 25 ¶1)."""

    code: str = Field(description="标准代码")
    authority: str = Field(description="制定部门")
    industry: str = Field(description="行业或领域")
    title: str = Field(description="标题")
    text: str = Field(description="标准内容")
    approval: str | None = Field(description="本级人民政府同意的文件")
    published_on: str = Field(description="公布日期（YYYY-MM-DD）")


class CriteriaCreatedOut(BaseModel):
    code: str = Field(description="标准代码")
    published_on: str = Field(description="公布日期（YYYY-MM-DD）")


class ListEntryOut(BaseModel):
    """A written decision (认定决定书) of the red list or the serious-dishonesty list; a natural
    person's name and ID number masked for readers other than the person and staff."""

    model_config = ConfigDict(populate_by_name=True)  # `list` is its JSON name

    number: str = Field(description="认定决定书编号")
    list_: str = Field(
        alias="list", description="名单代码：red 守信激励名单、serious 严重失信主体名单"
    )
    list_label: str = Field(description="名单名称")
    subject_key: str = Field(description="主体代码（自然人的身份证号码按规定遮蔽）")
    subject_name: str = Field(description="主体名称（自然人按规定遮蔽，如张*）")
    subject_kind: str = Field(description="主体类别代码")
    authority: str = Field(description="认定单位")
    conduct_category: str | None = Field(description="严重失信行为类别代码（第二十九条）")
    criteria: str | None = Field(description="守信激励名单的认定标准代码（第二十五条）")
    basis_type: str | None = Field(description="认定依据的类别代码（第二十七条）")
    basis_document: str | None = Field(description="认定依据的文书")
    reasons: str | None = Field(description="认定理由")
    decided_on: str = Field(description="决定日期（YYYY-MM-DD）")
    valid_from: str | None = Field(description="生效日期（送达后生效）；未生效为空")
    valid_until: str = Field(description="有效期至（YYYY-MM-DD）")
    removal_conditions: str | None = Field(description="移出条件")
    remedies: str | None = Field(description="救济途径")
    state: str = Field(description="状态代码")
    status: str = Field(description="状态（中文）")
    in_force: bool = Field(description="今日是否有效")
    relation: str | None = Field(description="关联人员与主体的关系代码（第三十三条）")
    relation_label: str | None = Field(description="关联关系（中文）")
    parent_id: int | None = Field(description="关联人员所随的主体名单条目")
    removed_on: str | None = Field(description="移出日期")
    removal_reason: str | None = Field(description="移出原因代码")
    removal_citation: str | None = Field(description="移出所依据的条款")
    citations: list[CitationOut] = Field(description="认定所适用的条款")


class CourtSyncOut(BaseModel):
    added: int = Field(description="新列入严重失信主体名单的失信被执行人数")
    removed: int = Field(description="移出名单的数量")


class StateUnitNoticeOut(BaseModel):
    """A notification to a state organ or public institution (HLJ 32 ¶2)."""

    id: int = Field(description="通报编号")
    entry: str = Field(description="认定决定书编号")
    subject: str = Field(description="被认定主体名称")
    recipient_kind: str = Field(description="接收方类别代码")
    recipient: str = Field(description="接收方名称")
    sent_at: str = Field(description="通报时间（ISO 8601）")
    answered_at: str | None = Field(description="反馈处理情况的时间；未反馈为空")
    handling: str | None = Field(description="处理情况")


class NoticeAnsweredOut(BaseModel):
    id: int = Field(description="通报编号")
    answered_at: str | None = Field(description="反馈处理情况的时间（ISO 8601）")


class EmergencyOut(BaseModel):
    id: int = Field(description="应对期间编号")
    region: str = Field(description="行政区划代码")
    starts_on: str = Field(description="开始日期（YYYY-MM-DD）")
    ends_on: str = Field(description="结束日期（YYYY-MM-DD）")


class CheckMeasureOut(BaseModel):
    """A measure that applies to a checked subject, with the listing it rests on."""

    model_config = ConfigDict(populate_by_name=True)  # `list` is its JSON name

    measure: str = Field(description="措施代码")
    name: str = Field(description="措施名称")
    kind: str = Field(description="所属清单代码：incentive、constraint、punishment")
    legal_basis: str | None = Field(description="措施依据")
    implementing_agency: str = Field(description="实施部门")
    entry: str = Field(description="认定决定书编号")
    list_: str = Field(alias="list", description="所在名单")
    relation: str | None = Field(description="作为关联人员适用时的关联关系代码")
    basis: str | None = Field(description="认定依据的文书")
    until: str = Field(description="措施适用至（YYYY-MM-DD）")
    removal_conditions: str | None = Field(
        default=None, description="移出条件：措施如何解除（哈尔滨办法第三十一条第三款）"
    )
    remedies: str | None = Field(default=None, description="救济途径")
    citations: list[str] = Field(description="所依据的条款")


class CheckResultOut(BaseModel):
    """The answer for one input line: exactly one status."""

    subject_key: str = Field(description="输入的代码（去除空格、转为大写）")
    found: bool = Field(description="平台有该主体的信息")
    incentives: list[CheckMeasureOut] = Field(description="适用的激励措施")
    restrictions: list[CheckMeasureOut] = Field(description="适用的约束和惩戒措施")
    name: str | None = Field(default=None, description="主体名称（平台有其信息时）")
    status: str = Field(
        description="核查结论：invalid 代码无效、not_held 平台无该主体信息、"
        "no_measures 平台有该主体信息但无适用措施、measures 适用奖惩措施"
    )
    problem: str | None = Field(
        default=None,
        description="代码无效时未通过的规则",
        examples=["统一社会信用代码校验码应为J（输入为K）"],
    )


class CheckOut(BaseModel):
    """A joint check (联合奖惩核查, HLJ 44), stored with its digest and audit receipt."""

    check_id: int = Field(description="核查编号")
    scenario: str = Field(description="核查场景代码")
    scenario_name: str = Field(description="核查场景")
    matter: str | None = Field(description="事项（所涉许可、采购等）")
    agency: str = Field(description="核查机关")
    asked_at: str = Field(description="核查时间（北京时间）", examples=["2026-12-07 16:55:01"])
    counts: dict[str, int] = Field(description="各核查结论的主体数")
    on: str = Field(description="核查所依据的日期（YYYY-MM-DD）")
    asked_by: str = Field(description="核查账户")
    subjects: int = Field(description="核查的主体数")
    with_measures: int = Field(description="适用奖惩措施的主体数")
    digest: str = Field(description="结果摘要（SHA-256）")
    audit_receipt: int | None = Field(description="审计日志中的回执编号")
    results: list[CheckResultOut] = Field(description="每行输入的结论")

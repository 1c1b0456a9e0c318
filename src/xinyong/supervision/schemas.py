"""Request and response bodies of graded supervision's routes: inspection plans (HLJ 48, 49),
their pools, the agency's inspectors and conflicts, the draw and its verification."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from xinyong.common.choices import choice
from xinyong.common.inputs import CalendarDate, Key, Name
from xinyong.config import LIST_MAX_ITEMS

#: HLJ 49 ¶1's fields, word for word, and one for everything else (not named by HLJ 49)
FIELDS: dict[str, str] = {
    "food_drugs": "食品药品",
    "environment": "生态环境",
    "construction_quality": "工程质量",
    "work_safety": "安全生产",
    "elderly_child_care": "养老托幼",
    "urban_safety": "城市运行安全",
    "other": "其他领域",
}
KEY_FIELDS = frozenset(FIELDS) - {"other"}
HLJ49_TEXT = (
    "《黑龙江省社会信用条例》第四十九条第一款：市级和县级行政机关应当加大食品药品、生态环境、"
    "工程质量、安全生产、养老托幼、城市运行安全等与人民群众生命财产安全直接相关领域的监督检查力度，"
    "依法追究违法失信责任。"
)
RATIO_NOTE = (
    "抽查比例由实施抽查的机关设定，非法定：《黑龙江省社会信用条例》第四十八条只规定"
    "信用较好、风险较低的可以合理降低抽查比例和频次，违法失信、风险较高的适当提高，未规定具体比例"
)
KEY_FIELD_NOTE = "第四十九条所列领域加大监督检查力度；本计划较高的抽查比例为实施机关的选择，非法定"
SEED_NOTE = (
    "抽取前公布随机种子的承诺值（种子的SHA-256），抽取时公开种子；任何人可核对承诺值并按公布的"
    "名录和算法重新计算抽取结果"
)
ALGORITHM = (
    "一、按类别抽取检查对象：依次对“违法失信、风险较高”“信用风险一般”“信用较好、风险较低”三类，"
    "每类抽取“该类对象数 × 该类比例”向上取整个对象（比例以千分数计），抽中的是"
    " SHA-256(种子 + 换行 + “对象” + 换行 + 随机编号) 的十六进制小写文本最小的那些对象。\n"
    "二、选派检查人员：按上一步的顺序，为每个抽中的对象从与其无回避关系的检查人员中选派规定人数："
    "已分派次数最少者优先，次数相同的按"
    " SHA-256(种子 + 换行 + “检查人员” + 换行 + 随机编号 + 换行 + 执法证号) 从小到大。\n"
    "三、文本一律按 UTF-8 编码；名录和结果以键名排序、无空格的 JSON 文本计算摘要。\n"
    "核验：种子的 SHA-256 应等于抽取前公布的承诺值，名录的 SHA-256 应等于公布的名录摘要，"
    "按上述步骤重新计算的结果应与公布的结果一致。"
)
PER_OBJECT_NOTE = "每个检查对象分派的检查人员数由实施机关设定，非法定"

Field49 = Annotated[str, choice(FIELDS)]
AreaCode = Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
Ratio = Annotated[Decimal, Field(ge=0, le=1, decimal_places=3)]
Hex64 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Nonce = Annotated[str, StringConstraints(min_length=16, max_length=128, pattern=r"^[!-~]+$")]


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agency_code: Key | None = None  # staff name the agency they act for
    matter: Name
    area_code: AreaCode
    field: Field49
    enforcement_field: Name
    period_start: CalendarDate
    period_end: CalendarDate
    draw_on: CalendarDate
    ratio_high: Ratio
    ratio_ordinary: Ratio
    ratio_low: Ratio
    inspectors_per_object: int = Field(default=2, ge=1, le=5)


class ObjectsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject_keys: list[Key] = Field(default_factory=list, max_length=LIST_MAX_ITEMS)
    from_register: bool = False  # every active subject of the plan's area in the register


class InspectorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agency_code: Key | None = None
    code: Key
    name: Name
    enforcement_field: Name


class ConflictIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agency_code: Key | None = None
    subject_key: Key
    reason: Name


class PublishIn(BaseModel):
    """The seed commitment: the agency's own SHA-256 of a nonce it keeps until the draw, or
    none (the platform draws a nonce, publishes its SHA-256 and keeps it until the draw)."""

    model_config = ConfigDict(extra="forbid")

    seed_commitment: Hex64 | None = None


class DrawIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seed: Nonce | None = None  # the agency's nonce, when the agency committed to it


class ClassOut(BaseModel):
    code: str
    name: str
    ratio: str


class PlanOut(BaseModel):
    number: str
    agency_code: str
    agency_name: str
    matter: str
    area_code: str
    field: str
    field_label: str
    key_field: bool
    enforcement_field: str
    period_start: str
    period_end: str
    draw_on: str
    state: str
    state_label: str
    classes: list[ClassOut]
    inspectors_per_object: int
    ratio_note: str
    key_field_note: str | None
    seed_note: str
    seed_source: str | None
    seed_commitment: str | None
    seed: str | None
    inputs_digest: str | None
    result_digest: str | None
    published_at: str | None
    drawn_at: str | None
    announced_at: str | None
    citations: list[str]


class ObjectOut(BaseModel):
    token: str
    subject: str  # an organisation's USCC; a natural person's number masked
    name: str  # natural persons masked
    kind: str
    supervision_class: str | None
    class_name: str | None
    class_source: str | None


class InspectorOut(BaseModel):
    code: str
    name: str
    enforcement_field: str
    active: bool
    conflicts: int


class DrawnOut(BaseModel):
    token: str
    name: str
    subject: str
    supervision_class: str
    class_name: str
    inspectors: list[str]


class ResultOut(BaseModel):
    plan: PlanOut
    objects: list[DrawnOut]


class VerifyOut(BaseModel):
    number: str
    seed_matches_commitment: bool
    inputs_match_digest: bool
    result_matches: bool
    verified: bool
    recomputed: dict[str, Any]


class InputsOut(BaseModel):
    """Everything needed to recompute the draw offline."""

    number: str
    algorithm: str
    seed_commitment: str | None
    seed: str | None
    inputs: dict[str, Any] | None
    inputs_digest: str | None
    result: dict[str, Any] | None
    result_digest: str | None

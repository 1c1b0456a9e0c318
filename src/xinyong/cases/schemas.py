"""Request and response bodies of the remedies: objections, repairs, complaints, basis changes,
decisions, and the notices sent after them."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from xinyong.common.choices import choice
from xinyong.common.inputs import CalendarDate, Key, Name, RowId, Text
from xinyong.config import LIST_MAX_ITEMS
from xinyong.law.rules import list_labels

PAUSE_RULE = "objection.excluded_intervals"
#: Why a decision clock pauses (HLJ 39 ¶2: 检验、检测、检疫、鉴定、专家评审), by code or name.
PauseReason = Annotated[Key, choice(partial(list_labels, PAUSE_RULE))]


class ObjectionIn(BaseModel):
    record_id: RowId
    request: Text
    attachments: list[Name] = Field(default_factory=list, max_length=LIST_MAX_ITEMS)


class ListObjectionIn(BaseModel):
    entry_number: Key
    request: Text


class RepairIn(BaseModel):
    record_id: RowId
    request: Text
    conditions: list[Key] = Field(default_factory=list, max_length=LIST_MAX_ITEMS)
    commitment: Text = ""
    entry_number: Key | None = None


class ComplaintIn(BaseModel):
    request: Text


class BasisChangeIn(BaseModel):
    record_id: RowId
    learned_on: CalendarDate
    request: Text


class TransitionIn(BaseModel):
    #: the decision chosen; none chosen is refused with the article (cases.choice_required)
    to: Key | None = None
    reasons: Text | None = None
    competent_unit: Name | None = None


class PauseIn(BaseModel):
    start: CalendarDate
    end: CalendarDate
    reason: PauseReason


class PaperIn(BaseModel):
    """A paper application received at a service window (HLJ 24), registered by staff."""

    kind: Key  # objection | repair
    record_id: RowId
    applicant: Name
    received_on: CalendarDate
    request: Text
    conditions: list[Key] = Field(default_factory=list, max_length=LIST_MAX_ITEMS)
    commitment: Text = ""


class AttachmentOut(BaseModel):
    """An evidence file received (stored, size- and type-checked)."""

    id: int = Field(description="附件编号，用于下载")
    name: str = Field(description="上传时的文件名")
    size: int = Field(description="大小（字节）")
    type: str = Field(description="按内容判断的类型", examples=["application/pdf"])


class ClockOut(BaseModel):
    """A statutory clock of the case, on the working-day calendar."""

    rule: str = Field(description="时限规则（法律规则包的键）", examples=["objection.mark"])
    started_on: str = Field(description="起算日（YYYY-MM-DD）")
    due_on: str = Field(description="届满日（YYYY-MM-DD）")
    amount: int = Field(description="期限的数量")
    unit: str = Field(description="期限的单位", examples=["working_day"])
    provisional: bool = Field(description="届满日依据的工作日历尚未正式公布（暂定）")
    state: str = Field(description="状态：running 进行中、overdue 已逾期、met 已办结等")
    working_days_left: int | None = Field(description="剩余工作日（逾期为负数）；已办结的为空")
    citations: list[str] = Field(description="所依据的条款")
    notes: list[str] = Field(description="计算说明")
    unverified: bool = Field(description="条款出处未经核实")


class CaseEventOut(BaseModel):
    """One step of the case's history."""

    model_config = ConfigDict(populate_by_name=True)

    at: str = Field(description="时间（ISO 8601）")
    actor: str = Field(description="办理人（账户名或角色）")
    from_: str | None = Field(alias="from", description="原状态；立案时为空")
    to: str = Field(description="新状态")
    reasons: str | None = Field(description="理由或申请内容")
    article: str | None = Field(description="所依据的条款")


class CaseNoticeBrief(BaseModel):
    """A notice sent after the case's outcome, as the case shows it."""

    id: int = Field(description="通知编号")
    to: str = Field(description="接收方")
    kind: str = Field(description="接收方类别：agency 机关、platform 平台、subject 信用主体")
    message: str = Field(description="通知内容")
    acted_at: str | None = Field(description="登记已办理的时间；未办理为空")


class CaseOut(BaseModel):
    """A case (objection, list objection, repair, complaint, basis change) as its readers see it:
    its state, its clocks and its history."""

    number: str = Field(description="案件编号")
    kind: str = Field(description="案件类别代码", examples=["objection"])
    kind_label: str = Field(description="案件类别", examples=["异议"])
    state: str = Field(description="状态代码")
    state_label: str = Field(description="状态（中文）")
    subject_key: str = Field(description="所涉信用主体的代码")
    applicant: str = Field(description="申请人")
    record_id: int | None = Field(description="所涉信用信息的编号")
    entry_number: str | None = Field(description="所涉名单认定决定书的编号")
    received_on: str = Field(description="收到申请之日（YYYY-MM-DD），时限自此起算")
    received_via: str = Field(description="收到的渠道：online 网上、window 服务窗口")
    request: str = Field(description="申请内容")
    outcome: str | None = Field(description="决定结果代码；未决定为空")
    outcome_reasons: str | None = Field(description="决定理由")
    competent_unit: str | None = Field(description="转交的有权处理单位")
    allowed: list[str] = Field(description="当前状态下可以办理的下一步")
    clocks: list[ClockOut] = Field(description="法定时限")
    events: list[CaseEventOut] = Field(description="办理经过")
    notices: list[CaseNoticeBrief] = Field(description="决定后发出的通知")


class QueueItemOut(BaseModel):
    """An open case in the staff queue, by its nearest due date (HLJ 51)."""

    number: str = Field(description="案件编号")
    kind: str = Field(description="案件类别（中文）")
    state: str = Field(description="状态（中文）")
    subject_key: str = Field(description="所涉信用主体的代码")
    rule: str = Field(description="最近届满的时限规则")
    due_on: str = Field(description="最近的届满日（YYYY-MM-DD）")
    overdue: bool = Field(description="已逾期")
    due_today: bool = Field(description="今日届满")
    provisional: bool = Field(description="届满日依据的工作日历为暂定")


class CaseNoticeOut(BaseModel):
    """A notice to act on after an outcome (HLJ 39 ¶3), with its due date."""

    id: int = Field(description="通知编号")
    case: str = Field(description="案件编号")
    recipient_kind: str = Field(
        description="接收方类别：agency 机关、platform 平台、subject 信用主体"
    )
    recipient: str = Field(description="接收方")
    message: str = Field(description="通知内容")
    sent_at: str = Field(description="发出时间（ISO 8601）")
    acted_at: str | None = Field(description="登记已办理的时间；未办理为空")
    due_on: str | None = Field(description="办理期限（YYYY-MM-DD）")
    citations: list[str] = Field(description="期限所依据的条款")
    overdue: bool = Field(description="逾期未办理")


class NoticeActedOut(BaseModel):
    id: int = Field(description="通知编号")
    acted_at: str | None = Field(description="登记已办理的时间（ISO 8601）")

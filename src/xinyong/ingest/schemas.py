"""Request and response bodies of the ingestion and quarantine routes, and the refusal codes a
receipt or an error answer may carry (described in the OpenAPI document and docs/providers.md)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from xinyong.common.inputs import Text
from xinyong.law.schemas import CitationOut


class WithdrawIn(BaseModel):
    reason: Text


#: Why a row was refused: the code in a receipt's `rows_rejected[].reasons[].code`.
ROW_REFUSALS: dict[str, str] = {
    "ingest.required": "缺少必填字段",
    "ingest.unknown_field": "目录项中没有该字段（JSON推送；文件中的多余列则被忽略并在回执中列明）",
    "ingest.forbidden_field": "属于不得采集的信息（宗教信仰、血型、指纹等），整行拒收",
    "ingest.bad_date": "不是存在的日期",
    "ingest.future_date": "日期晚于今天（该字段不得填写将来的日期）",
    "ingest.bad_amount": "不是金额、为负数、小数位过多，或单位与字段不符",
    "ingest.bad_integer": "不是整数",
    "ingest.bad_enum": "不是该字段的可用取值",
    "ingest.too_long": "超过该字段的长度上限",
    "ingest.identifier_missing": "缺少统一社会信用代码或证件号码",
    "identifier.uscc.length": "统一社会信用代码不是18位",
    "identifier.uscc.charset": "统一社会信用代码含有不允许的字符",
    "identifier.uscc.authority": "统一社会信用代码的登记管理部门代码不存在",
    "identifier.uscc.category": "统一社会信用代码的机构类别代码不正确",
    "identifier.uscc.region": "统一社会信用代码的行政区划代码不存在",
    "identifier.uscc.check_character": "统一社会信用代码的校验码不正确",
    "identifier.citizen_id.length": "公民身份号码不是18位",
    "identifier.citizen_id.charset": "公民身份号码含有不允许的字符",
    "identifier.citizen_id.region": "公民身份号码的行政区划代码不存在",
    "identifier.citizen_id.birth_date": "公民身份号码的出生日期码无效",
    "identifier.citizen_id.check_character": "公民身份号码的校验码不正确",
    "identifier.other_id.format": "其他证件号码格式不正确",
    "ingest.simplified_procedure": "适用简易程序作出的行政处罚不纳入目录",
    "ingest.nonpublic_without_consent": "采集自然人非依法公示的信息，未找到本人有效的同意记录",
    "ingest.restricted_without_consent": "采集自然人收入、纳税等信息，未取得本人书面同意",
    "ingest.field_too_long": "字段超过平台的字符数上限（只保留预览）",
    "ingest.nul_character": "字段含有空字符",
    "ingest.bad_encoding": "字段含有不符合文件编码的字节",
    "ingest.too_many_columns": "该行的列数超过平台上限",
}

#: Why a whole request or file was refused: the code of an error answer
#: ({"error": {"code", "message", ...}}), with its HTTP status.
REQUEST_REFUSALS: dict[str, tuple[int, str]] = {
    "ingest.file_type": (422, "只接受.csv、.xlsx、.xls文件"),
    "ingest.empty_file": (422, "文件为空或缺少表头"),
    "ingest.no_header": (422, "前5行中找不到使用目录项字段名的表头"),
    "ingest.bad_header": (422, "表头含有空字符、无法解码的字节或过长"),
    "ingest.duplicate_column": (422, "表头中有重复的列"),
    "ingest.bad_csv": (422, "不是有效的CSV（该行及以后未读取）"),
    "ingest.bad_xlsx": (422, "无法读取的.xlsx文件"),
    "ingest.bad_xls": (422, "无法读取的.xls文件"),
    "ingest.bad_json": (422, "JSON推送中有一条不是对象"),
    "ingest.too_many_rows": (413, "行数超过上限（JSON单次10,000条；工作表按设置）"),
    "ingest.too_many_columns": (413, "表头列数超过平台上限"),
    "ingest.line_too_long": (413, "CSV一行超过字符数上限（此前各行已处理）"),
    "ingest.xlsx_bomb": (413, ".xlsx解压后过大或压缩比过高，疑为压缩炸弹"),
    "ingest.xlsx_parts": (413, ".xlsx的部件过多"),
    "ingest.xlsx_shared_strings": (413, ".xlsx的共享字符串表过大（大量数据请用CSV）"),
    "ingest.xlsx_row_too_large": (413, ".xlsx中一行的XML过大"),
    "ingest.xls_too_large": (413, ".xls文件超过大小上限（请另存为.xlsx或CSV）"),
    "ingest.other_provider": (403, "只能以本单位名义推送"),
    "ingest.role": (403, "只有信息提供单位或代为导入的工作人员可以推送"),
    "ingest.provider_not_allowed": (403, "目录项未列明本单位为提供单位"),
    "ingest.unknown_provider": (404, "提供单位不存在或已停用"),
    "catalog.unknown_item": (404, "目录项不存在"),
    "ingest.unknown_batch": (404, "批次不存在"),
}

#: The settings that bound what a push may hold (XINYONG_ + the name in capitals).
LIMIT_SETTINGS: dict[str, str] = {
    "max_push_body_bytes": "JSON推送的请求体字节数（默认32 MiB）",
    "max_upload_bytes": "上传文件的字节数（默认256 MiB）",
    "ingest_max_columns": "表头列数、每行读取的单元格数、每条JSON记录的字段数（默认200）",
    "ingest_max_field_chars": "一个字段的字符数（默认32,767，与Excel单元格相同）",
    "ingest_max_line_chars": "CSV一条记录的字符数（默认1,048,576）",
    "ingest_xlsx_max_rows": "工作表行数（默认1,048,576，与Excel相同）",
    "ingest_xlsx_max_expanded_bytes": ".xlsx解压后的字节数（默认2 GiB）",
    "ingest_xlsx_max_ratio": ".xlsx大于1 MiB的部件的压缩比（默认100:1）",
    "ingest_xlsx_max_shared_strings_bytes": ".xlsx共享字符串表的字节数（默认64 MiB）",
    "ingest_xlsx_max_parts": ".xlsx的部件数（默认1,000）",
    "ingest_xls_max_bytes": ".xls文件的字节数（默认32 MiB）",
}


def refusals_markdown() -> str:
    """The refusal codes and limits as Markdown, for the OpenAPI descriptions."""
    rows = "\n".join(f"| `{c}` | {m} |" for c, m in ROW_REFUSALS.items())
    whole = "\n".join(f"| `{c}` | {s} | {m} |" for c, (s, m) in REQUEST_REFUSALS.items())
    limits = "\n".join(f"| `XINYONG_{k.upper()}` | {m} |" for k, m in LIMIT_SETTINGS.items())
    return (
        "**行的拒收原因**（回执 `rows_rejected[].reasons[].code`；该行进入待更正区）\n\n"
        f"| 代码 | 含义 |\n|---|---|\n{rows}\n\n"
        "**整个请求的拒绝**（错误答复 `error.code`）\n\n"
        f"| 代码 | 状态 | 含义 |\n|---|---|---|\n{whole}\n\n"
        f"**上限及其设置**\n\n| 设置 | 限制 |\n|---|---|\n{limits}\n"
    )


class ReasonOut(BaseModel):
    """One reason a row was refused."""

    code: str = Field(description="稳定的代码，见拒收原因表", examples=["ingest.required"])
    message: str = Field(description="中文说明", examples=["缺少必填字段“违法事实”"])
    field: str | None = Field(description="涉及的字段（目录项的中文字段名）；整行的原因为空")
    articles: list[str] = Field(
        description="所依据的条款", examples=[["《黑龙江省社会信用条例》第十九条"]]
    )


class RejectedRowOut(BaseModel):
    """A refused row: kept in the quarantine, with every reason."""

    row: int = Field(
        description="行号：文件中为工作表的行号（表头及其上方的标题行也计数）；JSON中为第几条"
    )
    quarantine_id: int | None = Field(description="待更正区中该行的编号，用于更正或撤回")
    reasons: list[ReasonOut]


class Receipt(BaseModel):
    """The receipt of a batch: every row counted once, as accepted (a new record), updated (a new
    version), unchanged (the same record pushed again) or rejected (quarantined with reasons).
    Row numbers are given as ranges [first, last]."""

    model_config = ConfigDict(extra="allow")

    batch_id: int = Field(description="批次编号：GET /api/ingest/batches/{batch_id} 可再次查看回执")
    provider: str = Field(description="提供单位代码")
    item: str = Field(description="目录项代码")
    item_version: int = Field(description="校验所依据的目录项版本")
    rows: int = Field(description="读到的数据行数（空行不计）")
    accepted: int = Field(description="新增的记录数")
    updated: int = Field(description="更新（形成新版本）的记录数")
    unchanged: int = Field(description="与现有记录相同、未变的行数")
    rejected: int = Field(description="拒收并进入待更正区的行数")
    rows_accepted: list[list[int]] = Field(
        default_factory=list, description="新增各行的行号区间", examples=[[[2, 40]]]
    )
    rows_updated: list[list[int]] = Field(default_factory=list, description="更新各行的行号区间")
    rows_unchanged: list[list[int]] = Field(default_factory=list, description="未变各行的行号区间")
    rows_rejected: list[RejectedRowOut] = Field(
        default_factory=list, description="拒收的各行及其原因"
    )
    unverified: str | None = Field(default=None, description="目录项的出处未经核实时的提示")
    ignored_columns: list[str] | None = Field(
        default=None,
        description="文件中目录项没有的列（如“备注”“序号”以外的自加列）：其内容未归集",
        examples=[["内部备注"]],
    )
    notes: list[str] | None = Field(
        default=None, description="中文提示：忽略的列、随之进行的处理（如列入名单）等"
    )


class BatchOut(Receipt):
    """A batch as stored: its state and source, and the receipt written when it closed (or what
    it committed before it stopped, with `error`)."""

    state: str = Field(
        description="processing（处理中）、done（完成）、failed（中止）或interrupted（进程意外终止）"
    )
    source: str = Field(description="api（JSON推送）、csv、xlsx 或 xls")
    filename: str | None = Field(default=None, description="上传的文件名")
    error: dict[str, str] | None = Field(default=None, description="中止的原因：code 与 message")


# -- provider portal (issue 16): fix in place ----------------------------------------------------


class QuarantineFixIn(BaseModel):
    fields: dict[Text, str | int | float | None] = Field(
        min_length=1,
        max_length=200,
        description="只报更正的字段（中文字段名: 新值；空值清除），其余沿用原行",
    )


class BatchesOut(BaseModel):
    """A page of the unit's batches, newest first."""

    total: int = Field(description="符合条件的批次总数")
    batches: list[BatchOut]


class QuarantineReasonOut(BaseModel):
    """One reason a quarantined row was refused, as stored with the row."""

    code: str = Field(description="稳定的代码，见拒收原因表", examples=["ingest.required"])
    message: str = Field(description="中文说明")
    field: str | None = Field(default=None, description="涉及的字段；整行的原因为空")
    citations: list[CitationOut] = Field(default_factory=list, description="所依据的条款")


class QuarantinedRowOut(BaseModel):
    """A refused row in the quarantine: the row as received, its reasons and its state."""

    id: int = Field(description="待更正区中该行的编号")
    batch_id: int = Field(description="最近一次推送该行的批次")
    provider: str = Field(description="提供单位代码")
    item: str = Field(description="目录项代码")
    row: int = Field(description="源文件中的行号（JSON推送中为第几条）")
    record_key: str | None = Field(description="记录键（能读出时）")
    payload: dict[str, Any] = Field(description="收到的该行（中文字段名: 值）")
    reasons: list[QuarantineReasonOut] = Field(description="拒收原因")
    state: str = Field(description="open（待更正）、resubmitted（已更正）或withdrawn（已撤回）")
    state_label: str = Field(description="状态（中文）")
    attempts: int = Field(description="该源行被推送的次数")
    resolution: str | None = Field(description="处理结果（中文）")
    resolved_batch_id: int | None = Field(description="更正后入库的批次")
    received_at: str = Field(description="收到时间（ISO 8601）")


class QuarantinePageOut(BaseModel):
    """A page of the unit's quarantine."""

    total: int = Field(description="符合条件的行数")
    rows: list[QuarantinedRowOut]

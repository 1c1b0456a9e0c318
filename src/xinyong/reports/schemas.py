"""Request and response bodies of the credit report routes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from xinyong.common.inputs import Key, Name


class ReportIn(BaseModel):
    subject_key: Key
    purpose: Name | None = None


class VerifyIn(BaseModel):
    number: Key
    code: Key
    content: dict[str, Any] | None = None


class IssuedReportOut(BaseModel):
    """A report just issued: keep the number and the verification code to verify it later."""

    number: str = Field(description="报告编号")
    verification_code: str = Field(description="验证码（与编号一起核验报告）")
    digest: str = Field(description="报告内容的摘要")
    pdf: str = Field(description="下载PDF的地址")
    content: dict[str, Any] = Field(description="报告内容（查询者此时可见的信息）")


class VerifyOut(BaseModel):
    """Whether a report is authentic; with its content, whether that is what was issued. The
    report's particulars are answered only for an authentic report."""

    authentic: bool = Field(description="编号和验证码是否相符")
    message: str | None = Field(default=None, description="核验结论（中文）")
    number: str | None = Field(default=None, description="报告编号")
    generated_at: str | None = Field(default=None, description="出具时间（北京时间）")
    as_of: str | None = Field(default=None, description="信息截至日期（YYYY-MM-DD）")
    digest: str | None = Field(default=None, description="报告内容的摘要")
    subject: str | None = Field(default=None, description="信用主体名称")
    content_matches: bool | None = Field(
        default=None, description="所附内容是否与签发时一致（提交内容时）"
    )


#: The PDF download as the OpenAPI document describes it (a binary body, not JSON).
PDF_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "信用报告PDF",
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
    }
}

"""Response bodies of the audit routes."""

from __future__ import annotations

from pydantic import BaseModel, Field


class AuditVerifyOut(BaseModel):
    """The outcome of checking the hash chain and the signed tree heads."""

    ok: bool = Field(description="审计日志是否完整")
    checked: int = Field(description="核验的条数")
    last_id: int = Field(description="核验到的最后一条")
    bad_id: int | None = Field(description="第一条有问题的记录")
    problem: str | None = Field(
        description="问题类型：edited/deleted/inserted/checkpoint/rewritten/truncated/heads/head_row"
    )
    message: str = Field(description="核验结论（中文）")

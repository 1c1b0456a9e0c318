"""Request bodies of the ingestion and quarantine routes."""

from __future__ import annotations

from pydantic import BaseModel, Field

from xinyong.common.inputs import Text


class WithdrawIn(BaseModel):
    reason: Text


# -- provider portal (issue 16): fix in place ----------------------------------------------------


class QuarantineFixIn(BaseModel):
    fields: dict[Text, str | int | float | None] = Field(
        min_length=1,
        max_length=200,
        description="只报更正的字段（中文字段名: 新值；空值清除），其余沿用原行",
    )

"""Request bodies of a subject's authorisations (HLJ 24, 36) and publicity choice (HLJ 37)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from xinyong.common.inputs import CalendarDate, Key, Line, Name
from xinyong.config import LIST_MAX_ITEMS


class GrantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grantee: Name = Field(min_length=1, description="被授权方的用户名")
    items: list[Key] = Field(
        min_length=1, max_length=LIST_MAX_ITEMS, description="授权查询的目录项代码"
    )
    purpose: Line = Field(min_length=2, max_length=300)
    expires_on: CalendarDate


class PreferencesIn(BaseModel):
    hide_good_information: bool


class AuthorisationOut(BaseModel):
    """One authorisation as the subject who gave it sees it."""

    id: int
    grantee: str = Field(description="被授权方的用户名")
    items: list[str] = Field(description="授权查询的目录项代码")
    purpose: str = Field(description="查询用途")
    granted_at: str = Field(description="授权时间（ISO 8601）")
    expires_on: str = Field(description="到期日（YYYY-MM-DD）")
    revoked_at: str | None = Field(description="撤销时间（ISO 8601），未撤销为空")
    valid: bool = Field(description="今天是否有效")


class PreferencesOut(BaseModel):
    hide_good_information: bool = Field(description="守信信息是否不予公示（HLJ 37）")

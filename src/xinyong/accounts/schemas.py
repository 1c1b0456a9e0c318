"""Request and response bodies of the accounts routes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from xinyong.common.inputs import Name
from xinyong.common.roles import Role


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: dt.datetime
    role: str


class ApiKeyIn(BaseModel):
    label: Name


class RotateIn(BaseModel):
    grace_hours: int = Field(default=0, ge=0, le=720, description="旧密钥继续有效的小时数")
    days: int | None = Field(default=None, ge=1, le=3650, description="新密钥有效天数")


class NewKeyIn(BaseModel):
    username: str = Field(max_length=120)
    label: str = Field(max_length=200)
    days: int | None = Field(default=None, ge=1, le=3650)


# -- the administrators' console ----------------------------------------------------------------


class AccountIn(BaseModel):
    """A new account. Without `password` a temporary one is answered once and must be changed
    at the first login."""

    username: str = Field(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9_.@-]+$")
    display_name: Name = Field(min_length=1, description="姓名或单位名称")
    role: Role
    password: str | None = Field(default=None, min_length=8, max_length=200)
    subject_key: str | None = Field(default=None, max_length=64, description="信用主体账户")
    organisation: Name | None = None
    provider_code: str | None = Field(default=None, max_length=40, description="所属提供单位")
    agency_code: str | None = Field(default=None, max_length=18, description="所属国家机关代码")


class AccountOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    role_label: str
    organisation: str | None
    provider_code: str | None
    agency_code: str | None
    active: bool
    must_change_password: bool
    status_label: str
    created_at: dt.datetime
    disabled_at: dt.datetime | None


class AccountCreatedOut(BaseModel):
    account: AccountOut
    temporary_password: str | None = Field(description="临时密码，只显示这一次")


class BindIn(BaseModel):
    provider_code: str | None = Field(default=None, max_length=40)
    agency_code: str | None = Field(default=None, max_length=18)


class PasswordResetOut(BaseModel):
    username: str
    temporary_password: str = Field(description="临时密码，只显示这一次；下次登录须先修改")


class PasswordChangeIn(BaseModel):
    current_password: str = Field(max_length=200)
    new_password: str = Field(min_length=8, max_length=200)


class ProviderUnitIn(BaseModel):
    code: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")
    name: Name = Field(min_length=1)
    uscc: str = Field(max_length=40, description="统一社会信用代码")
    level: str = Field(default="city", description="province/city/county/township")
    region: str = Field(max_length=6, description="行政区划代码")


class ProviderUnitOut(BaseModel):
    code: str
    name: str
    uscc: str | None
    level: str
    region: str
    state: str


class AgencyIn(BaseModel):
    uscc: str = Field(max_length=40, description="统一社会信用代码")
    name: Name = Field(min_length=1)
    region: str = Field(max_length=6, description="行政区划代码")


class AgencyOut(BaseModel):
    uscc: str
    name: str
    region: str
    state: str


class AdminLogOut(BaseModel):
    id: int
    occurred_at: dt.datetime
    action: str
    action_label: str
    actor: str | None
    object_type: str | None
    object_id: str | None
    detail: dict[str, Any]


class UnitOut(BaseModel):
    """The provider unit an account acts for."""

    code: str
    name: str


class MeOut(BaseModel):
    role: str
    role_label: str
    username: str | None
    display_name: str | None
    subject_key: str | None
    organisation: str | None
    provider: UnitOut | None = Field(default=None, description="信息提供单位账户所代表的单位")


# -- API keys ------------------------------------------------------------------------------------


class ApiKeyOut(BaseModel):
    """An API key as its holder and the key managers see it (never the key itself)."""

    id: int
    username: str = Field(description="持有账户")
    prefix: str = Field(description="密钥前缀（用于辨认，不能用于访问）")
    label: str = Field(description="用途说明")
    created_at: str = Field(description="签发时间（ISO 8601）")
    expires_at: str | None = Field(description="到期时间（ISO 8601），不设到期为空")
    revoked_at: str | None = Field(description="吊销或被替换的时间（ISO 8601）")
    replaced_by_id: int | None = Field(description="轮换后替换它的新密钥编号")
    status: str = Field(description="active/expired/revoked/rotated")
    status_label: str = Field(description="状态（中文）")


class NewApiKeyOut(BaseModel):
    api_key: str = Field(description="新密钥，只显示这一次")


class IssuedApiKeyOut(BaseModel):
    api_key: str = Field(description="新密钥，只显示这一次")
    username: str = Field(description="持有账户")


class RotatedApiKeyOut(BaseModel):
    api_key: str = Field(description="接替的新密钥，只显示这一次")
    replaces: int = Field(description="被轮换的旧密钥编号")


class RevokedApiKeyOut(BaseModel):
    revoked: int = Field(description="已吊销的密钥编号")

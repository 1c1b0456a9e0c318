"""Request and response bodies of the accounts routes."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from xinyong.common.inputs import Name


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

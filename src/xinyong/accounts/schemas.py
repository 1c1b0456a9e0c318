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

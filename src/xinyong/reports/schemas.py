"""Request bodies of the credit report routes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from xinyong.common.inputs import Key, Name


class ReportIn(BaseModel):
    subject_key: Key
    purpose: Name | None = None


class VerifyIn(BaseModel):
    number: Key
    code: Key
    content: dict[str, Any] | None = None

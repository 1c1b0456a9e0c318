"""Request bodies of the ingestion and quarantine routes."""

from __future__ import annotations

from pydantic import BaseModel

from xinyong.common.inputs import Text


class WithdrawIn(BaseModel):
    reason: Text

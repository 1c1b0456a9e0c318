"""The platform's own answers (the health probe's); every domain's are in its schemas.py."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel


class Health(BaseModel):
    status: str
    platform: str
    platform_name: str
    database: str
    time: dt.datetime

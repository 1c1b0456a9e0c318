"""Settings (pydantic-settings). Environment variables start with XINYONG_."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="XINYONG_", env_file=".env", extra="ignore")

    #: Which platform this deployment is: 230000 the province's, 230100 Harbin's
    #: (see law/platforms.yaml).
    platform: str = "230000"
    #: The data folder: the embedded SQLite database, the secret key, uploads.
    data_dir: Path = Path("var")
    #: SQLAlchemy URL; empty means SQLite in the data folder.
    database_url: str = ""
    #: Signs audit checkpoints; kept out of the database. Empty: generated once under data_dir.
    secret_key: str = ""
    #: How long a web session or bearer token lasts (platform policy, not a statutory value).
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    #: Public (anonymous) profile answers an event loop keeps on embedded SQLite until anything
    #: changes or the day ends (sharing/service.py); 0 keeps none (platform policy, not law).
    public_answers_kept: int = Field(default=10_000, ge=0)

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'xinyong.db').resolve()}"

    def resolved_secret_key(self) -> str:
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


# Input limits. Fixed, not settings: they are part of the published API schema (OpenAPI
# maxLength/maximum), which clients rely on; common/inputs.py turns them into the types every
# route and request model uses, and a value beyond them is refused with a Chinese 422.

#: Longest code, key, number or identifier in a path, query or body (统一社会信用代码 is 18).
KEY_MAX_CHARS = 64
#: Longest name, label, purpose, title or search text (one line).
NAME_MAX_CHARS = 200
#: Longest free text: a request, reasons, a decision's text (lines allowed).
TEXT_MAX_CHARS = 10_000
#: Most entries in a list in a request body (attachments, conditions, items...).
LIST_MAX_ITEMS = 1_000
#: Deepest page of a paged public list (20 rows a page).
PAGE_MAX = 10_000
#: Longest record key (a 处罚决定书文号, or several fields joined): credit_records.record_key.
RECORD_KEY_MAX_CHARS = 300

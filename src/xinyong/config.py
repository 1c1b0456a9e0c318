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
    #: Worker threads that run the synchronous routes (anyio's default is 40); the database
    #: pool is sized from it (db.make_engine).
    worker_threads: int = Field(default=40, ge=1, le=1000)
    #: Seconds a request waits for its turn to write (the SQLite write gate, a PostgreSQL row
    #: lock, a pooled connection) before it is refused with 503 and Retry-After, having written
    #: nothing. An ingestion whose batch is open waits longer (db.PATIENT_WAIT_SECONDS).
    write_wait_seconds: float = Field(default=10.0, gt=0, le=600)
    #: Requests served at once; one more is refused at once with 503 and Retry-After (0: no
    #: limit). /api/health is not counted.
    max_in_flight: int = Field(default=1000, ge=0)
    #: The Retry-After (seconds) of a 503 answered when the platform is saturated.
    retry_after_seconds: int = Field(default=2, ge=1, le=3600)

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

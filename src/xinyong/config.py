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

    # What an ingestion reader accepts (ingest/readers.py); platform limits, not law. A row over
    # a field-level limit is quarantined with a short preview; a file over a file-level limit is
    # refused with a message naming the setting.
    #: Columns in a file's header, cells read per spreadsheet row, fields in one JSON record.
    ingest_max_columns: int = Field(default=200, ge=1)
    #: Characters in one field (Excel's own cell limit).
    ingest_max_field_chars: int = Field(default=32_767, ge=1)
    #: Characters in one CSV record (one line, or several when a quoted field holds newlines).
    ingest_max_line_chars: int = Field(default=1_048_576, ge=1)
    #: Bytes an .xlsx may expand to: the parts' declared sizes, and what is actually inflated.
    ingest_xlsx_max_expanded_bytes: int = Field(default=2 * 1024**3, ge=1)
    #: Compression ratio of any part of an .xlsx over 1 MiB expanded (real sheets: about 20:1).
    ingest_xlsx_max_ratio: int = Field(default=100, ge=1)
    #: Expanded size of an .xlsx's shared-strings table (read whole into memory).
    ingest_xlsx_max_shared_strings_bytes: int = Field(default=64 * 1024**2, ge=1)
    #: Parts (zip entries) in an .xlsx.
    ingest_xlsx_max_parts: int = Field(default=1_000, ge=1)
    #: Rows of the first worksheet (Excel's own limit).
    ingest_xlsx_max_rows: int = Field(default=1_048_576, ge=1)
    #: A chunk that met a concurrent push of the same record is re-run this many times.
    ingest_conflict_retries: int = Field(default=5, ge=0)
    #: A batch still `processing` whose process runs on another host is taken as crashed when it
    #: has committed nothing for this long (same host: checked by process id at once).
    ingest_stale_minutes: int = Field(default=60, ge=1)

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

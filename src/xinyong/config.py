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

    # --- Request bodies (web/security.py): refused with 413 before they are read ---
    #: Largest request body of an ordinary JSON or form request, in bytes.
    max_body_bytes: int = Field(default=1 << 20, ge=1024)
    #: Largest body of a JSON records push (POST /api/ingest/{item}/records, up to 10,000 rows).
    max_push_body_bytes: int = Field(default=32 << 20, ge=1024)
    #: Largest multipart upload (a CSV/Excel file pushed, a list checked), in bytes.
    max_upload_bytes: int = Field(default=256 << 20, ge=1024)

    # --- Transport and browser security (web/security.py) ---
    #: The platform is served over TLS (directly or behind a proxy): cookies get `Secure`,
    #: answers carry HSTS. A request that arrives over https (scheme, or X-Forwarded-Proto
    #: from a trusted proxy) is treated so even when this is off.
    https: bool = False
    #: Addresses of reverse proxies whose X-Forwarded-Proto and X-Forwarded-For are believed,
    #: comma-separated (e.g. "127.0.0.1"); empty believes none.
    trusted_proxies: str = ""
    #: HSTS max-age in seconds, sent only over TLS.
    hsts_seconds: int = Field(default=31_536_000, ge=0)

    # --- Login throttling (accounts/throttle.py) ---
    #: Failed logins of one account name within the window after which it is refused (429).
    login_account_failures: int = Field(default=5, ge=1)
    #: Failed logins from one address within the window after which it is refused (429).
    login_address_failures: int = Field(default=20, ge=1)
    #: The window over which failed logins are counted, in seconds.
    login_window_seconds: int = Field(default=900, ge=1)

    # --- API keys (accounts/service.py) ---
    #: How long a new API key is valid, in days (a key is then refused; rotate it before).
    api_key_days: int = Field(default=365, ge=1, le=3650)

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

    def trusted_proxy_addresses(self) -> frozenset[str]:
        return frozenset(a.strip() for a in self.trusted_proxies.split(",") if a.strip())


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

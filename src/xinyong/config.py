"""Settings (pydantic-settings). Environment variables start with XINYONG_."""

from __future__ import annotations

import os
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
    #: Signs the audit log's tree heads (Ed25519 private key, 64 hex characters); kept out of
    #: the database. Empty: generated once as `audit_signing_key` in the data folder.
    audit_signing_key: str = ""
    #: Signs this node's exchange messages and receipts to its peers (Ed25519 private key, 64 hex
    #: characters); kept out of the database. Empty: generated once as `exchange_signing_key`
    #: in the data folder. Its public key (`xinyong exchange public-key`) is given to the peers.
    exchange_signing_key: str = ""
    #: The append-only file of signed tree heads, outside the database, for a second party to
    #: copy and hold. Empty: `audit_heads.jsonl` in the data folder.
    audit_heads_file: Path | None = None
    #: A tree head is signed and appended every this many audit entries (also at each
    #: `xinyong jobs run`, `xinyong audit head` and clean `xinyong audit verify`); 0: only then.
    audit_head_every: int = Field(default=1000, ge=0)
    #: The running server also signs a head every this many seconds if the log has grown
    #: (so the newest entries are covered on a quiet platform too); 0: never.
    audit_head_seconds: int = Field(default=300, ge=0)
    #: Seconds `xinyong serve` waits for requests in progress after SIGTERM before it stops.
    shutdown_grace_seconds: int = Field(default=10, ge=0)
    #: How long a web session or bearer token lasts (platform policy, not a statutory value).
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    #: Public (anonymous) profile answers an event loop keeps on embedded SQLite until anything
    #: changes or the day ends (sharing/reads.py); 0 keeps none (platform policy, not law).
    public_answers_kept: int = Field(default=10_000, ge=0)
    #: Worker threads that run the synchronous routes (anyio's default is 40); the database
    #: pool is sized from it (db.make_engine).
    worker_threads: int = Field(default=40, ge=1, le=1000)
    #: Seconds a request waits for its turn to write (the SQLite write gate, a PostgreSQL row
    #: lock, a pooled connection) before it is refused with 503 and Retry-After, having written
    #: nothing. An ingestion whose batch is open waits longer (write_gate.PATIENT_WAIT_SECONDS).
    write_wait_seconds: float = Field(default=10.0, gt=0, le=600)
    #: Requests served at once; one more is refused at once with 503 and Retry-After (0: no
    #: limit). /api/health is not counted.
    max_in_flight: int = Field(default=1000, ge=0)
    #: Requests that change state served at once; the others wait their turn on the event loop
    #: without a worker thread (web/admission.WriteTurns), so reads are never queued behind
    #: writes waiting for locks. 0: no turns.
    write_slots: int = Field(default=8, ge=0, le=1000)
    #: Seconds a write waits for its turn before it is refused with 503 and Retry-After.
    write_turn_seconds: float = Field(default=60.0, gt=0, le=3600)
    #: The Retry-After (seconds) of a 503 answered when the platform is saturated.
    retry_after_seconds: int = Field(default=2, ge=1, le=3600)

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
    #: Bytes of a legacy .xls (xlrd reads the whole file into memory; Excel 97-2003 sheets
    #: hold 65,536 rows at most, which fit in far less).
    ingest_xls_max_bytes: int = Field(default=32 * 1024**2, ge=1)
    #: A chunk that met a concurrent push of the same record is re-run this many times.
    ingest_conflict_retries: int = Field(default=5, ge=0)
    #: A batch still `processing` whose process runs on another host is taken as crashed when it
    #: has committed nothing for this long (same host: checked by process id at once).
    ingest_stale_minutes: int = Field(default=60, ge=1)
    # --- Request bodies (web/security.py): refused with 413 before they are read ---
    #: Largest request body of an ordinary JSON or form request, in bytes.
    max_body_bytes: int = Field(default=1 << 20, ge=1024)
    #: Largest body of a JSON records push (POST /api/ingest/{item}/records, up to 10,000 rows).
    max_push_body_bytes: int = Field(default=32 << 20, ge=1024)
    #: Largest multipart upload (a CSV/Excel file pushed, a list checked), in bytes.
    max_upload_bytes: int = Field(default=256 << 20, ge=1024)
    #: Largest evidence attachment of an objection or repair (PDF, JPEG, PNG), in bytes.
    attachment_max_bytes: int = Field(default=10 << 20, ge=1024)

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

    # --- exchange between platforms (exchange/forwarder.py); platform policy, not law ---
    #: Items in one message to a peer.
    exchange_batch_items: int = Field(default=2000, ge=1, le=100_000)
    #: Seconds to wait for a peer's receipt.
    exchange_timeout_seconds: float = Field(default=60.0, gt=0, le=3600)
    #: After a failed delivery, the items wait this many seconds, doubled at each further
    #: failure up to `exchange_backoff_max_seconds` (a peer down for a day gets its backlog
    #: within that much of its return).
    exchange_backoff_seconds: int = Field(default=30, ge=1)
    exchange_backoff_max_seconds: int = Field(default=900, ge=1)
    #: `xinyong exchange run --follow`: seconds between rounds when nothing is pending.
    exchange_poll_seconds: float = Field(default=5.0, gt=0)

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

    def resolved_heads_file(self) -> Path:
        return self.audit_heads_file or self.data_dir / "audit_heads.jsonl"

    def resolved_signing_key(self) -> str:
        """The tree heads' Ed25519 private key (hex), generated once in the data folder."""
        return self._ed25519_key(self.audit_signing_key, "audit_signing_key")

    def resolved_exchange_key(self) -> str:
        """This node's exchange Ed25519 private key (hex), generated once in the data folder."""
        return self._ed25519_key(self.exchange_signing_key, "exchange_signing_key")

    def _ed25519_key(self, given: str, filename: str) -> str:
        if given:
            return given
        path = self.data_dir / filename
        if not path.exists():
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

            from xinyong.audit.heads import private_hex

            self.data_dir.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another process made it meanwhile
                pass
            else:
                with os.fdopen(fd, "w") as file:
                    file.write(private_hex(Ed25519PrivateKey.generate()))
        return path.read_text().strip()

    def trusted_proxy_addresses(self) -> frozenset[str]:
        return frozenset(a.strip() for a in self.trusted_proxies.split(",") if a.strip())


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

"""Signed tree heads of the audit log, kept outside the database.

A tree head states "the log had `size` entries and their Merkle root was `root` at `time`",
signed with an Ed25519 key that the database does not hold (the data folder's
`audit_signing_key`, or the XINYONG_AUDIT_SIGNING_KEY setting). Heads are appended, one JSON
line each, to a file outside the database (XINYONG_AUDIT_HEADS_FILE, by default
`audit_heads.jsonl` in the data folder) that a second party can copy and hold: with the public
key alone they can check every signature and, given proofs (`xinyong audit prove`), that one
entry is in the log and that each head extends the one before. Each line's signature also
covers the previous line's hash, so a line removed from the middle of the file is found.
"""

from __future__ import annotations

import base64
import datetime as dt
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

DOMAIN = b"xinyong-audit-tree-head/v1\n"


def public_hex(key: Ed25519PublicKey) -> str:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def key_id(key: Ed25519PublicKey) -> str:
    return hashlib.sha256(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()[:16]


def load_public(text: str) -> Ed25519PublicKey:
    """A public key given as 64 hex characters (`xinyong audit public-key`)."""
    return Ed25519PublicKey.from_public_bytes(bytes.fromhex(text.strip()))


def private_from_hex(text: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(text.strip()))


def private_hex(key: Ed25519PrivateKey) -> str:
    from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

    return key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()).hex()


@dataclass(frozen=True)
class TreeHead:
    size: int
    root: str  # hex
    time: str  # ISO 8601, UTC
    key: str  # key_id of the signer
    prev: str  # SHA-256 (hex) of the file's previous line, "" for the first
    sig: str = ""  # base64 Ed25519 signature of `message()`

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TreeHead:
        """A head as its line (or a proof) states it; raises ValueError, KeyError or TypeError
        on a malformed one."""
        return cls(
            int(data["size"]),
            str(data["root"]),
            str(data["time"]),
            str(data["key"]),
            str(data["prev"]),
            str(data["sig"]),
        )

    def message(self) -> bytes:
        return DOMAIN + f"{self.size}\n{self.root}\n{self.time}\n{self.prev}\n".encode()

    def line(self) -> bytes:
        return json.dumps(asdict(self), separators=(",", ":")).encode() + b"\n"

    def verify(self, public: Ed25519PublicKey) -> bool:
        try:
            public.verify(base64.b64decode(self.sig), self.message())
        except (InvalidSignature, ValueError):
            return False
        return True


def sign_head(
    key: Ed25519PrivateKey, size: int, root: bytes, at: dt.datetime, prev: str
) -> TreeHead:
    stamp = at.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
    head = TreeHead(size, root.hex(), stamp, key_id(key.public_key()), prev)
    signature = base64.b64encode(key.sign(head.message())).decode()
    return TreeHead(head.size, head.root, head.time, head.key, head.prev, signature)


@dataclass(frozen=True)
class HeadLine:
    number: int  # 1-based line number in the file
    head: TreeHead | None  # None: the line is not a head (garbled)
    digest: str  # SHA-256 of the line's bytes


def read_heads(path: Path) -> Iterator[HeadLine]:
    if not path.exists():
        return
    with path.open("rb") as file:
        for number, raw in enumerate(file, start=1):
            digest = hashlib.sha256(raw.rstrip(b"\n") + b"\n").hexdigest()
            try:
                head = TreeHead.from_dict(json.loads(raw))
            except (ValueError, KeyError, TypeError):
                head = None
            yield HeadLine(number, head, digest)


def _last_line(file: object) -> bytes:
    handle = file  # an open binary file, positioned anywhere
    handle.seek(0, os.SEEK_END)  # type: ignore[attr-defined]
    end = handle.tell()  # type: ignore[attr-defined]
    if end == 0:
        return b""
    chunk = min(end, 4096)
    while True:
        handle.seek(end - chunk)  # type: ignore[attr-defined]
        data: bytes = handle.read(chunk)  # type: ignore[attr-defined]
        body = data.rstrip(b"\n")
        cut = body.rfind(b"\n")
        if cut >= 0 or chunk == end:
            return body[cut + 1 :] + b"\n"
        chunk = min(end, chunk * 2)


def append_head(
    path: Path, key: Ed25519PrivateKey, size: int, root: bytes, at: dt.datetime, *, sync: bool
) -> TreeHead:
    """Sign and append a head, chained onto the file's last line; under an exclusive lock, so
    processes appending at once (the server, `jobs run`, the CLI) never interleave."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
    with os.fdopen(fd, "r+b") as file:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX)
        try:
            last = _last_line(file)
            prev = hashlib.sha256(last).hexdigest() if last else ""
            head = sign_head(key, size, root, at, prev)
            file.write(head.line())
            file.flush()
            if sync:
                os.fsync(file.fileno())
        finally:
            fcntl.flock(file.fileno(), fcntl.LOCK_UN)
    return head

"""File mode: the same exchange carried by files instead of HTTP (GB/T 39443-2020 provides a file
interface beside the service interface), for an offline link or a first load of millions of rows.

`export` writes a peer's pending outbox items into a folder:
    items.jsonl      one message item a line (kinds.py, exactly what `service.build` puts in a
                     message), in outbox order
    manifest.json    {"format": "xinyong-exchange-file/1", "sender", "receiver", "seq",
                     "created_at", "counts": {kind: n}, "files": [{"name", "items", "sha256"}]}
    manifest.sig     the manifest's Ed25519 signature by the sender's exchange key (hex)
and marks the items as sent in that sequence number (they stay pending until a receipt settles
them). `import_` on the receiving node checks the manifest's signature against the registered
sender, then every file's SHA-256 and its counts (a first pass over the files: nothing is applied
unless everything matches), refuses a sequence number already accepted, as the HTTP door does, and
applies the items through `service.accept`, the HTTP door's own function, in chunks of
`exchange_batch_items`, one transaction per chunk. It writes a signed receipt file:
    receipt-<receiver>-<sender>-<seq>.jsonl
        line 1: the header {"format": "xinyong-exchange-receipt/1", "sender" (the receiver),
                "receiver", "seq", "created_at", "counts", "items", "sha256" (of lines 3...)}
        line 2: {"signature": "<hex>"} (over line 1's exact bytes)
        line 3...: one answer a line {"uid", "kind", "ref", "status", "reasons"}
`settle` on the sender settles its outbox from that file, chunk by chunk.

Nothing holds a whole load in memory: files are written and read line by line, and applied and
settled a chunk at a time. A crash part way through an import leaves the chunks applied so far
(each committed) but the sequence number not yet accepted (only the last chunk's transaction
records it): importing the same folder again re-applies everything, which changes nothing for
what was applied (records: by version; other kinds: by the inbox)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson
from sqlalchemy import func, select, update

from xinyong.audit.tags import AuditTag
from xinyong.context import Context
from xinyong.exchange import service
from xinyong.exchange.kinds import APPLIED, REFUSED, UNCHANGED, ItemResult
from xinyong.exchange.models import OutboxItem, Peer
from xinyong.exchange.signing import sign, verify

FILE_FORMAT = "xinyong-exchange-file/1"
RECEIPT_FORMAT = "xinyong-exchange-receipt/1"
MANIFEST, SIGNATURE, DATA = "manifest.json", "manifest.sig", "items.jsonl"


class FileRefused(service.Refused):
    """A file set or receipt refused as a whole; nothing was applied."""


def _refuse(code: str, message: str, status: int = 422) -> FileRefused:
    return FileRefused(code, message, status)


@dataclass
class Exported:
    peer: str
    seq: int
    items: int
    counts: dict[str, int]
    folder: Path


@dataclass
class Imported:
    sender: str
    seq: int
    counts: dict[str, int] = field(default_factory=dict)
    receipt: Path | None = None


# ---------------------------------------------------------------- export (the sender)


def export(ctx: Context, peer_code: str, folder: Path) -> Exported:
    """Write every pending outbox item for `peer_code` into `folder` (new or empty) as a signed
    file set, and mark them sent in a new sequence number (taken and committed first, so a
    crash never reuses one)."""
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        raise _refuse("exchange.file_folder", f"导出目录{folder}不是空目录")
    with ctx.sessions() as session, session.begin():
        peer = session.scalar(
            select(Peer).where(Peer.code == peer_code, Peer.active).with_for_update()
        )
        if peer is None:
            raise _refuse("exchange.unknown_peer", f"未登记交换平台{peer_code}", 404)
        peer.seq_out += 1
        seq = peer.seq_out
        last_id = session.scalar(
            select(func.max(OutboxItem.id)).where(
                OutboxItem.peer_code == peer_code, OutboxItem.state == service.PENDING
            )
        )
    counts: dict[str, int] = {}
    digest = hashlib.sha256()
    total = 0
    after = 0
    size = ctx.settings.exchange_batch_items
    with open(folder / DATA, "wb") as out:
        while last_id is not None:
            with ctx.sessions() as session, session.begin():
                rows = list(
                    session.scalars(
                        select(OutboxItem)
                        .where(
                            OutboxItem.peer_code == peer_code,
                            OutboxItem.state == service.PENDING,
                            OutboxItem.id > after,
                            OutboxItem.id <= last_id,
                        )
                        .order_by(OutboxItem.id)
                        .limit(size)
                    )
                )
                if not rows:
                    break
                items, _ = service.items_for(session, ctx, rows)
                session.execute(
                    update(OutboxItem)
                    .where(OutboxItem.id.in_([r.id for r in rows]))
                    .values(seq=seq, attempts=OutboxItem.attempts + 1)
                    .execution_options(synchronize_session=False)
                )
                after = rows[-1].id
            for item in items:
                line = orjson.dumps(item) + b"\n"
                out.write(line)
                digest.update(line)
                counts[item["kind"]] = counts.get(item["kind"], 0) + 1
                total += 1
    now = ctx.clock.now()
    manifest = {
        "format": FILE_FORMAT,
        "sender": ctx.settings.platform,
        "receiver": peer_code,
        "seq": seq,
        "created_at": now.isoformat(),
        "counts": counts,
        "files": [{"name": DATA, "items": total, "sha256": digest.hexdigest()}],
    }
    body = orjson.dumps(manifest, option=orjson.OPT_INDENT_2)
    (folder / MANIFEST).write_bytes(body)
    (folder / SIGNATURE).write_text(sign(ctx.settings, body) + "\n", encoding="ascii")
    with ctx.sessions() as session, session.begin():
        ctx.log(
            session,
            actor=service.peer_actor(ctx.settings.platform),
            action=AuditTag.EXCHANGE_MESSAGE_SEND,
            object_type="exchange_peer",
            object_id=peer_code,
            detail={"seq": seq, "via": "file", "exported": total, **counts},
        )
    return Exported(peer_code, seq, total, counts, folder)


# ---------------------------------------------------------------- import (the receiver)


def _lines(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as stream:
        yield from stream


def _manifest(ctx: Context, folder: Path) -> tuple[dict[str, Any], str]:
    try:
        body = (folder / MANIFEST).read_bytes()
        signature = (folder / SIGNATURE).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        raise _refuse(
            "exchange.file_missing", f"目录{folder}中缺少清单 {MANIFEST} 或签名 {SIGNATURE}"
        ) from None
    try:
        manifest = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise _refuse("exchange.malformed", f"清单 {MANIFEST} 不是有效的JSON") from None
    sender = str(manifest.get("sender", "")) if isinstance(manifest, dict) else ""
    with ctx.sessions() as session:
        try:
            service.check(session, ctx, sender, body, signature)
        except service.Refused as refused:
            if refused.code == "exchange.signature":
                raise _refuse(
                    "exchange.signature",
                    f"清单 {MANIFEST} 的签名与登记的平台{sender[:12]}的交换公钥不符"
                    "（清单被改动或非该平台签发），已拒收，未应用任何条目",
                    401,
                ) from None
            raise
    return manifest, sender


def _verify_files(folder: Path, manifest: dict[str, Any]) -> list[Path]:
    """Every data file's digest and counts as the manifest says, or the refusal naming what
    failed; a first pass, line by line, before anything is applied."""
    files = manifest.get("files")
    declared = manifest.get("counts")
    if not isinstance(files, list) or not files or not isinstance(declared, dict):
        raise _refuse("exchange.malformed", "清单缺少数据文件列表或分类条数")
    counts: dict[str, int] = {}
    paths = []
    for entry in files:
        name = str(entry.get("name", "")) if isinstance(entry, dict) else ""
        if not name or "/" in name or "\\" in name or name.startswith("."):
            raise _refuse("exchange.malformed", f"清单中的数据文件名“{name[:60]}”不正确")
        path = folder / name
        if not path.is_file():
            raise _refuse("exchange.file_missing", f"缺少数据文件 {name}，已拒收，未应用任何条目")
        digest = hashlib.sha256()
        n = 0
        for number, line in enumerate(_lines(path), start=1):
            digest.update(line)
            try:
                item = orjson.loads(line)
            except orjson.JSONDecodeError:
                item = None
            if not isinstance(item, dict):
                raise _refuse(
                    "exchange.malformed",
                    f"数据文件 {name} 第{number}行不是有效的条目，已拒收，未应用任何条目",
                )
            kind = str(item.get("kind", ""))
            counts[kind] = counts.get(kind, 0) + 1
            n += 1
        if digest.hexdigest() != entry.get("sha256"):
            raise _refuse(
                "exchange.file_digest",
                f"数据文件 {name} 的SHA-256摘要与清单不符（文件被改动或不完整），"
                "已拒收，未应用任何条目",
            )
        if n != entry.get("items"):
            raise _refuse(
                "exchange.file_count",
                f"数据文件 {name} 有{n}条，清单记为{entry.get('items')}条，已拒收，未应用任何条目",
            )
        paths.append(path)
    if counts != {str(k): v for k, v in declared.items()}:
        raise _refuse(
            "exchange.file_count",
            f"各类条目数{counts}与清单所记{declared}不符，已拒收，未应用任何条目",
        )
    return paths


def import_(ctx: Context, folder: Path, receipt_dir: Path | None = None) -> Imported:
    """Check and apply a peer's file set; the signed receipt is written into `receipt_dir`
    (default: `folder`). A refusal is logged as the HTTP door logs one."""
    sender = ""
    try:
        manifest, sender = _manifest(ctx, folder)
        return _import(ctx, folder, receipt_dir, manifest, sender)
    except service.Refused as refused:
        service.log_refusal(ctx, sender or "?", refused, 0)
        raise


def _import(
    ctx: Context,
    folder: Path,
    receipt_dir: Path | None,
    manifest: dict[str, Any],
    sender: str,
) -> Imported:
    seq = service.addressed(ctx, manifest, sender, FILE_FORMAT)
    with ctx.sessions() as session, session.begin():
        service.not_replayed(session, sender, seq)  # refused before the first pass
    paths = _verify_files(folder, manifest)
    total = sum(int(entry["items"]) for entry in manifest["files"])
    size = ctx.settings.exchange_batch_items
    counts = {APPLIED: 0, UNCHANGED: 0, REFUSED: 0}
    done = 0
    target = receipt_dir or folder
    answers = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below
        "wb", dir=target, prefix=".receipt-", delete=False
    )
    digest = hashlib.sha256()
    try:
        chunk: list[dict[str, Any]] = []

        def flush(final: bool) -> None:
            nonlocal done
            with ctx.sessions() as session, session.begin():
                results = service.accept(
                    session, ctx, sender, seq, chunk, final=final, counts=counts, via="file"
                )
            done += len(chunk)
            _write_answers(answers, digest, chunk, results)
            chunk.clear()

        for path in paths:
            for line in _lines(path):
                chunk.append(orjson.loads(line))
                if len(chunk) >= size and done + len(chunk) < total:
                    flush(final=False)
        flush(final=True)
        answers.close()
        name = f"receipt-{ctx.settings.platform}-{sender}-{seq}.jsonl"
        receipt = target / name
        _write_receipt(ctx, receipt, Path(answers.name), digest.hexdigest(), sender, seq, counts)
    finally:
        answers.close()
        if os.path.exists(answers.name):
            os.unlink(answers.name)
    return Imported(sender, seq, counts, receipt)


def _write_answers(
    out: IO[bytes], digest: Any, items: list[dict[str, Any]], results: list[ItemResult]
) -> None:
    for item, result in zip(items, results, strict=True):
        line = (
            orjson.dumps(
                {
                    "uid": result.uid,
                    "kind": item.get("kind"),
                    "ref": item.get("ref"),
                    "status": result.status,
                    "reasons": result.reasons,
                }
            )
            + b"\n"
        )
        out.write(line)
        digest.update(line)


def _write_receipt(
    ctx: Context,
    path: Path,
    answers: Path,
    sha256: str,
    sender: str,
    seq: int,
    counts: dict[str, int],
) -> None:
    header = orjson.dumps(
        {
            "format": RECEIPT_FORMAT,
            "sender": ctx.settings.platform,
            "receiver": sender,
            "seq": seq,
            "created_at": ctx.clock.now().isoformat(),
            "counts": counts,
            "items": sum(counts.values()),
            "sha256": sha256,
        }
    )
    signature = orjson.dumps({"signature": sign(ctx.settings, header)})
    with open(path, "wb") as out:
        out.write(header + b"\n" + signature + b"\n")
        for line in _lines(answers):
            out.write(line)


# ---------------------------------------------------------------- settle (the sender)


def settle(ctx: Context, receipt: Path) -> tuple[str, int, dict[str, int]]:
    """Settle this node's outbox from a peer's signed receipt file: (peer, seq, counts)."""
    try:
        stream = open(receipt, "rb")  # noqa: SIM115 - closed below
    except OSError:
        raise _refuse("exchange.file_missing", f"找不到回执文件{receipt}") from None
    with stream:
        header_line = stream.readline().rstrip(b"\n")
        signature_line = stream.readline()
        try:
            header = orjson.loads(header_line)
            signature = str(orjson.loads(signature_line)["signature"])
        except (orjson.JSONDecodeError, KeyError, TypeError):
            raise _refuse("exchange.malformed", "回执文件的首行或签名行格式不正确") from None
        if not isinstance(header, dict):
            raise _refuse("exchange.malformed", "回执文件的首行格式不正确")
        peer_code = str(header.get("sender", ""))
        with ctx.sessions() as session:
            peer = session.get(Peer, peer_code)
            if peer is None or not verify(peer.public_key, header_line, signature):
                raise _refuse(
                    "exchange.receipt_signature",
                    f"回执签名与登记的平台{peer_code[:12]}的交换公钥不符，未予确认",
                    401,
                )
        if header.get("format") != RECEIPT_FORMAT or header.get("receiver") != (
            ctx.settings.platform
        ):
            raise _refuse("exchange.receipt_mismatch", "回执格式或接收方与本平台不符")
        seq = header.get("seq")
        if not isinstance(seq, int):
            raise _refuse("exchange.malformed", "回执缺少报文序号")
        body_start = stream.tell()
        digest = hashlib.sha256()
        lines = 0
        for line in stream:
            digest.update(line)
            lines += 1
        if digest.hexdigest() != header.get("sha256") or lines != header.get("items"):
            raise _refuse(
                "exchange.file_digest",
                "回执文件的逐条回执与其签名首行所记摘要或条数不符（文件被改动或不完整），未予确认",
            )
        stream.seek(body_start)
        counts = {APPLIED: 0, UNCHANGED: 0, REFUSED: 0}
        chunk: list[dict[str, Any]] = []
        for line in stream:
            chunk.append(orjson.loads(line))
            if len(chunk) >= ctx.settings.exchange_batch_items:
                _settle_chunk(ctx, peer_code, seq, chunk, counts)
                chunk.clear()
        _settle_chunk(ctx, peer_code, seq, chunk, counts)
    with ctx.sessions() as session, session.begin():
        peer = session.get(Peer, peer_code)
        assert peer is not None
        peer.last_success_at, peer.last_error = ctx.clock.now(), None
        ctx.log(
            session,
            actor=service.peer_actor(ctx.settings.platform),
            action=AuditTag.EXCHANGE_MESSAGE_SEND,
            object_type="exchange_peer",
            object_id=peer_code,
            detail={"seq": seq, "via": "file", **counts},
        )
    return peer_code, seq, counts


def _settle_chunk(
    ctx: Context, peer: str, seq: int, answers: list[dict[str, Any]], counts: dict[str, int]
) -> None:
    """The outbox rows of these answers are found by kind and ref among the rows sent in
    `seq` and still pending, and their uids rebuilt as when they were sent."""
    if not answers:
        return
    refs: dict[str, set[str]] = {}
    for answer in answers:
        refs.setdefault(str(answer.get("kind")), set()).add(str(answer.get("ref")))
    with ctx.sessions() as session, session.begin():
        rows: list[OutboxItem] = []
        for kind, wanted in refs.items():
            rows += session.scalars(
                select(OutboxItem)
                .where(
                    OutboxItem.peer_code == peer,
                    OutboxItem.seq == seq,
                    OutboxItem.state == service.PENDING,
                    OutboxItem.kind == kind,
                    OutboxItem.ref.in_(wanted),
                )
                .order_by(OutboxItem.id)
            )
        if not rows:
            return
        _, row_ids = service.items_for(session, ctx, rows)
        service.settle_items(session, ctx.clock.now(), row_ids, answers, counts)

"""File mode (issue 17), through the CLI as subprocesses on two nodes with their own data folders
and databases (city SQLite, province on each backend): a signed export, a tampered data file and
a tampered manifest refused with nothing applied, an import applied in chunks with a signed
receipt that settles the city's outbox, a second import of the same files and a file set
overtaken by an HTTP message both refused as replays."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from tests.exchange.conftest import CITY, PROVINCE, Node
from tests.ingest.conftest import TODAY
from xinyong.audit.models import AuditEvent
from xinyong.audit.tags import AuditTag
from xinyong.demo.rows import penalty_row
from xinyong.exchange import forwarder
from xinyong.exchange.models import OutboxItem
from xinyong.records.models import CreditRecord


def _cli(node: Node, *args: str) -> subprocess.CompletedProcess[str]:
    settings = node.ctx.settings
    env = dict(
        os.environ,
        XINYONG_DATA_DIR=str(settings.data_dir),
        XINYONG_PLATFORM=settings.platform,
        XINYONG_DATABASE_URL=settings.database_url,
        XINYONG_SECRET_KEY=settings.secret_key,
        XINYONG_EXCHANGE_BATCH_ITEMS="2",  # several chunks for five items
    )
    return subprocess.run(
        [sys.executable, "-m", "xinyong.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _records(node: Node) -> int:
    with node.ctx.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(CreditRecord)) or 0)


def _outbox(node: Node) -> list[tuple[str, int | None]]:
    with node.ctx.sessions() as session:
        return [
            (r.state, r.seq) for r in session.scalars(select(OutboxItem).order_by(OutboxItem.id))
        ]


def _tags(node: Node, tag: AuditTag) -> list[dict[str, object]]:
    with node.ctx.sessions() as session:
        return [
            json.loads(e.detail_json or "{}")
            for e in session.scalars(select(AuditEvent).where(AuditEvent.action == tag))
        ]


def test_a_file_load_is_checked_applied_in_chunks_and_settled(
    nodes: tuple[Node, Node], tmp_path: Path
) -> None:
    city, province = nodes
    assert city.push([penalty_row(i, TODAY) for i in range(5)])["accepted"] == 5
    out = tmp_path / "to-province"
    exported = _cli(city, "exchange", "export", "--peer", PROVINCE, "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert "报文序号1" in exported.stdout and "共5条" in exported.stdout
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["sender"] == CITY and manifest["receiver"] == PROVINCE
    assert manifest["seq"] == 1 and manifest["counts"] == {"record": 5}
    lines = (out / "items.jsonl").read_bytes().splitlines()
    assert len(lines) == 5 and json.loads(lines[0])["kind"] == "record"
    # sent in seq 1, still pending until a receipt settles them
    assert _outbox(city) == [("pending", 1)] * 5

    # a tampered data file: refused, naming the file and its digest; nothing applied
    bad_data = tmp_path / "bad-data"
    shutil.copytree(out, bad_data)
    (bad_data / "items.jsonl").write_bytes(
        (out / "items.jsonl").read_bytes().replace("罚款".encode(), "警告".encode(), 1)
    )
    refused = _cli(province, "exchange", "import", str(bad_data))
    assert refused.returncode != 0
    assert "items.jsonl" in refused.stderr and "SHA-256" in refused.stderr
    assert "未应用任何条目" in refused.stderr
    assert _records(province) == 0

    # a tampered manifest (a count changed to match a shortened file): its signature fails
    bad_manifest = tmp_path / "bad-manifest"
    shutil.copytree(out, bad_manifest)
    changed = dict(manifest, counts={"record": 4})
    changed["files"] = [dict(manifest["files"][0], items=4)]
    (bad_manifest / "manifest.json").write_text(json.dumps(changed), "utf-8")
    (bad_manifest / "items.jsonl").write_bytes(b"\n".join(lines[:4]) + b"\n")
    refused = _cli(province, "exchange", "import", str(bad_manifest))
    assert refused.returncode != 0
    assert "清单" in refused.stderr and "签名" in refused.stderr
    assert _records(province) == 0
    assert [d["code"] for d in _tags(province, AuditTag.EXCHANGE_MESSAGE_REFUSE)] == [
        "exchange.file_digest",
        "exchange.signature",
    ]

    # the genuine files: applied in chunks of two, one receipt
    imported = _cli(province, "exchange", "import", str(out))
    assert imported.returncode == 0, imported.stderr
    assert "已应用5条" in imported.stdout
    assert _records(province) == 5
    receipt = out / f"receipt-{PROVINCE}-{CITY}-1.jsonl"
    assert receipt.is_file()
    answers = receipt.read_bytes().splitlines()[2:]
    assert [json.loads(a)["status"] for a in answers] == ["applied"] * 5
    received = _tags(province, AuditTag.EXCHANGE_MESSAGE_RECEIVE)
    assert received == [{"seq": 1, "applied": 5, "unchanged": 0, "refused": 0, "via": "file"}]

    # the same files again: a replay, refused, nothing changes
    again = _cli(province, "exchange", "import", str(out))
    assert again.returncode != 0 and "已接收过（重放）" in again.stderr
    assert _records(province) == 5

    # a tampered receipt does not settle anything
    bad_receipt = tmp_path / "bad-receipt.jsonl"
    bad_receipt.write_bytes(receipt.read_bytes().replace(b'"applied"', b'"refused"', 1))
    refused = _cli(city, "exchange", "settle", str(bad_receipt))
    assert refused.returncode != 0 and "未予确认" in refused.stderr
    assert _outbox(city) == [("pending", 1)] * 5

    settled = _cli(city, "exchange", "settle", str(receipt))
    assert settled.returncode == 0, settled.stderr
    assert "已应用5条" in settled.stdout
    assert _outbox(city) == [("applied", 1)] * 5
    # nothing left to send
    assert forwarder.run(city.ctx).lines() == ["没有到期待推送的信息"]


def test_a_file_set_overtaken_by_an_http_message_is_a_replay(
    nodes: tuple[Node, Node], tmp_path: Path
) -> None:
    city, province = nodes
    assert city.push([penalty_row(i, TODAY) for i in range(3)])["accepted"] == 3
    out = tmp_path / "late"
    assert _cli(city, "exchange", "export", "--peer", PROVINCE, "--out", str(out)).returncode == 0
    # the items stay pending: the forwarder sends them over HTTP in seq 2
    report = forwarder.run(city.ctx)
    assert report.peers[0].applied == 3
    assert _outbox(city) == [("applied", 2)] * 3
    late = _cli(province, "exchange", "import", str(out))
    assert late.returncode != 0 and "报文序号1已接收过" in late.stderr
    assert _records(province) == 3
    # an empty export is a valid (empty) file set
    empty = tmp_path / "empty"
    done = _cli(city, "exchange", "export", "--peer", PROVINCE, "--out", str(empty))
    assert done.returncode == 0 and "共0条" in done.stdout
    imported = _cli(province, "exchange", "import", str(empty))
    assert imported.returncode == 0, imported.stderr
    assert "已应用0条" in imported.stdout

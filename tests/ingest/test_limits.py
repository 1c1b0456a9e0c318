"""What a push may contain (issue 14, items 6, 7, 10): .xlsx read through the API and the CLI,
zip bombs refused before they expand, and the limits on columns, field and line length, with
bad bytes and NUL characters quarantined instead of a 500. Through the doors a provider uses:
HTTP multipart uploads with a real token, and the CLI as a subprocess."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import func, select

from tests.conftest import make_settings
from tests.ingest.conftest import TODAY, csv_bytes, seed_catalog_and_unit
from xinyong.common.clock import FixedClock
from xinyong.context import Context, build_context
from xinyong.demo.rows import PENALTY_COLUMNS, penalty_row
from xinyong.ingest.models import IngestBatch, QuarantinedRow
from xinyong.records.models import CreditRecord
from xinyong.web.app import create_app

ITEM = "HLJ-CF-001"
PASSWORD = "unit-password-1"
SRC = Path(__file__).resolve().parents[2] / "src"


def make_client(db_url: str, tmp_path: Path, clock: FixedClock, **limits: Any) -> TestClient:
    settings = make_settings(tmp_path, db_url).model_copy(update=limits)
    ctx = build_context(settings, clock=clock)
    seed_catalog_and_unit(ctx, PASSWORD)
    client = TestClient(create_app(ctx))
    r = client.post("/api/auth/token", data={"username": "unit", "password": PASSWORD})
    client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
    client.app.state.test_ctx = ctx  # type: ignore[attr-defined]
    return client


@pytest.fixture
def client(db_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[TestClient]:
    client = make_client(db_url, tmp_path, clock)
    yield client
    client.app.state.test_ctx.engine.dispose()  # type: ignore[attr-defined]


@pytest.fixture
def small(db_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[TestClient]:
    """Limits lowered so that small files in the tests cross them."""
    client = make_client(
        db_url,
        tmp_path,
        clock,
        ingest_max_columns=40,
        ingest_max_line_chars=20_000,
        ingest_xlsx_max_rows=50,
        ingest_xlsx_max_parts=30,
        ingest_xlsx_max_shared_strings_bytes=1 << 20,
    )
    yield client
    client.app.state.test_ctx.engine.dispose()  # type: ignore[attr-defined]


def ctx_of(client: TestClient) -> Context:
    return client.app.state.test_ctx  # type: ignore[attr-defined,no-any-return]


def upload(client: TestClient, name: str, data: bytes) -> Any:
    return client.post(f"/api/ingest/{ITEM}/files", files={"file": (name, data, "application/x")})


def write_xlsx(path: Path, rows: list[dict[str, Any]]) -> Path:
    """A workbook as openpyxl writes it to disk (shared strings, a dimension)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(PENALTY_COLUMNS))
    for row in rows:
        sheet.append([row.get(c) or None for c in PENALTY_COLUMNS])
    book.save(path)
    return path


def rewrite(path: Path, parts: dict[str, bytes], *, drop: tuple[str, ...] = ()) -> bytes:
    """The .xlsx at `path` with some parts replaced or added (deflated), as an attacker would."""
    out = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in source.infolist():
            if info.filename not in parts and info.filename not in drop:
                zf.writestr(info.filename, source.read(info.filename))
        for name, data in parts.items():
            zf.writestr(name, data)
    return out.getvalue()


def error(response: Any) -> dict[str, Any]:
    body = response.json()
    assert "error" in body, body
    return body["error"]  # type: ignore[no-any-return]


# --- Item 6: .xlsx through the API and the CLI ---------------------------------------------


def test_xlsx_written_to_disk_goes_through_the_api(client: TestClient, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "处罚.xlsx", [penalty_row(i, TODAY) for i in range(3)])
    r = upload(client, "处罚.xlsx", path.read_bytes())
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] == 3 and r.json()["rejected"] == 0
    batch = client.get(f"/api/ingest/batches/{r.json()['batch_id']}").json()
    assert batch["state"] == "done" and batch["source"] == "xlsx"


def cli(tmp_path: Path, db_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "XINYONG_DATABASE_URL": db_url,
        "XINYONG_DATA_DIR": str(tmp_path),
        "XINYONG_SECRET_KEY": "test-secret-key",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "xinyong.cli", *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_xlsx_through_the_cli_and_a_bomb_refused_by_name(
    seeded: Context, db_url: str, tmp_path: Path
) -> None:
    path = write_xlsx(tmp_path / "处罚.xlsx", [penalty_row(i, TODAY) for i in range(3)])
    done = cli(tmp_path, db_url, "ingest", str(path), "--provider", "HRB-SCJG", "--item", ITEM)
    assert done.returncode == 0, done.stderr
    assert "新增3" in done.stdout
    bomb = tmp_path / "炸弹.xlsx"
    bomb.write_bytes(with_shared_strings(path, 3 << 20))
    refused = cli(tmp_path, db_url, "ingest", str(bomb), "--provider", "HRB-SCJG", "--item", ITEM)
    assert refused.returncode == 1
    assert "XINYONG_INGEST_XLSX_MAX_RATIO" in refused.stderr and "压缩炸弹" in refused.stderr
    with seeded.sessions() as session:
        assert session.scalar(select(func.count()).select_from(CreditRecord)) == 3


# --- Item 6: zip bombs, each limit on its own ----------------------------------------------


def with_shared_strings(path: Path, size: int) -> bytes:
    """The workbook at `path` given a shared-strings table of `size` bytes (openpyxl itself
    writes inline strings), declared in its content types as Excel declares it."""
    with zipfile.ZipFile(path) as source:
        types = source.read("[Content_Types].xml")
    override = (
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml" /></Types>'
    )
    return rewrite(
        path,
        {
            "[Content_Types].xml": types.replace(b"</Types>", override),
            "xl/sharedStrings.xml": shared_strings(size),
        },
    )


def shared_strings(size: int) -> bytes:
    """A shared-strings part of `size` bytes that deflates to a few KB."""
    head = b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>'
    tail = b"</t></si></sst>"
    return head + b"A" * (size - len(head) - len(tail)) + tail


def test_compression_ratio_refused_before_expanding(client: TestClient, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "a.xlsx", [penalty_row(1, TODAY)])
    data = with_shared_strings(path, 4 << 20)
    assert len(data) < 64_000  # a few KB that would expand to 4 MB
    r = upload(client, "a.xlsx", data)
    assert r.status_code == 413
    assert error(r)["code"] == "ingest.xlsx_bomb"
    assert "100:1" in error(r)["message"] and "XINYONG_INGEST_XLSX_MAX_RATIO" in error(r)["message"]


def test_shared_strings_table_has_its_own_limit(
    db_url: str, tmp_path: Path, clock: FixedClock
) -> None:
    client = make_client(
        db_url,
        tmp_path,
        clock,
        ingest_xlsx_max_ratio=100_000,
        ingest_xlsx_max_shared_strings_bytes=1 << 20,
    )
    path = write_xlsx(tmp_path / "a.xlsx", [penalty_row(1, TODAY)])
    r = upload(client, "a.xlsx", with_shared_strings(path, 2 << 20))
    assert r.status_code == 413 and error(r)["code"] == "ingest.xlsx_shared_strings"
    assert "1048576字节（1 MiB）" in error(r)["message"]
    ctx_of(client).engine.dispose()


def test_declared_expanded_size_refused(db_url: str, tmp_path: Path, clock: FixedClock) -> None:
    client = make_client(db_url, tmp_path, clock, ingest_xlsx_max_expanded_bytes=30_000)
    path = write_xlsx(tmp_path / "a.xlsx", [penalty_row(i, TODAY) for i in range(20)])
    r = upload(client, "a.xlsx", path.read_bytes())
    assert r.status_code == 413 and error(r)["code"] == "ingest.xlsx_bomb"
    assert "XINYONG_INGEST_XLSX_MAX_EXPANDED_BYTES" in error(r)["message"]
    ctx_of(client).engine.dispose()


def test_sizes_that_lie_are_not_trusted(client: TestClient, tmp_path: Path) -> None:
    """A central directory declaring a small sheet that inflates to more: zipfile stops at the
    declared size, the CRC fails, and the upload is refused (4xx), never read past it."""
    path = write_xlsx(tmp_path / "a.xlsx", [penalty_row(i, TODAY) for i in range(3)])
    data = bytearray(path.read_bytes())
    sheet = b"xl/worksheets/sheet1.xml"
    at = data.rfind(b"PK\x01\x02", 0, data.rfind(sheet))  # its central directory entry
    data[at + 24 : at + 28] = (100).to_bytes(4, "little")  # uncompressed size: 100 bytes
    r = upload(client, "a.xlsx", bytes(data))
    assert r.status_code == 422 and error(r)["code"] == "ingest.bad_xlsx"


def empty_rows_sheet(rows: int, *, dimension: bool) -> bytes:
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    dim = f'<dimension ref="A1:A{rows}"/>' if dimension else ""
    body = "".join(f'<row r="{n}"/>' for n in range(2, rows + 1))
    # Without a dimension, the end of the sheet is broken: a reader that parses the whole sheet
    # to size it (openpyxl does) fails there, one that stops at the row limit never gets there.
    end = "</sheetData></worksheet>" if dimension else '<row r="999999"><c><v>1</v></row>'

    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{ns}">{dim}<sheetData>'
        f'<row r="1"><c r="A1" t="inlineStr"><is><t>行政相对人名称</t></is></c></row>'
        f"{body}{end}"
    ).encode()


@pytest.mark.parametrize("dimension", [True, False])
def test_rows_are_bounded(small: TestClient, tmp_path: Path, dimension: bool) -> None:
    """500 MB of empty rows took 209 s: rows past the limit are not read (limit lowered to 50)."""
    path = write_xlsx(tmp_path / "a.xlsx", [])
    data = rewrite(path, {"xl/worksheets/sheet1.xml": empty_rows_sheet(5_000, dimension=dimension)})
    r = upload(small, "a.xlsx", data)
    assert r.status_code == 413 and error(r)["code"] == "ingest.too_many_rows"
    assert "50行" in error(r)["message"] and "XINYONG_INGEST_XLSX_MAX_ROWS" in error(r)["message"]


def test_parts_are_bounded(small: TestClient, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "a.xlsx", [penalty_row(1, TODAY)])
    data = rewrite(path, {f"junk/{n}.xml": b"<a/>" for n in range(40)})
    r = upload(small, "a.xlsx", data)
    assert r.status_code == 413 and error(r)["code"] == "ingest.xlsx_parts"
    assert "XINYONG_INGEST_XLSX_MAX_PARTS" in error(r)["message"]


def test_xlsx_columns_bounded(small: TestClient, tmp_path: Path) -> None:
    """Header wider than the limit: refused. A data row wider than the limit: quarantined, the
    values past the header kept only as a short preview."""
    path = tmp_path / "a.xlsx"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(PENALTY_COLUMNS))
    sheet.append([penalty_row(1, TODAY).get(c) or None for c in PENALTY_COLUMNS])
    sheet.append([penalty_row(2, TODAY).get(c) or None for c in PENALTY_COLUMNS] + ["x" * 10] * 100)
    book.save(path)
    r = upload(small, "a.xlsx", path.read_bytes())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["accepted"] == 1 and body["rejected"] == 1
    codes = {x["code"] for x in body["rows_rejected"][0]["reasons"]}
    assert "ingest.too_many_columns" in codes
    wide = Workbook()
    ws = wide.active
    assert ws is not None
    ws.append([f"列{n}" for n in range(60)])
    wide.save(tmp_path / "wide.xlsx")
    r = upload(small, "wide.xlsx", (tmp_path / "wide.xlsx").read_bytes())
    assert r.status_code == 413 and "40列" in error(r)["message"]


# --- Item 7 and 10: CSV limits, bad bytes, NUL ----------------------------------------------


def quarantined(client: TestClient) -> list[dict[str, Any]]:
    return client.get("/api/quarantine").json()["rows"]  # type: ignore[no-any-return]


def test_invalid_utf8_after_64kb_is_quarantined_not_a_500(client: TestClient) -> None:
    rows = [penalty_row(i, TODAY) for i in range(1000, 1120)]
    head = csv_bytes(rows, encoding="utf-8")
    assert len(head) > 65_536
    bad = csv_bytes([penalty_row(500, TODAY)], encoding="utf-8").split(b"\n", 1)[1]
    bad = bad.replace("违法行为类型".encode(), b"x").replace(
        "销售不符合".encode(), "销售不符合".encode() + b"\xff\xfe"
    )
    r = upload(client, "a.csv", head + bad)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["accepted"] == 120 and body["rejected"] == 1, body["rows_rejected"]
    reasons = body["rows_rejected"][0]["reasons"]
    assert reasons[0]["code"] == "ingest.bad_encoding" and reasons[0]["field"] == "违法行为类型"
    kept = quarantined(client)[0]
    assert "\ufffd" in kept["payload"]["违法行为类型"]


def test_a_128kb_field_is_quarantined_with_a_short_preview(client: TestClient) -> None:
    row = dict(penalty_row(1, TODAY), 违法事实="很" * 131_072)
    r = upload(client, "a.csv", csv_bytes([row, penalty_row(2, TODAY)], encoding="utf-8"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["accepted"] == 1 and body["rejected"] == 1
    reason = body["rows_rejected"][0]["reasons"][0]
    assert reason["code"] == "ingest.field_too_long"
    assert "32767" in reason["message"] and "XINYONG_INGEST_MAX_FIELD_CHARS" in reason["message"]
    kept = quarantined(client)[0]["payload"]["违法事实"]
    assert len(kept) < 300 and "131072" in kept


def test_nul_characters_are_quarantined_on_both_databases(client: TestClient) -> None:
    row = dict(penalty_row(1, TODAY))
    row["行政相对人名称"] = "哈尔滨\x00公司"
    row["处罚决定书文号"] = "哈\x00罚〔2026〕1号"
    r = upload(client, "a.csv", csv_bytes([row, penalty_row(2, TODAY)], encoding="utf-8"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["accepted"] == 1 and body["rejected"] == 1
    assert {x["code"] for x in body["rows_rejected"][0]["reasons"]} == {"ingest.nul_character"}
    json_push = client.post(f"/api/ingest/{ITEM}/records", json=row)
    assert json_push.status_code == 200 and json_push.json()["rejected"] == 1
    assert all("␀" in q["payload"]["行政相对人名称"] for q in quarantined(client))


def test_many_columns_and_long_lines(small: TestClient) -> None:
    """A row with more columns than the limit is quarantined (kept short); a line past the line
    limit stops the file there, with a receipt of what came before; a header past the column
    limit refuses the whole file. (Limits lowered: 40 columns, 20,000 characters a line.)"""
    header = ",".join(PENALTY_COLUMNS)
    good = csv_bytes([penalty_row(1, TODAY)], encoding="utf-8").decode().splitlines()[1]
    wide = csv_bytes([penalty_row(2, TODAY)], encoding="utf-8").decode().splitlines()[1]
    wide += "," + ",".join(["值"] * 500)
    long_line = csv_bytes([penalty_row(3, TODAY)], encoding="utf-8").decode().splitlines()[1]
    long_line += "," + ",".join(["v"] * 15_000)
    text = "\r\n".join([header, good, wide, long_line, good]) + "\r\n"
    r = upload(small, "a.csv", text.encode())
    assert r.status_code == 413
    err = error(r)
    assert err["code"] == "ingest.line_too_long" and "第4行" in err["message"]
    assert "XINYONG_INGEST_MAX_LINE_CHARS" in err["message"]
    batch = small.get(f"/api/ingest/batches/{err['details']['batch_id']}").json()
    assert batch["state"] == "failed" and batch["error"]["code"] == "ingest.line_too_long"
    assert batch["accepted"] == 1 and batch["rejected"] == 1  # what came before is kept
    kept = quarantined(small)
    assert len(kept) == 1 and len(json.dumps(kept[0], ensure_ascii=False)) < 5_000
    assert kept[0]["reasons"][0]["code"] == "ingest.too_many_columns"
    wide_header = ",".join(f"列{n}" for n in range(41))
    r = upload(small, "b.csv", (wide_header + "\r\n" + good + "\r\n").encode())
    assert r.status_code == 413 and error(r)["code"] == "ingest.too_many_columns"
    assert "XINYONG_INGEST_MAX_COLUMNS" in error(r)["message"]


def test_json_records_are_held_to_the_same_limits(client: TestClient) -> None:
    long = dict(penalty_row(1, TODAY), 违法事实="长" * 40_000)
    wide = dict(penalty_row(2, TODAY), **{f"多余{n}": "v" for n in range(300)})
    r = client.post(f"/api/ingest/{ITEM}/records", json=[long, wide, penalty_row(3, TODAY)])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["accepted"] == 1 and body["rejected"] == 2
    codes = [{x["code"] for x in row["reasons"]} for row in body["rows_rejected"]]
    assert "ingest.field_too_long" in codes[0] and "ingest.too_many_columns" in codes[1]
    with ctx_of(client).sessions() as session:
        sizes = session.scalars(select(func.length(QuarantinedRow.payload_json))).all()
        assert max(sizes) < 20_000


def test_csv_reader_counts_rows_as_before(client: TestClient) -> None:
    """A quoted field holding a newline is one record: row numbers stay record numbers."""
    rows = [dict(penalty_row(1, TODAY), 违法事实="第一行\n第二行"), penalty_row(2, TODAY)]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(PENALTY_COLUMNS))
    writer.writeheader()
    writer.writerows(rows)
    r = upload(client, "a.csv", out.getvalue().encode())
    assert r.status_code == 200 and r.json()["rows_accepted"] == [[2, 3]]
    with ctx_of(client).sessions() as session:
        assert session.scalar(select(func.count()).select_from(IngestBatch)) >= 1
    assert re.search(r"第一行\\n第二行", r.text) is None  # the receipt does not echo payloads


def test_resubmissions_and_corrections_are_held_to_the_same_limits(client: TestClient) -> None:
    """The other two doors a record comes in by: a quarantined row resubmitted, and a
    correction (HLJ 38). A NUL there is a refusal with reasons, never a 500 (PostgreSQL)."""
    bad = dict(penalty_row(1, TODAY), 违法事实="有\x00空字符")
    first = client.post(f"/api/ingest/{ITEM}/records", json=bad).json()
    qid = first["rows_rejected"][0]["quarantine_id"]
    again = client.post(f"/api/quarantine/{qid}/resubmit", json=bad)
    assert again.status_code == 200 and again.json()["rejected"] == 1
    good = penalty_row(2, TODAY)
    assert client.post(f"/api/ingest/{ITEM}/records", json=good).json()["accepted"] == 1
    key = good["处罚决定书文号"]
    r = client.post(
        f"/api/records/{ITEM}/{key}/correction",
        json={
            "discovered_on": TODAY.isoformat(),
            "reason": "更正",
            "record": dict(good, 违法事实="更正\x00后"),
        },
    )
    assert r.status_code == 422 and error(r)["code"] == "records.invalid_correction"
    assert "空字符" in error(r)["message"]
    r = client.post(
        f"/api/records/{ITEM}/{key}/correction",
        json={"discovered_on": TODAY.isoformat(), "reason": "撤\x00回"},
    )
    # refused at the door (common/inputs.py: no control characters), naming the field
    assert r.status_code == 422 and error(r)["code"] == "request.invalid"
    assert "reason" in error(r)["message"]
    r = client.post(f"/api/quarantine/{qid + 1}/withdraw", json={"reason": "撤\x00回"})
    assert r.status_code == 422 and error(r)["code"] == "request.invalid"
    assert "reason" in error(r)["message"]


def test_a_row_of_millions_of_cells_is_refused_before_it_is_built(
    small: TestClient, tmp_path: Path
) -> None:
    """openpyxl builds a whole <row> in memory before reading it: a row's XML is held to the
    line limit (lowered to 20,000), counted on the bytes as they are inflated."""
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    header = '<row r="1"><c r="A1" t="inlineStr"><is><t>行政相对人名称</t></is></c></row>'
    wide = f'<row r="2">{"<c/>" * 10_000}</row>'
    sheet = f'<worksheet xmlns="{ns}"><sheetData>{header}{wide}</sheetData></worksheet>'
    path = write_xlsx(tmp_path / "a.xlsx", [])
    r = upload(small, "a.xlsx", rewrite(path, {"xl/worksheets/sheet1.xml": sheet.encode()}))
    assert r.status_code == 413 and error(r)["code"] == "ingest.xlsx_row_too_large"
    assert "XINYONG_INGEST_MAX_LINE_CHARS" in error(r)["message"]
    hidden = sheet.replace(wide, f"<!-- {wide} -->")
    r = upload(small, "a.xlsx", rewrite(path, {"xl/worksheets/sheet1.xml": hidden.encode()}))
    assert r.status_code == 422 and "注释或CDATA" in error(r)["message"]
    laughs = '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>' + sheet.replace(wide, "")
    r = upload(small, "a.xlsx", rewrite(path, {"xl/worksheets/sheet1.xml": laughs.encode()}))
    assert r.status_code == 422 and "实体声明" in error(r)["message"]

"""Excel as provider units really make it (issue 16, Providers): .xlsx written by openpyxl and by
xlsxwriter, legacy .xls written by xlwt, CSV; a title row or two above the header, columns in any
order, an extra column ignored and named on the receipt, blank rows skipped, dates as Excel dates
or in the usual Chinese text forms, amounts as numbers or text. Through the doors a unit uses:
HTTP multipart uploads with a real token, the template downloaded over HTTP, the CLI as a
subprocess."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
import xlwt
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from tests.ingest.conftest import TODAY
from tests.ingest.test_limits import ITEM, cli, ctx_of, make_client
from xinyong.common.clock import FixedClock
from xinyong.context import Context
from xinyong.demo.rows import PENALTY_COLUMNS, penalty_row
from xinyong.ingest.models import QuarantinedRow
from xinyong.ingest.schemas import REQUEST_REFUSALS, ROW_REFUSALS
from xinyong.records.models import CreditRecord

DOCS = Path(__file__).resolve().parents[2] / "docs" / "providers.md"
SRC = Path(__file__).resolve().parents[2] / "src" / "xinyong"
#: Columns in an order of the unit's own, with a column of its own ("内部备注").
SHUFFLED = [*reversed(PENALTY_COLUMNS), "内部备注"]
TITLE = "哈尔滨市市场监督管理局行政处罚信息报送表"
SUBTITLE = "填报日期：2026年11月20日"
DECIDED = dt.date(2026, 5, 10)
#: The forms a date takes in a unit's spreadsheet, all meaning DECIDED.
DATE_FORMS = ["2026-05-10", "2026/5/10", "2026年5月10日", "2026.5.10", "２０２６年５月１０日"]
#: Amounts as text, all meaning 1200.5 (the field is in 万元).
AMOUNT_FORMS = ["1,200.50", "1200.5万元", "１２００．５", "￥1,200.5", "1，200.5"]


@pytest.fixture
def client(db_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[TestClient]:
    client = make_client(db_url, tmp_path, clock)
    yield client
    ctx_of(client).engine.dispose()


def upload(client: TestClient, name: str, data: bytes) -> Any:
    return client.post(f"/api/ingest/{ITEM}/files", files={"file": (name, data, "application/x")})


def rows_as_made(n: int = 5) -> list[dict[str, Any]]:
    """Rows as a unit types them: each date and amount in one of its forms, a note of its own."""
    rows = []
    for i in range(n):
        row = dict(penalty_row(i, TODAY))
        row["处罚决定日期"] = DATE_FORMS[i % len(DATE_FORMS)]
        row["罚款金额（万元）"] = AMOUNT_FORMS[i % len(AMOUNT_FORMS)]
        row["内部备注"] = f"经办人核对{i}"
        rows.append(row)
    return rows


def grid(rows: list[dict[str, Any]]) -> list[list[Any]]:
    """The sheet a unit makes: a title, a subtitle, the header in its own order, the rows with
    a blank row after the second one."""
    out: list[list[Any]] = [[TITLE], [SUBTITLE], list(SHUFFLED)]
    for i, row in enumerate(rows):
        out.append([row.get(c) or None for c in SHUFFLED])
        if i == 1:
            out.append([None] * len(SHUFFLED))
    return out


def by_openpyxl(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for values in rows:
        sheet.append(values)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=6)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def by_xlsxwriter(rows: list[list[Any]]) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("处罚信息")
    dates = book.add_format({"num_format": "yyyy年m月d日"})
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            if isinstance(value, dt.date):
                sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), dates)
            elif value is not None:
                sheet.write(r, c, value)
    book.close()
    return out.getvalue()


def by_xlwt(rows: list[list[Any]]) -> bytes:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("处罚信息")
    dates = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            if isinstance(value, dt.date):
                sheet.write(r, c, value, dates)
            elif value is not None:
                sheet.write(r, c, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def by_csv(rows: list[list[Any]]) -> bytes:
    import csv

    out = io.StringIO()
    csv.writer(out).writerows([["" if v is None else v for v in values] for values in rows])
    return out.getvalue().encode("gb18030")


def stored(ctx: Context) -> list[dict[str, Any]]:
    with ctx.sessions() as session:
        return [json.loads(p) for p in session.scalars(select(CreditRecord.payload_json)).all()]


def assert_as_made(ctx: Context, body: dict[str, Any], n: int) -> None:
    assert body["rejected"] == 0, body["rows_rejected"]
    assert body["accepted"] == n and body["rows"] == n
    # sheet row numbers: title 1, subtitle 2, header 3, data from 4, the blank row 6 skipped
    assert body["rows_accepted"] == [[4, 5], [7, 3 + n + 1]]
    assert body["ignored_columns"] == ["内部备注"]
    assert any("已忽略列：内部备注" in note for note in body["notes"])
    payloads = stored(ctx)
    assert len(payloads) == n
    assert {p["处罚决定日期"] for p in payloads} == {DECIDED.isoformat()}
    assert {p["罚款金额（万元）"] for p in payloads} == {"1200.5"}
    assert all("内部备注" not in p for p in payloads)


@pytest.mark.parametrize(
    ("name", "write"),
    [
        ("处罚信息.xlsx", by_openpyxl),
        ("处罚信息（xlsxwriter）.xlsx", by_xlsxwriter),
        ("处罚信息.xls", by_xlwt),
        ("处罚信息.csv", by_csv),
    ],
)
def test_a_sheet_as_a_unit_makes_it_is_read_whole(
    client: TestClient, name: str, write: Any
) -> None:
    n = len(DATE_FORMS)
    r = upload(client, name, write(grid(rows_as_made(n))))
    assert r.status_code == 200, r.text
    assert_as_made(ctx_of(client), r.json(), n)
    batch = client.get(f"/api/ingest/batches/{r.json()['batch_id']}").json()
    assert batch["state"] == "done" and batch["ignored_columns"] == ["内部备注"]
    assert batch["source"] == name.rsplit(".", 1)[1]


@pytest.mark.parametrize(("name", "write"), [("a.xlsx", by_xlsxwriter), ("a.xls", by_xlwt)])
def test_excel_dates_are_dates(client: TestClient, name: str, write: Any) -> None:
    rows = rows_as_made(2)
    for row in rows:
        row["处罚决定日期"] = DECIDED  # an Excel date cell, formatted as the unit likes
        row["罚款金额（万元）"] = 1200.5  # a number cell
    r = upload(client, name, write(grid(rows)))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["accepted"] == 2 and body["rejected"] == 0, body
    assert {p["处罚决定日期"] for p in stored(ctx_of(client))} == {"2026-05-10"}


def test_a_bad_row_keeps_its_sheet_row_number_and_leaves_the_extra_column_out(
    client: TestClient,
) -> None:
    rows = rows_as_made(3)
    rows[1]["罚款金额（万元）"] = "5000元"  # 元 in a 万元 field: refused, never scaled silently
    rows[2]["处罚决定日期"] = "2026年2月30日"
    r = upload(client, "a.xls", by_xlwt(grid(rows)))
    body = r.json()
    assert body["accepted"] == 1 and body["rejected"] == 2
    reasons = {row["row"]: row["reasons"] for row in body["rows_rejected"]}
    assert [x["code"] for x in reasons[5]] == ["ingest.bad_amount"]
    assert "万元" in reasons[5][0]["message"]
    assert [x["code"] for x in reasons[7]] == ["ingest.bad_date"]
    with ctx_of(client).sessions() as session:
        kept = [json.loads(p) for p in session.scalars(select(QuarantinedRow.payload_json))]
    assert kept and all("内部备注" not in p for p in kept)  # a fix resubmits catalog fields


def test_a_forbidden_column_still_refuses_the_row(client: TestClient) -> None:
    rows = rows_as_made(1)
    header = [*SHUFFLED, "血型"]
    sheet = [[TITLE], header, [rows[0].get(c) or None for c in SHUFFLED] + ["A型"]]
    body = upload(client, "a.xlsx", by_openpyxl(sheet)).json()
    assert body["rejected"] == 1
    assert body["rows_rejected"][0]["reasons"][0]["code"] == "ingest.forbidden_field"


def test_refusals_of_a_whole_file_are_chinese_4xx(client: TestClient) -> None:
    r = upload(client, "a.xls", b"\xd0\xcf\x11\xe0 not really a workbook")
    assert r.status_code == 422 and r.json()["error"]["code"] == "ingest.bad_xls"
    assert "无法读取旧版Excel" in r.json()["error"]["message"]
    r = upload(client, "a.xls", by_openpyxl([["x"]]))  # an .xlsx named .xls
    assert r.status_code == 422 and r.json()["error"]["code"] == "ingest.bad_xls"
    r = upload(client, "a.xlsx", by_openpyxl([["报表"], ["甲", "乙"], ["1", "2"]]))
    assert r.status_code == 422 and r.json()["error"]["code"] == "ingest.no_header"
    assert "模板" in r.json()["error"]["message"]
    r = upload(client, "a.ods", b"x")
    assert r.status_code == 422 and ".xls" in r.json()["error"]["message"]


def test_an_xls_over_its_limit_is_refused_by_name(
    db_url: str, tmp_path: Path, clock: FixedClock
) -> None:
    small = make_client(db_url, tmp_path, clock, ingest_xls_max_bytes=2048)
    try:
        r = upload(small, "a.xls", by_xlwt(grid(rows_as_made(5))))
        assert r.status_code == 413 and r.json()["error"]["code"] == "ingest.xls_too_large"
        assert "XINYONG_INGEST_XLS_MAX_BYTES" in r.json()["error"]["message"]
    finally:
        ctx_of(small).engine.dispose()


def test_the_template_downloaded_filled_and_uploaded(client: TestClient) -> None:
    anonymous = TestClient(client.app)
    r = anonymous.get(f"/api/catalog/items/{ITEM}/template.xlsx")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in r.headers["content-disposition"]
    book = load_workbook(io.BytesIO(r.content))
    assert book.sheetnames[:2] == ["数据", "说明"]
    data = book["数据"]
    assert [c.value for c in data[1]] == list(PENALTY_COLUMNS)  # catalog order
    assert data.freeze_panes == "A2"
    checks = {str(v.sqref).split(":")[0]: v for v in data.data_validations.dataValidation}
    kind_column = PENALTY_COLUMNS.index("行政相对人类别") + 1
    date_column = PENALTY_COLUMNS.index("处罚决定日期") + 1
    assert checks[f"{chr(64 + kind_column)}2"].type == "list"
    assert checks[f"{chr(64 + date_column)}2"].type == "date"
    guide = "\n".join(str(c) for row in book["说明"].iter_rows(values_only=True) for c in row if c)
    assert "第十八条" in guide and "必填" in guide and "2026年5月10日" in guide
    assert "第十九条" in guide  # the identifier's basis
    for row in rows_as_made(3):
        row["处罚决定日期"] = DECIDED
        data.append([row.get(c) or None for c in PENALTY_COLUMNS])
    filled = io.BytesIO()
    book.save(filled)
    r = upload(client, "模板.xlsx", filled.getvalue())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["accepted"] == 3 and body["rejected"] == 0 and "ignored_columns" not in body
    assert body["rows_accepted"] == [[2, 4]]
    assert anonymous.get("/api/catalog/items/NO-SUCH/template.xlsx").status_code == 404


def test_the_cli_ingests_an_xls(seeded: Context, db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "处罚信息.xls"
    path.write_bytes(by_xlwt(grid(rows_as_made(3))))
    done = cli(tmp_path, db_url, "ingest", str(path), "--provider", "HRB-SCJG", "--item", ITEM)
    assert done.returncode == 0, done.stderr
    assert "新增3" in done.stdout
    assert len(stored(seeded)) == 3


def test_the_openapi_document_describes_the_receipt_and_every_refusal(
    client: TestClient,
) -> None:
    doc = client.get("/openapi.json").json()
    for path in ("/api/ingest/{item_code}/records", "/api/ingest/{item_code}/files"):
        operation = doc["paths"][path]["post"]
        schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert schema["$ref"].endswith("/Receipt")
        for code in [*ROW_REFUSALS, *REQUEST_REFUSALS]:
            assert f"`{code}`" in operation["description"]
        assert "XINYONG_INGEST_XLS_MAX_BYTES" in operation["description"]
    receipt = doc["components"]["schemas"]["Receipt"]["properties"]
    assert {"rows_rejected", "ignored_columns", "notes", "batch_id"} <= set(receipt)
    batch = doc["paths"]["/api/ingest/batches/{batch_id}"]["get"]
    assert batch["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/BatchOut"
    )


INTERNAL = {"ingest.error", "ingest.stopped", "ingest.interrupted"}  # a batch's own end states


def test_every_refusal_code_is_listed_and_documented() -> None:
    raised = set()
    for path in SRC.rglob("*.py"):
        raised |= set(re.findall(r"\"(ingest\.[a-z_]+)\"", path.read_text()))
    listed = set(ROW_REFUSALS) | set(REQUEST_REFUSALS)
    assert raised - INTERNAL <= listed, raised - INTERNAL - listed
    guide = DOCS.read_text()
    for code in listed:
        assert f"`{code}`" in guide, code

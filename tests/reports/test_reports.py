"""Reports: only what the requester may see, verifiable by number and code,
with a PDF whose Chinese text is embedded."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.ingest.conftest import TODAY, push_as_system
from xinyong.common.errors import DomainError
from xinyong.common.roles import ANONYMOUS, Actor, Role
from xinyong.context import Context
from xinyong.demo.rows import penalty_row
from xinyong.reports import pdf, service
from xinyong.visibility.engine import Viewer
from xinyong.web.app import create_app


@pytest.fixture
def company(seeded: Context) -> str:
    row = penalty_row(1, TODAY)
    push_as_system(seeded, [row], item="HLJ-CF-001", provider="HRB-SCJG")
    court = {
        "被执行人名称": row["行政相对人名称"],
        "被执行人类别": "法人及非法人组织",
        "统一社会信用代码": row["统一社会信用代码"],
        "案号": "（2026）黑01执123号",
        "执行法院": "哈尔滨市中级人民法院",
        "执行依据文号": "（2025）黑01民初1号",
        "失信情形": "有履行能力而拒不履行生效法律文书确定义务",
        "纳入日期": "2026-09-01",
    }
    push_as_system(seeded, [court], item="HLJ-SX-001", provider="HLJ-GY")
    return str(row["统一社会信用代码"])


def test_sections_hold_only_what_the_requester_may_see(seeded: Context, company: str) -> None:
    report = service.generate(seeded, viewer=Viewer(actor=ANONYMOUS), subject_key=company)
    sections = {s["code"]: s for s in report.content["sections"]}
    assert [s["name"] for s in report.content["sections"]][:3] == [
        "基本信息",
        "行政管理信息",
        "严重失信主体名单",
    ]
    assert len(sections["administrative"]["records"]) == 1
    assert len(sections["serious_dishonesty"]["records"]) == 1
    assert sections["administrative"]["records"][0]["fields"]["法定代表人"] == "王**"
    assert report.content["notes"]  # unverified catalog items are said to be so
    assert report.number.startswith("XY20261123")


def test_reports_are_verifiable_and_alterations_caught(seeded: Context, company: str) -> None:
    report = service.generate(seeded, viewer=Viewer(actor=ANONYMOUS), subject_key=company)
    ok = service.verify(seeded, report.number, report.code.lower(), report.content)
    assert ok["authentic"] and ok["content_matches"] and ok["digest"] == report.digest
    assert not service.verify(seeded, report.number, "WRONG123")["authentic"]
    assert not service.verify(seeded, "XY2026112399999999", report.code)["authentic"]
    altered = json.loads(json.dumps(report.content))
    altered["sections"][2]["records"] = []  # someone removes the serious-dishonesty entry
    tampered = service.verify(seeded, report.number, report.code, altered)
    assert tampered["authentic"] and not tampered["content_matches"]


def test_a_natural_persons_report_is_for_that_person(seeded: Context) -> None:
    row = penalty_row(2, TODAY, person=True)
    push_as_system(seeded, [row], item="HLJ-CF-001", provider="HRB-SCJG")
    with pytest.raises(DomainError):
        service.generate(
            seeded,
            viewer=Viewer(actor=Actor(role=Role.AGENCY, username="a"), purpose="licensing"),
            subject_key=row["证件号码"],
        )
    mine = service.generate(
        seeded,
        viewer=Viewer(actor=Actor(role=Role.SUBJECT, subject_key=row["证件号码"])),
        subject_key=row["证件号码"],
    )
    assert mine.content["sections"][1]["records"][0]["fields"]["证件号码"] == row["证件号码"]


@pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils is installed by `make test`"
)
def test_pdf_embeds_chinese_glyphs(seeded: Context, company: str, tmp_path: Path) -> None:
    report = service.generate(seeded, viewer=Viewer(actor=ANONYMOUS), subject_key=company)
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf.render(report.content, report.number, report.code, report.digest))
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "公共信用信息报告" in text and "严重失信主体名单" in text and report.number in text
    fonts = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert "WenQuanYiZenHei" in fonts and "yes yes" in fonts  # embedded (emb) as a subset (sub)


def test_report_api_and_pdf_download(seeded: Context, company: str) -> None:
    client = TestClient(create_app(seeded))
    issued = client.post("/api/reports", json={"subject_key": company})
    assert issued.status_code == 201
    body = issued.json()
    pdf_response = client.get(body["pdf"])
    assert pdf_response.status_code == 200 and pdf_response.content.startswith(b"%PDF")
    assert (
        client.get(f"/api/reports/{body['number']}/pdf", params={"code": "BAD"}).status_code == 404
    )
    check = client.post(
        "/api/reports/verify",
        json={
            "number": body["number"],
            "code": body["verification_code"],
            "content": body["content"],
        },
    )
    assert check.json()["content_matches"] is True

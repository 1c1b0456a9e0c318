"""Issue 16, the public and the subjects: the subject page (registration facts, list status,
sections with counts; a listed company with no record has one), the subject's reports (issued
by a POST only, listed under my reports, Beijing time, catalog order, a reader's notice), and
the API document (security schemes, a Chinese summary for every operation). At the doors:
HTTP against the served demo platform, logged in through /login like a browser."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.web.crawl import Browser, logged_in
from xinyong.demo.seed import DEMO_COMPANY
from xinyong.lists.demo import DEMO_LISTED

BEIJING_SECOND = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


def text_of(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</', html, flags=re.S)
    assert found, f"no #{element_id}"
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def section_count(html: str, code: str) -> int:
    found = re.search(rf'id="section-{code}".*?<span class="count">(\d+)</span>', html, re.S)
    assert found, f"no section {code}"
    return int(found.group(1))


def test_a_listed_company_with_no_records_has_a_page(server: str) -> None:
    """Before: /subjects/<a serious-list company> answered `sharing.unknown_subject`."""
    status, ctype, html, _ = Browser(server).get(f"/subjects/{DEMO_LISTED}")
    assert status == 200 and "html" in ctype
    assert "unknown_subject" not in html
    assert "哈尔滨演示围标建材有限公司" in text_of(html, "subject-name")
    assert "在名单内" in text_of(html, "serious-status")
    assert re.search(r'href="/lists/entries/YZ[^"]+"', html)  # the decision, one click away
    assert section_count(html, "serious") == 1
    assert text_of(html, "subject-region").startswith("黑龙江省")  # from the code's division
    assert "企业" in text_of(html, "subject-type")


def test_an_unknown_code_is_still_a_chinese_not_found_page(server: str) -> None:
    from xinyong.demo.generate import synthetic_uscc

    status, ctype, html, _ = Browser(server).get(f"/subjects/{synthetic_uscc(7_999_998, '230103')}")
    assert status == 404 and "html" in ctype and "未找到" in html


def test_the_subject_page_groups_records_in_sections_with_counts(server: str) -> None:
    status, _, html, _ = Browser(server).get(f"/subjects/{DEMO_COMPANY}")
    assert status == 200
    labels = re.findall(
        r'<section class="subject-section" id="section-(\w+)">\s*<h2>(\S+?)（', html
    )
    assert [label for _, label in labels] == [
        "基本信息",
        "行政许可",
        "行政处罚",
        "守信激励",
        "严重失信",
        "信用承诺",
        "信用评价",
        "其他",
    ]
    assert section_count(html, "penalty") >= 1  # the demo company's own penalty
    assert section_count(html, "incentive") == 1  # its red-list decision
    assert "在名单内" in text_of(html, "red-status")
    assert text_of(html, "serious-status") == "严重失信主体名单：未列入"
    assert text_of(html, "subject-state") == "存续"
    assert text_of(html, "subject-representative") == "王**"  # masked for the public


def my_reports(browser: Browser) -> list[str]:
    _, _, html, _ = browser.get("/me/reports")
    return re.findall(r'href="/me/reports/(XY\d+)"', html)


def test_a_report_is_issued_by_the_button_only_and_listed_under_my_reports(
    server: str,
) -> None:
    """Before: the only way to see one's report was to issue a new numbered one each time."""
    company = logged_in(server, "company")
    before = my_reports(company)
    for path in ("/me", "/me/reports", "/me/reports", "/me"):  # looking issues nothing
        assert company.get(path)[0] == 200
    assert company.get("/me/report")[0] == 405  # a link cannot issue one
    assert my_reports(company) == before
    token = company.token("/me/reports")
    status, ctype, _, landed = company.post("/me/report", {"csrf_token": token})
    assert status == 200 and ctype == "application/pdf" and landed.endswith("/pdf")
    after = my_reports(company)
    assert len(after) == len(before) + 1
    number = after[0]
    _, _, html, _ = company.get(f"/me/reports/{number}")  # opened again: nothing issued
    assert my_reports(company) == after
    assert BEIJING_SECOND.match(text_of(html, "report-time"))  # no microseconds, no +00:00
    assert text_of(html, "report-time") == "2026-11-23 10:00:00"  # NOW, Beijing time
    notice = re.search(r'class="note notice">(.*?)</p>', html, re.S)
    assert notice and "行政处罚信息" in notice.group(1)
    assert "HLJ-" not in notice.group(1) and "目录项" not in notice.group(1)
    with urllib.request.urlopen(f"{server}/api/catalog/HLJ-CF-001") as r:
        catalog = [f["name"] for f in json.load(r)["fields"]]
    table = re.search(r"行政处罚信息（[^）]*）</h3>(.*?)</table>", html, re.S)
    assert table
    shown = re.findall(r"<tr><th>(.*?)</th>", table.group(1))
    assert len(shown) > 5 and shown == [n for n in catalog if n in shown]  # catalog order
    other = logged_in(server, "citizen")  # another subject cannot open it
    assert other.get(f"/me/reports/{number}")[0] == 404


def issue_pdf(browser: Browser) -> tuple[bytes, str]:
    """Press the button: the PDF's bytes and the address it came from (number and code)."""
    token = browser.token("/me/reports")
    data = urllib.parse.urlencode({"csrf_token": token}).encode()
    request = urllib.request.Request(browser.base + "/me/report", data=data)
    with browser.opener.open(request, timeout=30) as r:
        assert r.headers["content-type"] == "application/pdf"
        return r.read(), r.geturl()


def test_a_reopened_report_shows_its_subject_the_number_and_verification_code(
    server: str,
) -> None:
    """Before: the code was shown only once, in the PDF issued by the button; the subject who
    reopened the report from my reports could not give it to a bank."""
    company = logged_in(server, "company")
    _, issued_at = issue_pdf(company)
    query = urllib.parse.urlsplit(issued_at)
    number = query.path.split("/")[-2]
    code = urllib.parse.parse_qs(query.query)["code"][0]
    status, _, html, _ = company.get(f"/me/reports/{number}")
    assert status == 200
    assert text_of(html, "report-number") == number
    assert text_of(html, "report-code") == code
    token = company.token("/reports/verify")
    _, _, verified, _ = company.post(
        "/reports/verify", {"csrf_token": token, "number": number, "code": code}
    )
    assert "真实有效" in verified
    other = logged_in(server, "citizen")  # only to its subject
    status, _, html, _ = other.get(f"/me/reports/{number}")
    assert status == 404 and code not in html


def test_the_report_pdf_gives_beijing_time(server: str, tmp_path: Path) -> None:
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils not installed")
    body, _ = issue_pdf(logged_in(server, "company"))
    (tmp_path / "r.pdf").write_bytes(body)
    text = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True
    ).stdout
    assert "2026-11-23 10:00:00" in text and "+00:00" not in text and "HLJ-CF-001" not in text


def test_every_api_operation_has_a_chinese_summary_and_authorize_works(server: str) -> None:
    with urllib.request.urlopen(f"{server}/openapi.json") as r:
        document = json.load(r)
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"] == schemes["bearer"] | {"type": "http", "scheme": "bearer"}
    assert schemes["apiKey"] | {"in": "header", "name": "X-API-Key"} == schemes["apiKey"]
    lacking = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if not re.search(r"[\u4e00-\u9fff]", operation.get("summary", "")):
                lacking.append(f"{method.upper()} {path}: {operation.get('summary')!r}")
    assert not lacking, "operations without a Chinese summary:\n" + "\n".join(lacking)
    me = document["paths"]["/api/me/records"]["get"]
    assert {"bearer": []} in me["security"] and {} not in me["security"]  # an account only
    issue = document["paths"]["/api/reports"]["post"]
    assert {"apiKey": []} in issue["security"] and {} in issue["security"]  # the public too

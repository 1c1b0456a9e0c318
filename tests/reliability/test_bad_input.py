"""Bad input through HTTP (issue 14, item 10): each input that answered 5xx now answers a 4xx
with a Chinese message naming the field and the rule — JSON under /api, an error page for the
pages — on SQLite and PostgreSQL (where NUL in text and integers beyond INTEGER failed)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.ingest.conftest import push_as_system
from tests.lists.conftest import decision
from xinyong.context import Context
from xinyong.demo.rows import penalty_row
from xinyong.demo.seed import DEMO_PASSWORD, load_demo
from xinyong.records.models import CreditRecord
from xinyong.web.app import create_app

BIG = "x" * (128 * 1024)  # a 128 KB field
LONG_URL_VALUE = "x" * 5000  # what fits in a URL
OVER_BIGINT = str(2**63)
OVER_INT = str(2**31)


@pytest.fixture
def site(ctx: Context) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    load_demo(ctx, subjects=5, records=5)
    push_as_system(ctx, [penalty_row(i, ctx.today()) for i in range(2)])
    # A 500 is answered as a real server would (not raised into the test), so that the
    # assertion shows what a client saw.
    with TestClient(create_app(ctx), raise_server_exceptions=False) as client:
        callers = {"public": {}}
        for name in ("staff", "citizen", "agency"):
            r = client.post("/api/auth/token", data={"username": name, "password": DEMO_PASSWORD})
            callers[name] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        yield client, callers


# (method, path, json body or None, caller, the field named, the rule's words)
API_CASES: list[tuple[str, str, Any, str, str, str]] = [
    ("GET", "/api/calendar/0", None, "public", "路径参数 year", "应不小于1950"),
    ("GET", "/api/calendar/-5", None, "public", "路径参数 year", "应不小于1950"),
    ("GET", f"/api/calendar/{2**70}", None, "public", "路径参数 year", "应不大于2100"),
    ("GET", "/api/providers/HRB-SCJG/timeliness?year=0", None, "staff", "查询参数 year", "1950"),
    ("GET", "/api/workdays/add?start=9999-12-30&days=5", None, "public", "查询参数 start", "2100"),
    ("GET", "/api/law/objection.decide?on=9999-12-30", None, "public", "查询参数 on", "2100"),
    ("GET", "/api/law/objection.decide?on=abc", None, "public", "查询参数 on", "应为日期"),
    ("GET", f"/api/checks/{OVER_BIGINT}", None, "staff", "路径参数 check_id", "应不大于"),
    ("GET", f"/api/ingest/batches/{2**70}", None, "staff", "路径参数 batch_id", "应不大于"),
    ("POST", f"/api/case-notices/{OVER_INT}/acted", None, "staff", "notice_id", "应不大于"),
    (
        "POST",
        f"/api/state-unit-notices/{OVER_INT}/answer",
        {"handling": "已处理"},
        "staff",
        "路径参数 notice_id",
        "应不大于2147483647",
    ),
    ("GET", f"/api/catalog/HLJ-CF-001?version={OVER_INT}", None, "public", "version", "应不大于"),
    (
        "POST",
        "/api/me/objections",
        {"record_id": 2**64, "request": "有误"},
        "citizen",
        "请求体字段 record_id",
        "应不大于9223372036854775807",
    ),
    (
        "POST",
        "/api/basis-changes",
        {"record_id": 1, "learned_on": "9999-12-30", "request": "撤销"},
        "staff",
        "请求体字段 learned_on",
        "应不大于2100-12-31",
    ),
    (
        "POST",
        "/api/me/authorisations",
        {"grantee": "bank", "items": ["HLJ-CF-001"], "purpose": "贷款", "expires_on": "0001-01-01"},
        "citizen",
        "请求体字段 expires_on",
        "应不小于1950-01-01",
    ),
    ("GET", "/api/search?q=ab%00cd", None, "public", "查询参数 q", "不得含控制字符"),
    ("GET", "/api/subjects/a%00b/records", None, "public", "路径参数 key", "不得含控制字符"),
    ("GET", f"/api/subjects/{LONG_URL_VALUE}/records", None, "public", "路径参数 key", "最长64"),
    (
        "GET",
        "/api/subjects/x/records?purpose=a%00b",
        None,
        "agency",
        "查询参数 purpose",
        "控制字符",
    ),
    ("GET", "/api/subjects/a%00b/links", None, "public", "路径参数 key", "不得含控制字符"),
    ("GET", "/api/catalog/a%00b", None, "public", "路径参数 code", "不得含控制字符"),
    ("GET", "/api/list-entries/a%00b", None, "public", "路径参数 number", "不得含控制字符"),
    ("GET", "/api/reports/verify?number=a%00b&code=x", None, "public", "number", "控制字符"),
    ("POST", "/api/reports", {"subject_key": "a\x00b"}, "public", "subject_key", "控制字符"),
    ("POST", "/api/me/complaints", {"request": BIG}, "citizen", "请求体字段 request", "最长10000"),
    ("POST", "/api/me/complaints", {"request": "a\x00b"}, "citizen", "request", "不得含 NUL"),
    ("POST", "/api/auth/api-keys", {"label": BIG}, "staff", "请求体字段 label", "最长200"),
]


def _bad_api_input_is_a_chinese_422_naming_the_field(
    client: TestClient, callers: dict[str, dict[str, str]]
) -> None:
    wrong = []
    for method, path, body, caller, field, rule in API_CASES:
        r = client.request(method, path, json=body, headers=callers[caller])
        error = r.json().get("error", {}) if r.headers["content-type"] == "application/json" else {}
        message = error.get("message", "")
        if not (
            r.status_code == 422
            and error.get("code") == "request.invalid"
            and field in message
            and rule in message
        ):
            wrong.append(f"{method} {path[:80]} -> {r.status_code} {r.text[:200]}")
    assert not wrong, "\n".join(wrong)


def _login_fields_with_nul_or_128_kb_are_refused_not_looked_up(
    client: TestClient, callers: dict[str, dict[str, str]]
) -> None:
    for username in ("a\x00b", BIG):
        r = client.post("/api/auth/token", data={"username": username, "password": "x"})
        assert r.status_code == 422, r.text
        assert "请求体字段 username" in r.json()["error"]["message"]
        details = r.json()["error"]["details"]["problems"]
        assert details[0]["field"] == "body.username"
        assert BIG not in r.text  # the input is not echoed back


def _unparsable_body_and_unknown_address_answer_in_chinese(
    client: TestClient, callers: dict[str, dict[str, str]]
) -> None:
    r = client.post(
        "/api/me/complaints",
        content=b"\xff\xfe{",
        headers={**callers["citizen"], "Content-Type": "application/json"},
    )
    assert r.status_code in (400, 422) and "请求" in r.json()["error"]["message"], r.text
    r = client.post(
        "/api/ingest/HLJ-CF-001/files",
        content=b"--x\r\n",
        headers={**callers["staff"], "Content-Type": "multipart/form-data; boundary=x"},
    )
    assert r.status_code in (400, 422) and r.json()["error"]["message"], r.text
    r = client.get("/api/no-such-thing")
    assert r.status_code == 404 and r.json()["error"] == {
        "code": "http.not_found",
        "message": "没有这个地址",
        "citations": [],
        "details": {},
    }


def _duplicates_answer_409_not_a_unique_constraint_500(
    client: TestClient, callers: dict[str, dict[str, str]]
) -> None:
    criteria = {
        "code": "HLJ-TEST-1",
        "authority": "省发展改革委",
        "industry": "建筑",
        "title": "守信激励对象认定标准",
        "text": "连续三年无失信记录",
        "approval": "黑政办函〔2026〕1号",
        "published_on": "2026-01-01",
    }
    first = client.post("/api/red-list-criteria", json=criteria, headers=callers["staff"])
    assert first.status_code == 201, first.text
    again = client.post("/api/red-list-criteria", json=criteria, headers=callers["staff"])
    assert again.status_code == 409 and again.json()["error"]["code"] == (
        "red_list.criteria_duplicate"
    )


def _a_second_listing_on_one_record_is_409(
    client: TestClient, callers: dict[str, dict[str, str]], ctx: Context
) -> None:
    with ctx.sessions() as session:
        record = session.scalars(select(CreditRecord).order_by(CreditRecord.id)).first()
    assert record is not None
    body = decision(record.subject_key, record_id=record.id).model_dump(mode="json")
    first = client.post("/api/lists/serious", json=body, headers=callers["staff"])
    assert first.status_code == 201, first.text
    again = client.post("/api/lists/serious", json=body, headers=callers["staff"])
    assert again.status_code == 409, again.text  # a unique-constraint 500 before
    assert again.json()["error"]["code"] == "lists.record_listed"


# (path, caller, words the page shows) — pages answer a Chinese page, not JSON
PAGE_CASES: list[tuple[str, str, str]] = [
    ("/publicity/penalties?since=abc", "public", "查询参数 since"),
    ("/publicity/penalties?until=abc", "public", "查询参数 until"),
    ("/publicity/penalties?until=9999-12-30", "public", "应不大于2100-12-31"),
    ("/publicity/penalties?page=1e20", "public", "查询参数 page"),
    (f"/publicity/penalties?page={10**20}", "public", "查询参数 page"),
    (f"/publicity/penalties?page={2**63 - 1}", "public", "应不大于10000"),
    ("/publicity/penalties?page=0", "public", "应不小于1"),
    ("/publicity/penalties?name=a%00b", "public", "查询参数 name"),
    (f"/publicity/licences?name={LONG_URL_VALUE}", "public", "最长200"),
    ("/search?q=ab%00cd", "public", "查询参数 q"),
    ("/subjects/a%00b", "public", "路径参数 key"),
    ("/lists/entries/a%00b", "public", "路径参数 number"),
    ("/lists/a%00b", "public", "路径参数 list_kind"),
    ("/reports/a%00b?code=x", "public", "路径参数 number"),
    ("/me/records/HLJ-CF-001/x?provider=a%00b", "citizen", "查询参数 provider"),
]


def _bad_page_input_is_a_chinese_error_page(
    client: TestClient, callers: dict[str, dict[str, str]]
) -> None:
    wrong = []
    for path, caller, words in PAGE_CASES:
        r = client.get(path, headers=callers[caller])
        if not (
            r.status_code == 422
            and r.headers["content-type"].startswith("text/html")
            and "请求参数有误" in r.text
            and words in r.text
        ):
            wrong.append(f"{path[:80]} -> {r.status_code} {r.text[:200]}")
    assert not wrong, "\n".join(wrong)


def _page_forms_with_bad_fields_are_refused_with_a_page(
    client: TestClient, callers: dict[str, dict[str, str]]
) -> None:
    # anonymous forms carry the token of the pre-session cookie (web/security.py)
    token = client.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    login = client.post("/login", data={"username": "a\x00b", "password": "x", "csrf_token": token})
    assert login.status_code == 422 and "请求体字段 username" in login.text
    verify = client.post(
        "/reports/verify", data={"number": "a\x00b", "code": "x", "csrf_token": token}
    )
    assert verify.status_code == 422 and "请求体字段 number" in verify.text
    case = client.post(
        "/me/cases",
        data={"kind": "objection", "record_id": str(10**20), "request": "有误"},
        headers=callers["citizen"],
    )
    assert case.status_code == 422 and "请求体字段 record_id" in case.text
    emergency = client.post(  # EmergencyIn's rule, once a 500 on the page
        "/staff/emergencies",
        data={"region": "2", "name": "洪水", "starts_on": "2026-01-01", "ends_on": "2026-01-02"},
        headers=callers["staff"],
    )
    assert emergency.status_code == 422  # the form again, as typed, the reason by its field
    assert 'id="err-emergency-region"' in emergency.text and 'value="洪水"' in emergency.text
    query = client.post(  # a POST: the read is logged in the subject's access log
        "/agency/query",
        data={"key": "a\x00b", "purpose": "licensing"},
        headers=callers["agency"],
    )
    assert query.status_code == 422 and "请求体字段 key" in query.text
    upload = client.post(
        "/agency/check",
        data={"scenario": "licensing"},
        files={"upload": ("codes.csv", b"91230100MA1234567X\nab\x00cd\n", "text/csv")},
        headers=callers["agency"],
    )
    assert upload.status_code == 422 and "控制字符" in upload.text, upload.text[:300]


def _blank_form_fields_of_a_page_still_mean_not_given(
    client: TestClient, callers: dict[str, dict[str, str]]
) -> None:
    """The publicity page's filter form sends empty fields: they are not errors."""
    r = client.get("/publicity/penalties?name=&since=&until=")
    assert r.status_code == 200 and 'id="list"' in r.text
    r = client.get("/publicity/penalties?since=2026-01-01&until=2026-12-31&page=2")
    assert r.status_code == 200


def _unknown_pages_and_refusals_on_pages_are_pages(
    client: TestClient, callers: dict[str, dict[str, str]]
) -> None:
    for path in ("/no-such-page", "/lists/zzz", "/publicity/zzz", "/reports/NO?code=x"):
        r = client.get(path)
        assert r.status_code == 404, (path, r.status_code)
        assert r.headers["content-type"].startswith("text/html"), path
        assert 'id="error"' in r.text


def _openapi_states_the_bounds_and_the_error_codes(
    client: TestClient, callers: dict[str, dict[str, str]]
) -> None:
    doc = client.get("/openapi.json").json()
    paths = doc["paths"]
    year = paths["/api/calendar/{year}"]["get"]["parameters"][0]["schema"]
    assert (year["minimum"], year["maximum"]) == (1950, 2100)
    check_id = paths["/api/checks/{check_id}"]["get"]["parameters"][0]["schema"]
    assert check_id["maximum"] == 2**63 - 1
    key = paths["/api/subjects/{key}/records"]["get"]["parameters"][0]["schema"]
    assert key["maxLength"] == 64 and "\\x00" in key["pattern"]
    objection = paths["/api/me/objections"]["post"]["responses"]
    assert {"201", "400", "401", "403", "404", "413", "422", "503"} <= set(objection)
    assert objection["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorOut"
    }
    assert set(paths["/api/health"]["get"]["responses"]) == {"200", "422", "503"}
    assert "HTTPValidationError" not in doc["components"]["schemas"]


# One database set up per backend for all of them (the demo set takes seconds to load).


def test_bad_api_input(site: tuple[TestClient, dict[str, dict[str, str]]], ctx: Context) -> None:
    _bad_api_input_is_a_chinese_422_naming_the_field(*site)
    _login_fields_with_nul_or_128_kb_are_refused_not_looked_up(*site)
    _unparsable_body_and_unknown_address_answer_in_chinese(*site)
    _duplicates_answer_409_not_a_unique_constraint_500(*site)
    _a_second_listing_on_one_record_is_409(*site, ctx)
    _openapi_states_the_bounds_and_the_error_codes(*site)


def test_bad_page_input(site: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    _bad_page_input_is_a_chinese_error_page(*site)
    _page_forms_with_bad_fields_are_refused_with_a_page(*site)
    _blank_form_fields_of_a_page_still_mean_not_given(*site)
    _unknown_pages_and_refusals_on_pages_are_pages(*site)

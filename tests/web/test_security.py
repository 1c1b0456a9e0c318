"""The web's defences through the door: CSRF, state changes only by POST, security headers,
no-store, Secure cookies over TLS, body limits before reading, login throttling, API keys.
Everything through HTTP with real cookies, tokens and keys (Starlette's TestClient)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.conftest import serving
from tests.web.conftest import login
from xinyong.accounts import service as accounts_service
from xinyong.accounts.models import ApiKey, LoginFailure
from xinyong.audit.models import AuditEvent
from xinyong.authorisations.models import Authorisation
from xinyong.common.clock import FixedClock
from xinyong.context import Context
from xinyong.demo.seed import DEMO_CITIZEN, DEMO_PASSWORD, load_demo
from xinyong.reports.models import CreditReport
from xinyong.web.app import create_app

TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def form_token(client: TestClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    found = TOKEN.search(page.text)
    assert found, f"no CSRF token in the form of {path}"
    return found.group(1)


def browser_login(client: TestClient, username: str) -> None:
    """As a browser does: the login page, then its form with the token it carries."""
    token = form_token(client, "/login")
    r = client.post(
        "/login",
        data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert "xinyong_session" in client.cookies


def count(ctx: Context, model: type, *where: object) -> int:
    with ctx.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


GRANT = {"grantee": "bank", "items": "HLJ-GY-001", "purpose": "贷款审批"}


# -- CSRF ----------------------------------------------------------------------------------------


def test_a_cross_site_form_post_with_the_cookie_is_refused_and_the_pages_own_form_works(
    client: TestClient, ctx: Context
) -> None:
    browser_login(client, "citizen")
    demo = count(ctx, Authorisation, Authorisation.grantee_username == "bank")  # demo/seed.py
    expires = (ctx.today() + dt.timedelta(days=30)).isoformat()
    form = {**GRANT, "expires_on": expires}
    # what another site's auto-submitting form sends: the cookie, no token
    forged = client.post("/me/authorisations", data=form, follow_redirects=False)
    assert forged.status_code == 403
    error = forged.json()["error"]
    assert error["code"] == "auth.csrf" and "防伪造令牌" in error["message"]
    wrong = client.post(
        "/me/authorisations", data={**form, "csrf_token": "0" * 64}, follow_redirects=False
    )
    assert wrong.status_code == 403
    assert count(ctx, Authorisation, Authorisation.grantee_username == "bank") == demo
    # the platform's own form carries the token
    token = form_token(client, "/me")
    ok = client.post(
        "/me/authorisations", data={**form, "csrf_token": token}, follow_redirects=False
    )
    assert ok.status_code == 303 and "error" not in ok.headers["location"]
    assert count(ctx, Authorisation, Authorisation.grantee_username == "bank") == demo + 1
    # the JSON API on the cookie: the token in a header; a bearer token needs none
    body = {**GRANT, "items": ["HLJ-GY-001"], "expires_on": expires}
    assert client.post("/api/me/authorisations", json=body).status_code == 403
    r = client.post("/api/me/authorisations", json=body, headers={"X-CSRF-Token": token})
    assert r.status_code == 201, r.text
    bearer = login(client, "citizen")
    client.cookies.clear()
    assert client.post("/api/me/authorisations", json=body, headers=bearer).status_code == 201
    assert count(ctx, Authorisation, Authorisation.grantee_username == "bank") == demo + 3


def test_login_and_logout_forms_need_their_token(client: TestClient) -> None:
    form = {"username": "staff", "password": DEMO_PASSWORD}
    assert client.post("/login", data=form).status_code == 403  # login CSRF
    assert "xinyong_session" not in client.cookies
    browser_login(client, "staff")
    assert client.post("/logout", follow_redirects=False).status_code == 403
    assert client.get("/api/me").json()["role"] == "staff"  # still logged in
    token = form_token(client, "/")
    r = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/api/me").json()["role"] == "public"


def test_a_token_of_one_session_is_refused_in_another(client: TestClient) -> None:
    browser_login(client, "citizen")
    old = form_token(client, "/me")
    client.post("/logout", data={"csrf_token": old})
    browser_login(client, "citizen")
    r = client.post("/me/preferences", data={"csrf_token": old}, follow_redirects=False)
    assert r.status_code == 403


# -- state changes only by POST ------------------------------------------------------------------


def test_issuing_a_report_and_an_agency_query_are_posts_not_links(
    client: TestClient, ctx: Context
) -> None:
    browser_login(client, "citizen")
    reports = count(ctx, CreditReport)
    assert client.get("/me/report", follow_redirects=False).status_code == 405
    assert count(ctx, CreditReport) == reports
    assert client.post("/me/report", follow_redirects=False).status_code == 403  # no token
    token = form_token(client, "/me")
    r = client.post("/me/report", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/api/reports/")
    assert count(ctx, CreditReport) == reports + 1

    client.cookies.clear()
    browser_login(client, "agency")
    agency_reads = (AuditEvent.actor_username == "agency", AuditEvent.subject_key == DEMO_CITIZEN)
    before = count(ctx, AuditEvent, *agency_reads)
    query = {"key": DEMO_CITIZEN, "purpose": "procurement"}
    assert client.get("/agency/query", params=query).status_code == 405
    assert client.post("/agency/query", data=query).status_code == 403
    assert count(ctx, AuditEvent, *agency_reads) == before
    token = form_token(client, "/agency")
    r = client.post("/agency/query", data={**query, "csrf_token": token})
    assert r.status_code == 200 and "审计记录第" in r.text
    assert count(ctx, AuditEvent, *agency_reads) == before + 1


def test_a_link_from_another_site_reads_as_the_public(client: TestClient, ctx: Context) -> None:
    """A cross-site GET carries no authority: the agency's cookie on a link another site shows
    does not log a read with a purpose in a citizen's access log."""
    browser_login(client, "agency")
    agency_reads = (AuditEvent.actor_username == "agency", AuditEvent.subject_key == DEMO_CITIZEN)
    before = count(ctx, AuditEvent, *agency_reads)
    url = f"/api/subjects/{DEMO_CITIZEN}/records?purpose=procurement"
    for site in ("cross-site", "same-site"):
        r = client.get(url, headers={"Sec-Fetch-Site": site})
        assert r.status_code in (403, 404)  # as the public: a person's file is not open
        assert client.get("/api/me", headers={"Sec-Fetch-Site": site}).json()["role"] == "public"
    assert count(ctx, AuditEvent, *agency_reads) == before
    r = client.get(url, headers={"Sec-Fetch-Site": "same-origin"})
    assert r.status_code == 200, r.text
    assert count(ctx, AuditEvent, *agency_reads) == before + 1


# -- headers -------------------------------------------------------------------------------------


def test_security_headers_and_no_store_on_every_answer(client: TestClient) -> None:
    browser_login(client, "citizen")
    for path in ("/", "/me", "/api/me", "/api/health", "/no-such-page", "/login"):
        r = client.get(path, follow_redirects=False)
        h = r.headers
        assert "frame-ancestors 'none'" in h["content-security-policy"], path
        assert "script-src 'self';" in h["content-security-policy"], path
        assert h["x-frame-options"] == "DENY" and h["x-content-type-options"] == "nosniff"
        assert h["referrer-policy"] == "same-origin"
        assert h["cache-control"] == "no-store", path
        assert "strict-transport-security" not in h  # plain http: no HSTS
    static = client.get("/static/site.css")
    assert static.headers["x-content-type-options"] == "nosniff"
    assert "no-store" not in static.headers.get("cache-control", "")
    docs = client.get("/docs")
    assert (
        docs.status_code == 200 and "script-src 'self';" in docs.headers["content-security-policy"]
    )
    assert "http" not in docs.headers["content-security-policy"]  # nothing from another host
    assert "/static/docs/swagger-ui-bundle.js" in docs.text and "<script>" not in docs.text
    cookie = client.get("/login").headers.get("set-cookie", "")
    assert cookie == "" or "SameSite=Strict" in cookie


def test_after_logout_my_page_is_not_served_again(client: TestClient) -> None:
    browser_login(client, "citizen")
    me = client.get("/me")
    assert DEMO_CITIZEN in me.text and me.headers["cache-control"] == "no-store"
    token = form_token(client, "/me")
    client.post("/logout", data={"csrf_token": token})
    again = client.get("/me", follow_redirects=False)
    assert again.status_code == 303 and DEMO_CITIZEN not in again.text


def test_over_tls_cookies_are_secure_and_hsts_is_sent(ctx: Context) -> None:
    load_demo(ctx, subjects=2, records=2)
    with TestClient(create_app(ctx), base_url="https://testserver") as client:
        r = client.get("/login")
        assert r.headers["strict-transport-security"].startswith("max-age=")
        assert "Secure" in r.headers["set-cookie"]
        token = TOKEN.search(r.text).group(1)  # type: ignore[union-attr]
        r = client.post(
            "/login",
            data={"username": "staff", "password": DEMO_PASSWORD, "csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        cookie = r.headers["set-cookie"]
        assert "xinyong_session=" in cookie and "Secure" in cookie and "HttpOnly" in cookie
        assert "samesite=strict" in cookie.lower()
    ctx.settings.trusted_proxies = "testclient"  # TestClient's address: a TLS proxy in front
    with TestClient(create_app(ctx)) as client:
        r = client.get("/login", headers={"X-Forwarded-Proto": "https"})
        assert r.headers["strict-transport-security"].startswith("max-age=")
        assert "Secure" in r.headers["set-cookie"]
        plain = client.get("/login", headers={"X-Forwarded-Proto": "http"})
        assert "strict-transport-security" not in plain.headers
    ctx.settings.trusted_proxies = ""
    with TestClient(create_app(ctx)) as client:  # an untrusted sender's header is not believed
        r = client.get("/login", headers={"X-Forwarded-Proto": "https"})
        assert "strict-transport-security" not in r.headers
        assert "Secure" not in r.headers["set-cookie"]


# -- body limits ---------------------------------------------------------------------------------


@pytest.fixture
def small(ctx: Context) -> Iterator[TestClient]:
    ctx.settings.max_body_bytes = 4096
    ctx.settings.max_push_body_bytes = 16384
    ctx.settings.max_upload_bytes = 32768
    with TestClient(create_app(ctx)) as c:
        yield c


def test_bodies_over_the_limit_are_refused_before_they_are_read(small: TestClient) -> None:
    big = b'{"subject_key": "' + b"x" * 5000 + b'"}'
    r = small.post("/api/reports", content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413  # before authentication, before parsing
    error = r.json()["error"]
    assert error["code"] == "request.too_large"
    assert "4 KiB" in error["message"] and "XINYONG_MAX_BODY_BYTES" in error["message"]
    assert r.headers["x-content-type-options"] == "nosniff"
    # a records push is allowed more (it then meets authentication)
    push = small.post(
        "/api/ingest/HLJ-CF-001/records",
        content=b"[" + b" " * 10000 + b"]",
        headers={"Content-Type": "application/json"},
    )
    assert push.status_code == 401
    over = small.post(
        "/api/ingest/HLJ-CF-001/records",
        content=b"[" + b" " * 20000 + b"]",
        headers={"Content-Type": "application/json"},
    )
    assert over.status_code == 413 and "XINYONG_MAX_PUSH_BODY_BYTES" in over.text
    # a file upload is allowed the upload limit, and no more
    files = {"file": ("a.csv", b"x" * 20000, "text/csv")}
    assert small.post("/api/ingest/HLJ-CF-001/files", files=files).status_code == 401
    files = {"file": ("a.csv", b"x" * 40000, "text/csv")}
    r = small.post("/api/ingest/HLJ-CF-001/files", files=files)
    assert r.status_code == 413 and "XINYONG_MAX_UPLOAD_BYTES" in r.text
    # a form post to a page gets the ordinary limit
    assert small.post("/login", data={"username": "x" * 5000}).status_code == 413


def test_a_chunked_body_is_cut_at_the_limit(small: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"subject_key": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}'

    r = small.post("/api/reports", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "request.too_large"
    small_body = small.post("/api/reports", json={"subject_key": "NOSUCH"})
    assert small_body.status_code in (401, 403, 404)  # under the limit: the route answers


# -- login throttling ----------------------------------------------------------------------------


def test_wrong_passwords_lock_the_account_and_the_right_one_waits(
    ctx: Context, client: TestClient
) -> None:
    ctx.settings.login_account_failures = limit = 3
    for _ in range(limit):
        r = client.post("/api/auth/token", data={"username": "staff", "password": "wrong-guess"})
        assert r.status_code == 401
    locked = client.post("/api/auth/token", data={"username": "staff", "password": DEMO_PASSWORD})
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) == ctx.settings.login_window_seconds
    assert "登录失败次数过多" in locked.json()["error"]["message"]
    # the page says so too, in Chinese, and the right password does not get in
    token = form_token(client, "/login")
    page = client.post(
        "/login", data={"username": "staff", "password": DEMO_PASSWORD, "csrf_token": token}
    )
    assert page.status_code == 429 and "分钟后再试" in page.text
    assert "xinyong_session" not in client.cookies
    # other accounts are not locked (the address limit is higher)
    assert (
        client.post(
            "/api/auth/token", data={"username": "citizen", "password": DEMO_PASSWORD}
        ).status_code
        == 200
    )
    assert isinstance(ctx.clock, FixedClock)
    ctx.clock.advance(dt.timedelta(seconds=ctx.settings.login_window_seconds + 1))
    ok = client.post("/api/auth/token", data={"username": "staff", "password": DEMO_PASSWORD})
    assert ok.status_code == 200
    # a success clears the account's count (not the address's); expired failures are deleted
    for _ in range(limit - 1):
        client.post("/api/auth/token", data={"username": "staff", "password": "wrong"})
    assert login(client, "staff")
    assert count(ctx, LoginFailure) == limit - 1  # this address's, inside the window


def test_guessing_many_names_from_one_address_is_throttled(
    ctx: Context, client: TestClient
) -> None:
    ctx.settings.login_address_failures = 4  # read at each login: a setting, not a constant
    for i in range(ctx.settings.login_address_failures):
        r = client.post("/api/auth/token", data={"username": f"user{i}", "password": "x" * 8})
        assert r.status_code == 401
    r = client.post("/api/auth/token", data={"username": "citizen", "password": DEMO_PASSWORD})
    assert r.status_code == 429 and r.json()["error"]["details"]["scope"] == "address"
    proxied = {"X-Forwarded-For": "203.0.113.9"}  # not believed: no trusted proxy
    r = client.post(
        "/api/auth/token",
        data={"username": "citizen", "password": DEMO_PASSWORD},
        headers=proxied,
    )
    assert r.status_code == 429


def test_an_unknown_name_costs_the_same_argon2_verification(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = accounts_service._hasher

    class Counting:
        def hash(self, password: str) -> str:
            return real.hash(password)

        def verify(self, hash: str, password: str) -> bool:
            calls.append(hash)
            return bool(real.verify(hash, password))

    monkeypatch.setattr(accounts_service, "_hasher", Counting())
    client.post("/api/auth/token", data={"username": "staff", "password": "wrong-one"})
    client.post("/api/auth/token", data={"username": "nobody-here", "password": "wrong-one"})
    assert len(calls) == 2
    assert calls[1] == accounts_service.dummy_hash()
    # the same argon2 parameters as a real account's hash
    assert calls[0].split("$")[1:4] == calls[1].split("$")[1:4]


# -- API keys ------------------------------------------------------------------------------------


def test_api_keys_expire_rotate_and_are_revoked(ctx: Context, client: TestClient) -> None:
    provider = login(client, "provider")
    key = client.post("/api/auth/api-keys", json={"label": "系统对接"}, headers=provider)
    assert key.status_code == 200, key.text
    raw = key.json()["api_key"]
    as_key = {"X-API-Key": raw}
    assert client.get("/api/me", headers=as_key).json()["username"] == "provider"
    mine = client.get("/api/auth/api-keys", headers=provider).json()
    assert [k["status"] for k in mine] == ["active"] and raw not in str(mine)
    key_id = mine[0]["id"]
    expires = dt.datetime.fromisoformat(mine[0]["expires_at"])
    assert (expires - ctx.clock.now()).days == ctx.settings.api_key_days

    # rotation with a grace: both work until the grace ends, then only the new one
    r = client.post(
        f"/api/auth/api-keys/{key_id}/rotate", json={"grace_hours": 2}, headers=provider
    )
    assert r.status_code == 200, r.text
    new = {"X-API-Key": r.json()["api_key"]}
    assert client.get("/api/me", headers=as_key).status_code == 200
    assert isinstance(ctx.clock, FixedClock)
    ctx.clock.advance(dt.timedelta(hours=2, seconds=1))
    refused = client.get("/api/me", headers=as_key)
    assert refused.status_code == 401 and "无效或已过期" in refused.json()["error"]["message"]
    assert client.get("/api/me", headers=new).json()["username"] == "provider"
    assert client.post(f"/api/auth/api-keys/{key_id}/rotate", headers=provider).status_code == 422

    # another account cannot see or touch it; the administrator can, and revokes it
    other = login(client, "agency")
    new_id = client.get("/api/auth/api-keys", headers=provider).json()[-1]["id"]
    assert client.post(f"/api/auth/api-keys/{new_id}/revoke", headers=other).status_code == 404
    admin = login(client, "admin")
    assert client.get("/api/admin/api-keys", headers=provider).status_code == 403
    listed = client.get("/api/admin/api-keys", params={"username": "provider"}, headers=admin)
    assert [k["status"] for k in listed.json()] == ["rotated", "active"]
    assert client.post(f"/api/auth/api-keys/{new_id}/revoke", headers=admin).status_code == 200
    assert client.get("/api/me", headers=new).status_code == 401

    # expiry by the clock
    issued = client.post(
        "/api/admin/api-keys",
        json={"username": "agency", "label": "核查", "days": 1},
        headers=admin,
    )
    assert issued.status_code == 201, issued.text
    agency_key = {"X-API-Key": issued.json()["api_key"]}
    assert client.get("/api/me", headers=agency_key).json()["username"] == "agency"
    ctx.clock.advance(dt.timedelta(days=1))
    assert client.get("/api/me", headers=agency_key).status_code == 401
    assert count(ctx, ApiKey) == 3
    actions = {
        "accounts:api-key:create",
        "accounts:api-key:rotate",
        "accounts:api-key:revoke",
    }
    with ctx.sessions() as session:
        logged = set(
            session.scalars(select(AuditEvent.action).where(AuditEvent.action.in_(actions)))
        )
    assert logged == actions


def test_the_administrators_keys_page_issues_rotates_and_revokes(client: TestClient) -> None:
    browser_login(client, "admin")
    token = form_token(client, "/admin/keys")
    issued = client.post(
        "/admin/keys",
        data={"action": "create", "username": "provider", "label": "对接", "csrf_token": token},
    )
    assert issued.status_code == 200 and issued.headers["cache-control"] == "no-store"
    key = re.search(r"<code>(xyk_[\w-]+)</code>", issued.text)
    assert key and client.get("/api/me", headers={"X-API-Key": key.group(1)}).status_code == 200
    key_id = re.search(r'name="key_id" value="(\d+)"', issued.text)
    assert key_id
    forged = client.post("/admin/keys", data={"action": "revoke", "key_id": key_id.group(1)})
    assert forged.status_code == 403  # no token: refused before the page acts
    revoked = client.post(
        "/admin/keys", data={"action": "revoke", "key_id": key_id.group(1), "csrf_token": token}
    )
    assert revoked.status_code == 200 and "已撤销" in revoked.text
    assert client.get("/api/me", headers={"X-API-Key": key.group(1)}).status_code == 401
    wrong = client.post(
        "/admin/keys",
        data={"action": "create", "username": "citizen", "label": "x", "csrf_token": token},
    )
    assert wrong.status_code == 403 and "只有信息提供单位" in wrong.text


def test_a_real_server_refuses_a_declared_100_mb_body_without_reading_it(ctx: Context) -> None:
    """Through uvicorn on loopback: the headers of a 100 MB JSON POST are answered 413 at once,
    while the client has not sent a byte of the body."""
    import socket
    from urllib.parse import urlsplit

    with serving(create_app(ctx)) as url:
        port = urlsplit(url).port
        assert port is not None
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall(
                b"POST /api/ingest/HLJ-CF-001/records HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/json\r\nContent-Length: 104857600\r\n\r\n"
            )
            answer = b""
            while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 413"), head
        assert "XINYONG_MAX_PUSH_BODY_BYTES" in body.decode()

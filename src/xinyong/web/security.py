"""The web's own defences, in front of every route.

`SecurityMiddleware` (pure ASGI: no buffering, nothing read that a route does not read):
- request bodies are limited before they are read: by the declared Content-Length up front, and
  byte by byte for a chunked body; a body over the limit is answered 413 with the limit named.
  The limit depends on the route: a records push and multipart uploads are allowed more than an
  ordinary JSON or form request (settings `max_*_bytes`);
- every answer carries the security headers (CSP, frame-ancestors/X-Frame-Options, nosniff,
  Referrer-Policy, HSTS over TLS) and `Cache-Control: no-store` (everything but /static: no
  personal page or answer is kept by a browser or a proxy, nor shown again by Back after logout);
- over TLS every cookie the app sets is made `Secure`.

CSRF (`csrf_protect`, a dependency on every route): a synchroniser token tied to the session, an
HMAC of the session cookie under a key derived from the platform's secret key. Every unsafe request
whose authority is the session cookie must carry it (form field `csrf_token` or header
`X-CSRF-Token`); requests authenticated by a bearer token or an API key are exempt (a browser
never adds those to a cross-site request). The login form, before there is a session, is bound to
a random pre-session cookie instead, so a cross-site login (signing a victim in as someone else)
is refused too."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import Request
from markupsafe import Markup

from xinyong.common.errors import Forbidden
from xinyong.config import Settings

Message = MutableMapping[str, Any]
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SESSION_COOKIE = "xinyong_session"
CSRF_COOKIE = "xinyong_csrf"  # pre-session only: binds the login form's token
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
LOGIN_PATHS = frozenset({"/login"})  # checked even without a session (login CSRF)
# Routes that take credentials, not the cookie's authority: a forged request gains nothing.
CSRF_EXEMPT = frozenset({"/api/auth/token"})
_NEW_SEED = "xinyong.csrf_seed"  # scope["state"] key: a pre-session cookie to set on the answer

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# FastAPI's /docs and /redoc pages load their scripts from a CDN and start them inline: they keep
# working under this policy (no worse than before), every other page gets the strict one.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src 'self' https://fonts.gstatic.com; img-src 'self' data: https:; "
    "worker-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
DOCS_PATHS = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})


def _mib(n: int) -> str:
    return f"{n / (1 << 20):g} MiB" if n >= 1 << 20 else f"{n / 1024:g} KiB"


class SecurityMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.trusted = settings.trusted_proxy_addresses()
        common = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"same-origin"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        hsts = [(b"strict-transport-security", f"max-age={settings.hsts_seconds}".encode())]
        csp = [(b"content-security-policy", CSP.encode())]
        docs_csp = [(b"content-security-policy", DOCS_CSP.encode())]
        no_store = [(b"cache-control", b"no-store")]
        # (tls, kind) -> headers; kind: page (no-store), static (cacheable), docs
        self._headers: dict[tuple[bool, str], list[tuple[bytes, bytes]]] = {}
        for tls in (False, True):
            extra = hsts if tls and settings.hsts_seconds else []
            self._headers[tls, "page"] = [*common, *csp, *no_store, *extra]
            self._headers[tls, "static"] = [*common, *csp, *extra]
            self._headers[tls, "docs"] = [*common, *docs_csp, *no_store, *extra]
        self._limits = {
            "body": (settings.max_body_bytes, "XINYONG_MAX_BODY_BYTES"),
            "push": (settings.max_push_body_bytes, "XINYONG_MAX_PUSH_BODY_BYTES"),
            "upload": (settings.max_upload_bytes, "XINYONG_MAX_UPLOAD_BYTES"),
        }

    # -- what a request is allowed ---------------------------------------------------------------

    @staticmethod
    def limit_kind(path: str) -> str:
        """Which body limit a route gets: records pushes and file uploads get more."""
        if path.startswith("/api/ingest/"):
            if path.endswith("/records"):
                return "push"
            if path.endswith("/files"):
                return "upload"
        if path == "/agency/check":  # a pasted or uploaded list of codes
            return "push"
        return "body"

    def is_tls(self, scope: Scope) -> bool:
        if self.settings.https or scope.get("scheme") == "https":
            return True
        if self.trusted:
            client = scope.get("client")
            if client and client[0] in self.trusted:
                for name, value in scope["headers"]:
                    if name == b"x-forwarded-proto":
                        return bool(value.strip().lower() == b"https")
        return False

    # -- the middleware --------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        tls = self.is_tls(scope)
        kind = "static" if path.startswith("/static/") else "docs" if path in DOCS_PATHS else "page"
        headers = self._headers[tls, kind]

        if scope["method"] not in SAFE_METHODS:
            await self._with_body_limit(scope, receive, send, headers, tls)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self._decorate(scope, message, headers, tls)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _decorate(
        self, scope: Scope, message: Message, headers: list[tuple[bytes, bytes]], tls: bool
    ) -> list[tuple[bytes, bytes]]:
        out = list(message.get("headers") or ())
        own_cache = any(name.lower() == b"cache-control" for name, _ in out)
        out.extend(h for h in headers if not (own_cache and h[0] == b"cache-control"))
        state = scope.get("state")
        if state and (seed := state.get(_NEW_SEED)):
            out.append(
                (
                    b"set-cookie",
                    f"{CSRF_COOKIE}={seed}; HttpOnly; Path=/; SameSite=Strict".encode(),
                )
            )
        if tls:
            out = [
                (n, v + b"; Secure")
                if n.lower() == b"set-cookie" and b"secure" not in v.lower()
                else (n, v)
                for n, v in out
            ]
        return out

    async def _with_body_limit(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: list[tuple[bytes, bytes]],
        tls: bool,
    ) -> None:
        limit, setting = self._limits[self.limit_kind(scope["path"])]
        declared: int | None = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = None
                break
        if declared is not None and declared > limit:
            await self._refuse(send, headers, limit, setting, declared)
            return

        exceeded = False
        started = False
        refused = False
        received = 0

        async def counting_receive() -> Message:
            nonlocal exceeded, received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge(limit)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started, refused
            if exceeded:  # the app answers its failed read: answer 413 instead, once
                if not started and not refused:
                    refused = True
                    await self._refuse(send, headers, limit, setting, None)
                return
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = self._decorate(scope, message, headers, tls)
            await send(message)

        # A declared length is enforced by the server (no more bytes than declared arrive).
        counted = declared is None
        try:
            await self.app(scope, counting_receive if counted else receive, guarded_send)
        except BodyTooLarge:
            if not started and not refused:
                await self._refuse(send, headers, limit, setting, None)
        except Exception:
            if not exceeded:
                raise
            if not started and not refused:
                await self._refuse(send, headers, limit, setting, None)

    async def _refuse(
        self,
        send: Send,
        headers: list[tuple[bytes, bytes]],
        limit: int,
        setting: str,
        declared: int | None,
    ) -> None:
        size = f"（本次声明{declared}字节）" if declared is not None else ""
        body = json.dumps(
            {
                "error": {
                    "code": "request.too_large",
                    "message": f"请求体超过本接口上限{_mib(limit)}（{limit}字节）{size}，"
                    f"已拒收；上限由平台设置{setting}规定",
                    "citations": [],
                    "details": {"limit_bytes": limit, "setting": setting, "declared": declared},
                }
            },
            ensure_ascii=False,
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                    *headers,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"request body over {limit} bytes")
        self.limit = limit


# -- CSRF ----------------------------------------------------------------------------------------


class Csrf:
    """Tokens: HMAC-SHA256 of the session cookie (or the pre-session cookie) under a key derived
    from the platform's secret key. Nothing stored; a new session means new tokens."""

    def __init__(self, secret: str) -> None:
        self._key = hmac.new(secret.encode(), b"xinyong csrf v1", hashlib.sha256).digest()

    def token(self, session: str | None, seed: str | None) -> str | None:
        if session:
            material = "session:" + session
        elif seed:
            material = "pre-session:" + seed
        else:
            return None
        return hmac.new(self._key, material.encode(), hashlib.sha256).hexdigest()

    def valid(self, sent: str | None, session: str | None, seed: str | None) -> bool:
        expected = self.token(session, seed)
        return bool(sent and expected and hmac.compare_digest(sent, expected))


def csrf_token(request: Request) -> str:
    """The token a page puts in its forms (templates: `csrf_input(request)`)."""
    csrf: Csrf = request.app.state.csrf
    session = request.cookies.get(SESSION_COOKIE)
    seed = request.cookies.get(CSRF_COOKIE)
    if not session and not seed:
        state = request.scope.setdefault("state", {})
        seed = state.get(_NEW_SEED)
        if not seed:
            seed = state[_NEW_SEED] = secrets.token_urlsafe(24)
    token = csrf.token(session, seed)
    assert token is not None
    return token


def csrf_input(request: Request) -> Markup:
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        CSRF_FIELD, csrf_token(request)
    )


def cookie_authority(request: Request) -> bool:
    """Whether this request acts on the session cookie's authority (see deps._token: a bearer
    token or an API key, when sent, is used instead of the cookie)."""
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return False
    if request.headers.get("x-api-key"):
        return False
    return SESSION_COOKIE in request.cookies


async def csrf_protect(request: Request) -> None:
    """Refuses an unsafe request that acts on the session cookie without its CSRF token."""
    if request.method in SAFE_METHODS:
        return
    path = request.scope["path"]
    if path in CSRF_EXEMPT:
        return
    if not cookie_authority(request) and path not in LOGIN_PATHS:
        return  # no cookie's authority to borrow: nothing to forge
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    csrf: Csrf = request.app.state.csrf
    if not csrf.valid(sent, request.cookies.get(SESSION_COOKIE), request.cookies.get(CSRF_COOKIE)):
        raise Forbidden(
            "auth.csrf",
            "请求缺少有效的防伪造令牌（CSRF），可能来自其他网站；请回到本平台页面刷新后重新提交",
        )


def client_address(request: Request, settings: Settings) -> str:
    """The caller's address; behind a trusted proxy, the last untrusted X-Forwarded-For hop."""
    client = request.client
    host = client.host if client else "unknown"
    trusted = settings.trusted_proxy_addresses()
    if host in trusted:
        forwarded = request.headers.get("x-forwarded-for", "")
        for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
            if hop not in trusted:
                return hop
    return host

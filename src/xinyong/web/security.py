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

CSRF, checked by the same middleware before the app sees the request: a synchroniser token tied
to the session, an HMAC of the session cookie under a key derived from the platform's secret key.
Every unsafe request whose authority is the session cookie must carry it (form field `csrf_token`
or header `X-CSRF-Token`; a form's body is read for it, within the body limit, and handed to the
app again); requests authenticated by a bearer token or an API key are exempt (a browser never
adds those to a cross-site request). The login form, before there is a session, is bound to a
random pre-session cookie instead, so a cross-site login (signing a victim in as someone else) is
refused too. A GET costs nothing here: safe methods are not looked at."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import Request
from markupsafe import Markup
from starlette.requests import cookie_parser

from xinyong.config import Settings

Message = MutableMapping[str, Any]
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SESSION_COOKIE = "xinyong_session"
CSRF_COOKIE = "xinyong_csrf"  # pre-session only: binds the login form's token
CSRF_FIELD = "csrf_token"
CSRF_HEADER_RAW = b"x-csrf-token"
CSRF_CODE = "auth.csrf"
CSRF_MESSAGE = "请求缺少有效的防伪造令牌（CSRF），可能来自其他网站；请回到本平台页面刷新后重新提交"
_PASS, _REFUSE, _FORM = object(), object(), object()
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
# /docs and /redoc (Swagger UI, Redoc; the app's own assets, web/app.py): their scripts set
# inline styles and Redoc starts a worker from a blob; still no inline script, nothing elsewhere.
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_PATHS = frozenset({"/docs", "/redoc"})


def _mib(n: int) -> str:
    return f"{n / (1 << 20):g} MiB" if n >= 1 << 20 else f"{n / 1024:g} KiB"


class SecurityMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings, csrf: Csrf) -> None:
        self.app = app
        self.settings = settings
        self.csrf = csrf
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
        # the same without Cache-Control, for an answer that set its own
        self._own_cache: dict[int, list[tuple[bytes, bytes]]] = {}
        for tls in (False, True):
            extra = hsts if tls and settings.hsts_seconds else []
            self._headers[tls, "page"] = [*common, *csp, *no_store, *extra]
            self._headers[tls, "static"] = [*common, *csp, *extra]
            self._headers[tls, "docs"] = [*common, *docs_csp, *no_store, *extra]
        for headers in self._headers.values():
            self._own_cache[id(headers)] = [h for h in headers if h[0] != b"cache-control"]
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
        if path == "/agency/check" or path == "/api/exchange/messages":
            # a pasted or uploaded list of codes; a peer platform's message
            return "push"
        if path in ("/me/cases", "/staff/cases/intake", "/provider/upload") or (
            path.startswith("/api/cases/") and path.endswith("/attachments")
        ):  # evidence attachments (each checked against XINYONG_ATTACHMENT_MAX_BYTES); the
            # provider portal's upload without JavaScript
            return "upload"
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
        raw = message.get("headers")
        out = list(raw) if raw else []
        for name, _ in out:  # Starlette's names are lower-case
            if name == b"cache-control":
                headers = self._own_cache[id(headers)]
                break
        out += headers
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
        app_receive = counting_receive if declared is None else receive
        try:
            verdict = self._csrf_verdict(scope)
            if verdict is _FORM:  # the token is in the form: read it (within the limit)
                verdict, app_receive = await self._csrf_from_form(scope, app_receive)
            if verdict is _REFUSE:
                await _send_error(send, headers, 403, CSRF_CODE, CSRF_MESSAGE)
                return
            await self.app(scope, app_receive, guarded_send)
        except BodyTooLarge:
            if not started and not refused:
                await self._refuse(send, headers, limit, setting, None)
        except Exception:
            if not exceeded:
                raise
            if not started and not refused:
                await self._refuse(send, headers, limit, setting, None)

    # -- CSRF ------------------------------------------------------------------------------------

    def _csrf_verdict(self, scope: Scope) -> object:
        """_PASS, _REFUSE, or _FORM (the token, if any, is in the form body)."""
        cookie = token = content_type = b""
        for name, value in scope["headers"]:
            if name == b"cookie":
                cookie = value
            elif name == b"authorization":
                if value[:7].lower() == b"bearer ":
                    return _PASS  # a bearer token's authority: never sent cross-site
            elif name == b"x-api-key":
                if value:
                    return _PASS
            elif name == CSRF_HEADER_RAW:
                token = value
            elif name == b"content-type":
                content_type = value
        path = scope["path"]
        if path in CSRF_EXEMPT:
            return _PASS
        cookies = cookie_parser(cookie.decode("latin-1")) if cookie else {}
        session = cookies.get(SESSION_COOKIE)
        if not session and path not in LOGIN_PATHS:
            return _PASS  # no cookie's authority to borrow: nothing to forge
        seed = cookies.get(CSRF_COOKIE)
        scope["xinyong.csrf_material"] = (session, seed)
        if token:
            ok = self.csrf.valid(token.decode("latin-1"), session, seed)
            return _PASS if ok else _REFUSE
        if content_type.startswith((b"application/x-www-form-urlencoded", b"multipart/form-data")):
            return _FORM
        return _REFUSE

    async def _csrf_from_form(self, scope: Scope, receive: Receive) -> tuple[object, Receive]:
        """Reads the body (through the limit's counter), finds the form's token, and gives the
        app the same body again."""
        kept: list[Message] = []
        more = True
        while more:
            message = await receive()
            kept.append(message)
            if message["type"] != "http.request":
                break
            more = bool(message.get("more_body", False))
        replay = iter(kept)

        async def replayed() -> Message:
            for message in replay:
                return message
            return await receive()

        parse = iter(kept)

        async def parsing() -> Message:
            for message in parse:
                return message
            return {"type": "http.request", "body": b"", "more_body": False}

        try:
            form = await Request(scope, parsing).form()
        except Exception:  # a malformed form: its token cannot be read, so it has none
            return _REFUSE, replayed
        try:
            value = form.get(CSRF_FIELD)
        finally:
            await form.close()
        session, seed = scope["xinyong.csrf_material"]
        sent = value if isinstance(value, str) else None
        return (_PASS if self.csrf.valid(sent, session, seed) else _REFUSE), replayed

    async def _refuse(
        self,
        send: Send,
        headers: list[tuple[bytes, bytes]],
        limit: int,
        setting: str,
        declared: int | None,
    ) -> None:
        size = f"（本次声明{declared}字节）" if declared is not None else ""
        await _send_error(
            send,
            headers,
            413,
            "request.too_large",
            f"请求体超过本接口上限{_mib(limit)}（{limit}字节）{size}，已拒收；"
            f"上限由平台设置{setting}规定",
            {"limit_bytes": limit, "setting": setting, "declared": declared},
        )


async def _send_error(
    send: Send,
    headers: list[tuple[bytes, bytes]],
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
) -> None:
    """The platform's error answer ({"error": {code, message, citations, details}})."""
    body = json.dumps(
        {"error": {"code": code, "message": message, "citations": [], "details": details or {}}},
        ensure_ascii=False,
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
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

"""A write is committed before its response leaves: a client told "done" (or redirected to the
next page) must find the write there. FastAPI's default for dependencies with yield closes them
after the response is sent; a login followed at once by its redirect then met a session row not
yet committed and was served as the public (a CI run saw it)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from xinyong.accounts.models import AuthSession
from xinyong.context import Context
from xinyong.demo.seed import DEMO_PASSWORD, load_demo
from xinyong.web.app import create_app

Message = MutableMapping[str, Any]


def _sessions(ctx: Context) -> int:
    with ctx.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(AuthSession)) or 0)


def test_a_login_is_committed_before_its_response_starts(ctx: Context) -> None:
    load_demo(ctx, subjects=2, records=2)
    app = create_app(ctx)
    seen: list[tuple[str, int]] = []  # (path, committed sessions) when each response starts

    async def watching(
        scope: Message,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        async def send_and_look(message: Message) -> None:
            if message["type"] == "http.response.start" and scope["method"] == "POST":
                seen.append((scope["path"], _sessions(ctx)))  # another connection's view
            await send(message)

        await app(scope, receive, send_and_look)

    with TestClient(watching) as client:
        before = _sessions(ctx)
        form = {"username": "staff", "password": DEMO_PASSWORD}
        page = client.get("/login").text  # the form's CSRF token (web/security.py)
        token = page.split('name="csrf_token" value="')[1].split('"')[0]
        r = client.post("/login", data={**form, "csrf_token": token}, follow_redirects=False)
        assert r.status_code == 303
        r = client.post("/api/auth/token", data=form)
        assert r.status_code == 200, r.text
    assert seen == [("/login", before + 1), ("/api/auth/token", before + 2)]

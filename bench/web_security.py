"""What the web's defences (web/security.py) cost per request, in-process (no HTTP):

1. the middleware alone, around a bare ASGI app: a GET, and a POST with a 1 KB body;
2. the platform's busiest route, the anonymous `GET /api/subjects/{key}/records` (a DirectRoute),
   through the whole app with and without the middleware, on a fresh database (SQLite, or
   XINYONG_BENCH_DATABASE_URL), rounds alternating.

    PYTHONPATH=src python -m bench.web_security [--requests 3000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from bench._common import fresh_context
from xinyong.web.app import create_app
from xinyong.web.security import Csrf, SecurityMiddleware

Message = MutableMapping[str, Any]
App = Callable[
    [Message, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Awaitable[None],
]


def scope(method: str, path: str, body: bytes = b"") -> Message:
    headers = [(b"host", b"bench"), (b"accept", b"application/json")]
    if body:
        headers += [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def run(app: App, method: str, path: str, n: int, body: bytes = b"") -> float:
    """Seconds per request over n sequential requests."""
    status = 0

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    began = time.process_time()
    for _ in range(n):
        await app(dict(scope(method, path, body), state={}), receive, send)
    elapsed = (time.process_time() - began) / n  # CPU: steadier on a shared machine
    assert status < 500, f"{method} {path} answered {status}"
    return elapsed


async def bare(
    scope: Message,
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    if scope["method"] == "POST":
        more = True
        while more:
            more = (await receive()).get("more_body", False)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": b"{}"})


def paired(
    label: str, without: Callable[[], float], with_: Callable[[], float], rounds: int
) -> None:
    a, b = [], []
    for i in range(rounds):  # alternating which goes first
        if i % 2:
            b.append(with_())
            a.append(without())
        else:
            a.append(without())
            b.append(with_())
    ma, mb = statistics.median(a), statistics.median(b)
    print(f"{label:<58} {ma * 1e6:8.1f} us  {mb * 1e6:8.1f} us  {(mb - ma) * 1e6:+7.1f} us")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    n, rounds = args.requests, args.rounds
    loop = asyncio.new_event_loop()
    print(
        f"{f'CPU per request (median of {rounds} rounds)':<58}"
        f" {'without':>11}  {'with':>11}  {'cost':>10}"
    )

    ctx, cleanup = fresh_context()
    try:
        guarded = SecurityMiddleware(bare, ctx.settings, Csrf("bench"))
        for method, body in (("GET", b""), ("POST", b"x" * 1024)):
            paired(
                f"1. middleware around a bare ASGI app, {method}",
                lambda m=method, b=body: loop.run_until_complete(run(bare, m, "/api/x", n * 10, b)),
                lambda m=method, b=body: loop.run_until_complete(
                    run(guarded, m, "/api/x", n * 10, b)
                ),
                rounds,
            )

        from xinyong.demo.seed import DEMO_COMPANY, load_demo

        load_demo(ctx, subjects=10, records=20)
        with_mw = create_app(ctx)
        without_mw = create_app(ctx)
        without_mw.user_middleware = [
            m for m in without_mw.user_middleware if m.cls is not SecurityMiddleware
        ]
        path = f"/api/subjects/{DEMO_COMPANY}/records"
        for app in (with_mw, without_mw):  # warm: lifespan-less first calls, kept answers
            loop.run_until_complete(run(app, "GET", path, 50))
        paired(
            f"2. anonymous GET {path[:28]}… ({ctx.engine.dialect.name})",
            lambda: loop.run_until_complete(run(without_mw, "GET", path, n)),
            lambda: loop.run_until_complete(run(with_mw, "GET", path, n)),
            rounds,
        )
    finally:
        cleanup()


if __name__ == "__main__":
    main()

"""Admission: at most `max_in_flight` requests are served at once; one more is answered at
once with 503 and Retry-After instead of joining a queue that only grows (the worker threads
and the database serve so many per second whatever the queue's length, so a longer queue only
means longer waits and clients that give up on requests the platform then carries out)."""

from __future__ import annotations

import asyncio
import json

from starlette.types import ASGIApp, Receive, Scope, Send

_BODY = json.dumps(
    {
        "error": {
            "code": "platform.busy",
            "message": "平台当前请求过多，本次请求未被受理，请稍后重试",
            "citations": [],
            "details": {},
        }
    },
    ensure_ascii=False,
).encode("utf-8")

#: answered whatever the load, so that monitoring can tell a busy platform from a dead one
EXEMPT = frozenset({"/api/health"})


class AdmissionLimit:
    """A pure ASGI middleware (about a microsecond a request): a counter, no lock, since it
    runs on the event loop only."""

    def __init__(self, app: ASGIApp, limit: int, retry_after: int) -> None:
        self.app, self.limit, self.in_flight = app, limit, 0
        self._headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(_BODY)).encode()),
            (b"retry-after", str(retry_after).encode()),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            await send({"type": "http.response.start", "status": 503, "headers": self._headers})
            await send({"type": "http.response.body", "body": _BODY})
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


#: the methods that only read: never made to wait for a write's turn
READS = frozenset({"GET", "HEAD", "OPTIONS"})


class WriteTurns:
    """Writes take turns: at most `slots` requests that change state are served at once; the
    others wait here, on the event loop, holding no worker thread, no connection and no lock.

    Every write takes the audit log's head (and a push, the search index's state) for its
    transaction, so only one makes progress at a time whatever the number admitted; admitted in
    their hundreds, they held every worker thread while they waited for those locks, and a read
    (which needs a thread and a connection but takes no write lock) queued behind them: under
    500 clients a self-query waited 10 s. With writes taking turns, reads keep the threads and
    are answered in their own time; a write waits its turn for up to `wait` seconds, then is
    refused with 503 and Retry-After, having done nothing."""

    def __init__(self, app: ASGIApp, slots: int, wait: float, retry_after: int) -> None:
        self.app, self.slots, self.wait = app, slots, wait
        self._turns: asyncio.Semaphore | None = None
        self._headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(_BODY)).encode()),
            (b"retry-after", str(retry_after).encode()),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in READS or scope["path"] in EXEMPT:
            await self.app(scope, receive, send)
            return
        if self._turns is None:  # made on the serving loop
            self._turns = asyncio.Semaphore(self.slots)
        try:
            await asyncio.wait_for(self._turns.acquire(), self.wait)
        except TimeoutError:
            await send({"type": "http.response.start", "status": 503, "headers": self._headers})
            await send({"type": "http.response.body", "body": _BODY})
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self._turns.release()

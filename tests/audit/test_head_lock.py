"""Issue 14 item 1: under concurrent writes PostgreSQL froze for good. A request's transaction
locked the audit head row (ctx.log) in the route's worker thread; FastAPI then validated the
response in another worker thread, before the function-scoped session committed; every worker
thread was taken by requests waiting on that same head row. Entries are now appended at commit,
so no request holds the head row across a thread hop. Reproduced here with a small thread pool
(the same starvation as 40 threads under 100 clients) and a lock timeout, so that the old code
fails in seconds instead of hanging."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio.to_thread
import pytest
from sqlalchemy import event, func, select, text

from tests.conftest import serving
from xinyong.accounts.service import create_user
from xinyong.audit.models import AuditEvent
from xinyong.common.roles import SYSTEM, Role
from xinyong.context import Context
from xinyong.web.app import create_app

CLIENTS = 8
THREADS = 2  # the worker threads FastAPI may use (40 by default), so that few clients fill them
PASSWORD = "secret-password-1"


class _Threads:
    """ASGI wrapper: shrink the event loop's worker-thread pool before the first request."""

    def __init__(self, app: Any, tokens: int) -> None:
        self.app, self.tokens, self.done = app, tokens, False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if not self.done and scope["type"] == "http":
            anyio.to_thread.current_default_thread_limiter().total_tokens = self.tokens
            self.done = True
        await self.app(scope, receive, send)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(ctx: Context) -> Iterator[str]:
    if ctx.engine.dialect.name != "postgresql":
        pytest.skip("the head row's lock is PostgreSQL's (SQLite has one writer: item 2)")

    @event.listens_for(ctx.engine, "connect")
    def bounded(dbapi: Any, record: Any) -> None:  # fail fast instead of hanging
        with dbapi.cursor() as cursor:
            cursor.execute("SET lock_timeout = '3s'")
        dbapi.commit()

    with ctx.sessions() as session, session.begin():
        for i in range(CLIENTS):
            create_user(
                session,
                ctx,
                actor=SYSTEM,
                username=f"clerk{i}",
                password=PASSWORD,
                role=Role.STAFF,
                display_name=f"工作人员{i}",
            )
    with serving(_Threads(create_app(ctx), THREADS)) as url:
        yield url


def _login(base: str, i: int) -> int:
    """A login: its transaction writes an audit entry and a session row, and its answer is
    validated against a response model (a worker-thread hop) before the commit."""
    body = urllib.parse.urlencode({"username": f"clerk{i}", "password": PASSWORD}).encode()
    request = urllib.request.Request(f"{base}/api/auth/token", data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as refused:
        return refused.code


def test_concurrent_writes_do_not_wait_on_the_audit_head_across_a_thread_hop(
    ctx: Context, server: str
) -> None:
    with ctx.sessions() as session:
        before = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    started = time.monotonic()
    with ThreadPoolExecutor(CLIENTS) as pool:
        statuses = list(pool.map(lambda i: _login(server, i), range(CLIENTS)))
    took = time.monotonic() - started
    assert statuses == [200] * CLIENTS, statuses  # before the fix: 500s (lock timeouts)
    with ctx.sessions() as session:
        after = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
        assert ctx.audit.verify(session).ok
    assert after - before == CLIENTS
    assert took < 20, took


def test_sigterm_stops_serve_while_a_request_hangs(ctx: Context) -> None:
    """`xinyong serve` (a subprocess) with a request stuck on a database lock: SIGTERM still
    ends the process (before: uvicorn waited for the request forever)."""
    if ctx.engine.dialect.name != "postgresql":
        pytest.skip("a request held on a row lock needs a database server")
    with ctx.sessions() as session, session.begin():
        create_user(
            session,
            ctx,
            actor=SYSTEM,
            username="clerk",
            password=PASSWORD,
            role=Role.STAFF,
            display_name="工作人员",
        )
    port = _port()
    env = os.environ | {
        "XINYONG_DATABASE_URL": ctx.settings.resolved_database_url(),
        "XINYONG_DATA_DIR": str(ctx.settings.data_dir),
        "XINYONG_SECRET_KEY": ctx.settings.resolved_secret_key(),
        "XINYONG_SHUTDOWN_GRACE_SECONDS": "1",
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    process = subprocess.Popen(
        [sys.executable, "-c", "from xinyong.cli import app; app()", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    holder = ctx.engine.connect()
    try:
        for _ in range(300):  # the server's socket, bounded
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.1):
                break
            time.sleep(0.1)
        holder.execute(text("SELECT seq FROM audit_head FOR UPDATE"))  # the login will wait
        stuck = threading.Thread(target=_login_quietly, args=(f"http://127.0.0.1:{port}",))
        stuck.start()
        time.sleep(2)  # the login is waiting on the head row at its commit
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pytest.fail("xinyong serve ignored SIGTERM while a request hung")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        holder.rollback()
        holder.close()


def _login_quietly(base: str) -> None:
    body = urllib.parse.urlencode({"username": "clerk", "password": PASSWORD}).encode()
    request = urllib.request.Request(f"{base}/api/auth/token", data=body, method="POST")
    with contextlib.suppress(OSError):
        urllib.request.urlopen(request, timeout=30).close()

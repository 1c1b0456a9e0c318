"""Domain errors become JSON answers with a stable code, a Chinese message and the citation.

A saturated platform answers 503 with Retry-After, never 500: a request refused for want of a
turn to write (`Busy`), a pooled connection, or a lock within the platform's bounded wait
(SQLite "database is locked", PostgreSQL's lock_timeout), or a database that cannot be reached.
Each of these ends the request's transaction by rolling it back, so nothing it tried to write
is kept: the client may retry it as it was."""

from __future__ import annotations

import sqlite3
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa

from xinyong.common.errors import DomainError

#: psycopg's errors that mean "not now" rather than "wrong": a lock or statement timed out,
#: the server is shutting down or cannot be reached, too many connections.
_PG_BUSY = (
    psycopg.errors.LockNotAvailable,
    psycopg.errors.QueryCanceled,
    psycopg.errors.AdminShutdown,
    psycopg.errors.CannotConnectNow,
    psycopg.errors.TooManyConnections,
    psycopg.OperationalError,
)


def busy_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "citations": [], "details": {}}}


def busy_response(request: Request, code: str, message: str) -> JSONResponse:
    retry = request.app.state.ctx.settings.retry_after_seconds
    return JSONResponse(
        status_code=503, content=busy_body(code, message), headers={"Retry-After": str(retry)}
    )


def is_busy(error: BaseException) -> bool:
    """A database error that means the platform is saturated or its database unreachable."""
    if isinstance(error, sa.TimeoutError):  # no pooled connection within the wait
        return True
    if isinstance(error, sa.OperationalError | sa.InterfaceError):
        orig = error.orig
        if isinstance(orig, sqlite3.OperationalError):
            return "locked" in str(orig) or "busy" in str(orig)
        return isinstance(orig, _PG_BUSY)
    return False


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        headers = None
        if exc.status == 503:
            headers = {"Retry-After": str(request.app.state.ctx.settings.retry_after_seconds)}
        return JSONResponse(
            status_code=exc.status, content={"error": exc.as_dict()}, headers=headers
        )

    @app.exception_handler(sa.DBAPIError)
    async def database_error(request: Request, exc: sa.DBAPIError) -> JSONResponse:
        if is_busy(exc):
            return busy_response(
                request, "db.busy", "平台繁忙或数据库暂不可用，本次请求未执行，请稍后重试"
            )
        raise exc  # a programming error: the server's own 500, logged

    @app.exception_handler(sa.TimeoutError)
    async def pool_timeout(request: Request, exc: sa.TimeoutError) -> JSONResponse:
        return busy_response(request, "db.busy", "平台繁忙，本次请求未执行，请稍后重试")

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"field": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", "")}
            for e in exc.errors()
        ]
        return JSONResponse(
            status_code=422,
            content={
                "error": {
                    "code": "request.invalid",
                    "message": "请求参数有误：" + "；".join(p["field"] for p in problems),
                    "citations": [],
                    "details": {"problems": problems},
                }
            },
        )

"""create_app(): the HTTP API, its docs at /docs, and the pages."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from xinyong import __version__
from xinyong.accounts import api as accounts_api
from xinyong.accounts import pages as accounts_pages
from xinyong.audit import api as audit_api
from xinyong.audit.writer import sign_heads_every
from xinyong.authorisations import api as authorisations_api
from xinyong.authorisations import pages as authorisations_pages
from xinyong.cases import api as cases_api
from xinyong.cases import pages as cases_pages
from xinyong.catalog import api as catalog_api
from xinyong.commitments import api as commitments_api
from xinyong.commitments import pages as commitments_pages
from xinyong.consents import api as consents_api
from xinyong.context import Context, build_context
from xinyong.deadlines import api as deadlines_api
from xinyong.evaluation import api as evaluation_api
from xinyong.exchange import api as exchange_api
from xinyong.exchange import pages as exchange_pages
from xinyong.fastpath import close_loop_connections
from xinyong.ingest import api as ingest_api
from xinyong.ingest import pages as ingest_pages
from xinyong.ingest.service import close_crashed_batches
from xinyong.law import api as law_api
from xinyong.law import pages as law_pages
from xinyong.lists import api as lists_api
from xinyong.lists import pages as lists_pages
from xinyong.points import api as points_api
from xinyong.points import pages as points_pages
from xinyong.records import api as records_api
from xinyong.reports import api as reports_api
from xinyong.reports import pages as reports_pages
from xinyong.search import api as search_api
from xinyong.search import pages as search_pages
from xinyong.sharing import api as sharing_api
from xinyong.sharing import pages as sharing_pages
from xinyong.subjects import api as subjects_api
from xinyong.subjects import pages as subjects_pages
from xinyong.supervision import api as supervision_api
from xinyong.supervision import pages as supervision_pages
from xinyong.web import api, errors
from xinyong.web.admission import AdmissionLimit, WriteTurns
from xinyong.web.deps import Router
from xinyong.web.security import Csrf, SecurityMiddleware


def create_app(ctx: Context | None = None) -> FastAPI:
    ctx = ctx or build_context()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # the sync routes' worker threads; the database pool is sized for as many (db.py)
        anyio.to_thread.current_default_thread_limiter().total_tokens = ctx.settings.worker_threads
        await anyio.to_thread.run_sync(close_crashed_batches, ctx)  # left by a crash
        every = ctx.settings.audit_head_seconds
        heads = (
            asyncio.create_task(sign_heads_every(ctx.sessions, ctx.audit, ctx.clock, every))
            if every
            else None
        )
        yield
        if heads is not None:
            heads.cancel()
        await close_loop_connections(ctx.engine)  # the loop's own PostgreSQL connections

    app = FastAPI(
        lifespan=lifespan,
        title=f"{ctx.platform.name} API",
        version=__version__,
        description="公共信用信息平台接口。每一项法定时限和规则均注明出处条款。",
        docs_url=None,  # served below from the app's own assets: no CDN, no inline script
        redoc_url=None,
    )
    app.state.ctx = ctx
    app.state.csrf = Csrf(ctx.settings.resolved_secret_key())
    # Body limits, CSRF (every unsafe request on a session cookie's authority carries its
    # token), security headers, no-store, Secure cookies over TLS (web/security.py).
    app.add_middleware(SecurityMiddleware, settings=ctx.settings, csrf=app.state.csrf)
    errors.install(app)
    # Routes match in order: the hot read path first. No two domains' paths overlap (within
    # one, its module orders them: /reports/verify before /reports/{number}).
    app.include_router(sharing_api.router)
    app.include_router(api.router)
    for domain in (
        accounts_api,
        audit_api,
        authorisations_api,
        cases_api,
        catalog_api,
        commitments_api,
        consents_api,
        deadlines_api,
        evaluation_api,
        exchange_api,
        commitments_api,
        ingest_api,
        law_api,
        lists_api,
        points_api,
        records_api,
        reports_api,
        search_api,
        subjects_api,
        supervision_api,
        accounts_pages,
        authorisations_pages,
        cases_pages,
        commitments_pages,
        exchange_pages,
        ingest_pages,
        law_pages,
        lists_pages,
        points_pages,
        reports_pages,
        search_pages,
        sharing_pages,
        subjects_pages,
        supervision_pages,
    ):
        app.include_router(domain.router)
    _api_docs(app, ctx.platform.name)
    app.mount(
        "/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static"
    )
    if ctx.settings.write_slots:
        app.add_middleware(
            WriteTurns,
            slots=ctx.settings.write_slots,
            wait=ctx.settings.write_turn_seconds,
            retry_after=ctx.settings.retry_after_seconds,
        )
    if ctx.settings.max_in_flight:  # added last: runs first
        app.add_middleware(
            AdmissionLimit,
            limit=ctx.settings.max_in_flight,
            retry_after=ctx.settings.retry_after_seconds,
        )
    return app


def _api_docs(app: FastAPI, title: str) -> None:
    """/docs (Swagger UI) and /redoc from assets the app serves itself (fastapi-offline ships
    them): they work on an intranet without internet, under a CSP with no inline script."""
    assets = Path(str(files("fastapi_offline") / "static"))
    app.mount("/static/docs", StaticFiles(directory=str(assets)), name="docs-assets")
    head = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title} · 接口文档</title>"
        '<link rel="icon" href="/static/docs/favicon.png">'
    )
    swagger = (
        head + '<link rel="stylesheet" href="/static/docs/swagger-ui.css"></head><body>'
        '<div id="swagger-ui"></div><script src="/static/docs/swagger-ui-bundle.js"></script>'
        '<script src="/static/docs-init.js"></script></body></html>'
    )
    redoc = (
        head + '</head><body><redoc spec-url="/openapi.json"></redoc>'
        '<script src="/static/docs/redoc.standalone.js"></script></body></html>'
    )

    router = Router(include_in_schema=False)

    @router.get("/docs")
    async def docs() -> HTMLResponse:
        return HTMLResponse(swagger)

    @router.get("/redoc")
    async def redoc_page() -> HTMLResponse:
        return HTMLResponse(redoc)

    app.include_router(router)

"""create_app(): the HTTP API, its docs at /docs, and the pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from xinyong import __version__
from xinyong.cases import api as cases_api
from xinyong.cases import pages as cases_pages
from xinyong.catalog import api as catalog_api
from xinyong.context import Context, build_context
from xinyong.db import close_loop_connections
from xinyong.ingest import api as ingest_api
from xinyong.lists import api as lists_api
from xinyong.lists import pages as lists_pages
from xinyong.records import api as records_api
from xinyong.reports import api as reports_api
from xinyong.search import api as search_api
from xinyong.sharing import api as sharing_api
from xinyong.subjects import api as subjects_api
from xinyong.web import api, errors, pages
from xinyong.web.admission import AdmissionLimit


def create_app(ctx: Context | None = None) -> FastAPI:
    ctx = ctx or build_context()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # the sync routes' worker threads; the database pool is sized for as many (db.py)
        anyio.to_thread.current_default_thread_limiter().total_tokens = ctx.settings.worker_threads
        yield
        await close_loop_connections(ctx.engine)  # the loop's own PostgreSQL connections

    app = FastAPI(
        lifespan=lifespan,
        title=f"{ctx.platform.name} API",
        version=__version__,
        description="公共信用信息平台接口。每一项法定时限和规则均注明出处条款。",
    )
    app.state.ctx = ctx
    errors.install(app)
    # Routes match in order: the hot read path first (the paths do not overlap).
    app.include_router(sharing_api.router)
    app.include_router(api.router)
    for domain in (
        cases_api,
        catalog_api,
        ingest_api,
        lists_api,
        records_api,
        reports_api,
        search_api,
        subjects_api,
    ):
        app.include_router(domain.router)
    app.include_router(lists_pages.router)
    app.include_router(cases_pages.router)
    app.include_router(pages.router)
    app.mount(
        "/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static"
    )
    if ctx.settings.max_in_flight:
        app.add_middleware(
            AdmissionLimit,
            limit=ctx.settings.max_in_flight,
            retry_after=ctx.settings.retry_after_seconds,
        )
    return app

"""/api/health: the platform's own route. Every domain's routes are in its api.py."""

from __future__ import annotations

import anyio
import anyio.to_thread
from fastapi import Request
from sqlalchemy import text

from xinyong.web.deps import ContextDep, Router
from xinyong.web.schemas import Health

router = Router(prefix="/api")


#: worker threads of the health probe's own, so that it is not queued behind the sync routes
HEALTH_THREADS = 2


@router.get("/health", summary="服务健康检查", response_model=Health, tags=["平台"])
async def health(request: Request, ctx: ContextDep) -> Health:
    """The process, a pooled database connection and the database answer. The probe runs in a
    worker thread of its own (not behind the queue of the sync routes) so that a saturated
    platform, which refuses requests with 503, is told apart from a stuck one."""
    limiter = getattr(request.app.state, "health_threads", None)
    if limiter is None:
        limiter = request.app.state.health_threads = anyio.CapacityLimiter(HEALTH_THREADS)

    def probe() -> None:
        with ctx.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    await anyio.to_thread.run_sync(probe, limiter=limiter)
    return Health(
        status="ok",
        platform=ctx.platform.code,
        platform_name=ctx.platform.name,
        database=ctx.engine.dialect.name,
        time=ctx.clock.now(),
    )

"""The JSON API (/api/...). Thin: every route calls a service."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import anyio
import anyio.to_thread
from fastapi import Depends, Form, Query, Request
from pydantic import BaseModel
from sqlalchemy import text

from xinyong.accounts.models import User
from xinyong.accounts.service import KEY_ROLES, authenticate, create_api_key, open_session
from xinyong.common.identifiers import check_identifier
from xinyong.common.inputs import CalendarDate, CalendarYear, Key, Name
from xinyong.common.roles import ROLE_LABELS, Actor
from xinyong.deadlines.service import load_calendar
from xinyong.law.workdays import Pause
from xinyong.web.deps import ActorDep, ContextDep, Router, SessionDep, StaffDep, allow
from xinyong.web.errors import error_responses
from xinyong.web.security import client_address

router = Router(prefix="/api")


class Health(BaseModel):
    status: str
    platform: str
    platform_name: str
    database: str
    time: dt.datetime


#: worker threads of the health probe's own, so that it is not queued behind the sync routes
HEALTH_THREADS = 2


@router.get("/health", response_model=Health, tags=["平台"])
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


@router.get("/law", tags=["法规数据"], responses=error_responses(404))
def law_keys(ctx: ContextDep, platform: Key | None = None) -> dict[str, Any]:
    rules = ctx.library.ruleset(platform or ctx.platform.code)
    return {"platform": rules.platform.code, "keys": rules.rule_keys()}


@router.get("/law/{key}", tags=["法规数据"])
def law_show(
    key: Key,
    ctx: ContextDep,
    platform: Key | None = None,
    on: CalendarDate | None = None,
) -> dict[str, Any]:
    """The value, unit and citations of a rule for a platform as of a date."""
    rules = ctx.library.ruleset(platform or ctx.platform.code)
    return rules.get(key, on or ctx.today()).as_dict()


@router.get("/workdays/add", tags=["工作日历"])
def workdays_add(
    session: SessionDep,
    start: CalendarDate,
    days: Annotated[int, Query(ge=0, le=366)],
    pause: Annotated[
        list[Name] | None, Query(description="不计入的期间，格式 YYYY-MM-DD..YYYY-MM-DD")
    ] = None,
) -> dict[str, Any]:
    pauses = [Pause.parse(raw) for raw in pause or []]
    return load_calendar(session).add_working_days(start, days, pauses).as_dict()


@router.get("/calendar/{year}", tags=["工作日历"])
def calendar_year(year: CalendarYear, session: SessionDep) -> dict[str, Any]:
    cal = load_calendar(session)
    y = cal.year(year)
    return {
        "year": year,
        "official": cal.is_official(year),
        "source": y.source,
        "notice": dict(y.notice),
        "holidays": sorted(d.isoformat() for d in y.holidays),
        "workdays": sorted(d.isoformat() for d in y.workdays),
    }


@router.get("/identifiers/{value}", tags=["主体标识"])
def identifier_check(value: Key, ctx: ContextDep) -> dict[str, Any]:
    """Check a 统一社会信用代码 or 公民身份号码 and say which rule failed."""
    return check_identifier(value, ctx.today()).as_dict()


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: dt.datetime
    role: str


@router.post(
    "/auth/token", response_model=TokenOut, tags=["账户"], responses=error_responses(401, 429)
)
def token(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    username: Annotated[Name, Form()],
    password: Annotated[Name, Form()],
) -> TokenOut:
    address = client_address(request, ctx.settings)
    user = authenticate(session, ctx, username, password, address=address)
    raw, row = open_session(session, ctx, user, "bearer")
    return TokenOut(access_token=raw, expires_at=row.expires_at, role=user.role)


@router.get("/me", tags=["账户"])
def me(actor: ActorDep) -> dict[str, Any]:
    return {
        "role": actor.role.value,
        "role_label": ROLE_LABELS[actor.role],
        "username": actor.username,
        "display_name": actor.display_name,
        "subject_key": actor.subject_key,
        "organisation": actor.organisation,
    }


class ApiKeyIn(BaseModel):
    label: Name


@router.post("/auth/api-keys", tags=["账户"])
def new_api_key(
    body: ApiKeyIn,
    ctx: ContextDep,
    session: SessionDep,
    actor: Annotated[Actor, Depends(allow(*KEY_ROLES))],
) -> dict[str, str]:
    user = session.get(User, actor.user_id)
    assert user is not None
    return {"api_key": create_api_key(session, ctx, actor=actor, user=user, label=body.label)}


@router.get("/audit/verify", tags=["审计"])
def audit_verify(
    ctx: ContextDep,
    actor: StaffDep,
    full: bool = False,
) -> dict[str, Any]:
    with ctx.sessions() as session:
        result = ctx.audit.verify(session, full=full)
    return {
        "ok": result.ok,
        "checked": result.checked,
        "last_id": result.last_id,
        "bad_id": result.bad_id,
        "problem": result.problem,
        "message": result.message,
    }

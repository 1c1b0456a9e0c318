"""The points' pages: /points (public: the rules that add points, the incentive scenarios and the
list points may never touch, HLJ 26 ¶2; staff publish scenarios there) and the /me buttons that
join and leave the scheme."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from xinyong.common.errors import DomainError
from xinyong.common.inputs import Text
from xinyong.points import service
from xinyong.points.schemas import BenefitIn
from xinyong.web.deps import ActorDep, ContextDep, Router, StaffDep, SubjectDep
from xinyong.web.layout import templates

router = Router(include_in_schema=False)


def _problem(exc: Exception) -> str:
    if isinstance(exc, DomainError):
        return exc.message
    if isinstance(exc, ValidationError):
        fields = "、".join(str(e["loc"][-1]) for e in exc.errors() if e.get("loc"))
        return f"填写不完整或有误：{fields}"
    return "填写有误"


@router.get("/points", response_class=HTMLResponse)
def points_page(
    request: Request, ctx: ContextDep, actor: ActorDep, error: Text | None = None
) -> Response:
    today = ctx.today()
    table = service.rules_on(today)
    with ctx.sessions() as session:
        rows = [service.describe_benefit(b) for b in service.benefits(session)]
    return templates.TemplateResponse(
        request,
        "points/points.html",
        {
            "ctx": ctx,
            "actor": actor,
            "table": table,
            "rules": [r.as_dict() for r in table.rules],
            "benefits": rows,
            "banned": service.banned(ctx),
            "banned_note": service.banned_note(ctx),
            "article": service.article(ctx)[0].label(),
            "setting": service.PLATFORM_SETTING,
            "error": error,
        },
    )


@router.post("/staff/points/benefits")
async def staff_publish(request: Request, ctx: ContextDep, actor: StaffDep) -> Response:
    form = await request.form()
    values: dict[str, Any] = {
        k: str(v).strip() for k, v in form.items() if k != "csrf_token" and str(v).strip()
    }
    try:
        body = BenefitIn(**values)

        def write() -> None:
            with ctx.sessions() as session, session.begin():
                service.publish_benefit(session, ctx, actor=actor, **body.model_dump())

        await run_in_threadpool(write)
    except (DomainError, ValidationError) as exc:
        return RedirectResponse(f"/points?error={quote(_problem(exc))}#publish", status_code=303)
    return RedirectResponse("/points#benefits", status_code=303)


async def _membership(ctx: Any, actor: Any, joining: bool) -> Response:
    def write() -> None:
        with ctx.sessions() as session, session.begin():
            if joining:
                service.join(session, ctx, actor=actor)
            else:
                service.leave(session, ctx, actor=actor)

    try:
        await run_in_threadpool(write)
    except DomainError as exc:
        return RedirectResponse(f"/me?points_error={quote(exc.message)}#points", status_code=303)
    return RedirectResponse("/me#points", status_code=303)


@router.post("/me/points/join")
async def join(ctx: ContextDep, actor: SubjectDep) -> Response:
    return await _membership(ctx, actor, True)


@router.post("/me/points/leave")
async def leave(ctx: ContextDep, actor: SubjectDep) -> Response:
    return await _membership(ctx, actor, False)

"""Graded supervision's pages: the public plans and their results (一公开) with the draw's
inputs and a recomputation anyone may ask for; the agency's plans, pools, inspectors and
conflicts, publication, draw and announcement (HLJ 48, 49)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from xinyong.common.errors import DomainError
from xinyong.common.inputs import Key, Text
from xinyong.common.roles import Actor, Role
from xinyong.context import Context
from xinyong.supervision import service
from xinyong.supervision.classes import grades
from xinyong.supervision.schemas import (
    ALGORITHM,
    FIELDS,
    HLJ49_TEXT,
    PER_OBJECT_NOTE,
    RATIO_NOTE,
    SEED_NOTE,
    ConflictIn,
    DrawIn,
    InspectorIn,
    ObjectsIn,
    PlanIn,
    PublishIn,
)
from xinyong.web.deps import ActorDep, AgencyDep, ContextDep, Router
from xinyong.web.forms import form_problem, form_values
from xinyong.web.layout import templates

router = Router(include_in_schema=False)


def _problem(exc: Exception) -> str:
    return form_problem(exc, PlanIn, InspectorIn, ConflictIn, ObjectsIn, PublishIn, DrawIn)


async def _write(ctx: Context, back: str, work: Callable[[Session], str | None]) -> Response:
    """Run `work` in one transaction; back to `back` (or where `work` says) with any refusal."""

    def run() -> str | None:
        with ctx.sessions() as session, session.begin():
            return work(session)

    try:
        where = await run_in_threadpool(run)
    except (DomainError, ValidationError) as exc:
        sep = "&" if "?" in back else "?"
        return RedirectResponse(f"{back}{sep}error={quote(_problem(exc))}", status_code=303)
    return RedirectResponse(where or back, status_code=303)


def _agency_of(actor: Actor, values: dict[str, Any]) -> str | None:
    return None if actor.role is Role.AGENCY else values.get("agency_code")


# -- the public ------------------------------------------------------------------------------


@router.get("/supervision", response_class=HTMLResponse)
def public_plans_page(request: Request, ctx: ContextDep, actor: ActorDep) -> Response:
    with ctx.sessions() as session:
        plans = [service.describe_plan(ctx, p, public=True) for p in service.public_plans(session)]
    return templates.TemplateResponse(
        request,
        "supervision/plans.html",
        {"ctx": ctx, "actor": actor, "plans": plans, "hlj49": HLJ49_TEXT, "ratio_note": RATIO_NOTE},
    )


@router.get("/supervision/plans/{number}", response_class=HTMLResponse)
def public_plan_page(
    number: Key, request: Request, ctx: ContextDep, actor: ActorDep, recompute: bool = False
) -> Response:
    """A published plan: its inputs and seed commitment before the draw; once announced, the
    objects drawn and the inspectors, the seed, and a recomputation on request."""
    with ctx.sessions() as session:
        plan = service.public_plan(session, number)
        shown = service.describe_plan(ctx, plan, public=True)
        announced = plan.state == "announced"
        drawn = service.results(session, ctx, plan) if announced else []
        checked = service.verify(plan) if announced and recompute else None
        inputs = service.inputs_of(plan)["inputs"] or {}
    counts = {c: 0 for c in ("high_risk", "ordinary", "low_risk")}
    for o in inputs.get("objects", []):
        counts[o["class"]] = counts.get(o["class"], 0) + 1
    return templates.TemplateResponse(
        request,
        "supervision/plan.html",
        {
            "ctx": ctx,
            "actor": actor,
            "plan": shown,
            "drawn": drawn,
            "announced": announced,
            "checked": checked,
            "counts": counts,
            "inspectors": inputs.get("inspectors", []),
            "algorithm": ALGORITHM,
            "hlj49": HLJ49_TEXT,
        },
    )


# -- the agency ------------------------------------------------------------------------------


@router.get("/agency/supervision", response_class=HTMLResponse)
def agency_page(
    request: Request,
    ctx: ContextDep,
    actor: AgencyDep,
    error: Text | None = None,
    agency_code: Key | None = None,
) -> Response:
    inspectors: list[Any] = []
    with ctx.sessions() as session:
        plans = [service.describe_plan(ctx, p) for p in service.agency_plans(session, actor)]
        code = actor.agency_code if actor.role is Role.AGENCY else agency_code
        if code:
            inspectors = [
                {"code": r.code, "name": r.name, "field": r.enforcement_field, "conflicts": n}
                for r, n in service.inspectors_of(session, code)
            ]
    return templates.TemplateResponse(
        request,
        "supervision/agency.html",
        {
            "ctx": ctx,
            "actor": actor,
            "plans": plans,
            "inspectors": inspectors,
            "fields": FIELDS,
            "error": error,
            "staff": actor.role is not Role.AGENCY,
            "agency_code": agency_code or "",
            "ratio_note": RATIO_NOTE,
            "per_object_note": PER_OBJECT_NOTE,
            "hlj49": HLJ49_TEXT,
            "today": ctx.today().isoformat(),
        },
    )


@router.post("/agency/supervision/plans")
async def agency_create_plan(request: Request, ctx: ContextDep, actor: AgencyDep) -> Response:
    values = form_values(await request.form())

    def work(session: Session) -> str:
        body = PlanIn(**{k: v for k, v in values.items() if v is not None})
        plan = service.create_plan(session, ctx, actor=actor, body=body)
        return f"/agency/supervision/{plan.number}"

    return await _write(ctx, "/agency/supervision", work)


@router.post("/agency/supervision/inspectors")
async def agency_inspector(request: Request, ctx: ContextDep, actor: AgencyDep) -> Response:
    values = form_values(await request.form())
    back = "/agency/supervision" + (
        f"?agency_code={quote(values['agency_code'])}" if values.get("agency_code") else ""
    )

    def work(session: Session) -> None:
        body = InspectorIn(**{k: v for k, v in values.items() if v is not None})
        service.register_inspector(session, ctx, actor=actor, body=body)

    return await _write(ctx, back, work)


@router.post("/agency/supervision/conflicts")
async def agency_conflict(request: Request, ctx: ContextDep, actor: AgencyDep) -> Response:
    values = form_values(await request.form())
    back = "/agency/supervision" + (
        f"?agency_code={quote(values['agency_code'])}" if values.get("agency_code") else ""
    )

    def work(session: Session) -> None:
        code = str(values.pop("inspector_code", "") or "")
        body = ConflictIn(**{k: v for k, v in values.items() if v is not None})
        service.add_conflict(session, ctx, actor=actor, inspector_code=code, body=body)

    return await _write(ctx, back, work)


@router.get("/agency/supervision/{number}", response_class=HTMLResponse)
def agency_plan_page(
    number: Key, request: Request, ctx: ContextDep, actor: AgencyDep, error: Text | None = None
) -> Response:
    with ctx.sessions() as session:
        plan = service.plan_for(session, actor, number)
        names = grades(ctx, ctx.today())
        objects = [service.describe_object(ctx, o, names) for o in service.pool(session, plan)]
        shown = service.describe_plan(ctx, plan)
        drawn = service.results(session, ctx, plan)
    return templates.TemplateResponse(
        request,
        "supervision/agency_plan.html",
        {
            "ctx": ctx,
            "actor": actor,
            "plan": shown,
            "objects": objects,
            "drawn": drawn,
            "error": error,
            "seed_note": SEED_NOTE,
        },
    )


@router.post("/agency/supervision/{number}/objects")
async def agency_objects(
    number: Key, request: Request, ctx: ContextDep, actor: AgencyDep
) -> Response:
    values = form_values(await request.form())
    keys = [k for k in (values.get("subject_keys") or "").split() if k]

    def work(session: Session) -> None:
        body = ObjectsIn(subject_keys=keys, from_register=bool(values.get("from_register")))
        service.add_objects(session, ctx, actor=actor, number=number, body=body)

    return await _write(ctx, f"/agency/supervision/{number}", work)


@router.post("/agency/supervision/{number}/publish")
async def agency_publish(
    number: Key, request: Request, ctx: ContextDep, actor: AgencyDep
) -> Response:
    values = form_values(await request.form())

    def work(session: Session) -> None:
        body = PublishIn(seed_commitment=values.get("seed_commitment"))
        service.publish_plan(
            session, ctx, actor=actor, number=number, seed_commitment=body.seed_commitment
        )

    return await _write(ctx, f"/agency/supervision/{number}", work)


@router.post("/agency/supervision/{number}/draw")
async def agency_draw(number: Key, request: Request, ctx: ContextDep, actor: AgencyDep) -> Response:
    values = form_values(await request.form())

    def work(session: Session) -> None:
        body = DrawIn(seed=values.get("seed"))
        service.run_draw(session, ctx, actor=actor, number=number, seed=body.seed)

    return await _write(ctx, f"/agency/supervision/{number}", work)


@router.post("/agency/supervision/{number}/announce")
async def agency_announce(
    number: Key, request: Request, ctx: ContextDep, actor: AgencyDep
) -> Response:
    await request.form()

    def work(session: Session) -> str:
        service.announce(session, ctx, actor=actor, number=number)
        return f"/supervision/plans/{number}"

    return await _write(ctx, f"/agency/supervision/{number}", work)

"""Chinese pages of credit reports: verify one, show one by number and code, issue my own
(a POST with a button: nothing is issued by following a link), and "my reports"."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from xinyong.common.inputs import Key
from xinyong.common.roles import Role
from xinyong.reports import service
from xinyong.visibility.engine import Viewer
from xinyong.web.deps import ActorDep, ContextDep, Router
from xinyong.web.layout import templates

router = Router(include_in_schema=False)


# /reports/verify before /reports/{number}: routes match in order.
@router.get("/reports/verify", response_class=HTMLResponse)
def verify_page(request: Request, ctx: ContextDep, actor: ActorDep) -> Response:
    return templates.TemplateResponse(
        request, "reports/verify.html", {"ctx": ctx, "actor": actor, "result": None}
    )


@router.post("/reports/verify", response_class=HTMLResponse)
def verify_submit(
    request: Request,
    ctx: ContextDep,
    actor: ActorDep,
    number: Annotated[Key, Form()],
    code: Annotated[Key, Form()],
) -> Response:
    result = service.verify(ctx, number, code)
    return templates.TemplateResponse(
        request, "reports/verify.html", {"ctx": ctx, "actor": actor, "result": result}
    )


def _readable(content: dict[str, Any]) -> dict[str, Any]:
    """The stored content with each record's fields as (name, value) rows in catalog order."""
    for section in content.get("sections", []):
        for record in section.get("records", []):
            record["rows"] = service.ordered_fields(record)
    return content


@router.get("/reports/{number}", response_class=HTMLResponse)
def report_page(
    request: Request, number: Key, code: Key, ctx: ContextDep, actor: ActorDep
) -> Response:
    """A report as a web page, by number and verification code."""
    row = service.load(ctx, number, code)
    return templates.TemplateResponse(
        request,
        "reports/report.html",
        {
            "ctx": ctx,
            "actor": actor,
            "report": _readable(json.loads(row.content_json)),
            "number": row.number,
            "digest": row.digest,
            "code": code,
            "issued": False,
        },
    )


@router.get("/me/reports", response_class=HTMLResponse)
def my_reports(request: Request, ctx: ContextDep, actor: ActorDep) -> Response:
    """The reports I asked for, newest first; reading this page issues nothing."""
    if actor.role is not Role.SUBJECT or not actor.subject_key:
        return RedirectResponse("/login", status_code=303)
    return templates.TemplateResponse(
        request,
        "reports/mine.html",
        {"ctx": ctx, "actor": actor, "reports": service.issued_to(ctx, actor)},
    )


@router.get("/me/reports/{number}", response_class=HTMLResponse)
def my_report_page(request: Request, number: Key, ctx: ContextDep, actor: ActorDep) -> Response:
    """One of my reports, by number, with its verification code shown again to its subject (to
    give to a bank, which checks it on /reports/verify)."""
    if actor.role is not Role.SUBJECT or not actor.subject_key:
        return RedirectResponse("/login", status_code=303)
    row = service.own_report(ctx, actor, number)
    return templates.TemplateResponse(
        request,
        "reports/report.html",
        {
            "ctx": ctx,
            "actor": actor,
            "report": _readable(json.loads(row.content_json)),
            "number": row.number,
            "digest": row.digest,
            "code": service.own_code(ctx, row),
            "own": True,
            "issued": False,
        },
    )


@router.post("/me/report")
def my_report(ctx: ContextDep, actor: ActorDep) -> Response:
    """Issue my own report and show its PDF, which carries its verification code (a POST with
    the form's CSRF token: issuing is a write, which no link may trigger). Issued reports are
    listed on /me/reports and open again from there without issuing another."""
    if actor.role is not Role.SUBJECT or not actor.subject_key:
        return RedirectResponse("/login", status_code=303)
    report = service.generate(ctx, viewer=Viewer(actor=actor), subject_key=actor.subject_key)
    return RedirectResponse(f"/api/reports/{report.number}/pdf?code={report.code}", status_code=303)

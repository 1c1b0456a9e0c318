"""Chinese pages of credit information as a viewer may see it: the subject's own page (its
information, who accessed it, its authorisations and report), a subject's page, the 双公示
publicity lists, and an agency's query with its statutory purpose."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from xinyong.authorisations.service import describe, hides_good_information, of_subject
from xinyong.catalog.service import list_items
from xinyong.common.errors import NotFound
from xinyong.common.identifiers import looks_like_citizen_id
from xinyong.common.inputs import FormDate, FormName, Key, Name, PageNumber, RecordKey, Text
from xinyong.common.roles import Role
from xinyong.context import Context
from xinyong.providers.models import ProviderUnit
from xinyong.sharing.lists import PAGE as PUBLICITY_PAGE
from xinyong.sharing.lists import PUBLICITY_LISTS, publicity_list
from xinyong.sharing.service import access_log, profile, record_history
from xinyong.visibility.engine import Viewer
from xinyong.web.deps import ActorDep, ContextDep, Router
from xinyong.web.layout import templates

router = Router(include_in_schema=False)


def purpose_names(ctx: Context) -> dict[str, str]:
    """The statutory query scenarios (HLJ 44) by code, as a reader states them, to their names."""
    scenarios = ctx.rules.get("query.mandatory_scenarios", ctx.today()).value
    return {str(e["code"]): str(e["name"]) for e in scenarios}


@router.get("/me", response_class=HTMLResponse)
def my_page(
    request: Request, ctx: ContextDep, actor: ActorDep, error: Text | None = None
) -> Response:
    """The subject's self-service page: its information, who accessed it, its authorisations,
    its good-information switch, its report."""
    if actor.role is not Role.SUBJECT or not actor.subject_key:
        return RedirectResponse("/login", status_code=303)
    mine = profile(ctx, viewer=Viewer(actor=actor), subject_key=actor.subject_key)
    with ctx.sessions() as session:
        accesses = access_log(session, actor, actor.subject_key, limit=50)
        grants = [describe(a, ctx.today()) for a in of_subject(session, actor.subject_key)]
        grantable = [i for i in list_items(session) if i.opening == "conditional"]
        hide_good = hides_good_information(session, actor.subject_key)
        codes = {r.provider_code for r in mine.records}
        found = session.execute(
            select(ProviderUnit.code, ProviderUnit.name).where(ProviderUnit.code.in_(codes))
        )
        units = {code: name for code, name in found}
    return templates.TemplateResponse(
        request,
        "sharing/me.html",
        {
            "ctx": ctx,
            "actor": actor,
            "profile": mine,
            "accesses": accesses,
            "authorisations": grants,
            "grantable": grantable,
            "hide_good": hide_good,
            "units": units,
            "purposes": purpose_names(ctx),
            "error": error,
        },
    )


@router.get("/me/records/{item_code}/{record_key}", response_class=HTMLResponse)
def my_record_history_page(
    request: Request,
    item_code: Key,
    record_key: RecordKey,
    provider: Key,
    ctx: ContextDep,
    actor: ActorDep,
) -> Response:
    """One item of my information: its source unit and every change (HLJ 35, HRB 35)."""
    if actor.role is not Role.SUBJECT or not actor.subject_key:
        return RedirectResponse("/login", status_code=303)
    history = record_history(
        ctx, actor=actor, provider_code=provider, item_code=item_code, record_key=record_key
    )
    return templates.TemplateResponse(
        request, "sharing/record_history.html", {"ctx": ctx, "actor": actor, "history": history}
    )


@router.get("/subjects/{key}", response_class=HTMLResponse)
def subject_page(request: Request, key: Key, ctx: ContextDep, actor: ActorDep) -> Response:
    """A subject's page: what this viewer may see (the public: what is open)."""
    shown = profile(ctx, viewer=Viewer(actor=actor), subject_key=key)
    return templates.TemplateResponse(
        request,
        "sharing/subject.html",
        {"ctx": ctx, "actor": actor, "profile": shown, "receipt": None},
    )


@router.get("/publicity/{which}", response_class=HTMLResponse)
def publicity_page(
    request: Request,
    which: Key,
    ctx: ContextDep,
    actor: ActorDep,
    name: FormName = None,
    since: FormDate = None,
    until: FormDate = None,
    page: PageNumber = 1,
) -> Response:
    """双公示: the 行政许可 and 行政处罚 publicity lists."""
    if which not in PUBLICITY_LISTS:
        raise NotFound("publicity.unknown_list", "没有这个公示栏目")
    item, title = PUBLICITY_LISTS[which]
    with ctx.sessions() as session:
        found = publicity_list(
            session,
            ctx,
            item,
            actor=actor,
            name=name,
            since=since,
            until=until,
            page=page,
        )
    return templates.TemplateResponse(
        request,
        "sharing/publicity.html",
        {
            "ctx": ctx,
            "actor": actor,
            "title": title,
            "rows": found["rows"],
            "total": found["total"],
            "page": page,
            "pages": max(1, -(-found["total"] // PUBLICITY_PAGE)),
            "query": urlencode(
                {
                    k: str(v)
                    for k, v in {"name": name, "since": since, "until": until}.items()
                    if v and not looks_like_citizen_id(str(v))
                }
            ),
            "name": None if looks_like_citizen_id(name) else name,  # not echoed
            "since": since,
            "until": until,
        },
    )


@router.get("/agency", response_class=HTMLResponse)
def agency_page(request: Request, ctx: ContextDep, actor: ActorDep) -> Response:
    if actor.role is not Role.AGENCY:
        return RedirectResponse("/login", status_code=303)
    purposes = ctx.rules.get("query.mandatory_scenarios", ctx.today()).value
    return templates.TemplateResponse(
        request, "sharing/agency.html", {"ctx": ctx, "actor": actor, "purposes": purposes}
    )


@router.post("/agency/query", response_class=HTMLResponse)
def agency_query(
    request: Request,
    key: Annotated[Key, Form()],
    purpose: Annotated[Name, Form()],
    ctx: ContextDep,
    actor: ActorDep,
) -> Response:
    """An agency's query with its statutory purpose; the answer shows the audit receipt. A POST
    with the form's CSRF token: the read is logged in the subject's access log in the agency's
    name, which no link another site shows may trigger."""
    if actor.role is not Role.AGENCY:
        return RedirectResponse("/login", status_code=303)
    shown = profile(ctx, viewer=Viewer(actor=actor, purpose=purpose), subject_key=key)
    return templates.TemplateResponse(
        request,
        "sharing/subject.html",
        {
            "ctx": ctx,
            "actor": actor,
            "profile": shown,
            "receipt": shown.audit_id,
            "purpose": purpose_names(ctx).get(purpose, purpose),
        },
    )

"""Chinese pages: the landing page and the public name search."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from xinyong.common.errors import DomainError
from xinyong.common.inputs import FormName
from xinyong.common.roles import ROLE_LABELS
from xinyong.search.service import search
from xinyong.web.deps import ActorDep, ContextDep, Router
from xinyong.web.layout import templates

router = Router(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def index(request: Request, ctx: ContextDep, actor: ActorDep) -> Response:
    return templates.TemplateResponse(
        request,
        "search/index.html",
        {"ctx": ctx, "actor": actor, "role_label": ROLE_LABELS[actor.role], "today": ctx.today()},
    )


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, ctx: ContextDep, actor: ActorDep, q: FormName = None) -> Response:
    results, error = None, None
    if q:
        try:
            with ctx.sessions() as session, session.begin():
                results = search(session, ctx, actor, q)
        except DomainError as exc:
            error = exc.message
    return templates.TemplateResponse(
        request,
        "search/search.html",
        {"ctx": ctx, "actor": actor, "q": q, "results": results, "error": error},
    )

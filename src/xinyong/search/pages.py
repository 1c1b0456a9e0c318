"""Chinese pages: the landing page and the public name search."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from xinyong.common.errors import DomainError
from xinyong.common.identifiers import looks_like_citizen_id
from xinyong.common.inputs import FormName, PageNumber
from xinyong.common.roles import ROLE_LABELS
from xinyong.search.service import search_page as search_subjects
from xinyong.web.deps import ActorDep, ContextDep, Router
from xinyong.web.layout import templates

router = Router(include_in_schema=False)
KIND_LABELS = {
    "natural_person": "自然人",
    "legal_person": "法人",
    "other_organisation": "非法人组织",
    "individual_business": "个体工商户",
}


@router.get("/", response_class=HTMLResponse)
def index(request: Request, ctx: ContextDep, actor: ActorDep) -> Response:
    return templates.TemplateResponse(
        request,
        "search/index.html",
        {"ctx": ctx, "actor": actor, "role_label": ROLE_LABELS[actor.role], "today": ctx.today()},
    )


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request, ctx: ContextDep, actor: ActorDep, q: FormName = None, page: PageNumber = 1
) -> Response:
    found, error = None, None
    query = urlencode({"q": q or ""})
    if q:
        try:
            with ctx.sessions() as session, session.begin():
                found = search_subjects(session, ctx, actor, q, page)
        except DomainError as exc:
            error = exc.message
    return templates.TemplateResponse(
        request,
        "search/search.html",
        {
            "ctx": ctx,
            "actor": actor,
            "q": None if looks_like_citizen_id(q) else q,  # a person's ID number is not echoed
            "found": found,
            "results": found["results"] if found else None,
            "error": error or (found or {}).get("problem"),
            "query": query,
            "kinds": KIND_LABELS,
        },
    )

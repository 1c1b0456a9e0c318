"""/subject-links: staff and information providers register who answers for an organisation
(HLJ 33: legal representative or principal, actual controller, directly responsible person).
A listing of the organisation in force reaches the person at once (flows.register_link)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from xinyong.common.clock import PLATFORM_TZ
from xinyong.common.errors import DomainError
from xinyong.common.identifiers import check_uscc
from xinyong.common.inputs import Key, Line, Name, PageNumber
from xinyong.common.roles import Role
from xinyong.flows import register_link
from xinyong.subjects.relations import relation_labels
from xinyong.subjects.schemas import LinkIn
from xinyong.subjects.service import registered_links
from xinyong.web.deps import ActorDep, ContextDep, Router
from xinyong.web.errors import field_problems
from xinyong.web.layout import templates

router = Router(include_in_schema=False)
WRITERS = (Role.PROVIDER, Role.STAFF, Role.ADMIN)
REQUIRED = ("organisation_key", "person_key", "person_name", "relation", "valid_from", "source")
#: Where a refusal belongs on the form.
FIELD_OF_REFUSAL = {"subjects.relation": "relation", "subjects.link_exists": "relation"}
PAGE = 20


def _when(moment: dt.datetime) -> str:
    """A stored time in Beijing time, to the minute."""
    return moment.astimezone(PLATFORM_TZ).strftime("%Y-%m-%d %H:%M")


def _listing(ctx: Any, actor: Any, key: str, page: int) -> dict[str, Any]:
    """The links registered for the organisation `key`, one page of them (or why none)."""
    if not key:
        return {}
    try:
        check_uscc(key).raise_if_invalid()
    except DomainError as invalid:
        return {"key": key, "problem": invalid.message}
    total, rows = registered_links(
        ctx, actor=actor, organisation_key=key, limit=PAGE, offset=(page - 1) * PAGE
    )
    for row in rows:
        row["recorded_at"] = _when(row["recorded_at"])
    return {
        "key": key.strip().upper(),
        "total": total,
        "rows": rows,
        "page": page,
        "pages": max(1, -(-total // PAGE)),
    }


def _page(
    request: Request,
    ctx: Any,
    actor: Any,
    *,
    form: dict[str, str] | None = None,
    error: DomainError | None = None,
    fields: dict[str, str] | None = None,
    done: str = "",
    listing: dict[str, Any] | None = None,
) -> Response:
    return templates.TemplateResponse(
        request,
        "subjects/links.html",
        {
            "ctx": ctx,
            "actor": actor,
            "relations": relation_labels(),
            "form": form or {"valid_from": ctx.today().isoformat(), "source": ""},
            "error": error,
            "fields": fields or {},
            "done": done,
            "listing": listing or {},
            "article": ctx.rules.get("serious_dishonesty.related_persons", ctx.today()),
        },
        status_code=(409 if error.status == 409 else 422) if error else 200,
    )


@router.get("/subject-links", response_class=HTMLResponse)
def links_form(
    request: Request,
    ctx: ContextDep,
    actor: ActorDep,
    organisation_key: Key = "",
    page: PageNumber = 1,
) -> Response:
    """The form, and with `organisation_key` the links already registered for it (paged)."""
    if actor.role not in WRITERS:
        return RedirectResponse("/login", status_code=303)
    key = organisation_key.strip()
    form = {"valid_from": ctx.today().isoformat(), "source": "", "organisation_key": key}
    return _page(request, ctx, actor, form=form, listing=_listing(ctx, actor, key, page))


@router.post("/subject-links", response_class=HTMLResponse)
def links_register(
    request: Request,
    ctx: ContextDep,
    actor: ActorDep,
    organisation_key: Annotated[Key, Form()] = "",
    person_key: Annotated[Key, Form()] = "",
    person_name: Annotated[Name, Form()] = "",
    relation: Annotated[Key, Form()] = "",
    valid_from: Annotated[Key, Form()] = "",
    source: Annotated[Line, Form(max_length=200)] = "",
) -> Response:
    """Register a link; refused, the form comes back as typed with the reason by its field."""
    if actor.role not in WRITERS:
        return RedirectResponse("/login", status_code=303)
    form = {
        "organisation_key": organisation_key.strip(),
        "person_key": person_key.strip(),
        "person_name": person_name.strip(),
        "relation": relation,
        "valid_from": valid_from,
        "source": source.strip(),
    }
    blank = {k: "必填" for k in REQUIRED if not form[k]}
    if blank:
        missing = DomainError(code="form.missing", message="请填写必填项")
        return _page(request, ctx, actor, form=form, error=missing, fields=blank)
    try:
        body = LinkIn.model_validate({k: v for k, v in form.items() if k != "organisation_key"})
        with ctx.sessions() as session, session.begin():
            _link, listed = register_link(
                session, ctx, actor=actor, organisation_key=form["organisation_key"], body=body
            )
    except ValidationError as invalid:
        refused = DomainError(code="form.invalid", message="表单填写有误，请按提示修改")
        return _page(
            request, ctx, actor, form=form, error=refused, fields=field_problems(invalid.errors())
        )
    except DomainError as refused:
        field = FIELD_OF_REFUSAL.get(refused.code)
        if refused.code.startswith("identifier.uscc"):
            field = "organisation_key"
        elif refused.code.startswith("identifier."):
            field = "person_key"
        fields = {field: refused.message} if field else {}
        return _page(request, ctx, actor, form=form, error=refused, fields=fields)
    done = f"已登记：{body.person_name}为该主体的{relation_labels()[body.relation]}。"
    if listed:
        numbers = "、".join(listed)
        done += f"该主体在严重失信主体名单内，已依法对本人作出关联认定{len(listed)}项：{numbers}"
    listing = _listing(ctx, actor, form["organisation_key"], 1)
    return _page(request, ctx, actor, done=done, listing=listing)

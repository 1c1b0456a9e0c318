"""Chinese pages: the rules in force today, with their citations."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from xinyong.web.deps import ActorDep, ContextDep, Router
from xinyong.web.layout import templates

router = Router(include_in_schema=False)


@router.get("/rules", response_class=HTMLResponse)
def rules_page(request: Request, ctx: ContextDep, actor: ActorDep) -> Response:
    on = ctx.today()
    answers = []
    for key in ctx.rules.rule_keys():
        try:
            answers.append(ctx.rules.get(key, on))
        except Exception:  # a rule not yet in force on this date is simply not listed
            continue
    return templates.TemplateResponse(
        request, "law/rules.html", {"ctx": ctx, "actor": actor, "answers": answers, "on": on}
    )

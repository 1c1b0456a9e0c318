"""The commitments' Chinese pages."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from xinyong.commitments import verification
from xinyong.common.roles import Role
from xinyong.web.deps import ActorDep, ContextDep, Router
from xinyong.web.layout import templates

router = Router(include_in_schema=False)

# ---------------------------------------------------------------- verification (cverify)


@router.get("/staff/commitments", response_class=HTMLResponse)
def staff_commitments(request: Request, ctx: ContextDep, actor: ActorDep) -> Response:
    """The verification queue (HLJ 46), soonest due first, each row with its article."""
    if actor.role not in (Role.STAFF, Role.ADMIN):
        return RedirectResponse("/login", status_code=303)
    with ctx.sessions() as session:
        queue = verification.queue_view(session, ctx, actor=actor)
    return templates.TemplateResponse(
        request,
        "commitments/staff_verification.html",
        {"ctx": ctx, "actor": actor, "queue": queue},
    )

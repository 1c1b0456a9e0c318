"""The forms of a subject's page (/me, sharing/pages.py) that grant and revoke authorisations
(HLJ 24, 36) and switch the publicity of good information (HLJ 37)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import quote

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from xinyong.authorisations.schemas import GrantIn
from xinyong.authorisations.service import grant, revoke, set_good_publicity
from xinyong.common.errors import DomainError
from xinyong.common.inputs import IntRowId
from xinyong.web.deps import ActorDep, ContextDep, Router, SessionDep

router = Router(include_in_schema=False)


@router.post("/me/authorisations")
async def my_grant(request: Request, ctx: ContextDep, actor: ActorDep) -> Response:
    form = await request.form()
    try:
        body = GrantIn(
            grantee=str(form.get("grantee", "")),
            items=[str(v) for v in form.getlist("items")],
            purpose=str(form.get("purpose", "")),
            expires_on=dt.date.fromisoformat(str(form.get("expires_on", ""))),
        )

        def write() -> None:  # in a worker thread, committed there: never on the event loop
            with ctx.sessions() as session, session.begin():
                grant(session, ctx, actor=actor, body=body)

        await run_in_threadpool(write)
    except (DomainError, ValidationError, ValueError) as exc:
        message = exc.message if isinstance(exc, DomainError) else "授权信息填写不完整"
        return RedirectResponse(f"/me?error={quote(message)}", status_code=303)
    return RedirectResponse("/me", status_code=303)


@router.post("/me/authorisations/{authorisation_id}/revoke")
def my_revoke(
    authorisation_id: IntRowId, ctx: ContextDep, session: SessionDep, actor: ActorDep
) -> Response:
    revoke(session, ctx, actor=actor, authorisation_id=authorisation_id)
    return RedirectResponse("/me", status_code=303)


@router.post("/me/preferences")
def my_preferences_form(
    ctx: ContextDep,
    session: SessionDep,
    actor: ActorDep,
    hide_good_information: Annotated[str | None, Form()] = None,
) -> Response:
    set_good_publicity(session, ctx, actor=actor, hide=hide_good_information == "1")
    return RedirectResponse("/me", status_code=303)

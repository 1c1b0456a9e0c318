"""/api/me/authorisations and /api/me/preferences: a subject's authorisations (HLJ 24, 36) and
good-information publicity choice (HLJ 37)."""

from __future__ import annotations

from typing import Any

from xinyong.authorisations.schemas import (
    AuthorisationOut,
    GrantIn,
    PreferencesIn,
    PreferencesOut,
)
from xinyong.authorisations.service import (
    describe,
    grant,
    of_subject,
    revoke,
    set_good_publicity,
)
from xinyong.common.inputs import IntRowId
from xinyong.web.deps import ContextDep, Router, SessionDep, SubjectDep
from xinyong.web.errors import error_responses

router = Router(tags=["信用信息查询"])


@router.post(
    "/api/me/authorisations",
    summary="授权他人查询本人信息",
    status_code=201,
    response_model=AuthorisationOut,
    responses=error_responses(404),
)
def grant_authorisation(
    body: GrantIn,
    ctx: ContextDep,
    session: SessionDep,
    actor: SubjectDep,
) -> dict[str, Any]:
    """Authorise a named party to query items of mine, for a purpose, until a date (HLJ 24, 36)."""
    return describe(grant(session, ctx, actor=actor, body=body), ctx.today())


@router.get("/api/me/authorisations", summary="查看我的授权", response_model=list[AuthorisationOut])
def my_authorisations(
    ctx: ContextDep,
    session: SessionDep,
    actor: SubjectDep,
) -> list[dict[str, Any]]:
    assert actor.subject_key is not None
    return [describe(a, ctx.today()) for a in of_subject(session, actor.subject_key)]


@router.post(
    "/api/me/authorisations/{authorisation_id}/revoke",
    summary="撤销授权",
    response_model=AuthorisationOut,
)
def revoke_authorisation(
    authorisation_id: IntRowId,
    ctx: ContextDep,
    session: SessionDep,
    actor: SubjectDep,
) -> dict[str, Any]:
    """Revocation takes effect at once."""
    return describe(
        revoke(session, ctx, actor=actor, authorisation_id=authorisation_id), ctx.today()
    )


@router.put("/api/me/preferences", summary="设置守信信息是否公示")
def my_preferences(
    body: PreferencesIn,
    ctx: ContextDep,
    session: SessionDep,
    actor: SubjectDep,
) -> PreferencesOut:
    """Ask that my good information not be published (HLJ 37 ¶1), or publish it again."""
    pref = set_good_publicity(session, ctx, actor=actor, hide=body.hide_good_information)
    return PreferencesOut(hide_good_information=pref.hide_good_information)

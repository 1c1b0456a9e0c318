"""/api/subjects/{key}/links and /api/consents."""

from __future__ import annotations

from typing import Any

from xinyong.common.inputs import Key
from xinyong.common.roles import Role
from xinyong.consents.service import ConsentIn, record_consent
from xinyong.subjects.service import LinkIn, add_link, shown_links
from xinyong.web.deps import ActorDep, ContextDep, ProviderDep, Router, SessionDep
from xinyong.web.errors import error_responses

router = Router(tags=["信用主体"])
WRITERS = (Role.PROVIDER, Role.STAFF, Role.ADMIN)


@router.post("/api/subjects/{key}/links", status_code=201)
def new_link(
    key: Key,
    body: LinkIn,
    ctx: ContextDep,
    session: SessionDep,
    actor: ProviderDep,
) -> dict[str, Any]:
    link = add_link(session, ctx, actor=actor, organisation_key=key, body=body)
    return {"id": link.id, "relation": link.relation}


@router.get("/api/subjects/{key}/links")
def get_links(key: Key, ctx: ContextDep, actor: ActorDep) -> list[dict[str, Any]]:
    """The persons who answer for an organisation (HLJ 33): names desensitised except to the
    person, the organisation, staff and agencies; each read audited."""
    return shown_links(ctx, actor=actor, organisation_key=key)


@router.post("/api/consents", status_code=201, responses=error_responses(404))
def new_consent(
    body: ConsentIn,
    ctx: ContextDep,
    session: SessionDep,
    actor: ProviderDep,
) -> dict[str, Any]:
    consent = record_consent(session, ctx, actor=actor, body=body)
    return {"id": consent.id, "subject_key": consent.subject_key, "item_code": consent.item_code}

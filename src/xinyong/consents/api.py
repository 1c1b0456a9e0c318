"""/api/consents: a provider records a natural person's consent (HLJ 20)."""

from __future__ import annotations

from xinyong.consents.schemas import ConsentIn, ConsentOut
from xinyong.consents.service import record_consent
from xinyong.web.deps import ContextDep, ProviderDep, Router, SessionDep
from xinyong.web.errors import error_responses

router = Router(tags=["信用主体"])


@router.post(
    "/api/consents", summary="登记自然人的同意", status_code=201, responses=error_responses(404)
)
def new_consent(
    body: ConsentIn,
    ctx: ContextDep,
    session: SessionDep,
    actor: ProviderDep,
) -> ConsentOut:
    consent = record_consent(session, ctx, actor=actor, body=body)
    return ConsentOut(id=consent.id, subject_key=consent.subject_key, item_code=consent.item_code)

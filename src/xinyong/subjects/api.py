"""/api/subjects/{key}/links and /api/identifiers/{value}."""

from __future__ import annotations

from typing import Any

from xinyong.common.identifiers import check_identifier
from xinyong.common.inputs import Key
from xinyong.common.roles import Role
from xinyong.flows import register_link
from xinyong.subjects.schemas import IdentifierCheckOut, LinkCreatedOut, LinkIn, LinkOut
from xinyong.subjects.service import shown_links
from xinyong.web.deps import ActorDep, ContextDep, ProviderDep, Router, SessionDep

# The tags are the routes' own: the identifier check is documented apart from the subjects.
router = Router()
WRITERS = (Role.PROVIDER, Role.STAFF, Role.ADMIN)


@router.post(
    "/api/subjects/{key}/links",
    summary="登记法定代表人等关联人员",
    status_code=201,
    tags=["信用主体"],
    response_model=LinkCreatedOut,
)
def new_link(
    key: Key,
    body: LinkIn,
    ctx: ContextDep,
    session: SessionDep,
    actor: ProviderDep,
) -> dict[str, Any]:
    """Register who answers for an organisation (HLJ 33). The relation may be given by its code
    or its Chinese name (法定代表人); a listing of the organisation in force reaches the person
    at once (`listed`: the numbers of the entries made). The same person in the same relation,
    still in force, is refused (409)."""
    link, listed = register_link(session, ctx, actor=actor, organisation_key=key, body=body)
    return {"id": link.id, "relation": link.relation, "listed": listed}


@router.get(
    "/api/subjects/{key}/links",
    summary="查看关联人员",
    tags=["信用主体"],
    response_model=list[LinkOut],
)
def get_links(key: Key, ctx: ContextDep, actor: ActorDep) -> list[dict[str, Any]]:
    """The persons who answer for an organisation (HLJ 33): names desensitised except to the
    person, the organisation, staff and agencies; each read audited."""
    return shown_links(ctx, actor=actor, organisation_key=key)


@router.get(
    "/api/identifiers/{value}",
    summary="校验统一社会信用代码或公民身份号码",
    tags=["主体标识"],
    response_model=IdentifierCheckOut,
    response_model_exclude_unset=True,
)
def identifier_check(value: Key, ctx: ContextDep) -> dict[str, Any]:
    """Check a 统一社会信用代码 or 公民身份号码 and say which rule failed."""
    return check_identifier(value, ctx.today()).as_dict()

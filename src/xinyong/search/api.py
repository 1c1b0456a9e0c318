"""/api/search and the public search page."""

from __future__ import annotations

from typing import Any

from xinyong.common.inputs import Name, PageNumber
from xinyong.search.schemas import SearchOut
from xinyong.search.service import search_page
from xinyong.web.deps import ActorDep, ContextDep, Router, SessionDep
from xinyong.web.errors import error_responses

router = Router(tags=["信用信息查询"])


@router.get(
    "/api/search",
    summary="按名称或统一社会信用代码查询信用主体",
    response_model=SearchOut,
    responses=error_responses(403),
)
def search_subjects(
    q: Name, ctx: ContextDep, session: SessionDep, actor: ActorDep, page: PageNumber = 1
) -> dict[str, Any]:
    """Organisations by name (two characters and more) or USCC; natural persons only by exact
    citizen ID number, and only for the person, staff and agencies. A value that looks like a
    code but breaks one of its rules is answered with that rule (`problem`)."""
    return {"query": q, **search_page(session, ctx, actor, q, page)}

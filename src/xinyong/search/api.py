"""/api/search and the public search page."""

from __future__ import annotations

from typing import Any

from xinyong.search.service import search
from xinyong.web.deps import ActorDep, ContextDep, Router, SessionDep

router = Router(tags=["信用信息查询"])


@router.get("/api/search")
def search_subjects(
    q: str, ctx: ContextDep, session: SessionDep, actor: ActorDep
) -> dict[str, Any]:
    """Organisations by name (two characters and more) or USCC; natural persons only by exact
    citizen ID number, and only for the person, staff and agencies."""
    return {"query": q, "results": search(session, ctx, actor, q)}

"""/api/subjects/{key}/records, /api/me/records, /api/me/accesses."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from xinyong.common.roles import Actor, Role
from xinyong.sharing.service import access_log, profile
from xinyong.sharing.visibility import Viewer
from xinyong.web.deps import ActorDep, ContextDep, SessionDep, require

router = APIRouter(tags=["信用信息查询"])


@router.get("/api/subjects/{key}/records")
def subject_records(
    key: str, ctx: ContextDep, actor: ActorDep, purpose: str | None = None
) -> dict[str, Any]:
    """A subject's credit information as the caller may see it (agencies state a purpose)."""
    return profile(ctx, viewer=Viewer(actor=actor, purpose=purpose), subject_key=key).as_dict()


@router.get("/api/me/records")
def my_records(
    ctx: ContextDep,
    actor: Actor = require(Role.SUBJECT),  # type: ignore[assignment]
) -> dict[str, Any]:
    """Free and unlimited self-query (HLJ 24 ¶2)."""
    assert actor.subject_key is not None
    return profile(ctx, viewer=Viewer(actor=actor), subject_key=actor.subject_key).as_dict()


@router.get("/api/me/accesses")
def my_accesses(
    session: SessionDep,
    actor: Actor = require(Role.SUBJECT),  # type: ignore[assignment]
) -> list[dict[str, Any]]:
    """Every access to my information: who, when, for which purpose, on what basis (HLJ 35)."""
    assert actor.subject_key is not None
    return access_log(session, actor, actor.subject_key)

"""/api/catalog: the catalog, readable by all, defined by staff."""

from __future__ import annotations

from typing import Any

from xinyong.catalog.schemas import CatalogItemSpec
from xinyong.catalog.service import define_item, describe, get_item, list_items
from xinyong.common.inputs import IntRowId, Key
from xinyong.web.deps import ContextDep, Router, SessionDep, StaffDep

router = Router(prefix="/api/catalog", tags=["公共信用信息目录"])


@router.get("", summary="查看公共信用信息目录")
def catalog(session: SessionDep) -> list[dict[str, Any]]:
    return [describe(i) for i in list_items(session)]


@router.get("/{code}", summary="查看目录项")
def catalog_item(code: Key, session: SessionDep, version: IntRowId | None = None) -> dict[str, Any]:
    return describe(get_item(session, code, version))


@router.post("", summary="新增目录项或其新版本", status_code=201)
def define(
    spec: CatalogItemSpec,
    ctx: ContextDep,
    session: SessionDep,
    actor: StaffDep,
) -> dict[str, Any]:
    """Create an item or a new version of it (HLJ 18)."""
    return describe(define_item(session, ctx, actor=actor, spec=spec))

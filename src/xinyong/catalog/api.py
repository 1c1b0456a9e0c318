"""/api/catalog: the catalog, readable by all, defined by staff."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import Response

from xinyong.catalog.schemas import CatalogItemOut, CatalogItemSpec
from xinyong.catalog.service import define_item, describe, get_item, list_items
from xinyong.catalog.templates import MEDIA_TYPE, template_for
from xinyong.common.inputs import IntRowId, Key
from xinyong.web.deps import ContextDep, Router, SessionDep, StaffDep

router = Router(prefix="/api/catalog", tags=["公共信用信息目录"])


@router.get(
    "",
    summary="查看公共信用信息目录",
    response_model=list[CatalogItemOut],
    response_model_exclude_unset=True,
)
def catalog(session: SessionDep) -> list[dict[str, Any]]:
    return [describe(i) for i in list_items(session)]


@router.get(
    "/{code}",
    summary="查看目录项",
    response_model=CatalogItemOut,
    response_model_exclude_unset=True,
)
def catalog_item(code: Key, session: SessionDep, version: IntRowId | None = None) -> dict[str, Any]:
    return describe(get_item(session, code, version))


@router.post(
    "",
    summary="新增目录项或其新版本",
    status_code=201,
    response_model=CatalogItemOut,
    response_model_exclude_unset=True,
)
def define(
    spec: CatalogItemSpec,
    ctx: ContextDep,
    session: SessionDep,
    actor: StaffDep,
) -> dict[str, Any]:
    """Create an item or a new version of it (HLJ 18)."""
    return describe(define_item(session, ctx, actor=actor, spec=spec))


@router.get(
    "/items/{code}/template.xlsx",
    summary="下载目录项的Excel填报模板",
    response_class=Response,
    responses={
        200: {
            "description": "Excel（.xlsx）模板：数据表（中文表头、冻结、下拉与日期校验）和说明表",
            "content": {MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
def item_template(code: Key, session: SessionDep) -> Response:
    """The catalog is public (HLJ 18), and so is the template built from it: anyone may
    download it, logged in or not."""
    filename, body = template_for(session, code)
    return Response(
        body,
        media_type=MEDIA_TYPE,
        headers={
            "Content-Disposition": 'attachment; filename="template.xlsx"; '
            f"filename*=UTF-8''{quote(filename)}"
        },
    )

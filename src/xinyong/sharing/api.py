"""/api/subjects/{key}/records, /api/me/records, /api/me/accesses."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from pydantic import TypeAdapter

from xinyong.common.inputs import Key, Name, RecordKey
from xinyong.sharing.schemas import AccessOut, ProfileOut, RecordHistoryOut
from xinyong.sharing.service import access_log, profile, profile_async, record_history
from xinyong.visibility.engine import Viewer
from xinyong.web.deps import ContextDep, Router, SessionDep, SubjectDep, get_actor, get_context
from xinyong.web.errors import error_responses, validated

router = Router(tags=["信用信息查询"])


_KEY, _NAME = TypeAdapter(Key), TypeAdapter(Name)  # held to them by the route itself
_RECORDS_PARAMETERS = [  # documented here: the route reads them itself (see below)
    {"name": "key", "in": "path", "required": True, "schema": _KEY.json_schema()},
    {
        "name": "purpose",
        "in": "query",
        "required": False,
        "schema": _NAME.json_schema(),
        "description": "国家机关依法履职查询的用途（HLJ 44）",
    },
]


class DirectRoute(APIRoute):
    """A route whose endpoint takes the request and returns the response itself: FastAPI's
    per-request work (solving dependencies, validating, serialising; about 50 us of the 73 us a
    bare FastAPI endpoint costs in-process, by /tmp measurement, see bench/README.md) is left
    out, while routing, middleware, exception handlers and the OpenAPI entry stay FastAPI's."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        return self.endpoint


async def subject_records(request: Request) -> Response:
    """A subject's credit information as the caller may see it (agencies state a purpose)."""
    # The platform's busiest route (a DirectRoute): its parameters, context and caller are
    # read here (two plain strings), and its answer is serialised once, by orjson (a kept
    # answer's JSON is kept too: only its receipt is written anew).
    ctx = await get_context(request)
    key = validated(_KEY, request.path_params["key"], ("path", "key"))
    purpose = request.query_params.get("purpose")
    if purpose is not None:
        purpose = validated(_NAME, purpose, ("query", "purpose"))
    viewer = Viewer(actor=await get_actor(request, ctx), purpose=purpose)
    answer = await profile_async(ctx, viewer=viewer, subject_key=key)
    return Response(answer.as_json(), media_type="application/json")


router.add_api_route(
    "/api/subjects/{key}/records",
    subject_records,
    methods=["GET"],
    response_model=None,
    summary="查询信用主体的信用信息",
    description=subject_records.__doc__,
    openapi_extra={
        "parameters": _RECORDS_PARAMETERS,
        "security": [{"bearer": []}, {"apiKey": []}, {}],  # the public too
    },
    responses={
        200: {"model": ProfileOut, "description": "查询者可见的信用信息及查询回执"},
        **error_responses(401, 403, 404),
    },
    route_class_override=DirectRoute,
)


@router.get(
    "/api/me/records",
    summary="查询本人的信用信息",
    response_model=ProfileOut,
    responses=error_responses(404),
)
def my_records(
    ctx: ContextDep,
    actor: SubjectDep,
) -> dict[str, Any]:
    """Free and unlimited self-query (HLJ 24 ¶2)."""
    assert actor.subject_key is not None
    return profile(ctx, viewer=Viewer(actor=actor), subject_key=actor.subject_key).as_dict()


@router.get(
    "/api/me/accesses", summary="查看谁查询、使用了我的信息", response_model=list[AccessOut]
)
def my_accesses(
    session: SessionDep,
    actor: SubjectDep,
) -> list[dict[str, Any]]:
    """Every access to my information: who, when, for which purpose, on what basis (HLJ 35)."""
    assert actor.subject_key is not None
    return access_log(session, actor, actor.subject_key)


@router.get(
    "/api/me/records/{item_code}/{record_key}/history",
    summary="查看本人一项信息的来源和变动",
    response_model=RecordHistoryOut,
)
def my_record_history(
    item_code: Key,
    record_key: RecordKey,
    provider: Key,
    ctx: ContextDep,
    actor: SubjectDep,
) -> dict[str, Any]:
    """The source unit and every change of one item of my information (HLJ 35, HRB 35)."""
    return record_history(
        ctx, actor=actor, provider_code=provider, item_code=item_code, record_key=record_key
    )

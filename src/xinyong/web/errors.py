"""Refusals become answers with a stable code, a Chinese message and the citation: JSON
({"error": {"code", "message", "citations", "details"}}) under /api, a Chinese error page
elsewhere (the pages). Domain errors, invalid parameters (named, with the rule they broke) and
the framework's own refusals (an unparsable body, an unknown address) all take this shape.

The OpenAPI document lists, for every operation, the error codes it can answer (see
`_document_errors`).

A saturated platform answers 503 with Retry-After, never 500: a request refused for want of a
turn to write (`Busy`), a pooled connection, or a lock within the platform's bounded wait
(SQLite "database is locked", PostgreSQL's lock_timeout), or a database that cannot be reached.
Each of these ends the request's transaction by rolling it back, so nothing it tried to write
is kept: the client may retry it as it was."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import fastapi.routing
import psycopg
from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy import exc as sa
from starlette.exceptions import HTTPException as StarletteHTTPException

from xinyong.common.errors import Busy, DomainError
from xinyong.common.inputs import MULTI_LINE, ONE_LINE

T = TypeVar("T")

# ----------------------------------------------------------------------------------------------
# The shape of an error answer, and what each status means (the OpenAPI document says so).


class ErrorBody(BaseModel):
    code: str
    message: str
    citations: list[dict[str, Any]]
    details: dict[str, Any]


class ErrorOut(BaseModel):
    """Every refusal: a stable code, a Chinese message, the citations of the rule applied."""

    error: ErrorBody


ERROR_MEANINGS = {
    400: "请求体无法解析（不是有效的 JSON、表单或文件）",
    401: "未登录，或令牌、API 密钥无效或已过期",
    403: "当前账户无权执行此操作或查看此信息",
    404: "所请求的对象不存在",
    409: "与现有状态冲突（如重复提交、已处理）",
    413: "请求体超过平台限制",
    422: "请求参数有误，或被规则拒绝（说明所依据的条款）",
    429: "请求过于频繁，请稍后再试",
    503: "平台繁忙或暂不可用，请稍后再试（见 Retry-After）",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route whose answers the central rules below do not foresee (e.g. a
    404 without a path parameter, a 409)."""
    return {code: {"model": ErrorOut, "description": ERROR_MEANINGS[code]} for code in codes}


# ----------------------------------------------------------------------------------------------
# Invalid parameters, in Chinese: which field, which rule.

_PLACES = {"path": "路径参数", "query": "查询参数", "header": "请求头", "cookie": "Cookie"}
_DATE = "应为日期（YYYY-MM-DD）"
_RULES: dict[str, str] = {
    "missing": "必须填写",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "finite_number": "应为有限的数字",
    "decimal_parsing": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "string_type": "应为文字",
    "string_unicode": "应为 UTF-8 文字",
    "string_too_short": "至少{min_length}个字符",
    "string_too_long": "最长{max_length}个字符",
    "greater_than_equal": "应不小于{ge}",
    "less_than_equal": "应不大于{le}",
    "greater_than": "应大于{gt}",
    "less_than": "应小于{lt}",
    "date_parsing": _DATE,
    "date_type": _DATE,
    "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": _DATE,
    "datetime_parsing": "应为时间（ISO 8601）",
    "datetime_type": "应为时间（ISO 8601）",
    "datetime_from_date_parsing": "应为时间（ISO 8601）",
    "list_type": "应为列表",
    "tuple_type": "应为列表",
    "set_type": "应为列表",
    "dict_type": "应为 JSON 对象",
    "model_type": "应为 JSON 对象",
    "model_attributes_type": "应为 JSON 对象",
    "too_short": "至少{min_length}项",
    "too_long": "最多{max_length}项",
    "literal_error": "应为以下之一：{expected}",
    "enum": "应为以下之一：{expected}",
    "extra_forbidden": "不允许此字段",
    "json_invalid": "不是有效的 JSON",
    "json_type": "不是有效的 JSON",
    "value_error": "取值无效",
    "assertion_error": "取值无效",
    "none_required": "应为空",
    "url_parsing": "应为网址",
    "uuid_parsing": "应为 UUID",
    "bytes_type": "应为文件或字节",
    "union_tag_invalid": "类型不符",
    "union_tag_not_found": "类型不符",
}
_CONTROL_PATTERNS = {
    ONE_LINE: "不得含控制字符（如 NUL、换行）",
    MULTI_LINE: "不得含 NUL 等控制字符",
}
_MESSAGE_PROBLEMS = 5  # the message names the first few; details name them all


def _field(loc: Sequence[int | str]) -> tuple[str, str]:
    """('query', 'page') -> ('query.page', '查询参数 page'); body fields by their path."""
    dotted = ".".join(str(p) for p in loc)
    if not loc:
        return dotted, "请求"
    where, rest = str(loc[0]), list(loc[1:])
    path = ""
    for part in rest:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    if where == "body":
        return dotted, f"请求体字段 {path}" if path else "请求体"
    return dotted, f"{_PLACES.get(where, where)} {path}".strip()


def _problem(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    context = error.get("ctx") or {}
    if kind == "string_pattern_mismatch":
        pattern = str(context.get("pattern", ""))
        return _CONTROL_PATTERNS.get(pattern, f"格式应符合 {pattern}")
    template = _RULES.get(kind)
    if template is None:
        return "取值无效"
    try:
        return template.format(**{k: str(v) for k, v in context.items()})
    except (KeyError, IndexError):
        return template.split("{", 1)[0] or "取值无效"


def validation_refusal(errors: Iterable[dict[str, Any]]) -> DomainError:
    """Pydantic's errors as one DomainError: 422, `request.invalid`, each field named with the
    rule it broke. The input is not echoed (it may be 128 KB, or personal)."""
    problems = []
    for error in errors:
        dotted, label = _field(tuple(error.get("loc", ())))
        problems.append(
            {"field": dotted, "label": label, "rule": error.get("type"), "problem": _problem(error)}
        )
    shown = "；".join(f"{p['label']} {p['problem']}" for p in problems[:_MESSAGE_PROBLEMS])
    if len(problems) > _MESSAGE_PROBLEMS:
        shown += f"；等{len(problems)}处"
    return DomainError(
        code="request.invalid", message=f"请求参数有误：{shown}", details={"problems": problems}
    )


def field_problems(errors: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Pydantic's errors for a form page: the problem in Chinese by the form field's name (the
    first part of its location), to show next to that field; the first problem of each."""
    out: dict[str, str] = {}
    for error in errors:
        loc = tuple(error.get("loc", ()))
        if loc:
            out.setdefault(str(loc[0]), _problem(dict(error)))
    return out


def validated(adapter: TypeAdapter[T], value: Any, loc: tuple[str, ...]) -> T:
    """A parameter a route reads itself (the profile's DirectRoute), held to its declared type:
    the same refusal as FastAPI's validation gives (a short string costs about a microsecond)."""
    try:
        return adapter.validate_python(value)
    except ValidationError as exc:
        raise validation_refusal({**e, "loc": loc} for e in exc.errors()) from None


_HTTP_REFUSALS = {
    400: ("request.unparsable", "请求体无法解析：应为有效的 JSON、表单或文件"),
    404: ("http.not_found", "没有这个地址"),
    405: ("http.method_not_allowed", "该地址不支持此请求方法"),
    413: ("request.too_large", "请求体超过平台限制"),
    415: ("request.media_type", "不支持该请求体类型"),
}


def http_refusal(exc: StarletteHTTPException) -> DomainError:
    code, message = _HTTP_REFUSALS.get(
        exc.status_code, (f"http.{exc.status_code}", f"请求未能处理（HTTP {exc.status_code}）")
    )
    return DomainError(code=code, message=message, status=exc.status_code)


# ----------------------------------------------------------------------------------------------
# JSON under /api, a page elsewhere.

_JSON_PREFIXES = ("/api/", "/openapi.json", "/docs", "/redoc")
_PAGE_TITLES = {
    400: "请求无法解析",
    401: "请先登录",
    403: "无权访问",
    404: "未找到",
    405: "请求方法不支持",
    409: "操作冲突",
    413: "提交内容过大",
    422: "请求有误",
    429: "请求过于频繁",
    503: "平台繁忙",
}


def _is_page(request: Request) -> bool:
    return not request.url.path.startswith(_JSON_PREFIXES)


async def _answer(
    request: Request, refusal: DomainError, headers: Mapping[str, str] | None = None
) -> Response:
    if not _is_page(request):
        return JSONResponse(
            status_code=refusal.status, content={"error": refusal.as_dict()}, headers=headers
        )
    from xinyong.common.roles import ANONYMOUS
    from xinyong.web.deps import PasswordChangeRequired, get_actor

    if isinstance(refusal, PasswordChangeRequired):  # a reset password: the form, nothing else
        return RedirectResponse("/account/password", status_code=303)
    from xinyong.web.layout import templates

    ctx = request.app.state.ctx
    try:
        actor = await get_actor(request, ctx)
    except DomainError:
        actor = ANONYMOUS
    return templates.TemplateResponse(
        request,
        "error.html",
        {
            "ctx": ctx,
            "actor": actor,
            "title": _PAGE_TITLES.get(refusal.status, "请求未能处理"),
            "code": refusal.code,
            "message": refusal.message,
            "citations": [c.as_dict() for c in refusal.citations],
            "problems": refusal.details.get("problems", []),
        },
        status_code=refusal.status,
        headers=headers,
    )


#: psycopg's errors that mean "not now" rather than "wrong": a lock or statement timed out,
#: the server is shutting down or cannot be reached, too many connections.
_PG_BUSY = (
    psycopg.errors.LockNotAvailable,
    psycopg.errors.QueryCanceled,
    psycopg.errors.AdminShutdown,
    psycopg.errors.CannotConnectNow,
    psycopg.errors.TooManyConnections,
    psycopg.OperationalError,
)


def _retry_after(request: Request, refusal: DomainError) -> dict[str, str] | None:
    """Retry-After for a refusal that may be retried: the throttle's own wait (429), or the
    platform's setting when it is saturated (503)."""
    retry = refusal.details.get("retry_after_seconds")
    if isinstance(retry, int):
        return {"Retry-After": str(retry)}
    if refusal.status == 503:
        return {"Retry-After": str(request.app.state.ctx.settings.retry_after_seconds)}
    return None


def is_busy(error: BaseException) -> bool:
    """A database error that means the platform is saturated or its database unreachable."""
    if isinstance(error, sa.TimeoutError):  # no pooled connection within the wait
        return True
    if isinstance(error, sa.OperationalError | sa.InterfaceError):
        orig = error.orig
        if isinstance(orig, sqlite3.OperationalError):
            return "locked" in str(orig) or "busy" in str(orig)
        return isinstance(orig, _PG_BUSY)
    return False


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        return await _answer(request, exc, headers=_retry_after(request, exc))

    @app.exception_handler(sa.DBAPIError)
    async def database_error(request: Request, exc: sa.DBAPIError) -> Response:
        if is_busy(exc):
            busy = Busy("db.busy", "平台繁忙或数据库暂不可用，本次请求未执行，请稍后重试")
            return await _answer(request, busy, headers=_retry_after(request, busy))
        raise exc  # a programming error: the server's own 500, logged

    @app.exception_handler(sa.TimeoutError)
    async def pool_timeout(request: Request, exc: sa.TimeoutError) -> Response:
        busy = Busy("db.busy", "平台繁忙，本次请求未执行，请稍后重试")
        return await _answer(request, busy, headers=_retry_after(request, busy))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        return await _answer(request, validation_refusal(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return await _answer(request, http_refusal(exc), headers=exc.headers)

    _document_errors(app)


# ----------------------------------------------------------------------------------------------
# The OpenAPI document: which error codes each operation can answer, decided once here from the
# route itself, so that a new route is documented without anyone remembering to.
#   every operation: 422 (invalid parameters, or a rule refused it) and 503 (saturated)
#   a request body: 400 (unparsable) and 413 (too large)
#   a path parameter: 404 (no such object)
#   the caller's identity (ActorDep): 401 (a bad token); a role required (web.deps.allow): 403
# Anything else a route answers (a 404 without a path parameter, a 409) it declares itself with
# `responses=error_responses(...)`; tests/reliability/test_fuzz.py holds the document to it.


def _calls(dependant: Dependant) -> Iterable[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def _api_routes(app: FastAPI) -> Iterator[tuple[APIRoute, str]]:
    """Every API route with its full path (FastAPI 0.16x keeps included routers as branches)."""
    contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    if contexts is None:  # older FastAPI: included routes are copied into app.routes
        for route in app.routes:
            if isinstance(route, APIRoute):
                yield route, route.path_format
        return
    for context in contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and context.path_format:
            yield route, context.path_format


def _codes_of(route: APIRoute) -> set[int]:
    from xinyong.web.deps import get_actor

    codes = {422, 503}
    if route.body_field is not None:
        codes |= {400, 413}
    if route.dependant.path_params:
        codes.add(404)
    calls = list(_calls(route.dependant))
    if get_actor in calls:
        codes.add(401)
    if any(getattr(c, "__qualname__", "").startswith("allow.") for c in calls):
        codes.add(403)
    return codes


#: How a caller proves who it is (web/deps.py `_token`): "Authorize" in /docs takes either.
SECURITY_SCHEMES: dict[str, Any] = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "访问令牌：以用户名和密码调用 POST /api/auth/token 取得",
    },
    "apiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "API密钥：由管理员签发，或在 POST /api/auth/api-keys 自行签发",
    },
}


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _document_errors(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        error_schema = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(error_schema.pop("$defs", {}))
        components["ErrorOut"] = error_schema
        ref = {"$ref": "#/components/schemas/ErrorOut"}
        schema["components"]["securitySchemes"] = SECURITY_SCHEMES
        for route, path in _api_routes(app):
            codes = _codes_of(route)
            for method in route.methods or ():
                operation = schema["paths"].get(path, {}).get(method.lower())
                if operation is None:
                    continue
                if 401 in codes:  # an account may call it: "Authorize" in /docs applies
                    required = 403 in codes
                    operation["security"] = [{"bearer": []}, {"apiKey": []}] + (
                        [] if required else [{}]
                    )
                if not _chinese(operation.get("summary", "")):
                    doc = (route.endpoint.__doc__ or "").strip().split("\n")[0]
                    if _chinese(doc):
                        operation["summary"] = doc
                answers = operation.setdefault("responses", {})
                for code in sorted(codes):
                    answers[str(code)] = {
                        "description": ERROR_MEANINGS[code],
                        "content": {"application/json": {"schema": ref}},
                    }
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

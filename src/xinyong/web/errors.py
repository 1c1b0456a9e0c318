"""Domain errors become JSON answers with a stable code, a Chinese message and the citation."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from xinyong.common.errors import DomainError


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        retry = exc.details.get("retry_after_seconds")  # 429 (login throttling), 503
        headers = {"Retry-After": str(retry)} if isinstance(retry, int) else None
        return JSONResponse(
            status_code=exc.status, content={"error": exc.as_dict()}, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"field": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", "")}
            for e in exc.errors()
        ]
        return JSONResponse(
            status_code=422,
            content={
                "error": {
                    "code": "request.invalid",
                    "message": "请求参数有误：" + "；".join(p["field"] for p in problems),
                    "citations": [],
                    "details": {"problems": problems},
                }
            },
        )

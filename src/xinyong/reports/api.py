"""/api/reports: issue a report, download its PDF, verify one."""

from __future__ import annotations

import json
from typing import Any

from fastapi.responses import Response

from xinyong.common.inputs import Key
from xinyong.reports import pdf, service
from xinyong.reports.schemas import (
    PDF_RESPONSES,
    IssuedReportOut,
    ReportIn,
    VerifyIn,
    VerifyOut,
)
from xinyong.visibility.engine import Viewer
from xinyong.web.deps import ActorDep, ContextDep, Router
from xinyong.web.errors import error_responses

router = Router(tags=["信用报告"])


@router.post(
    "/api/reports", summary="出具信用报告", status_code=201, responses=error_responses(403, 404)
)
def issue(body: ReportIn, ctx: ContextDep, actor: ActorDep) -> IssuedReportOut:
    """A report of what the caller may see now; keep the number and code to verify it later."""
    report = service.generate(
        ctx, viewer=Viewer(actor=actor, purpose=body.purpose), subject_key=body.subject_key
    )
    return IssuedReportOut(
        number=report.number,
        verification_code=report.code,
        digest=report.digest,
        pdf=f"/api/reports/{report.number}/pdf?code={report.code}",
        content=report.content,
    )


@router.get(
    "/api/reports/{number}/pdf",
    summary="下载信用报告（PDF）",
    response_class=Response,
    responses=PDF_RESPONSES,
)
def report_pdf(number: Key, code: Key, ctx: ContextDep) -> Response:
    row = service.load(ctx, number, code)
    body = pdf.render(json.loads(row.content_json), row.number, code.strip().upper(), row.digest)
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{row.number}.pdf"'},
    )


@router.get(
    "/api/reports/verify",
    summary="核验信用报告（编号和验证码）",
    response_model=VerifyOut,
    response_model_exclude_unset=True,
)
def verify_get(number: Key, code: Key, ctx: ContextDep) -> dict[str, Any]:
    return service.verify(ctx, number, code)


@router.post(
    "/api/reports/verify",
    summary="核验信用报告及其内容",
    response_model=VerifyOut,
    response_model_exclude_unset=True,
)
def verify_post(body: VerifyIn, ctx: ContextDep) -> dict[str, Any]:
    """With the report's content: whether it is exactly what was issued."""
    return service.verify(ctx, body.number, body.code, body.content)

"""/api/audit/verify: the hash chain and the signed tree heads checked, for staff."""

from __future__ import annotations

from xinyong.audit.schemas import AuditVerifyOut
from xinyong.web.deps import ContextDep, Router, StaffDep

router = Router(tags=["审计"])


@router.get("/api/audit/verify", summary="核验审计日志的完整性")
def audit_verify(
    ctx: ContextDep,
    actor: StaffDep,
    full: bool = False,
) -> AuditVerifyOut:
    with ctx.sessions() as session:
        result = ctx.audit.verify(session, full=full)
    return AuditVerifyOut(
        ok=result.ok,
        checked=result.checked,
        last_id=result.last_id,
        bad_id=result.bad_id,
        problem=result.problem,
        message=result.message,
    )

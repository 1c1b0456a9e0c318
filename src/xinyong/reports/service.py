"""Building, storing and verifying reports. The content comes only from the visibility engine
(`sharing.service.profile`), so a report never holds more than its requester may see."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from xinyong.audit.tags import AuditTag
from xinyong.common.errors import DomainError, Forbidden, NotFound
from xinyong.common.roles import Role
from xinyong.context import Context
from xinyong.reports.models import CreditReport
from xinyong.sharing.service import profile
from xinyong.visibility.engine import RecordView, Viewer

#: Sections of a legal person's report, as national practice lays them out.
SECTIONS = (
    ("basic", "基本信息"),
    ("administrative", "行政管理信息"),
    ("serious_dishonesty", "严重失信主体名单"),
    ("commitment", "信用承诺"),
    ("judicial", "司法判决"),
    ("good", "诚实守信"),
    ("abnormal_operation", "经营异常"),
    ("evaluation", "信用评价"),
    ("other", "其他"),
)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def section_of(view: RecordView) -> str:
    if view.severity == "serious":
        return "serious_dishonesty"
    if view.category == "registration":
        return "basic"
    if view.category == "administrative":
        return "administrative"
    if view.category in ("commitment", "judicial"):
        return view.category
    if view.nature == "good":
        return "good"
    return "other"


def canonical(content: dict[str, Any]) -> str:
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def digest_of(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(content).encode("utf-8")).hexdigest()


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IssuedReport:
    number: str
    code: str  # shown once, printed on the report
    digest: str
    content: dict[str, Any]


def generate(ctx: Context, *, viewer: Viewer, subject_key: str) -> IssuedReport:
    actor = viewer.actor
    key = subject_key.strip().upper()
    result = profile(ctx, viewer=viewer, subject_key=key)  # audited, through the engine
    if result.subject["kind"] == "natural_person" and not (
        (actor.role is Role.SUBJECT and actor.subject_key == key)
        or actor.role in (Role.STAFF, Role.ADMIN)
    ):
        raise Forbidden("reports.natural_person", "自然人的信用报告只向本人提供")
    sections: dict[str, list[dict[str, Any]]] = {code: [] for code, _ in SECTIONS}
    for view in result.records:
        sections[section_of(view)].append(view.as_dict())
    unverified = sorted({r["item"] for rs in sections.values() for r in rs if r["unverified"]})
    now = ctx.clock.now()
    content: dict[str, Any] = {
        "title": "公共信用信息报告",
        "platform": ctx.platform.name,
        "subject": result.subject,
        "requested_by": actor.label,
        "purpose": viewer.purpose,
        "generated_at": now.isoformat(),
        "as_of": ctx.today().isoformat(),
        "sections": [
            {"code": code, "name": name, "records": sections[code]} for code, name in SECTIONS
        ],
        "notes": (
            [f"目录项{'、'.join(unverified)}的部分出处（国家规定条款或国家标准字段）未经核实"]
            if unverified
            else []
        ),
    }
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    digest = digest_of(content)
    with ctx.sessions() as session, session.begin():
        row = CreditReport(
            number=f"pending-{secrets.token_hex(8)}",  # unique until the id gives the number
            subject_key=key,
            requested_by=actor.username or actor.role.value,
            requester_role=actor.role.value,
            purpose=viewer.purpose,
            generated_at=now,
            as_of=ctx.today(),
            content_json=canonical(content),
            digest=digest,
            code_hash=_code_hash(code),
        )
        session.add(row)
        session.flush()
        row.number = f"XY{ctx.today():%Y%m%d}{row.id:08d}"
        ctx.log(
            session,
            actor=actor,
            action=AuditTag.REPORTS_REPORT_GENERATE,
            object_type="credit_report",
            object_id=row.number,
            subject_key=key,
            purpose=viewer.purpose,
            detail={"digest": digest},
        )
        number = row.number
    return IssuedReport(number=number, code=code, digest=digest, content=content)


def load(ctx: Context, number: str, code: str) -> CreditReport:
    """The stored report, if number and code match; the code is never stored in clear."""
    with ctx.sessions() as session:
        row = session.scalar(
            select(CreditReport).where(CreditReport.number == number.strip().upper())
        )
    if row is None or not hmac.compare_digest(row.code_hash, _code_hash(code)):
        raise NotFound("reports.not_found", "报告编号或验证码不正确")
    return row


def verify(
    ctx: Context, number: str, code: str, content: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Authenticity by number and code; with `content`, also whether it is the content issued."""
    try:
        row = load(ctx, number, code)
    except DomainError:
        return {"authentic": False, "message": "未找到与该编号和验证码相符的报告，报告可能系伪造"}
    answer: dict[str, Any] = {
        "authentic": True,
        "number": row.number,
        "generated_at": row.generated_at.isoformat(),
        "as_of": row.as_of.isoformat(),
        "digest": row.digest,
        "subject": json.loads(row.content_json)["subject"]["name"],
    }
    if content is not None:
        same = hmac.compare_digest(digest_of(content), row.digest)
        answer["content_matches"] = same
        answer["message"] = "报告内容与签发时一致" if same else "报告内容已被改动"
    return answer

"""Building, storing and verifying reports. The content comes only from the visibility engine
(`sharing.service.profile`), so a report never holds more than its requester may see."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from xinyong.audit.tags import AuditTag
from xinyong.commitments.filing import records_of_subject
from xinyong.common.clock import PLATFORM_TZ
from xinyong.common.errors import DomainError, Forbidden, NotFound
from xinyong.common.roles import Actor, Role
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


def beijing_time(moment: dt.datetime) -> str:
    """A moment as a reader reads it: Beijing time, to the second (2026-11-23 10:00:00)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(PLATFORM_TZ).strftime("%Y-%m-%d %H:%M:%S")


def ordered_fields(record: dict[str, Any]) -> list[tuple[str, Any]]:
    """A stored record's fields in the catalog's order (the stored JSON sorts its keys; the
    order is kept beside them as `field_order`; older reports fall back to the stored order)."""
    fields: dict[str, Any] = record.get("fields") or {}
    order = [n for n in record.get("field_order") or [] if n in fields]
    order += [n for n in fields if n not in order]
    return [(n, fields[n]) for n in order]


def unverified_notice(item_names: list[str]) -> str:
    """The notice for catalog items whose legal sources are not yet confirmed, for a reader."""
    return (
        f"{'、'.join(item_names)}所依据的部分国家规定条款或国家标准字段尚待本平台核实；"
        "所列内容以信息提供单位报送的为准，如有疑问可以向本平台提出异议。"
    )


def canonical(content: dict[str, Any]) -> str:
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def digest_of(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(content).encode("utf-8")).hexdigest()


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode("utf-8")).hexdigest()


def _derived_code(ctx: Context, number: str) -> str:
    """A report's verification code, derived from its number under the platform's secret key
    (so it is never stored, yet its subject can be shown it again); 32 letters, so each byte's
    remainder is uniform."""
    key = f"report-code:{ctx.settings.resolved_secret_key()}".encode()
    mac = hmac.new(key, number.encode("utf-8"), hashlib.sha256).digest()
    return "".join(CODE_ALPHABET[b % len(CODE_ALPHABET)] for b in mac[:8])


def own_code(ctx: Context, row: CreditReport) -> str | None:
    """The verification code of a report, to be shown again to its own subject only; None for a
    report whose code was drawn at random (issued before codes were derived) or under another
    secret key: that code was shown once and cannot be recovered."""
    code = _derived_code(ctx, row.number)
    return code if hmac.compare_digest(row.code_hash, _code_hash(code)) else None


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
        shown = view.as_dict()
        shown["field_order"] = list(view.fields)  # the catalog's order (the JSON sorts keys)
        sections[section_of(view)].append(shown)
    with ctx.sessions() as session:  # the commitments published or the subject's own (HLJ 50)
        sections["commitment"] += records_of_subject(ctx, session, key, actor)
    unverified = sorted({r["item_name"] for rs in sections.values() for r in rs if r["unverified"]})
    now = ctx.clock.now()
    content: dict[str, Any] = {
        "title": "公共信用信息报告",
        "platform": ctx.platform.name,
        "subject": result.subject,
        "requested_by": actor.label,
        "purpose": viewer.purpose,
        "generated_at": beijing_time(now),
        "as_of": ctx.today().isoformat(),
        "sections": [
            {"code": code, "name": name, "records": sections[code]} for code, name in SECTIONS
        ],
        "notes": [unverified_notice(unverified)] if unverified else [],
    }
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
            code_hash="",  # set with the number, from which the code is derived
        )
        session.add(row)
        session.flush()
        row.number = f"XY{ctx.today():%Y%m%d}{row.id:08d}"
        code = _derived_code(ctx, row.number)
        row.code_hash = _code_hash(code)
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
        "generated_at": beijing_time(row.generated_at),
        "as_of": row.as_of.isoformat(),
        "digest": row.digest,
        "subject": json.loads(row.content_json)["subject"]["name"],
    }
    if content is not None:
        same = hmac.compare_digest(digest_of(content), row.digest)
        answer["content_matches"] = same
        answer["message"] = "报告内容与签发时一致" if same else "报告内容已被改动"
    return answer


def issued_to(ctx: Context, actor: Actor) -> list[dict[str, Any]]:
    """The reports `actor` asked for about itself, newest first ("my reports")."""
    if actor.role is not Role.SUBJECT or not actor.subject_key or not actor.username:
        return []
    with ctx.sessions() as session:
        rows = session.scalars(
            select(CreditReport)
            .where(
                CreditReport.subject_key == actor.subject_key,
                CreditReport.requested_by == actor.username,
            )
            .order_by(CreditReport.id.desc())
            .limit(200)
        )
        return [
            {
                "number": r.number,
                "generated_at": beijing_time(r.generated_at),
                "as_of": r.as_of.isoformat(),
                "digest": r.digest,
            }
            for r in rows
        ]


def own_report(ctx: Context, actor: Actor, number: str) -> CreditReport:
    """One of the reports `actor` asked for about itself, by number (no code needed)."""
    with ctx.sessions() as session:
        row = session.scalar(
            select(CreditReport).where(CreditReport.number == number.strip().upper())
        )
    if (
        row is None
        or actor.role is not Role.SUBJECT
        or row.subject_key != actor.subject_key
        or row.requested_by != actor.username
    ):
        raise NotFound("reports.not_found", "未找到该报告")
    return row

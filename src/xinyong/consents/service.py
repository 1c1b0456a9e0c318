"""Recording a natural person's consent (HLJ 20), which ingestion checks before it accepts
non-public information or restricted classes about that person."""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from xinyong.audit.tags import AuditTag
from xinyong.common.errors import DomainError, Forbidden
from xinyong.common.identifiers import check_citizen_id
from xinyong.common.roles import Actor, Role
from xinyong.consents.models import Consent
from xinyong.consents.schemas import ConsentIn
from xinyong.context import Context


def record_consent(session: Session, ctx: Context, *, actor: Actor, body: ConsentIn) -> Consent:
    if actor.role not in (Role.PROVIDER, Role.STAFF, Role.ADMIN):
        raise Forbidden("consents.role", "只有信息提供单位或工作人员可以登记同意记录")
    on = ctx.today()
    consent_rule = ctx.rules.get("collection.consent_elements", on)
    restricted = ctx.rules.get("collection.restricted_personal_fields", on)
    if not body.informed:
        raise DomainError(
            code="consents.not_informed",
            message="须先告知采集信息的目的、内容、方式、用途以及享有的权利和承担的义务",
            citations=list(consent_rule.citations),
        )
    unknown = set(body.classes) - {e["code"] for e in restricted.value}
    if unknown:
        raise DomainError(
            code="consents.unknown_class",
            message="信息类别应为：" + "、".join(str(e["name"]) for e in restricted.value),
        )
    if body.classes and not (body.written and body.adverse_consequences_told):
        raise DomainError(
            code="consents.restricted_needs_written",
            message="采集收入、存款、有价证券、商业保险、不动产、纳税数额信息须告知不利后果并取得书面同意",
            citations=list(restricted.citations),
        )
    if body.valid_until is not None and body.valid_until < body.valid_from:
        raise DomainError(code="consents.dates", message="同意的截止日期早于起始日期")
    if ":" not in body.subject_key:
        check_citizen_id(body.subject_key, on).raise_if_invalid()
    row = Consent(
        subject_key=body.subject_key.strip().upper(),
        item_code=body.item_code,
        classes_json=json.dumps(sorted(body.classes)),
        purpose=body.purpose,
        informed=body.informed,
        written=body.written,
        adverse_consequences_told=body.adverse_consequences_told,
        document=body.document,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
        recorded_by=actor.username or actor.role.value,
        recorded_at=ctx.clock.now(),
    )
    session.add(row)
    session.flush()
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.CONSENTS_CONSENT_RECORD,
        object_type="consent",
        object_id=row.id,
        subject_key=row.subject_key,
        legal_basis="；".join(c.label() for c in consent_rule.citations),
        detail={"item": body.item_code, "classes": sorted(body.classes), "purpose": body.purpose},
    )
    return row

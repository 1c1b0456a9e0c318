"""Reading a subject's credit information: the only path to it, through the visibility engine,
with every read audited (who, for which purpose, on what basis, which personal fields were shown),
and the subject's view of those reads (the right to know, HLJ 35, HRB 35)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.audit.models import AuditEvent
from xinyong.authorisations.service import hides_good_information, valid_grants
from xinyong.catalog.models import CatalogItem
from xinyong.catalog.schemas import CatalogItemSpec
from xinyong.catalog.service import spec_of
from xinyong.common.errors import DomainError, Forbidden, NotFound
from xinyong.common.roles import Actor, Role
from xinyong.context import Context
from xinyong.records.models import CreditRecord
from xinyong.sharing.masking import mask_id_number, mask_name
from xinyong.sharing.visibility import RecordView, Viewer, view_record
from xinyong.subjects.models import Subject

TRUSTED = (Role.STAFF, Role.ADMIN, Role.AGENCY, Role.PROVIDER)


@dataclass
class Profile:
    subject: dict[str, Any]
    records: list[RecordView] = field(default_factory=list)
    audit_id: int | None = None  # the audit entry of this read: the requester's receipt

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "records": [r.as_dict() for r in self.records],
            "audit_receipt": self.audit_id,
        }


#: A catalog item version never changes within a database, so its parsed spec is kept once
#: loaded, per database. (Tests that truncate tables call `clear_caches`.)
_SPECS: dict[tuple[str, str, int], CatalogItemSpec] = {}


def clear_caches() -> None:
    _SPECS.clear()


def _specs(session: Session, pairs: set[tuple[str, int]]) -> dict[tuple[str, int], CatalogItemSpec]:
    database = str(session.get_bind().engine.url)
    missing = {pair for pair in pairs if (database, *pair) not in _SPECS}
    if missing:
        codes = {code for code, _ in missing}
        for item in session.scalars(select(CatalogItem).where(CatalogItem.code.in_(codes))):
            _SPECS[(database, item.code, item.version)] = spec_of(item)
    return {pair: _SPECS[(database, *pair)] for pair in pairs if (database, *pair) in _SPECS}


def _check_viewer(ctx: Context, viewer: Viewer, subject: Subject) -> None:
    actor = viewer.actor
    own = actor.role is Role.SUBJECT and actor.subject_key == subject.subject_key
    authorised = bool(viewer.grants)
    if actor.role is Role.AGENCY:
        scenarios = ctx.rules.get("query.mandatory_scenarios", ctx.today())
        if viewer.purpose not in {e["code"] for e in scenarios.value}:
            raise DomainError(
                code="sharing.purpose_required",
                message="国家机关查询须说明依法履职的用途："
                + "、".join(e["code"] for e in scenarios.value),
                citations=list(scenarios.citations),
            )
    if (
        subject.kind == "natural_person"
        and not own
        and not authorised
        and actor.role not in TRUSTED
    ):
        rule = ctx.rules.get("opening.never_open_personal_fields", ctx.today())
        raise Forbidden(
            "sharing.natural_person",
            "自然人的信用信息不向社会公开查询；本人可免费查询，他人须经本人授权",
            list(rule.citations),
        )


def profile(ctx: Context, *, viewer: Viewer, subject_key: str) -> Profile:
    """A subject's current credit information as `viewer` may see it, as of today; audited."""
    today = ctx.today()
    key = subject_key.strip().upper()
    with ctx.sessions() as session, session.begin():
        subject = session.scalar(select(Subject).where(Subject.subject_key == key))
        if subject is None:
            raise NotFound("sharing.unknown_subject", "未找到该信用主体", subject=key)
        viewer = replace(
            viewer,
            grants=valid_grants(session, viewer.actor.username, key, today),
            subject_hides_good=hides_good_information(session, key),
        )
        _check_viewer(ctx, viewer, subject)
        records = list(
            session.scalars(
                select(CreditRecord)
                .where(CreditRecord.subject_key == key, CreditRecord.is_current.is_(True))
                .order_by(CreditRecord.decided_on.desc(), CreditRecord.id)
            )
        )
        specs = _specs(session, {(r.item_code, r.item_version) for r in records})
        views = []
        for record in records:
            spec = specs.get((record.item_code, record.item_version))
            if spec is None:  # legacy demo rows without a catalog item are shown to no one
                continue
            view = view_record(viewer, record, spec, ctx.rules, today)
            if view is not None:
                views.append(view)
        if views:
            from xinyong.cases.service import open_objection_records

            under_objection = open_objection_records(session, key)
            for view in views:
                if view.record_id in under_objection:
                    view.marks.append("异议处理中")  # HLJ 39 ¶2, wherever the record is shown
        actor = viewer.actor
        trusted = actor.role in TRUSTED or (actor.role is Role.SUBJECT and actor.subject_key == key)
        natural = subject.kind == "natural_person"
        header = {
            "subject_key": mask_id_number(key) if natural and not trusted else key,
            "name": mask_name(subject.name) if natural and not trusted else subject.name,
            "kind": subject.kind,
            "region": subject.region_code,
            "as_of": today.isoformat(),
        }
        personal = sorted({f"{v.item_code}:{n}" for v in views for n in v.personal_shown})
        basis = sorted(
            {label for v in views for label in (c.label() for c in v.decision.citations)}
        )
        event = ctx.log(
            session,
            actor=actor,
            action="sharing:profile:read",
            object_type="subject",
            object_id=key,
            subject_key=key,
            purpose=viewer.purpose,
            legal_basis="；".join(basis)[:400] or None,
            personal_read=bool(personal) or natural,
            detail={
                "authorisations": [g.id for g in viewer.grants],
                "records_shown": [f"{v.item_code}/{v.record_key}" for v in views][:200],
                "personal_fields_shown": personal,
            },
        )
        return Profile(subject=header, records=views, audit_id=event.id)


def access_log(
    session: Session, actor: Actor, subject_key: str, limit: int = 200
) -> list[dict[str, Any]]:
    """Who read, shared or changed the subject's information, when, why and on what basis."""
    if not (actor.role is Role.SUBJECT and actor.subject_key == subject_key) and actor.role not in (
        Role.STAFF,
        Role.ADMIN,
    ):
        raise Forbidden("sharing.access_log", "只有信用主体本人和工作人员可以查看访问记录")
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.subject_key == subject_key)
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    from xinyong.lists.check import checks_of_subject

    log = [
        {
            "at": e.occurred_at.isoformat(),
            "action": e.action,
            "who": e.actor_username or e.actor_role,
            "role": e.actor_role,
            "purpose": e.purpose,
            "legal_basis": e.legal_basis,
            "detail": json.loads(e.detail_json),
        }
        for e in events
    ]
    # Joint checks are stored per subject (one audit entry covers a batch of thousands).
    log += checks_of_subject(session, subject_key, limit)
    return sorted(log, key=lambda entry: entry["at"], reverse=True)[:limit]

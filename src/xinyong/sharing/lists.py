"""The 双公示 publicity lists (行政许可, 行政处罚): recent records of one item as the public may see
them, filtered by name and date. Each record still goes through the visibility engine.

A filter may only match what its viewer may see. The name filter matches the names of
organisations (法人、非法人组织、个体工商户: public by law, shown in full) and their codes, never a
record's raw payload: a natural person appears on these lists desensitised and cannot be found by
name or ID number here (HLJ 23 ¶4). The filter's `%` and `_` are matched as themselves. Every
list read that shows a subject's personal information (a person's desensitised name and ID, an
organisation's desensitised legal representative) is audited under that subject, so it appears
in the subject's access log (HLJ 35)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from xinyong.audit.tags import AuditTag
from xinyong.catalog.service import get_item, spec_of
from xinyong.common.identifiers import check_identifier
from xinyong.common.roles import ANONYMOUS, Actor
from xinyong.context import Context
from xinyong.providers.service import unit_names
from xinyong.records import store
from xinyong.subjects.models import Subject
from xinyong.visibility.engine import RecordView, Viewer, view_record
from xinyong.visibility.masking import mask_name

PUBLICITY_LISTS = {
    "licences": ("HLJ-XK-001", "行政许可公示"),
    "penalties": ("HLJ-CF-001", "行政处罚公示"),
}
PAGE = 20


def escape_like(text: str) -> str:
    """`text` as a LIKE pattern that matches only itself (with ESCAPE '\\')."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def publicity_list(
    session: Session,
    ctx: Context,
    item_code: str,
    *,
    actor: Actor = ANONYMOUS,
    name: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    page: int = 1,
) -> dict[str, Any]:
    """One page of the list as the public sees it (whoever `actor` is: these are the public's
    lists), its read audited as `actor`'s (committed before this returns): `rows`, each with
    the subject's name (an organisation's in full with its page, a natural person's masked)
    and the deciding unit's name, and `total`, how many records match."""
    item = get_item(session, item_code)
    spec = spec_of(item)
    today = ctx.today()
    organisations: Select[str] | None = None
    wanted = (name or "").strip()
    if wanted:
        code = check_identifier(wanted, today)
        if code.valid and code.kind == "uscc":  # an organisation's code: public by law
            organisations = select(Subject.subject_key).where(
                Subject.subject_key == code.value, Subject.kind != "natural_person"
            )
        else:  # an organisation's name, never a person's, never the raw payload
            organisations = select(Subject.subject_key).where(
                Subject.kind != "natural_person",
                Subject.name.like(f"%{escape_like(wanted)}%", escape="\\"),
            )
    viewer = Viewer(actor=ANONYMOUS)
    shown: list[tuple[str, RecordView]] = []
    rows = store.public_rows(
        session,
        item_code,
        since=since,
        until=until,
        subject_keys=organisations,
        offset=(max(page, 1) - 1) * PAGE,
        limit=PAGE * 3,
    )
    for record in rows:
        view = view_record(viewer, record, spec, ctx.rules, today)
        if view is not None:
            shown.append((record.subject_key, view))
        if len(shown) == PAGE:
            break
    _audit(ctx, actor, item_code, spec.roles.subject_name, shown)
    total = store.count_public_rows(
        session, item_code, since=since, until=until, subject_keys=organisations
    )
    return {"rows": _named(session, shown, spec.roles.subject_name), "total": total}


def _named(
    session: Session, shown: list[tuple[str, RecordView]], name_field: str
) -> list[dict[str, Any]]:
    keys = {key for key, _ in shown}
    subjects = {
        row.subject_key: row
        for row in session.execute(
            select(Subject.subject_key, Subject.name, Subject.kind).where(
                Subject.subject_key.in_(keys)
            )
        )
    }
    units = unit_names(session, {v.provider_code for _, v in shown})
    out = []
    for key, view in shown:
        row = view.as_dict()
        subject = subjects.get(key)
        natural = (
            subject.kind == "natural_person" if subject else len(key) == 18 and key[:17].isdigit()
        )
        name = str(row["fields"].get(name_field) or (subject.name if subject else "") or "")
        if natural:  # a person: the masked name only, never the ID number, no page address
            row["subject_name"] = mask_name(subject.name) if subject else (name or "自然人")
            row["subject_page"] = None
        else:
            row["subject_name"] = (subject.name if subject else name) or key
            row["subject_page"] = f"/subjects/{key}"
        row["unit"] = str(units.get(view.provider_code) or view.provider_code)
        out.append(row)
    return out


def _audit(
    ctx: Context, actor: Actor, item_code: str, name_field: str, shown: list[tuple[str, RecordView]]
) -> None:
    """One read entry per subject whose personal information this page showed."""
    by_subject: dict[str, list[RecordView]] = defaultdict(list)
    for key, view in shown:
        if view.personal_shown:
            by_subject[key].append(view)
    entries = [
        ctx.read_entry(
            actor=actor,
            action=AuditTag.SHARING_PUBLICITY_READ,
            object_type="subject",
            object_id=key,
            subject_key=key,
            legal_basis="；".join(sorted({c.label() for v in views for c in v.decision.citations}))[
                :400
            ]
            or None,
            personal_read=True,
            detail={
                "list": item_code,
                "natural_person": any(name_field in v.personal for v in views),
                "records_shown": [f"{v.item_code}/{v.record_key}" for v in views],
                "personal_fields_shown": sorted(
                    {f"{v.item_code}:{n}" for v in views for n in v.personal_shown}
                ),
            },
        )
        for key, views in by_subject.items()
    ]
    ctx.reads.write_all(entries)  # the page leaves only once its reads are on the log

"""Reading a subject's credit information: the only path to it, through the visibility engine,
with every read audited (who, for which purpose, on what basis, which personal fields were shown),
and the subject's view of those reads (the right to know, HLJ 35, HRB 35)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from functools import partial
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from xinyong.audit.labels import action_label, role_label
from xinyong.audit.models import AuditEvent
from xinyong.audit.tags import AuditTag
from xinyong.catalog.schemas import CatalogItemSpec
from xinyong.common.clock import PLATFORM_TZ
from xinyong.common.errors import DomainError, Forbidden, NotFound
from xinyong.common.identifiers import check_identifier
from xinyong.common.roles import ANONYMOUS, Actor, Role
from xinyong.context import Context
from xinyong.db import transaction
from xinyong.exchange.models import OutboxItem, Peer
from xinyong.fastpath import held_connection
from xinyong.providers.models import ProviderUnit
from xinyong.records.models import CHANGE_LABELS, STATE_LABELS, CreditRecord
from xinyong.records.service import versions_of
from xinyong.sharing.reads import (
    ProfileRows,
    PublicViews,
    item_specs,
    profile_rows,
    profile_rows_async,
    public_answers,
    public_views,
)
from xinyong.sharing.schemas import Profile
from xinyong.visibility.engine import (
    Level,
    RecordView,
    Viewer,
    shown_identity,
    view_record,
)

_PUBLIC = Viewer(actor=ANONYMOUS)  # anonymous: no identity, purpose or authorisation


def _person_refused(ctx: Context) -> Forbidden:
    """The one answer to a viewer who may not read a natural person, whether or not the
    platform holds anything about that person: no status, code or wording tells them apart."""
    rule = ctx.rules.get("opening.never_open_personal_fields", ctx.today())
    return Forbidden(
        "sharing.natural_person",
        "自然人的信用信息不向社会公开查询，也不告知平台是否存有某人的信息；"
        "本人可免费查询，他人须经本人授权",
        list(rule.citations),
    )


def _may_read_persons(viewer: Viewer, key: str) -> bool:
    """Whether a viewer may learn, by asking, whether the platform holds a natural person
    under `key`: the person, staff and agencies (which are told "unknown" plainly)."""
    actor = viewer.actor
    own = actor.role is Role.SUBJECT and actor.subject_key == key
    return own or actor.role in (Role.STAFF, Role.ADMIN, Role.AGENCY)


def _check_viewer(
    ctx: Context, viewer: Viewer, subject_key: str, kind: str, provided: bool = False
) -> None:
    """`provided`: the viewer is a provider unit that provided one of the subject's records."""
    actor = viewer.actor
    authorised = bool(viewer.grants)
    if actor.role is Role.AGENCY:
        scenarios = ctx.rules.get("query.mandatory_scenarios", ctx.today())
        if viewer.purpose not in {e["code"] for e in scenarios.value}:
            raise DomainError(
                code="sharing.purpose_required",
                message="国家机关查询须说明依法履职的用途："
                + "、".join(str(e["name"]) for e in scenarios.value),
                details={"purposes": [e["code"] for e in scenarios.value]},
                citations=list(scenarios.citations),
            )
    # a provider unit reads a person only if it provided information about them itself
    entitled = _may_read_persons(viewer, subject_key) or (actor.role is Role.PROVIDER and provided)
    if kind == "natural_person" and not authorised and not entitled:
        raise _person_refused(ctx)


def profile(ctx: Context, *, viewer: Viewer, subject_key: str) -> Profile:
    """A subject's current credit information as `viewer` may see it, as of today; audited
    (the entry is committed before this returns)."""
    answer, entry = prepare_profile(ctx, viewer=viewer, subject_key=subject_key)
    answer.audit_id = ctx.reads.write(entry)
    return answer


async def profile_async(ctx: Context, *, viewer: Viewer, subject_key: str) -> Profile:
    """`profile` for async endpoints. On embedded SQLite the reads are in-process calls of well
    under a millisecond and run on the event loop (a thread hop would cost more than they do),
    on the loop thread's held connection, and the public's answers are served again while
    nothing has changed (sharing.reads.PublicAnswers). On a database server the rows are read
    on the loop's own connections (sharing.reads.profile_rows_async). Either way the audit
    entry is awaited, not blocked on, so the loop serves other requests while the group commit
    carries it; and either way the public's record views are reused by row."""
    key = subject_key.strip().upper()
    if ctx.engine.dialect.name == "sqlite":
        with held_connection(ctx.engine) as conn:
            kept = public_answers(ctx, conn) if viewer == _PUBLIC else None
            hit = kept.get(key, ctx.clock.now()) if kept is not None else None
            if hit is None:
                rows = profile_rows(ctx, key, viewer.actor.username, connection=conn)
                hit = _answer(ctx, viewer, key, rows, public_views(ctx))
                if kept is not None:
                    kept.keep(key, *hit)
        answer, entry = hit
        answer.audit_id = await ctx.reads.write_on_loop(entry)
    else:  # on the loop's own connection: no worker thread for the common case
        rows = await profile_rows_async(ctx, key, viewer.actor.username)
        answer, entry = _answer(ctx, viewer, key, rows, public_views(ctx))
        answer.audit_id = await ctx.reads.write_async(entry)
    return answer


def prepare_profile(
    ctx: Context, *, viewer: Viewer, subject_key: str, connection: Connection | None = None
) -> tuple[Profile, dict[str, Any]]:
    """The answer and its audit entry, not yet written, from rows read on `connection` (or one
    of the engine's own). The answer may leave only once the entry is committed: use `profile`
    or `profile_async`."""
    key = subject_key.strip().upper()
    rows = profile_rows(ctx, key, viewer.actor.username, connection=connection)
    return _answer(ctx, viewer, key, rows)


def _subject_of(ctx: Context, rows: ProfileRows, key: str, viewer: Viewer) -> Any:
    """The subject's row, or the refusal: a key that is not an organisation's code (a
    USCC) is answered, to a viewer who may not read natural persons, exactly as a person on
    file that it may not read is (no existence oracle); to others, "unknown"."""
    if rows.subject is None:
        check = check_identifier(key, ctx.today())
        if not (check.valid and check.kind == "uscc") and not _may_read_persons(viewer, key):
            raise _person_refused(ctx)
        raise NotFound("sharing.unknown_subject", "未找到该信用主体", subject=key)
    return rows.subject


def _provided(viewer: Viewer, records: list[Any]) -> bool:
    """The viewer is a provider unit that provided one of these (current) records."""
    code = viewer.actor.provider_code
    return viewer.actor.role is Role.PROVIDER and any(r.provider_code == code for r in records)


def _viewer_of(ctx: Context, viewer: Viewer, key: str, subject: Any, rows: ProfileRows) -> Viewer:
    """The viewer with its valid grants for `key` (only an account can hold any) and the
    subject's publicity preference, checked against who may see this kind of subject."""
    viewer = replace(
        viewer, grants=rows.grants, subject_hides_good=bool(subject.hide_good_information)
    )
    _check_viewer(ctx, viewer, key, subject.subject_kind, _provided(viewer, rows.records))
    return viewer


def _answer(
    ctx: Context,
    viewer: Viewer,
    key: str,
    rows: ProfileRows,
    memo: PublicViews | None = None,
) -> tuple[Profile, dict[str, Any]]:
    """The answer and its audit entry from the rows read: the visibility engine's part, the
    same whichever way the rows were read. With `memo` (the JSON route, an anonymous viewer)
    the public's views are reused by row."""
    subject = _subject_of(ctx, rows, key, viewer)
    viewer = _viewer_of(ctx, viewer, key, subject, rows)
    records, today = rows.records, rows.today
    if memo is not None and (viewer.actor.role is not Role.PUBLIC or viewer.grants):
        memo = None  # only the public's views depend on nothing but the row
    by_rows: tuple[Any, ...] = ()
    if memo is not None:  # every row read: the subject's too, and its preference, in each
        read = tuple(records) or (subject,)
        by_rows = (ctx.settings.platform, key, today, viewer.subject_hides_good, read)
        if (kept_answer := memo.answer(by_rows, ctx.clock.now())) is not None:
            return kept_answer
    views: list[RecordView] = []
    rendered: list[dict[str, Any]] = []
    for record in records:
        spec = rows.specs.get((record.item_code, record.item_version))
        if spec is None:  # legacy demo rows without a catalog item are shown to no one
            continue
        if memo is None:
            view = _view(ctx, viewer, record, spec, today)
            if view is not None:
                views.append(view)
            continue
        by_row = (ctx.settings.platform, record, viewer.subject_hides_good, today)
        kept = memo.view(by_row, partial(_view, ctx, viewer, record, spec, today))
        if kept is not None:
            views.append(kept[0])
            rendered.append(kept[1])
    actor = viewer.actor
    natural = subject.subject_kind == "natural_person"
    name = subject.subject_name
    # the header goes through the engine too: a provider unit sees a person's identity in full
    # only if it provided information about them (HLJ 23 ¶4)
    identity = (
        shown_identity(actor, key, name, provided=_provided(viewer, records))
        if natural
        else {"subject_key": key, "name": name}
    )
    header = {
        **identity,
        "kind": subject.subject_kind,
        "region": subject.subject_region,
        "as_of": today.isoformat(),
    }
    personal = sorted({f"{v.item_code}:{n}" for v in views for n in v.personal_shown})
    basis = sorted({label for v in views for label in (c.label() for c in v.decision.citations)})
    entry = ctx.read_entry(
        actor=actor,
        action=AuditTag.SHARING_PROFILE_READ,
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
    kept_rendering = rendered if memo is not None else None
    answer = Profile(subject=header, records=views, rendered=kept_rendering)
    if memo is not None:
        memo.keep_answer(by_rows, answer, entry)
    return answer, entry


def _view(
    ctx: Context, viewer: Viewer, record: Any, spec: CatalogItemSpec, today: dt.date
) -> RecordView | None:
    """One current record as the engine shows it to `viewer`; None: not shown."""
    view = view_record(viewer, record, spec, ctx.rules, today)
    if view is not None and record.under_objection:
        view.marks.append("异议处理中")  # HLJ 39 ¶2, wherever the record is shown
    return view


def record_history(
    ctx: Context, *, actor: Actor, provider_code: str, item_code: str, record_key: str
) -> dict[str, Any]:
    """The source unit and every version of one item of a subject's information, for the
    subject itself (HLJ 35, HRB 35 ¶1), the staff and the unit that provided it: each version
    through the visibility engine, with when it held, when the platform learned it, what
    changed and why, and a correction's clock (HLJ 38). The read is audited
    (`sharing:history:read`) in the same transaction."""
    today = ctx.today()
    with transaction(ctx.sessions) as session:
        versions = versions_of(session, provider_code, item_code, record_key)
        owner = versions[0].subject_key
        own = actor.role is Role.SUBJECT and actor.subject_key == owner
        provided = actor.role is Role.PROVIDER and actor.provider_code == provider_code
        if not (own or provided or actor.role in (Role.STAFF, Role.ADMIN)):
            # answered as an unknown record: the answer must not tell whose records exist
            raise NotFound("records.unknown", f"记录“{record_key}”不存在", record_key=record_key)
        viewer = Viewer(actor=actor)
        specs = item_specs(session.connection(), {(v.item_code, v.item_version) for v in versions})
        shown: list[dict[str, Any]] = []
        personal: set[str] = set()
        basis: set[str] = set()
        for version in versions:
            spec = specs.get((version.item_code, version.item_version))
            view = None if spec is None else view_record(viewer, version, spec, ctx.rules, today)
            if view is None:
                continue
            personal.update(view.personal_shown)
            basis.update(c.label() for c in view.decision.citations)
            shown.append(
                {
                    "version": version.version,
                    "current": version.is_current,
                    "state": version.state,
                    "change": version.change,
                    "change_label": CHANGE_LABELS.get(version.change, version.change),
                    "state_label": STATE_LABELS.get(version.state, version.state),
                    "reason": version.reason,
                    "valid_from": version.valid_from.isoformat(),
                    "valid_to": version.valid_to.isoformat() if version.valid_to else None,
                    "recorded_at": version.recorded_at.isoformat(),
                    "superseded_at": version.superseded_at.isoformat()
                    if version.superseded_at
                    else None,
                    "batch_id": version.batch_id,
                    "discovered_on": _iso(version.discovered_on),
                    "correction_due_on": _iso(version.correction_due_on),
                    "correction_on_time": version.correction_on_time,
                    "fields": view.fields,
                    "masked": [n for n, lv in view.levels.items() if lv is Level.MASKED],
                    "changes": _changes(shown[-1]["fields"], view.fields) if shown else [],
                }
            )
        unit = session.get(ProviderUnit, provider_code)
        latest = specs.get((versions[-1].item_code, versions[-1].item_version))
        ctx.log(
            session,
            actor=actor,
            action=AuditTag.SHARING_HISTORY_READ,
            object_type="record",
            object_id=f"{provider_code}/{item_code}/{record_key}",
            subject_key=owner,
            legal_basis="；".join(sorted(basis))[:400] or None,
            personal_read=bool(personal),
            detail={"versions": [v["version"] for v in shown], "personal": sorted(personal)},
        )
        return {
            "subject_key": owner,
            "provider": provider_code,
            "provider_name": unit.name if unit is not None else None,
            "item": item_code,
            "item_name": latest.name if latest is not None else item_code,
            "record_key": record_key,
            "versions": shown,
        }


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """The fields a version changed from the one before it, in the later version's order."""
    names = [*after, *(n for n in before if n not in after)]
    return [
        {"field": n, "before": before.get(n), "after": after.get(n)}
        for n in names
        if before.get(n) != after.get(n)
    ]


def forwards_of_subject(
    session: Session, subject_key: str, limit: int = 200
) -> list[dict[str, Any]]:
    """HLJ 35: to which platforms the subject's information was forwarded, and when: the
    exchange's outbox rows of its records that the peer applied (joined by natural key)."""
    ref = CreditRecord.provider_code + "|" + CreditRecord.item_code + "|" + CreditRecord.record_key
    rows = session.execute(
        select(OutboxItem, Peer.name, CreditRecord.record_key, CreditRecord.title)
        .join(
            CreditRecord,
            (OutboxItem.ref == ref) & (OutboxItem.ref_version == CreditRecord.version),
        )
        .join(Peer, Peer.code == OutboxItem.peer_code)
        .where(
            CreditRecord.subject_key == subject_key,
            OutboxItem.kind == "record",
            OutboxItem.state == "applied",
        )
        .order_by(OutboxItem.settled_at.desc())
        .limit(limit)
    )
    return [
        {
            "at": (item.settled_at or item.created_at).isoformat(),
            "action": AuditTag.EXCHANGE_RECORD_FORWARD.value,
            "who": item.peer_code,
            "role": "platform",
            "purpose": None,
            "legal_basis": None,
            "detail": {
                "platform": item.peer_code,
                "record_key": record_key,
                "title": title,
                "version": item.ref_version,
            },
            "action_label": f"推送至 {name}",
            "who_label": name,
            "role_label": "公共信用信息平台",
        }
        for item, name, record_key, title in rows
    ]


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
    log += forwards_of_subject(session, subject_key, limit)
    from xinyong.accounts.models import User

    # who, by the account's name (国家机关（演示）), not its login name; the platform's own work
    # and the public by their role
    wanted = {entry["who"] for entry in log}
    names = {
        username: name
        for username, name in session.execute(
            select(User.username, User.display_name).where(User.username.in_(wanted))
        )
    }
    for entry in log:  # in words and local time the subject reads (the tags stay for machines)
        entry.setdefault("action_label", action_label(entry["action"]))
        entry.setdefault("role_label", role_label(entry["role"]))
        entry.setdefault("who_label", names.get(entry["who"]) or entry["role_label"])
        at = dt.datetime.fromisoformat(entry["at"]).astimezone(PLATFORM_TZ)
        entry["at_label"] = at.strftime("%Y-%m-%d %H:%M:%S")
    return sorted(log, key=lambda entry: entry["at"], reverse=True)[:limit]

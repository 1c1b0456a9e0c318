"""The one visibility engine (可见性判定). For (viewer, record, field, moment) it decides whether a
record is shown, and each field in full, desensitised or not at all — and which article decided.
Every read path (API, pages, reports, exports, search) goes through `view_record`; nothing else in
the platform returns a record's payload to anyone.

Who sees what:
- the subject itself: all its own information, free and without limit, including information
  whose publicity has ended (archived for it) (HLJ 24 ¶2, HLJ 35, HLJ 37);
- platform staff: everything, every read audited;
- a provider unit: what it pushed itself;
- an agency: by the item's sharing attribute (HLJ 22); a conditional item only for a stated
  statutory purpose (HLJ 44, HRB 28); never after publicity has ended;
- everyone else (the public, organisations under agreement until authorisations exist, other
  subjects): by the opening attribute (HLJ 23 ¶2), dishonesty only within its publicity period
  (HLJ 37, HRB 36), a natural person's name, ID numbers, birth date, address and phone only where
  the information is public by law, and then desensitised (HLJ 23 ¶4, HRB 24 ¶2).

Outside a record's fields — a profile's header, an organisation's related persons, a list entry,
a search result — a natural person's name and ID number are shown in full only to whom
`sees_identity` names, desensitised to everyone else; and a record key made of personal fields
is desensitised like them. Filters, counts and error answers never reveal more than this.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from xinyong.authorisations.service import Grant
from xinyong.catalog.schemas import SUBJECT_KINDS, CatalogItemSpec
from xinyong.common.errors import Citation
from xinyong.common.roles import Actor, Role
from xinyong.law.rules import RuleSet
from xinyong.visibility.masking import mask_for, mask_id_number, mask_name
from xinyong.visibility.publicity import PublicityWindow, publicity_window


class RecordLike(Protocol):
    """What the engine reads of a record: a `CreditRecord`, or a Core row of `RECORD_COLUMNS`
    (the read paths that must be fast select only these)."""

    @property
    def id(self) -> int: ...
    @property
    def record_key(self) -> str: ...
    @property
    def subject_key(self) -> str: ...
    @property
    def item_code(self) -> str: ...
    @property
    def item_version(self) -> int: ...
    @property
    def category(self) -> str: ...
    @property
    def nature(self) -> str: ...
    @property
    def severity(self) -> str | None: ...
    @property
    def decided_on(self) -> dt.date | None: ...
    @property
    def provider_code(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def payload_json(self) -> str: ...


RECORD_COLUMNS = tuple(name for name in RecordLike.__dict__ if not name.startswith("_"))


class Level(enum.StrEnum):
    FULL = "full"
    MASKED = "masked"
    HIDDEN = "hidden"


@dataclass(frozen=True)
class Viewer:
    actor: Actor
    #: an agency's statutory purpose (a code of query.mandatory_scenarios)
    purpose: str | None = None
    #: the subject's valid authorisations for this viewer, today (loaded by the service)
    grants: tuple[Grant, ...] = ()
    #: the subject asked not to publish its good information (HLJ 37 ¶1)
    subject_hides_good: bool = False


@dataclass(frozen=True)
class Decision:
    visible: bool
    basis: str  # in Chinese, for the answer and the audit log
    citations: tuple[Citation, ...]
    archived: bool = False  # publicity ended: kept for the subject and staff only
    unverified: bool = False
    publicity_ends_on: dt.date | None = None  # a dishonesty record's last day of publicity


@dataclass
class RecordView:
    record_key: str
    item_code: str
    item_name: str
    category: str
    nature: str
    severity: str | None
    decided_on: dt.date | None
    provider_code: str
    state: str
    version: int
    decision: Decision
    publicity_ends_on: dt.date | None
    personal: frozenset[str] = frozenset()  # the natural person's personal fields of this record
    fields: dict[str, Any] = field(default_factory=dict)
    levels: dict[str, Level] = field(default_factory=dict)
    record_id: int = 0
    repair_from: dt.date | None = None  # dishonesty: first day a repair may be applied for
    marks: list[str] = field(default_factory=list)  # e.g. 异议处理中 (HLJ 39 ¶2)

    @property
    def personal_shown(self) -> list[str]:
        """Personal fields this viewer got, in full or desensitised (each such read is audited)."""
        return [n for n, lv in self.levels.items() if lv is not Level.HIDDEN and n in self.personal]

    def as_dict(self) -> dict[str, Any]:
        return {
            "record_key": self.record_key,
            "item": self.item_code,
            "item_name": self.item_name,
            "category": self.category,
            "nature": self.nature,
            "severity": self.severity,
            "decided_on": self.decided_on.isoformat() if self.decided_on else None,
            "provider": self.provider_code,
            "state": self.state,
            "version": self.version,
            "archived": self.decision.archived,
            "publicity_ends_on": self.publicity_ends_on.isoformat()
            if self.publicity_ends_on
            else None,
            "basis": self.decision.basis,
            "citations": [c.label() for c in self.decision.citations],
            "unverified": self.decision.unverified,
            "fields": self.fields,
            "masked": [n for n, lv in self.levels.items() if lv is Level.MASKED],
            "record_id": self.record_id,
            "repair_from": self.repair_from.isoformat() if self.repair_from else None,
            "marks": self.marks,
        }


def sees_identity(actor: Actor, person_key: str, *, provided: bool = False) -> bool:
    """Whether `actor` sees a natural person's name and ID number in full outside a record's
    fields: the person itself, platform staff, an agency (which states its statutory purpose
    before it reads anything, HLJ 44) and a provider unit that provided information about the
    person (`provided`: it pushed the ID number itself). Everyone else — the public, agreement
    organisations, other subjects, other units, holders of the person's authorisation (which
    covers items, not the identity, HLJ 23 ¶4) — sees them desensitised."""
    role = actor.role
    if role is Role.SUBJECT:
        return actor.subject_key is not None and actor.subject_key == person_key
    if role in (Role.STAFF, Role.ADMIN, Role.AGENCY):
        return True
    return role is Role.PROVIDER and provided


def shown_identity(
    actor: Actor, person_key: str, name: str, *, provided: bool = False
) -> dict[str, str]:
    """A natural person's key and name as `actor` may see them (see `sees_identity`)."""
    if sees_identity(actor, person_key, provided=provided):
        return {"subject_key": person_key, "name": name}
    return {"subject_key": mask_id_number(person_key), "name": mask_name(name)}


def _own(actor: Actor, record: RecordLike) -> bool:
    return (
        actor.role is Role.SUBJECT
        and actor.subject_key is not None
        and actor.subject_key == record.subject_key
    )


def _window(record: RecordLike, rules: RuleSet) -> PublicityWindow | None:
    if record.nature != "dishonesty":
        return None
    return publicity_window(rules, record.severity, record.decided_on)


def decide_record(
    viewer: Viewer, record: RecordLike, spec: CatalogItemSpec, rules: RuleSet, on: dt.date
) -> Decision:
    return _decide(viewer, record, spec, rules, on, _window(record, rules))


def _decide(
    viewer: Viewer,
    record: RecordLike,
    spec: CatalogItemSpec,
    rules: RuleSet,
    on: dt.date,
    window: PublicityWindow | None,
) -> Decision:
    actor = viewer.actor
    # past its maximum period a dishonesty record is withdrawn from everyone but the subject and
    # staff (HLJ 37 ¶2); within it, only publication to the public depends on the window
    expired = window is not None and window.max_end is not None and on > window.max_end
    unpublished = window is not None and not window.public_on(on)
    unverified = bool(window and window.unverified) or spec.unverified
    ends = window.max_end if window else None
    if _own(actor, record):
        rule = rules.get("query.self_free_unlimited", on)
        return Decision(True, "信用主体查询自身信息", rule.citations, expired, unverified, ends)
    if actor.role in (Role.STAFF, Role.ADMIN):
        return Decision(True, "公共信用工作机构依职责查看", (), expired, unverified, ends)
    if actor.role is Role.PROVIDER and actor.provider_code == record.provider_code:
        return Decision(True, "提供单位查看本单位推送的信息", (), expired, unverified, ends)
    if record.state == "repaired":
        return Decision(False, "已完成信用修复，停止公示和共享", ())
    if record.state != "active":
        return Decision(False, "信息已撤回", ())
    if expired:
        assert window is not None
        withdraw = rules.get("publicity.withdraw_after_period", on)
        citations = (*withdraw.citations, *window.citations)
        return Decision(False, "失信信息公示期限已届满，已转为档案保存", citations)
    if actor.role is Role.AGENCY:
        sharing = rules.get("sharing.by_attribute", on)
        if spec.sharing == "none":
            return Decision(False, "该目录项不予共享", sharing.citations)
        if spec.sharing == "conditional":
            purposes = set(rules.codes("query.mandatory_scenarios", on))
            if viewer.purpose not in purposes:
                return Decision(False, "有条件共享的信息须说明依法履职的用途", sharing.citations)
        return Decision(
            True,
            f"国家机关依法履职共享（用途：{viewer.purpose or '未说明'}）",
            sharing.citations,
            unverified=unverified,
            publicity_ends_on=ends,
        )
    opening = rules.get("opening.by_attribute", on)
    if spec.opening == "conditional":
        grant = next((g for g in viewer.grants if record.item_code in g.items), None)
        if grant is None:
            return Decision(False, "该信息不向社会公开，须经信用主体授权查询", opening.citations)
        # HLJ 24 ¶2 also grants queries within an authorisation's scope
        query = rules.get("query.self_free_unlimited", on)
        return Decision(
            True,
            f"经信用主体授权查询（授权编号{grant.id}，用途：{grant.purpose}，"
            f"有效至{grant.expires_on.isoformat()}）",
            (*query.citations, *opening.citations),
            unverified=unverified,
            publicity_ends_on=ends,
        )
    if spec.opening != "unconditional":
        return Decision(False, "该目录项不予开放", opening.citations)
    if unpublished:
        assert window is not None
        return Decision(False, window.reason, window.citations)
    if record.nature == "good" and viewer.subject_hides_good:
        good = rules.get("publicity.good_long_term", on)
        return Decision(False, "信用主体已申请不公示其守信信息", good.citations)
    citations = (*opening.citations, *(window.citations if window else ()))
    return Decision(
        True,
        "依法应当公示的信息",
        citations,
        unverified=unverified,
        publicity_ends_on=ends,
    )


def view_record(
    viewer: Viewer, record: RecordLike, spec: CatalogItemSpec, rules: RuleSet, on: dt.date
) -> RecordView | None:
    """The record as this viewer may see it, or None. Personal fields of a natural person are
    shown in full only to the subject, staff, the provider and agencies."""
    window = _window(record, rules)  # computed once per record, for the decision and the view
    decision = _decide(viewer, record, spec, rules, on, window)
    if not decision.visible:
        return None
    payload: dict[str, Any] = orjson.loads(record.payload_json)
    personal = spec.personal_names
    natural = SUBJECT_KINDS.get(payload.get(spec.roles.subject_kind) or "") == "natural_person"
    if natural:  # a natural person's name is personal information (HLJ 23 ¶4)
        personal = personal | {spec.roles.subject_name}
    role = viewer.actor.role
    trusted = (
        _own(viewer.actor, record)
        or role in (Role.STAFF, Role.ADMIN, Role.AGENCY)
        or (role is Role.PROVIDER and viewer.actor.provider_code == record.provider_code)
    )
    consented = any(record.item_code in g.items for g in viewer.grants)  # HLJ 23 ¶4: consent
    view = RecordView(
        record_key=record.record_key,
        item_code=record.item_code,
        item_name=spec.name,
        category=record.category,
        nature=record.nature,
        severity=record.severity,
        decided_on=record.decided_on,
        provider_code=record.provider_code,
        state=record.state,
        version=record.version,
        decision=decision,
        publicity_ends_on=decision.publicity_ends_on,
        personal=personal,
        record_id=record.id,
    )
    if trusted and window is not None and record.state == "active":
        view.repair_from = window.repair_from  # the subject learns when it may apply for repair
    names = spec.field_names  # in the catalog's order, as readers expect
    if not trusted and personal.intersection(spec.roles.record_key):
        # a key made of personal fields (a commendation's 主体名称) is desensitised like them
        shown = spec.public_by_law or consented  # else the field itself is hidden
        view.record_key = "|".join(
            (mask_for(n, str(payload.get(n) or "")) if shown else "***")
            if n in personal
            else str(payload.get(n))
            for n in spec.roles.record_key
        )
    if trusted or not personal:  # nothing to desensitise: every field in full
        view.fields = {n: payload[n] for n in names if payload.get(n) is not None}
        view.levels = dict.fromkeys(view.fields, Level.FULL)
        return view
    for name in names:
        value = payload.get(name)
        if value is None:
            continue
        if name not in personal:
            view.fields[name], view.levels[name] = value, Level.FULL
        elif spec.public_by_law or consented:  # law or the person's consent, desensitised
            view.fields[name], view.levels[name] = mask_for(name, str(value)), Level.MASKED
        else:
            view.levels[name] = Level.HIDDEN
    return view


#: Who may read a natural person's integrity points for a published incentive (HLJ 26 ¶2).
POINTS_READERS = frozenset({Role.AGENCY, Role.ORGANISATION, Role.STAFF, Role.ADMIN})


def may_read_points(actor: Actor, person_key: str, *, joined: bool) -> bool:
    """Whether `actor` may read a natural person's integrity points: the person its own, always;
    an agency, an agreement organisation or staff only while the person is in the scheme (it is
    opt-in), and only for a published incentive scenario (the points service checks that, and
    refuses every scenario on the banned list first, whoever asks)."""
    if actor.role is Role.SUBJECT:
        return actor.subject_key is not None and actor.subject_key == person_key
    return joined and actor.role in POINTS_READERS

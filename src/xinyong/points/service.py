"""Integrity points (诚信积分, HLJ 26 ¶2).

- A natural person joins or leaves the scheme; nothing is counted for someone not in it, and
  leaving closes the period (kept, never deleted).
- Points come from a versioned, dated rule table (`rules.yaml`), computed set-based from the
  records the platform holds, each point shown with the record behind it. Rules only add: a
  rule's points are positive and no rule matches a dishonesty record, so a penalty never lowers
  them.
- Points are used only for the published incentive scenarios (benefits staff keep). Any
  scenario on the banned list (`points.banned_scenarios`: legal rights and basic public
  services) is refused with the article, whoever asks, before anything else is looked at; a
  benefit in such an area, or worded as a restriction, is refused when staff publish it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from xinyong.audit.tags import AuditTag
from xinyong.commitments.models import Commitment
from xinyong.common.errors import Citation, DomainError, Forbidden, NotFound
from xinyong.common.identifiers import looks_like_citizen_id
from xinyong.common.roles import Actor, Role
from xinyong.context import Context
from xinyong.law.rules import load_yaml
from xinyong.points.models import PointsBenefit, PointsMembership
from xinyong.records.models import CreditRecord
from xinyong.subjects.models import Subject
from xinyong.visibility.engine import may_read_points, shown_identity

RULES_FILE = Path(__file__).parent / "rules.yaml"
MATCH_KEYS = frozenset({"item", "category", "except_item", "commitment_fulfilment"})
PLATFORM_SETTING = "平台设定，非法定"
#: Words that make a benefit a restriction, not a benefit (platform setting, not law).
RESTRICTING_WORDS = ("限制", "拒绝", "不予", "取消", "暂停", "剥夺", "扣分", "不得享受", "方可享受")


# --- the rule table ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    description: str
    match: dict[str, str]
    points: int
    record_source: Citation
    points_source: str
    unverified: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "description": self.description,
            "points": self.points,
            "record_source": self.record_source.label(),
            "points_source": self.points_source,
            "unverified": self.unverified,
        }


@dataclass(frozen=True)
class RuleVersion:
    version: int
    in_force_from: dt.date
    rules: tuple[Rule, ...]


def _rule(raw: dict[str, Any]) -> Rule:
    points = raw.get("points")
    if not isinstance(points, int) or isinstance(points, bool) or points <= 0:
        # HLJ 26 ¶2: points may only help; a rule that deducts is not a rule of this table
        raise ValueError(f"{RULES_FILE}: {raw.get('code')}: points must be a positive integer")
    match = dict(raw["match"])
    if set(match) - MATCH_KEYS or not match:
        raise ValueError(f"{RULES_FILE}: {raw.get('code')}: unknown match {sorted(match)}")
    if match.get("commitment_fulfilment", "kept") != "kept":
        raise ValueError(f"{RULES_FILE}: {raw.get('code')}: only kept commitments add points")
    return Rule(
        code=str(raw["code"]),
        name=str(raw["name"]),
        description=str(raw["description"]),
        match={k: str(v) for k, v in match.items()},
        points=points,
        record_source=Citation(**raw["record_source"]),
        points_source=str(raw["points_source"]),
        unverified=bool(raw.get("unverified", False)),
    )


@lru_cache(maxsize=1)
def rule_table() -> tuple[RuleVersion, ...]:
    raw = load_yaml(RULES_FILE)
    versions = tuple(
        RuleVersion(
            version=int(v["version"]),
            in_force_from=v["in_force_from"],
            rules=tuple(_rule(r) for r in v["rules"]),
        )
        for v in raw["versions"]
    )
    if [v.in_force_from for v in versions] != sorted(v.in_force_from for v in versions):
        raise ValueError(f"{RULES_FILE}: versions out of date order")
    return versions


def rules_on(on: dt.date) -> RuleVersion:
    current = None
    for version in rule_table():
        if version.in_force_from <= on:
            current = version
    if current is None:
        raise DomainError(code="points.no_rules", message="该日期尚无生效的诚信积分规则")
    return current


# --- the law: what points may never be used for ----------------------------------------------


def article(ctx: Context) -> list[Citation]:
    return list(ctx.rules.get("points.never_restrict", ctx.today()).citations)


def banned(ctx: Context) -> list[dict[str, Any]]:
    """The published list of legal rights and basic public services points may never touch."""
    return list(ctx.rules.get("points.banned_scenarios", ctx.today()).value)


def banned_note(ctx: Context) -> str:
    answer = ctx.rules.get("points.banned_scenarios", ctx.today())
    return "；".join(answer.notes)


def _banned_refusal(ctx: Context, code: str, name: str, what: str) -> Forbidden:
    cites = article(ctx)
    label = "；".join(c.label() for c in cites)
    return Forbidden(
        "points.banned_use",
        f"{what}“{name}”属于法定权利和基本公共服务，不得以诚信积分为依据拒绝、限制或者附加条件"
        f"（{label}：不得以诚信积分为依据限制自然人享有法定权利和基本公共服务）",
        cites,
    )


def _banned_entry(ctx: Context, code: str) -> dict[str, Any] | None:
    return next((e for e in banned(ctx) if e["code"] == code), None)


# --- membership -------------------------------------------------------------------------------


def _natural_person(session: Session, actor: Actor) -> str:
    key = actor.subject_key
    if actor.role is not Role.SUBJECT or not key:
        raise Forbidden("points.person_only", "只有自然人本人可以加入或退出诚信积分")
    kind = session.scalar(select(Subject.kind).where(Subject.subject_key == key))
    if (kind is not None and kind != "natural_person") or (
        kind is None and not (looks_like_citizen_id(key))
    ):
        raise DomainError(
            code="points.person_only",
            message="诚信积分仅面向自然人（《黑龙江省社会信用条例》第二十六条第二款）",
        )
    return key


def membership(session: Session, key: str) -> PointsMembership | None:
    """The open period in the scheme, if the person is in it."""
    return session.scalar(
        select(PointsMembership).where(
            PointsMembership.subject_key == key, PointsMembership.left_at.is_(None)
        )
    )


def history(session: Session, key: str) -> list[PointsMembership]:
    return list(
        session.scalars(
            select(PointsMembership)
            .where(PointsMembership.subject_key == key)
            .order_by(PointsMembership.id)
        )
    )


def join(session: Session, ctx: Context, *, actor: Actor) -> PointsMembership:
    key = _natural_person(session, actor)
    if membership(session, key) is not None:
        raise DomainError(code="points.already_joined", message="您已加入诚信积分", status=409)
    row = PointsMembership(subject_key=key, joined_at=ctx.clock.now(), left_at=None)
    session.add(row)
    session.flush()
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.POINTS_MEMBERSHIP_JOIN,
        object_type="points_membership",
        object_id=str(row.id),
        subject_key=key,
        legal_basis=article(ctx)[0].label(),
        detail={},
    )
    return row


def leave(session: Session, ctx: Context, *, actor: Actor) -> PointsMembership:
    key = _natural_person(session, actor)
    row = membership(session, key)
    if row is None:
        raise DomainError(code="points.not_joined", message="您尚未加入诚信积分", status=409)
    row.left_at = ctx.clock.now()
    session.flush()
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.POINTS_MEMBERSHIP_LEAVE,
        object_type="points_membership",
        object_id=str(row.id),
        subject_key=key,
        legal_basis=article(ctx)[0].label(),
        detail={},
    )
    return row


# --- computing points: set-based over the records the platform holds --------------------------


def compute(session: Session, keys: Iterable[str], on: dt.date) -> dict[str, list[dict[str, Any]]]:
    """Every point of every person in `keys`, with the record behind it: one query over the
    credit records and one over the commitments for the whole set (no per-person loop). Only
    current, active, non-dishonesty records match; every rule adds."""
    wanted = list(dict.fromkeys(keys))
    table = rules_on(on)
    lines: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if not wanted:
        return lines
    record_rules = [r for r in table.rules if "commitment_fulfilment" not in r.match]
    items = {r.match["item"] for r in record_rules if "item" in r.match}
    categories = {r.match["category"] for r in record_rules if "category" in r.match}
    if record_rules:
        rows = session.execute(
            select(
                CreditRecord.subject_key,
                CreditRecord.item_code,
                CreditRecord.record_key,
                CreditRecord.category,
                CreditRecord.title,
                CreditRecord.decided_on,
            )
            .where(
                CreditRecord.subject_key.in_(wanted),
                CreditRecord.is_current.is_(True),
                CreditRecord.state == "active",
                CreditRecord.nature != "dishonesty",
                or_(CreditRecord.item_code.in_(items), CreditRecord.category.in_(categories)),
            )
            .order_by(CreditRecord.subject_key, CreditRecord.decided_on, CreditRecord.id)
        )
        for key, item, record_key, category, title, decided_on in rows:
            rule = next((r for r in record_rules if _matches(r, item, category)), None)
            if rule is not None:
                lines[key].append(_line(rule, "record", f"{item}/{record_key}", title, decided_on))
    kept = next((r for r in table.rules if "commitment_fulfilment" in r.match), None)
    if kept is not None:
        for key, number, reason, decided_on in session.execute(
            select(
                Commitment.subject_key, Commitment.number, Commitment.reason, Commitment.decided_on
            )
            .where(
                and_(
                    Commitment.subject_key.in_(wanted),
                    Commitment.fulfilment == "kept",
                    Commitment.state == "active",
                )
            )
            .order_by(Commitment.subject_key, Commitment.id)
        ):
            lines[key].append(_line(kept, "commitment", number, reason, decided_on))
    return lines


def _matches(rule: Rule, item: str, category: str) -> bool:
    m = rule.match
    if "item" in m and m["item"] != item:
        return False
    if "category" in m and m["category"] != category:
        return False
    return m.get("except_item") != item


def _line(rule: Rule, kind: str, ref: str, title: str | None, on: dt.date | None) -> dict[str, Any]:
    return {
        "rule": rule.code,
        "rule_name": rule.name,
        "points": rule.points,
        "source_kind": kind,
        "source": ref,
        "title": title or "",
        "decided_on": on.isoformat() if on else None,
        "record_source": rule.record_source.label(),
        "points_source": rule.points_source,
        "unverified": rule.unverified,
    }


def my_points(session: Session, ctx: Context, *, actor: Actor) -> dict[str, Any]:
    """The person's own view: whether in the scheme, its history, and (while in it) every point
    with the record behind it. Outside the scheme nothing is counted."""
    key = actor.subject_key
    if actor.role is not Role.SUBJECT or not key:
        raise Forbidden("points.person_only", "只有自然人本人可以查看自己的诚信积分")
    today = ctx.today()
    open_period = membership(session, key)
    lines = compute(session, [key], today).get(key, []) if open_period else []
    return {
        "subject_key": key,
        "joined": open_period is not None,
        "joined_at": open_period.joined_at.isoformat() if open_period else None,
        "total": sum(line["points"] for line in lines),
        "lines": lines,
        "history": [
            {
                "joined_at": p.joined_at.isoformat(),
                "left_at": p.left_at.isoformat() if p.left_at else None,
            }
            for p in history(session, key)
        ],
        "rules_version": rules_on(today).version,
        "setting": PLATFORM_SETTING,
        "citations": [c.as_dict() for c in article(ctx)],
    }


def read_for_scenario(
    session: Session, ctx: Context, *, actor: Actor, subject_key: str, scenario: str
) -> dict[str, Any]:
    """A reader's request for a person's points, for a declared scenario. A banned scenario is
    refused with the article first, whoever asks (the attempt is put in the person's access log);
    then only a published incentive, only for a person in the scheme, only through the
    visibility engine, audited."""
    entry = _banned_entry(ctx, scenario)
    if entry is not None:
        ctx.reads.write_all(
            [
                ctx.read_entry(
                    actor=actor,
                    action=AuditTag.POINTS_POINTS_REFUSE,
                    object_type="points",
                    object_id=subject_key,
                    subject_key=subject_key,
                    purpose=scenario,
                    legal_basis=article(ctx)[0].label(),
                    detail={"scenario": scenario, "refused": True},
                )
            ]
        )
        raise _banned_refusal(ctx, scenario, str(entry["name"]), "查询用途")
    benefit = current_benefit(session, scenario)
    if benefit is None or not benefit.in_force:
        raise DomainError(
            code="points.unknown_scenario",
            message="诚信积分只能用于已公布的守信激励场景，请在“诚信积分”页面公布的场景中选择"
            "（《黑龙江省社会信用条例》第二十六条第二款）",
            citations=article(ctx),
            details={"scenarios": [b.code for b in benefits(session)]},
        )
    open_period = membership(session, subject_key)
    if not may_read_points(actor, subject_key, joined=open_period is not None):
        # not in the scheme, or not a reader: one answer, which says nothing about the person
        raise NotFound("points.none", "该自然人没有可供查询的诚信积分（诚信积分须本人自愿加入）")
    lines = compute(session, [subject_key], ctx.today()).get(subject_key, [])
    total = sum(line["points"] for line in lines)
    name = session.scalar(select(Subject.name).where(Subject.subject_key == subject_key)) or ""
    identity = shown_identity(actor, subject_key, name)
    ctx.reads.write_all(
        [
            ctx.read_entry(
                actor=actor,
                action=AuditTag.POINTS_POINTS_READ,
                object_type="points",
                object_id=subject_key,
                subject_key=subject_key,
                purpose=scenario,
                legal_basis=article(ctx)[0].label(),
                personal_read=True,
                detail={"scenario": scenario, "total": total},
            )
        ]
    )
    by_rule: dict[str, dict[str, Any]] = {}
    for line in lines:
        row = by_rule.setdefault(
            line["rule"], {"rule": line["rule"], "rule_name": line["rule_name"], "points": 0}
        )
        row["points"] += line["points"]
    return {
        "subject_key": identity["subject_key"],
        "name": identity["name"],
        "scenario": scenario,
        "benefit": benefit.name,
        "provider": benefit.provider,
        "min_points": benefit.min_points,
        "total": total,
        "qualifies": total >= benefit.min_points,
        "by_rule": list(by_rule.values()),
        "setting": PLATFORM_SETTING,
        "citations": [c.as_dict() for c in article(ctx)],
    }


# --- benefits: the published incentive scenarios ---------------------------------------------


def current_benefit(session: Session, code: str) -> PointsBenefit | None:
    return session.scalar(
        select(PointsBenefit).where(PointsBenefit.code == code, PointsBenefit.is_current.is_(True))
    )


def benefits(session: Session) -> list[PointsBenefit]:
    return list(
        session.scalars(
            select(PointsBenefit)
            .where(PointsBenefit.is_current.is_(True), PointsBenefit.in_force.is_(True))
            .order_by(PointsBenefit.min_points, PointsBenefit.code)
        )
    )


def _staff(actor: Actor) -> None:
    if actor.role not in (Role.STAFF, Role.ADMIN):
        raise Forbidden("points.staff_only", "只有公共信用工作机构工作人员可以维护激励场景")


def publish_benefit(
    session: Session,
    ctx: Context,
    *,
    actor: Actor,
    code: str,
    name: str,
    description: str,
    provider: str,
    service_area: str,
    min_points: int,
) -> PointsBenefit:
    """Publish (or change: a new version) an incentive scenario. Refused with the article if it
    is in a legal right's or a basic public service's area, or worded as a restriction."""
    _staff(actor)
    for code_or_area in (code, service_area):
        entry = _banned_entry(ctx, code_or_area)
        if entry is not None:
            raise _banned_refusal(ctx, code_or_area, str(entry["name"]), "激励场景所涉事项")
    words = [w for w in RESTRICTING_WORDS if w in name or w in description]
    if words:
        cites = article(ctx)
        raise DomainError(
            code="points.restricting_benefit",
            message=f"激励场景只能给予优惠和便利，不能以诚信积分为条件限制或拒绝（含“{words[0]}”）"
            f"（{cites[0].label()}）",
            citations=cites,
        )
    if min_points < 0:
        raise DomainError(code="points.min_points", message="所需积分不能为负数")
    old = current_benefit(session, code)
    if old is not None:
        old.is_current = False
        session.flush()
    row = PointsBenefit(
        code=code,
        version=(old.version + 1) if old else 1,
        is_current=True,
        in_force=True,
        name=name,
        description=description,
        provider=provider,
        service_area=service_area,
        min_points=min_points,
        changed_at=ctx.clock.now(),
        changed_by=actor.username or actor.role.value,
    )
    session.add(row)
    session.flush()
    _log_benefit(session, ctx, actor, AuditTag.POINTS_BENEFIT_PUBLISH, row)
    return row


def withdraw_benefit(session: Session, ctx: Context, *, actor: Actor, code: str) -> PointsBenefit:
    _staff(actor)
    old = current_benefit(session, code)
    if old is None or not old.in_force:
        raise NotFound("points.benefit", f"激励场景{code}不存在或已撤销")
    old.is_current = False
    session.flush()
    row = PointsBenefit(
        **{
            c: getattr(old, c)
            for c in ("code", "name", "description", "provider", "service_area", "min_points")
        },
        version=old.version + 1,
        is_current=True,
        in_force=False,
        changed_at=ctx.clock.now(),
        changed_by=actor.username or actor.role.value,
    )
    session.add(row)
    session.flush()
    _log_benefit(session, ctx, actor, AuditTag.POINTS_BENEFIT_WITHDRAW, row)
    return row


def _log_benefit(
    session: Session, ctx: Context, actor: Actor, tag: AuditTag, row: PointsBenefit
) -> None:
    ctx.log(
        session,
        actor=actor,
        action=tag,
        object_type="points_benefit",
        object_id=f"{row.code}@{row.version}",
        legal_basis=article(ctx)[0].label(),
        detail={"version": row.version, "in_force": row.in_force, "provider": row.provider},
    )


def describe_benefit(row: PointsBenefit) -> dict[str, Any]:
    return {
        "code": row.code,
        "version": row.version,
        "in_force": row.in_force,
        "name": row.name,
        "description": row.description,
        "provider": row.provider,
        "service_area": row.service_area,
        "min_points": row.min_points,
        "setting": PLATFORM_SETTING,
    }

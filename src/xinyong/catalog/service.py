"""Catalog management. An item outside HLJ 18's ten categories, or one that would collect what
HLJ 20 forbids, is refused when it is defined, citing the article."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from xinyong.audit.tags import AuditTag
from xinyong.catalog.models import CatalogItem
from xinyong.catalog.schemas import CITIZEN_ID_TYPE, SUBJECT_KINDS, CatalogItemSpec
from xinyong.common.errors import Citation, DomainError, NotFound
from xinyong.common.roles import Actor
from xinyong.context import Context
from xinyong.law.rules import RuleAnswer, RuleSet, load_yaml
from xinyong.providers.models import ProviderUnit

SEED_FILE = Path(__file__).parent / "seed" / "heilongjiang.yaml"


@dataclass(frozen=True)
class NamedClass:
    code: str
    name: str
    words: tuple[str, ...]  # the name and its aliases


@dataclass(frozen=True)
class CollectionRules:
    """HLJ 20's lists as of a date, with matching on column names."""

    forbidden: tuple[NamedClass, ...]
    restricted: tuple[NamedClass, ...]
    forbidden_rule: RuleAnswer
    restricted_rule: RuleAnswer

    @staticmethod
    def load(rules: RuleSet, on: dt.date) -> CollectionRules:
        def classes(answer: RuleAnswer) -> tuple[NamedClass, ...]:
            return tuple(
                NamedClass(e["code"], e["name"], (e["name"], *e.get("aliases", ())))
                for e in answer.value
            )

        forbidden = rules.get("collection.forbidden_fields", on)
        restricted = rules.get("collection.restricted_personal_fields", on)
        return CollectionRules(classes(forbidden), classes(restricted), forbidden, restricted)

    def forbidden_class(self, column: str) -> NamedClass | None:
        return next((c for c in self.forbidden if any(w in column for w in c.words)), None)

    def restricted_codes(self) -> set[str]:
        return {c.code for c in self.restricted}


def _refuse(code: str, message: str, citations: tuple[Citation, ...] = ()) -> DomainError:
    return DomainError(code=code, message=message, citations=list(citations))


def check_spec(session: Session, ctx: Context, spec: CatalogItemSpec) -> None:
    """Every refusal names the rule; the first problem found is raised."""
    on = ctx.today()
    categories = ctx.rules.get("catalog.categories", on)
    if spec.category not in {e["code"] for e in categories.value}:
        raise _refuse(
            "catalog.category_outside_hlj18",
            f"目录项类别“{spec.category}”不在公共信用信息补充目录限定的十类信息范围内",
            categories.citations,
        )
    if (spec.nature == "dishonesty") != (spec.severity is not None):
        raise _refuse(
            "catalog.severity", "失信信息须注明失信程度（轻微、一般、严重），其他信息不得注明"
        )
    if spec.publicity == "rule" and spec.nature != "dishonesty":
        raise _refuse("catalog.publicity", "按规定公示期限公示仅适用于失信信息")
    collection = CollectionRules.load(ctx.rules, on)
    names = [f.name for f in spec.fields]
    if len(names) != len(set(names)):
        raise _refuse("catalog.duplicate_field", "字段名称重复")
    for f in spec.fields:
        hit = collection.forbidden_class(f.name)
        if hit is not None or f.collection_class in {c.code for c in collection.forbidden}:
            label = hit.name if hit else f.collection_class
            raise _refuse(
                "catalog.forbidden_field",
                f"字段“{f.name}”属于不得采集的信息（{label}）",
                collection.forbidden_rule.citations,
            )
        if f.collection_class and f.collection_class not in collection.restricted_codes():
            raise _refuse(
                "catalog.collection_class", f"字段“{f.name}”的采集类别“{f.collection_class}”未知"
            )
        if f.type == "enum" and not f.values:
            raise _refuse("catalog.enum_values", f"枚举字段“{f.name}”须列出取值")
    roles = spec.roles
    for label, name in (
        ("subject_kind", roles.subject_kind),
        ("subject_name", roles.subject_name),
        ("uscc", roles.uscc),
        ("id_type", roles.id_type),
        ("id_number", roles.id_number),
        ("decision_date", roles.decision_date),
        ("procedure", roles.procedure),
        *(("record_key", k) for k in roles.record_key),
    ):
        if name is not None and spec.field(name) is None:
            raise _refuse("catalog.role_field", f"角色{label}引用的字段“{name}”不存在")
    kind_field = spec.field(roles.subject_kind)
    assert kind_field is not None
    unknown = set(kind_field.values or ()) - set(SUBJECT_KINDS)
    if unknown:
        raise _refuse(
            "catalog.subject_kind",
            f"主体类别取值{sorted(unknown)}未知，可用：{'、'.join(SUBJECT_KINDS)}",
        )
    if roles.uscc is None and roles.id_number is None:
        raise _refuse("catalog.identifier", "目录项须包含统一社会信用代码或证件号码字段（HLJ 19）")
    id_type = spec.field(roles.id_type) if roles.id_type else None
    if id_type is not None and CITIZEN_ID_TYPE not in (id_type.values or ()):
        raise _refuse("catalog.id_type", f"证件类型须包含“{CITIZEN_ID_TYPE}”")
    excluded = ctx.rules.get("catalog.excluded_penalty_procedures", on)
    if roles.procedure is not None:
        procedure = spec.field(roles.procedure)
        assert procedure is not None
        if procedure.type != "enum":
            raise _refuse("catalog.procedure", "适用程序字段须为枚举", excluded.citations)
    known = {p.code for p in session.scalars(select(ProviderUnit))}
    missing = sorted(set(spec.providers) - known)
    if missing:
        raise _refuse("catalog.unknown_provider", f"提供单位{missing}不存在", ())


def define_item(
    session: Session, ctx: Context, *, actor: Actor, spec: CatalogItemSpec
) -> CatalogItem:
    """Create an item or a new version; records keep the version they were checked against."""
    check_spec(session, ctx, spec)
    current = session.scalar(
        select(CatalogItem).where(CatalogItem.code == spec.code, CatalogItem.is_current.is_(True))
    )
    version = 1
    if current is not None:
        version = current.version + 1
        session.execute(
            update(CatalogItem).where(CatalogItem.id == current.id).values(is_current=False)
        )
    row = CatalogItem(
        code=spec.code,
        version=version,
        is_current=True,
        name=spec.name,
        conduct=spec.conduct,
        category=spec.category,
        nature=spec.nature,
        severity=spec.severity,
        sharing=spec.sharing,
        opening=spec.opening,
        public_by_law=spec.public_by_law,
        publicity=spec.publicity,
        update_cycle_amount=spec.update_cycle.amount,
        update_cycle_unit=spec.update_cycle.unit,
        data_source=spec.data_source,
        providers_json=json.dumps(spec.providers, ensure_ascii=False),
        roles_json=spec.roles.model_dump_json(),
        fields_json=json.dumps(
            [f.model_dump(exclude_none=True) for f in spec.fields], ensure_ascii=False
        ),
        unverified=spec.unverified,
        note=spec.note,
        state="active",
        created_at=ctx.clock.now(),
        created_by=actor.username or actor.role.value,
    )
    session.add(row)
    session.flush()
    categories = ctx.rules.get("catalog.categories", ctx.today())
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.CATALOG_ITEM_DEFINE,
        object_type="catalog_item",
        object_id=f"{spec.code}@{version}",
        legal_basis="；".join(c.label() for c in categories.citations),
        detail={"code": spec.code, "version": version, "category": spec.category},
    )
    return row


def spec_of(item: CatalogItem) -> CatalogItemSpec:
    return CatalogItemSpec.model_validate(
        {
            "code": item.code,
            "name": item.name,
            "conduct": item.conduct,
            "category": item.category,
            "nature": item.nature,
            "severity": item.severity,
            "sharing": item.sharing,
            "opening": item.opening,
            "public_by_law": item.public_by_law,
            "publicity": item.publicity,
            "update_cycle": {"amount": item.update_cycle_amount, "unit": item.update_cycle_unit},
            "data_source": item.data_source,
            "providers": json.loads(item.providers_json),
            "roles": json.loads(item.roles_json),
            "fields": json.loads(item.fields_json),
            "unverified": item.unverified,
            "note": item.note,
        }
    )


def get_item(session: Session, code: str, version: int | None = None) -> CatalogItem:
    query = select(CatalogItem).where(CatalogItem.code == code)
    query = (
        query.where(CatalogItem.version == version)
        if version
        else query.where(CatalogItem.is_current.is_(True))
    )
    item = session.scalar(query)
    if item is None:
        raise NotFound("catalog.unknown_item", f"目录项“{code}”不存在", item=code)
    return item


def list_items(session: Session) -> list[CatalogItem]:
    return list(
        session.scalars(
            select(CatalogItem).where(CatalogItem.is_current.is_(True)).order_by(CatalogItem.code)
        )
    )


def describe(item: CatalogItem) -> dict[str, Any]:
    spec = spec_of(item)
    out: dict[str, Any] = spec.model_dump(exclude_none=True)
    out["version"] = item.version
    if item.unverified:
        out["unverified_notice"] = f"未核实：{item.note or '该目录项的出处未经核实'}"
    return out


def seed_catalog(
    session: Session, ctx: Context, *, actor: Actor, path: Path = SEED_FILE
) -> list[str]:
    """Create the seed's provider units and items that do not exist yet; returns the new codes.
    Existing items are left as staff may have changed them."""
    data = load_yaml(path)
    created: list[str] = []
    for raw in data.get("providers", []):
        if session.get(ProviderUnit, raw["code"]) is None:
            session.add(ProviderUnit(created_at=ctx.clock.now(), state="active", **raw))
            created.append(raw["code"])
    session.flush()
    existing = {i.code for i in session.scalars(select(CatalogItem))}
    for raw in data.get("items", []):
        if raw["code"] in existing:
            continue
        define_item(session, ctx, actor=actor, spec=CatalogItemSpec.model_validate(raw))
        created.append(raw["code"])
    return created

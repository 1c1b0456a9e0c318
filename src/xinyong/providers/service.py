"""Registering provider units and agencies (the administrators' console): each with its USCC,
checked against GB 32100 before anything is written."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from xinyong.audit.tags import AuditTag
from xinyong.common.errors import DomainError
from xinyong.common.identifiers import check_uscc
from xinyong.common.roles import Actor
from xinyong.context import Context
from xinyong.providers.models import Agency, ProviderUnit

LEVEL_LABELS = {"province": "省级", "city": "市级", "county": "县级", "township": "乡镇级"}


def _valid_uscc(value: str) -> str:
    checked = check_uscc(value)
    checked.raise_if_invalid()
    return checked.value


def _region(value: str) -> str:
    value = value.strip()
    if len(value) != 6 or not value.isdigit():
        raise DomainError(code="providers.region", message="行政区划代码应为6位数字")
    return value


def register_unit(
    session: Session,
    ctx: Context,
    *,
    actor: Actor,
    code: str,
    name: str,
    uscc: str,
    level: str,
    region: str,
) -> ProviderUnit:
    """A new provider unit, or the USCC of one the catalog's seed registered without it."""
    code, name = code.strip(), name.strip()
    if not code or not name:
        raise DomainError(code="providers.unit_fields", message="单位编码和名称不能为空")
    if level not in LEVEL_LABELS:
        raise DomainError(code="providers.level", message="单位层级应为省级、市级、县级或乡镇级")
    uscc = _valid_uscc(uscc)
    region = _region(region)
    other = session.scalar(select(ProviderUnit).where(ProviderUnit.uscc == uscc))
    if other is not None and other.code != code:
        raise DomainError(
            code="providers.uscc_taken", message=f"该统一社会信用代码已登记为“{other.name}”"
        )
    unit = session.get(ProviderUnit, code)
    if unit is None:
        unit = ProviderUnit(
            code=code,
            name=name,
            uscc=uscc,
            level=level,
            region=region,
            state="active",
            created_at=ctx.clock.now(),
        )
        session.add(unit)
    else:
        unit.name, unit.uscc, unit.level, unit.region = name, uscc, level, region
    session.flush()
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.PROVIDERS_UNIT_REGISTER,
        object_type="provider_unit",
        object_id=code,
        detail={"name": name, "uscc": uscc, "level": level, "region": region},
    )
    return unit


def register_agency(
    session: Session, ctx: Context, *, actor: Actor, uscc: str, name: str, region: str
) -> Agency:
    name = name.strip()
    if not name:
        raise DomainError(code="providers.agency_name", message="机关名称不能为空")
    uscc = _valid_uscc(uscc)
    region = _region(region)
    if session.get(Agency, uscc) is not None:
        raise DomainError(
            code="providers.agency_exists", message="该统一社会信用代码的国家机关已登记"
        )
    agency = Agency(uscc=uscc, name=name, region=region, state="active", created_at=ctx.clock.now())
    session.add(agency)
    session.flush()
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.PROVIDERS_AGENCY_REGISTER,
        object_type="agency",
        object_id=uscc,
        detail={"name": name, "region": region},
    )
    return agency


def units(session: Session, query: str = "") -> list[ProviderUnit]:
    stmt = select(ProviderUnit).order_by(ProviderUnit.code)
    if query.strip():
        like = f"%{query.strip()}%"
        stmt = stmt.where(
            or_(
                ProviderUnit.code.like(like),
                ProviderUnit.name.like(like),
                ProviderUnit.uscc.like(like),
            )
        )
    return list(session.scalars(stmt))


def agencies(session: Session) -> list[Agency]:
    return list(session.scalars(select(Agency).order_by(Agency.name)))


def unit_names(session: Session, codes: set[str]) -> dict[str, str]:
    """Provider units' names by code, for pages that name a deciding or providing unit."""
    if not codes:
        return {}
    found = session.execute(
        select(ProviderUnit.code, ProviderUnit.name).where(ProviderUnit.code.in_(codes))
    )
    return {code: name for code, name in found}

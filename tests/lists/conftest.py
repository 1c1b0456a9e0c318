"""Fixtures for chapter 4: staff, an agency, published measures, valid subject codes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from xinyong.common.roles import Actor, Role
from xinyong.context import Context
from xinyong.demo.generate import synthetic_citizen_id, synthetic_uscc
from xinyong.lists.measures import define_measure, publish_measure
from xinyong.lists.schemas import MeasureIn, RecognitionIn

STAFF = Actor(role=Role.STAFF, user_id=1, username="staff-a")
REVIEWER = Actor(role=Role.STAFF, user_id=2, username="staff-b")
AGENCY = Actor(role=Role.AGENCY, user_id=3, username="agency-procurement")
TODAY = dt.date(2026, 11, 23)
COMPANY = synthetic_uscc(101, "230103")
OTHER_COMPANY = synthetic_uscc(102, "230103")
PERSON = synthetic_citizen_id(7, ("230103",))
BOSS = synthetic_citizen_id(8, ("230102",))


def measure(code: str, list_kind: str, kind: str, **extra: Any) -> MeasureIn:
    values: dict[str, Any] = {
        "code": code,
        "list_kind": list_kind,
        "kind": kind,
        "name": f"措施{code}",
        "legal_basis": "《黑龙江省社会信用条例》第三十一条",
        "scenarios": ["procurement"],
        "implementing_agency": "省财政厅（演示）",
        "conduct_categories": [] if list_kind == "incentive" else ["market_order"],
        **extra,
    }
    if list_kind == "punishment" and "term_amount" not in extra:
        values.update(term_amount=1, term_unit="year")
    return MeasureIn(**values)


def decision(subject_key: str = COMPANY, **extra: Any) -> RecognitionIn:
    values: dict[str, Any] = {
        "subject_key": subject_key,
        "subject_name": "哈尔滨演示建设有限公司",
        "authority": "黑龙江省市场监督管理局（演示）",
        "conduct_category": "market_order",
        "basis_type": "administrative_penalty",
        "basis_document": "黑市监罚〔2026〕12号行政处罚决定书",
        "reasons": "串通投标，情节严重",
        "valid_until": dt.date(2027, 11, 23),
        "removal_conditions": "期限届满或者信用修复完成",
        "remedies": "可以依法申请行政复议或者提起行政诉讼，或者向平台提出异议",
        "decided_on": TODAY,
        **extra,
    }
    return RecognitionIn(**values)


@pytest.fixture
def measures(ctx: Context) -> Context:
    """One published measure of each list (procurement scenario), one unpublished."""
    with ctx.sessions() as session, session.begin():
        for m in (
            measure("INC-1", "incentive", "procurement_bonus"),
            measure("CON-1", "constraint", "no_facilitation"),
            measure("PUN-1", "punishment", "procurement_restriction"),
            measure("PUN-REL", "punishment", "procurement_restriction", targets=["related_person"]),
            measure("PUN-DRAFT", "punishment", "funding_restriction"),
        ):
            define_measure(session, ctx, actor=STAFF, body=m)
            if m.code != "PUN-DRAFT":
                publish_measure(session, ctx, actor=STAFF, code=m.code, on=dt.date(2026, 1, 5))
    return ctx

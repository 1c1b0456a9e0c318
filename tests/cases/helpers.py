"""Helpers shared by the case-engine tests and the scenario stories (tests/law/test_stories.py):
a pushed 行政处罚, its subject's account, a published measure, a serious-dishonesty listing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.ingest.conftest import push_as_system
from xinyong.common.roles import Actor, Role
from xinyong.context import Context
from xinyong.demo.rows import penalty_row
from xinyong.lists import measures, recognition
from xinyong.lists.schemas import MeasureIn, RecognitionIn
from xinyong.records.models import CreditRecord

STAFF = Actor(role=Role.STAFF, user_id=1, username="staff")


def push_penalty(ctx: Context, n: int) -> CreditRecord:
    row = penalty_row(n, ctx.today())
    push_as_system(ctx, [row])
    with ctx.sessions() as session:
        record = session.scalar(
            select(CreditRecord).where(
                CreditRecord.record_key == row["处罚决定书文号"], CreditRecord.is_current.is_(True)
            )
        )
        assert record is not None
        return record


def owner(record: CreditRecord) -> Actor:
    return Actor(role=Role.SUBJECT, user_id=9, username="owner", subject_key=record.subject_key)


def publish_measure(ctx: Context, code: str, kind: str, list_kind: str) -> None:
    with ctx.sessions() as session, session.begin():
        measures.define_measure(
            session,
            ctx,
            actor=STAFF,
            body=MeasureIn(
                code=code,
                list_kind=list_kind,
                kind=kind,
                name=code,
                legal_basis="演示",
                scenarios=["procurement"],
                conduct_categories=["market_order"],
                implementing_agency="演示",
                term_amount=2 if list_kind == "punishment" else None,
                term_unit="year" if list_kind == "punishment" else None,
            ),
        )
        measures.publish_measure(session, ctx, actor=STAFF, code=code, on=dt.date(2026, 1, 1))


def list_serious(
    ctx: Context, record: CreditRecord, decided_on: dt.date = dt.date(2026, 5, 1)
) -> str:
    with ctx.sessions() as session, session.begin():
        entry = recognition.recognise(
            session,
            ctx,
            actor=STAFF,
            list_kind="serious",
            body=RecognitionIn(
                subject_key=record.subject_key,
                subject_name="演示",
                authority="演示",
                conduct_category="market_order",
                basis_type="administrative_penalty",
                basis_document=record.record_key,
                reasons="情节严重",
                valid_until=dt.date(2028, 1, 1),
                removal_conditions="修复",
                remedies="复议",
                decided_on=decided_on,
                record_id=record.id,
            ),
        )
        return entry.number

"""Chapter-4 demo data for `make run`: one published measure per list, red-list criteria, one
red-list and one serious-dishonesty entry (with the listed company's linked legal representative,
HLJ 33), all synthetic and dated from the day it is loaded."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from xinyong.common.roles import SYSTEM
from xinyong.context import Context
from xinyong.demo.generate import synthetic_uscc
from xinyong.law.workdays import add_period
from xinyong.lists import court_debtors, criteria, recognition
from xinyong.lists.measures import define_measure, publish_measure
from xinyong.lists.models import ListEntry
from xinyong.lists.schemas import CriteriaIn, MeasureIn, RecognitionIn

DEMO_LISTED = synthetic_uscc(7_000_002, "230102")
DEMO_LISTED_NAME = "哈尔滨演示围标建材有限公司（演示）"


def load_lists_demo(ctx: Context, *, company: str) -> None:
    today = ctx.today()
    published = today - dt.timedelta(days=30)
    common = {
        "legal_basis": "《黑龙江省社会信用条例》第二十六条、第三十一条（演示措施）",
        "implementing_agency": "哈尔滨市财政局（演示）",
    }
    measures = [
        MeasureIn(
            code="DEMO-INC-PROCUREMENT",
            list_kind="incentive",
            kind="procurement_bonus",
            name="政府采购评审中同等条件下优先（演示）",
            scenarios=["procurement", "awards"],
            **common,
        ),
        MeasureIn(
            code="DEMO-CON-FACILITATION",
            list_kind="constraint",
            kind="no_facilitation",
            name="不适用告知承诺等便利化服务（演示）",
            scenarios=["licensing"],
            conduct_categories=["market_order", "health_safety", "refusal_to_perform"],
            **common,
        ),
        MeasureIn(
            code="DEMO-PUN-PROCUREMENT",
            list_kind="punishment",
            kind="procurement_restriction",
            name="限制参加政府采购和公共资源交易（演示）",
            scenarios=["procurement"],
            conduct_categories=["market_order", "refusal_to_perform"],
            term_amount=3,
            term_unit="year",
            **common,
        ),
        MeasureIn(
            code="DEMO-PUN-RELATED",
            list_kind="punishment",
            kind="no_awards",
            name="法定代表人不得评优评先（演示）",
            scenarios=["awards"],
            conduct_categories=["market_order", "refusal_to_perform"],
            targets=["related_person"],
            term_amount=1,
            term_unit="year",
            **common,
        ),
    ]
    with ctx.sessions() as session, session.begin():
        for m in measures:
            define_measure(session, ctx, actor=SYSTEM, body=m)
            publish_measure(session, ctx, actor=SYSTEM, code=m.code, on=published)
        criteria.define_criteria(
            session,
            ctx,
            actor=SYSTEM,
            body=CriteriaIn(
                code="DEMO-TAX-A",
                authority="国家税务总局黑龙江省税务局（演示）",
                industry="税务",
                title="纳税信用A级纳税人守信激励认定标准（演示）",
                text="连续三年被评为纳税信用A级，且无重大税收违法失信记录。",
                approval="省人民政府同意（演示文件）",
                published_on=published,
            ),
        )
        recognition.recognise(
            session,
            ctx,
            actor=SYSTEM,
            list_kind="red",
            body=RecognitionIn(
                subject_key=company,
                authority="国家税务总局黑龙江省税务局（演示）",
                criteria_code="DEMO-TAX-A",
                reasons="2023至2025年度纳税信用均为A级",
                valid_until=add_period(today, 1, "year"),
                decided_on=today,
            ),
        )
        listed = recognition.recognise(
            session,
            ctx,
            actor=SYSTEM,
            list_kind="serious",
            body=RecognitionIn(
                subject_key=DEMO_LISTED,
                subject_name=DEMO_LISTED_NAME,
                authority="哈尔滨市市场监督管理局（演示）",
                conduct_category="market_order",
                basis_type="administrative_penalty",
                basis_document="哈市监罚〔2026〕88号行政处罚决定书（演示）",
                reasons="在政府采购项目中串通投标，情节严重（演示）",
                valid_until=add_period(today, 3, "year"),
                removal_conditions="期限届满；或者纠正失信行为、履行义务并公开作出信用承诺后经信用修复",
                remedies="可以自收到本决定之日起依法申请行政复议或者提起行政诉讼；"
                "对平台记载有异议的，可以向平台提出异议",
                decided_on=today,
            ),
        )
        # Where a natural person is told before listing (HRB 31 ¶2), the demo's notice reached
        # the legal representative the same day.
        for entry in session.scalars(
            select(ListEntry).where(
                ListEntry.parent_id == listed.id, ListEntry.state == "notice_pending"
            )
        ):
            recognition.deliver_notice(
                session, ctx, actor=SYSTEM, number=entry.number, delivered_on=today
            )
        court_debtors.sync_court_debtors(session, ctx, actor=SYSTEM)  # HLJ 28 ¶3 for generated rows

"""The case engine (issue 6): objections, list objections, repair, complaints, revoked bases,
jobs — each clock from the packs and the working-day calendar, each outcome all-or-nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.cases.helpers import STAFF, list_serious, owner, publish_measure, push_penalty
from tests.conftest import make_settings
from xinyong.cases import service
from xinyong.catalog.service import seed_catalog
from xinyong.common.clock import PLATFORM_TZ, FixedClock
from xinyong.common.errors import DomainError
from xinyong.common.roles import ANONYMOUS, SYSTEM, Actor, Role
from xinyong.context import Context, build_context
from xinyong.deadlines.service import import_calendar_notice
from xinyong.flows import run_jobs
from xinyong.lists import recognition
from xinyong.lists.check import run_check
from xinyong.lists.schemas import RecognitionIn
from xinyong.records.models import CreditRecord
from xinyong.sharing.service import profile
from xinyong.visibility.engine import Viewer

AGENCY = Actor(role=Role.AGENCY, user_id=2, username="agency")
TODAY = dt.date(2026, 11, 23)  # a Monday
CALENDAR_2027 = Path(__file__).parent.parent / "fixtures" / "calendar-2027-test.yaml"


def _clocks(described: dict[str, object]) -> dict[str, dict[str, object]]:
    return {c["rule"]: c for c in described["clocks"]}  # type: ignore[attr-defined,index]


def _move(ctx: Context, number: str, to: str, reasons: str | None = None, **kw: str) -> None:
    with ctx.sessions() as session, session.begin():
        service.transition(session, ctx, actor=STAFF, number=number, to=to, reasons=reasons, **kw)


def test_an_objection_is_marked_decided_and_corrected_downstream(seeded: Context) -> None:
    ctx = seeded
    record = push_penalty(ctx, 3)
    profile(ctx, viewer=Viewer(actor=AGENCY, purpose="licensing"), subject_key=record.subject_key)
    with ctx.sessions() as session, session.begin():
        case = service.file_objection(
            session, ctx, actor=owner(record), record_id=record.id, request="罚款已撤销"
        )
        clocks = _clocks(service.describe(session, ctx, case))
        number = case.number
    assert clocks["objection.mark"]["due_on"] == "2026-11-24"  # 1 working day, receipt not counted
    assert clocks["objection.decide"]["due_on"] == "2026-11-26"  # 3 working days
    assert clocks["objection.decide"]["citations"][0] == "《黑龙江省社会信用条例》第三十九条第二款"
    _move(ctx, number, "marked")
    shown = profile(ctx, viewer=Viewer(actor=ANONYMOUS), subject_key=record.subject_key)
    assert [v.marks for v in shown.records] == [["异议处理中"]]
    with pytest.raises(DomainError) as caught:
        _move(ctx, number, "rejected")
    assert caught.value.code == "cases.reasons_required"
    _move(ctx, number, "upheld", "处罚决定已被复议机关撤销")
    assert (
        profile(ctx, viewer=Viewer(actor=ANONYMOUS), subject_key=record.subject_key).records == []
    )
    with ctx.sessions() as session:
        described = service.describe(session, ctx, service.get_case(session, number))
        notices = {n["kind"]: n for n in described["notices"]}
        current = session.scalar(
            select(CreditRecord).where(
                CreditRecord.record_key == record.record_key, CreditRecord.is_current.is_(True)
            )
        )
    assert (
        current is not None
        and current.state == "withdrawn"
        and current.change == "objection_upheld"
    )
    assert notices["agency"]["to"] == "agency" and "同步更正" in notices["agency"]["message"]
    assert "异议成立" in notices["subject"]["message"]
    downstream = _clocks(described)["objection.downstream_fix"]
    assert downstream["due_on"] == "2026-11-26" and downstream["state"] == "running"
    assert [e["to"] for e in described["events"]] == ["filed", "marked", "upheld"]
    with ctx.sessions() as session:
        mine = service.notices_for(session, ctx, AGENCY)  # what the agency must act on
        other = Actor(role=Role.AGENCY, user_id=3, username="other-agency")
        assert service.notices_for(session, ctx, other) == []
    assert [(n["case"], n["due_on"], n["overdue"]) for n in mine] == [(number, "2026-11-26", False)]
    assert "第三十九条" in mine[0]["citations"][0]
    with ctx.sessions() as session, session.begin():
        service.notice_acted(session, ctx, actor=AGENCY, notice_id=mine[0]["id"])
    with ctx.sessions() as session:
        assert service.notices_for(session, ctx, AGENCY)[0]["acted_at"] is not None
        fixed = _clocks(service.describe(session, ctx, service.get_case(session, number)))
    assert fixed["objection.downstream_fix"]["state"] == "met"


@pytest.fixture
def harbin(db_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[Context]:
    context = build_context(make_settings(tmp_path, db_url, platform="230100"), clock=clock)
    with context.sessions() as session, session.begin():
        seed_catalog(session, context, actor=SYSTEM)
    yield context
    context.engine.dispose()


def test_harbin_uses_the_provinces_shorter_deadline_and_shows_its_own(harbin: Context) -> None:
    record = push_penalty(harbin, 4)
    with harbin.sessions() as session, session.begin():
        case = service.file_objection(
            session, harbin, actor=owner(record), record_id=record.id, request="有误"
        )
        decide = _clocks(service.describe(session, harbin, case))["objection.decide"]
    assert decide["due_on"] == "2026-11-26" and decide["amount"] == 3
    assert any("5" in note and "哈尔滨" in note for note in decide["notes"])


def test_an_excluded_interval_extends_the_decision(seeded: Context) -> None:
    from xinyong.deadlines.service import clocks_of, pause_clock
    from xinyong.law.workdays import Pause

    ctx = seeded
    record = push_penalty(ctx, 5)
    with ctx.sessions() as session, session.begin():
        case = service.file_objection(
            session, ctx, actor=owner(record), record_id=record.id, request="检测结论有误"
        )
        decide = next(
            r for r in clocks_of(session, "case", case.number) if r.rule_key == "objection.decide"
        )
        pause_clock(
            session,
            ctx,
            actor=STAFF,
            row=decide,
            pause=Pause(dt.date(2026, 11, 24), dt.date(2026, 11, 25), "testing"),
        )
        assert decide.due_on == dt.date(2026, 11, 30)  # two paused working days added


def test_a_repair_ends_two_measures_at_once(seeded: Context) -> None:
    ctx = seeded
    publish_measure(ctx, "C-1", "no_facilitation", "constraint")
    publish_measure(ctx, "P-1", "procurement_restriction", "punishment")
    early = push_penalty(ctx, 0)  # decided yesterday: within the minimum publicity period
    with pytest.raises(DomainError) as caught, ctx.sessions() as session:
        service.file_repair(
            session,
            ctx,
            actor=owner(early),
            record_id=early.id,
            request="已整改",
            conditions=["conduct_corrected", "public_commitment"],
            commitment="承诺守法",
        )
    assert (
        caught.value.code == "cases.repair_too_early" and "自2027-02-23起" in caught.value.message
    )
    own_view = profile(ctx, viewer=Viewer(actor=owner(early)), subject_key=early.subject_key)
    assert [v.repair_from for v in own_view.records] == [dt.date(2027, 2, 23)]  # shown in advance
    record = push_penalty(ctx, 200)  # decided 201 days ago
    number = list_serious(ctx, record)
    with ctx.sessions() as session:
        before = run_check(
            session, ctx, actor=AGENCY, scenario="procurement", subject_keys=[record.subject_key]
        ).results[0]
    assert {i["measure"] for i in before["restrictions"]} == {"C-1", "P-1"}
    with ctx.sessions() as session, session.begin():
        with pytest.raises(DomainError) as caught:
            service.file_repair(
                session,
                ctx,
                actor=owner(record),
                record_id=record.id,
                request="已整改",
                conditions=["conduct_corrected"],
                commitment="",
            )
        assert caught.value.code == "cases.repair_conditions"
        case = service.file_repair(
            session,
            ctx,
            actor=owner(record),
            record_id=record.id,
            request="已缴纳罚款",
            conditions=["conduct_corrected", "public_commitment"],
            commitment="本单位承诺守法经营",
            entry_number=number,
        )
        repair_clock = _clocks(service.describe(session, ctx, case))["repair.decide"]
    assert repair_clock["unverified"] is True and repair_clock["due_on"] == "2026-11-30"
    _move(ctx, case.number, "approved", "已履行处罚决定并公开作出信用承诺")
    with ctx.sessions() as session:
        after = run_check(
            session, ctx, actor=AGENCY, scenario="procurement", subject_keys=[record.subject_key]
        ).results[0]
        entry = recognition.get_entry(session, number)
        described = service.describe(session, ctx, service.get_case(session, case.number))
    assert (
        after["restrictions"] == []
        and entry.state == "removed"
        and entry.removal_reason == "repaired"
    )
    assert (
        profile(ctx, viewer=Viewer(actor=ANONYMOUS), subject_key=record.subject_key).records == []
    )
    own = profile(ctx, viewer=Viewer(actor=owner(record)), subject_key=record.subject_key)
    assert [v.state for v in own.records] == ["repaired"]  # archived for the subject
    assert {n["kind"] for n in described["notices"]} == {"subject"}  # province: no upper platform


def test_a_list_objection_upheld_removes_the_listing(seeded: Context) -> None:
    ctx = seeded
    record = push_penalty(ctx, 7)
    number = list_serious(ctx, record)
    with ctx.sessions() as session, session.begin():
        case = service.file_list_objection(
            session, ctx, actor=owner(record), entry_number=number, request="认定错误"
        )
        decide = _clocks(service.describe(session, ctx, case))[
            "serious_dishonesty.objection.decide"
        ]
    assert decide["due_on"] == "2026-11-26" and "第三十五条" in decide["citations"][0]
    _move(ctx, case.number, "upheld", "认定依据不足")
    with ctx.sessions() as session:
        assert recognition.get_entry(session, number).removal_reason == "objection_upheld"


def test_complaint_answer_within_20_working_days_across_new_year(
    seeded: Context, clock: FixedClock
) -> None:
    ctx = seeded
    clock.set(dt.datetime(2026, 12, 21, 10, 0, tzinfo=PLATFORM_TZ))
    citizen = Actor(role=Role.SUBJECT, username="citizen", subject_key="230103195001010011")
    with ctx.sessions() as session, session.begin():
        case = service.file_complaint(session, ctx, actor=citizen, request="某信用服务机构违规采集")
        answer = _clocks(service.describe(session, ctx, case))["complaint.answer"]
    assert answer["provisional"] is True  # runs into 2027, whose calendar is not official yet
    provisional_due = answer["due_on"]
    with ctx.sessions() as session, session.begin():
        import_calendar_notice(session, ctx, actor=SYSTEM, path=CALENDAR_2027)
    with ctx.sessions() as session:
        again = _clocks(service.describe(session, ctx, service.get_case(session, case.number)))
    assert again["complaint.answer"]["provisional"] is False
    assert again["complaint.answer"]["due_on"] != provisional_due  # recomputed by the notice
    with pytest.raises(DomainError):
        _move(ctx, case.number, "answered")
    _move(ctx, case.number, "answered", "已责令该机构停止采集并删除")


def test_a_revoked_basis_is_reported_and_acted_on(seeded: Context, clock: FixedClock) -> None:
    ctx = seeded
    record = push_penalty(ctx, 8)
    number = list_serious(ctx, record)
    provider = Actor(role=Role.PROVIDER, username="p", provider_code=record.provider_code)
    with ctx.sessions() as session, session.begin():
        case = service.report_basis_change(
            session,
            ctx,
            actor=provider,
            record_id=record.id,
            learned_on=dt.date(2026, 11, 18),
            request="行政处罚决定已被法院判决撤销",
        )
        clocks = _clocks(service.describe(session, ctx, case))
    assert clocks["correction.basis_changed.provider_report"]["state"] == "late"  # 2 wd from 11-18
    assert clocks["correction.basis_changed.platform_act"]["due_on"] == "2026-11-24"
    _move(ctx, case.number, "acted", "已撤销该记录")
    with ctx.sessions() as session:
        assert recognition.get_entry(session, number).removal_reason == "basis_revoked"


def test_jobs_flag_overdue_clocks_and_end_terms_idempotently(
    seeded: Context, clock: FixedClock
) -> None:
    ctx = seeded
    record = push_penalty(ctx, 9)
    with ctx.sessions() as session, session.begin():
        service.file_objection(
            session, ctx, actor=owner(record), record_id=record.id, request="有误"
        )
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
                basis_document="x",
                reasons="y",
                valid_until=dt.date(2026, 11, 30),
                removal_conditions="z",
                remedies="w",
                decided_on=TODAY,
            ),
        )
    clock.set(dt.datetime(2026, 12, 1, 9, 0, tzinfo=PLATFORM_TZ))
    first = run_jobs(ctx)
    second = run_jobs(ctx)
    assert first["clocks_overdue"] == 2 and first["entries_term_ended"] == 1
    assert second["clocks_overdue"] == 0 and second["entries_term_ended"] == 0
    with ctx.sessions() as session:
        queue = service.queue(session, ctx)
        assert queue[0]["overdue"] is True
        assert recognition.get_entry(session, entry.number).removal_reason == "term_ended"


def test_a_decision_needs_a_choice_reasons_and_a_statement(seeded: Context) -> None:
    """Issue 16: no default decision; a rejection needs reasons, an approval a statement the
    applicant receives; each refusal names its article."""
    ctx = seeded
    record = push_penalty(ctx, 31)
    with ctx.sessions() as session, session.begin():
        number = service.file_objection(
            session, ctx, actor=owner(record), record_id=record.id, request="金额有误"
        ).number
    for to, reasons, code in (
        (None, None, "cases.choice_required"),
        ("", "理由", "cases.choice_required"),
    ):
        with pytest.raises(DomainError) as refused, ctx.sessions() as session, session.begin():
            service.transition(session, ctx, actor=STAFF, number=number, to=to, reasons=reasons)
        assert refused.value.code == code and "第三十九条" in refused.value.message
    _move(ctx, number, "marked")
    with pytest.raises(DomainError) as refused, ctx.sessions() as session, session.begin():
        service.transition(session, ctx, actor=STAFF, number=number, to="upheld")
    assert refused.value.code == "cases.statement_required"
    with pytest.raises(DomainError) as refused, ctx.sessions() as session, session.begin():
        service.transition(session, ctx, actor=STAFF, number=number, to="rejected", reasons=" ")
    assert refused.value.code == "cases.reasons_required"


def test_a_paper_application_is_dated_by_its_receipt(seeded: Context, clock: FixedClock) -> None:
    """HLJ 24: a paper application at a window; not in the future, not before the record; the
    clocks run from the day the paper arrived (the injected clock moves on a week first)."""
    ctx = seeded
    record = push_penalty(ctx, 32)
    pushed = ctx.today()
    clock.advance(dt.timedelta(days=7))
    for day, code in (
        (ctx.today() + dt.timedelta(days=1), "cases.received_future"),
        (pushed - dt.timedelta(days=1), "cases.received_before_record"),
    ):
        with pytest.raises(DomainError) as refused, ctx.sessions() as session, session.begin():
            service.file_paper(
                session,
                ctx,
                actor=STAFF,
                kind="objection",
                record_id=record.id,
                applicant="申请人",
                received_on=day,
                request="金额有误",
            )
        assert refused.value.code == code
    with ctx.sessions() as session, session.begin():
        case = service.file_paper(
            session,
            ctx,
            actor=STAFF,
            kind="objection",
            record_id=record.id,
            applicant="申请人",
            received_on=pushed,
            request="金额有误",
        )
        described = service.describe(session, ctx, case)
    assert described["received_via"] == "window"
    assert {c["started_on"] for c in described["clocks"]} == {pushed.isoformat()}

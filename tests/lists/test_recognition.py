"""Recognition (HLJ 25, 27-33, HRB 31-32): written decisions with every element, exemption,
prudent recognition in emergencies, prior notice in Harbin, related persons, state units,
court debtors, removal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from xinyong.common.clock import FixedClock
from xinyong.common.errors import DomainError
from xinyong.context import Context, build_context
from xinyong.lists import criteria, emergencies, notices, recognition
from xinyong.lists.check import run_check
from xinyong.lists.models import ListEntry, StateUnitNotice
from xinyong.lists.schemas import CriteriaIn, EmergencyIn, RelatedPerson
from xinyong.subjects.models import SubjectLink

from ..conftest import make_settings
from .conftest import AGENCY, BOSS, COMPANY, PERSON, REVIEWER, STAFF, TODAY, decision


def _recognise(ctx: Context, list_kind: str = "serious", **extra: object) -> ListEntry:
    with ctx.sessions() as session, session.begin():
        return recognition.recognise(
            session, ctx, actor=STAFF, list_kind=list_kind, body=decision(**extra)
        )


@pytest.mark.parametrize(
    ("missing", "label"),
    [
        ({"reasons": None}, "理由"),
        ({"basis_document": " "}, "依据"),
        ({"valid_until": None}, "期限"),
        ({"removal_conditions": ""}, "移出条件"),
        ({"remedies": None}, "救济途径"),
    ],
)
def test_a_decision_missing_a_required_element_is_refused(
    ctx: Context, missing: dict[str, object], label: str
) -> None:
    with pytest.raises(DomainError) as caught:
        _recognise(ctx, **missing)
    assert caught.value.code == "lists.decision_incomplete"
    assert label in caught.value.message
    assert [(c.article, c.paragraph) for c in caught.value.citations] == [(28, 2)]
    with ctx.sessions() as session:
        assert session.scalar(select(ListEntry.id)) is None


def test_only_statutory_conduct_and_bases(ctx: Context) -> None:
    with pytest.raises(DomainError) as caught:
        _recognise(ctx, conduct_category="late_library_books")
    assert caught.value.code == "lists.conduct_category"
    assert caught.value.citations[0].article == 29
    with pytest.raises(DomainError) as caught:
        _recognise(ctx, basis_type="newspaper_report")
    assert caught.value.code == "lists.basis_type"
    assert caught.value.citations[0].article == 27


def test_exemption_records_a_reminder_and_lists_nothing(measures: Context) -> None:
    ctx = measures
    entry = _recognise(ctx, circumstances=["minor", "first_time", "corrected", "no_harm"])
    assert entry.state == "exempted"
    assert [c["paragraph"] for c in __import__("json").loads(entry.citations)] == [2]
    with ctx.sessions() as session:
        assert recognition.public_list(session, "serious", TODAY) == []
        answer = run_check(
            session, ctx, actor=AGENCY, scenario="procurement", subject_keys=[COMPANY]
        )
    assert answer.results[0]["restrictions"] == []
    # not every condition: no exemption, a listing
    assert _recognise(ctx, circumstances=["minor", "first_time"]).state == "active"


def test_an_emergency_requires_a_second_reviewer(ctx: Context) -> None:
    with ctx.sessions() as session, session.begin():
        emergencies.declare_emergency(
            session,
            ctx,
            actor=STAFF,
            body=EmergencyIn(
                region="230100",
                name="松花江流域洪涝灾害",
                starts_on=dt.date(2026, 11, 1),
                ends_on=dt.date(2026, 12, 31),
            ),
        )
    with pytest.raises(DomainError) as caught:
        _recognise(ctx)  # COMPANY is registered in 230103, inside 2301
    assert caught.value.code == "lists.prudent_recognition"
    assert [(c.article, c.paragraph) for c in caught.value.citations] == [(30, 3)]
    with pytest.raises(DomainError):
        _recognise(ctx, reviewed_by="staff-a")  # the recogniser cannot review itself
    entry = _recognise(ctx, reviewed_by=REVIEWER.username)
    assert entry.emergency_id is not None and entry.state == "active"


@pytest.fixture
def harbin(db_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[Context]:
    context = build_context(make_settings(tmp_path, db_url, platform="230100"), clock=clock)
    yield context
    context.engine.dispose()


def test_harbin_notifies_a_natural_person_before_listing(harbin: Context) -> None:
    ctx = harbin
    entry = _recognise(ctx, subject_key=PERSON, subject_name="张三", entity_type="person")
    assert entry.state == "notice_pending" and entry.valid_from is None
    assert any(c["article"] == 31 for c in __import__("json").loads(entry.citations))
    with ctx.sessions() as session:
        assert recognition.public_list(session, "serious", TODAY) == []
        answer = run_check(session, ctx, actor=AGENCY, scenario="licensing", subject_keys=[PERSON])
    assert answer.results[0]["restrictions"] == []
    with ctx.sessions() as session, session.begin():
        recognition.deliver_notice(
            session, ctx, actor=STAFF, number=entry.number, delivered_on=TODAY
        )
    with ctx.sessions() as session:
        listed = recognition.public_list(session, "serious", TODAY)
        shown = recognition.describe_entry(listed[0], TODAY, full=False)
    assert shown["subject_name"] == "张*" and "*" in shown["subject_key"]


def test_the_province_lists_a_natural_person_on_decision(ctx: Context) -> None:
    entry = _recognise(ctx, subject_key=PERSON, subject_name="张三", entity_type="person")
    assert entry.state == "active" and entry.valid_from == TODAY


def test_related_persons_receive_the_measures_in_their_own_records(measures: Context) -> None:
    ctx = measures
    with ctx.sessions() as session, session.begin():
        session.add(
            SubjectLink(
                organisation_key=COMPANY,
                person_key=BOSS,
                person_name="李四",
                relation="legal_representative",
                valid_from=dt.date(2020, 1, 1),
                source="市场监管登记（演示）",
                recorded_at=ctx.clock.now(),
            )
        )
    helper = RelatedPerson(person_key=PERSON, person_name="王五", relation="responsible_person")
    parent = _recognise(ctx, related_persons=[helper])
    with ctx.sessions() as session:
        children = list(session.scalars(select(ListEntry).where(ListEntry.parent_id == parent.id)))
        assert {(c.subject_key, c.relation) for c in children} == {
            (BOSS, "legal_representative"),
            (PERSON, "responsible_person"),
        }
        answer = run_check(
            session, ctx, actor=AGENCY, scenario="procurement", subject_keys=[BOSS, COMPANY]
        )
    boss, company = answer.results
    assert [i["measure"] for i in boss["restrictions"]] == ["PUN-REL"]
    assert boss["restrictions"][0]["relation"] == "legal_representative"
    assert {i["measure"] for i in company["restrictions"]} == {"CON-1", "PUN-1"}


def test_state_units_trigger_the_notifications_of_hlj_32(ctx: Context) -> None:
    with pytest.raises(DomainError) as caught:
        _recognise(ctx, entity_type="state_unit", notify={"superior": "哈尔滨市人民政府"})
    assert (
        caught.value.code == "lists.notice_recipient_missing" and "审计机关" in caught.value.message
    )
    entry = _recognise(
        ctx,
        entity_type="state_unit",
        notify={"superior": "哈尔滨市人民政府", "audit": "哈尔滨市审计局"},
    )
    with ctx.sessions() as session:
        sent = list(
            session.scalars(select(StateUnitNotice).where(StateUnitNotice.entry_id == entry.id))
        )
        assert {n.recipient_kind for n in sent} == {"superior", "audit"}
        open_before = len(notices.notices(session, open_only=True))
    with ctx.sessions() as session, session.begin():
        notices.answer_notice(
            session, ctx, actor=STAFF, notice_id=sent[0].id, handling="已约谈并责令纠正"
        )
    with ctx.sessions() as session:
        assert len(notices.notices(session, open_only=True)) == open_before - 1


def test_red_list_needs_published_criteria(measures: Context) -> None:
    ctx = measures
    with pytest.raises(DomainError) as caught:
        _recognise(ctx, "red", criteria_code="TAX-A")
    assert caught.value.code == "lists.criteria_unpublished"
    with ctx.sessions() as session, session.begin():
        with pytest.raises(DomainError):
            criteria.define_criteria(
                session,
                ctx,
                actor=STAFF,
                body=CriteriaIn(
                    code="TAX-A",
                    authority="税务局",
                    industry="税务",
                    title="A级纳税人",
                    text="连续三年A级",
                ),
            )
        criteria.define_criteria(
            session,
            ctx,
            actor=STAFF,
            body=CriteriaIn(
                code="TAX-A",
                authority="税务局",
                industry="税务",
                title="A级纳税人",
                text="连续三年A级",
                approval="哈政办〔2026〕3号",
                published_on=dt.date(2026, 3, 1),
            ),
        )
    entry = _recognise(ctx, "red", criteria_code="TAX-A")
    with ctx.sessions() as session:
        answer = run_check(
            session, ctx, actor=AGENCY, scenario="procurement", subject_keys=[COMPANY]
        )
        assert [e.number for e in recognition.public_list(session, "red", TODAY)] == [entry.number]
    assert [i["measure"] for i in answer.results[0]["incentives"]] == ["INC-1"]


def test_removal_ends_the_entry_its_derived_entries_and_every_measure(measures: Context) -> None:
    ctx = measures
    parent = _recognise(
        ctx,
        related_persons=[RelatedPerson(person_key=BOSS, person_name="李四", relation="principal")],
    )
    with ctx.sessions() as session, session.begin():
        recognition.remove_entry(
            session, ctx, actor=STAFF, number=parent.number, reason="repaired", note="修复完成"
        )
    with ctx.sessions() as session:
        answer = run_check(
            session, ctx, actor=AGENCY, scenario="procurement", subject_keys=[COMPANY, BOSS]
        )
        states = set(session.scalars(select(ListEntry.state)))
    assert states == {"removed"}
    assert all(not r["restrictions"] for r in answer.results)

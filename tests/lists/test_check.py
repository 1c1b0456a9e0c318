"""The joint check (HLJ 43, 44): what applies today, stored, batch, on the day a term ends,
court debtors listed automatically with their legal representatives constrained."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from xinyong.audit.tags import AuditTag
from xinyong.common.clock import PLATFORM_TZ, FixedClock
from xinyong.common.errors import DomainError, Forbidden
from xinyong.common.roles import ANONYMOUS, SYSTEM, Actor, Role
from xinyong.context import Context
from xinyong.lists import court_debtors, recognition
from xinyong.lists.check import load_check, run_check
from xinyong.lists.measures import define_measure, publish_measure
from xinyong.lists.models import CreditCheckResult, ListEntry
from xinyong.sharing.service import access_log
from xinyong.subjects.models import Subject, SubjectLink

from ..ingest.conftest import push_as_system
from .conftest import AGENCY, BOSS, COMPANY, OTHER_COMPANY, STAFF, TODAY, decision


def _list(ctx: Context, **extra: object) -> ListEntry:
    with ctx.sessions() as session, session.begin():
        return recognition.recognise(
            session, ctx, actor=STAFF, list_kind="serious", body=decision(**extra)
        )


def _check(ctx: Context, keys: list[str], scenario: str = "procurement") -> list[dict[str, object]]:
    with ctx.sessions() as session, session.begin():
        return run_check(session, ctx, actor=AGENCY, scenario=scenario, subject_keys=keys).results


def test_a_check_lists_what_applies_with_its_basis_and_article(measures: Context) -> None:
    ctx = measures
    entry = _list(ctx)
    [result] = _check(ctx, [COMPANY])
    restrictions = result["restrictions"]
    assert isinstance(restrictions, list)
    assert {i["measure"] for i in restrictions} == {"CON-1", "PUN-1"}  # not the draft PUN-DRAFT
    punishment = next(i for i in restrictions if i["measure"] == "PUN-1")
    assert punishment["entry"] == entry.number
    assert punishment["basis"] == "黑市监罚〔2026〕12号行政处罚决定书"
    assert punishment["until"] == "2027-11-23"  # the 1-year term ends with the entry's term
    assert any("第二十九条" in c for c in punishment["citations"])
    assert punishment["remedies"] and punishment["removal_conditions"]  # HRB 31 ¶3
    assert _check(ctx, [COMPANY], scenario="awards")[0]["restrictions"] == []  # other scenario


def test_the_check_on_the_day_a_term_ends(measures: Context, clock: FixedClock) -> None:
    ctx = measures
    _list(ctx, valid_until=dt.date(2026, 11, 30))
    clock.set(dt.datetime(2026, 11, 30, 23, 59, tzinfo=PLATFORM_TZ))
    assert len(_check(ctx, [COMPANY])[0]["restrictions"]) == 2  # type: ignore[arg-type]
    clock.set(dt.datetime(2026, 12, 1, 0, 0, tzinfo=PLATFORM_TZ))
    assert _check(ctx, [COMPANY])[0]["restrictions"] == []
    with ctx.sessions() as session:
        assert recognition.public_list(session, "serious", ctx.today()) == []


def test_a_punishment_term_shorter_than_the_listing_ends_first(
    measures: Context, clock: FixedClock
) -> None:
    ctx = measures
    _list(ctx, valid_until=dt.date(2028, 11, 23))  # PUN-1's term is one year
    clock.set(dt.datetime(2027, 11, 23, 12, 0, tzinfo=PLATFORM_TZ))
    assert {i["measure"] for i in _check(ctx, [COMPANY])[0]["restrictions"]} == {"CON-1", "PUN-1"}  # type: ignore[union-attr]
    clock.set(dt.datetime(2027, 11, 24, 12, 0, tzinfo=PLATFORM_TZ))
    assert {i["measure"] for i in _check(ctx, [COMPANY])[0]["restrictions"]} == {"CON-1"}  # type: ignore[union-attr]


def test_scenario_is_required_and_only_agencies_and_staff_check(measures: Context) -> None:
    ctx = measures
    with pytest.raises(DomainError) as caught, ctx.sessions() as session:
        run_check(session, ctx, actor=AGENCY, scenario="curiosity", subject_keys=[COMPANY])
    assert caught.value.code == "checks.scenario" and caught.value.citations[0].article == 44
    with pytest.raises(Forbidden), ctx.sessions() as session:
        run_check(session, ctx, actor=ANONYMOUS, scenario="procurement", subject_keys=[COMPANY])


def test_a_batch_check_is_stored_and_seen_by_each_subject(measures: Context) -> None:
    ctx = measures
    _list(ctx)
    keys = [COMPANY, OTHER_COMPANY] + [f"NOT-A-SUBJECT-{i}" for i in range(2000)]
    with ctx.sessions() as session, session.begin():
        answer = run_check(
            session,
            ctx,
            actor=AGENCY,
            scenario="procurement",
            subject_keys=keys,
            matter="2026年某道路工程招标",
        )
    assert answer.check.subjects == 2002 and answer.check.with_measures == 1
    with ctx.sessions() as session:
        stored = load_check(session, AGENCY, answer.check.id)
        assert stored.results == answer.results
        count = session.scalar(
            select(func.count()).where(CreditCheckResult.check_id == answer.check.id)
        )
        assert count == 2002
        owner = Actor(role=Role.SUBJECT, username="c", subject_key=COMPANY)
        log = access_log(session, owner, COMPANY)
        seen = [e for e in log if e["action"] == AuditTag.LISTS_CHECK_RUN]
        assert seen and seen[0]["who"] == AGENCY.username
        assert seen[0]["detail"]["matter"] == "2026年某道路工程招标"
        other_agency = Actor(role=Role.AGENCY, username="someone-else")
        with pytest.raises(Forbidden):
            load_check(session, other_agency, answer.check.id)


def _court_row(key: str, name: str, case: str) -> dict[str, str]:
    return {
        "被执行人名称": name,
        "被执行人类别": "法人及非法人组织",
        "统一社会信用代码": key,
        "案号": case,
        "执行法院": "哈尔滨市中级人民法院",
        "执行依据文号": "（2025）黑01民初88号",
        "失信情形": "有履行能力而拒不履行生效法律文书确定义务",
        "纳入日期": "2026-11-20",
    }


def test_a_court_pushed_debtor_is_listed_with_its_legal_representative(seeded: Context) -> None:
    ctx = seeded
    with ctx.sessions() as session, session.begin():
        define_measure(
            session,
            ctx,
            actor=STAFF,
            body=__import__("tests.lists.conftest", fromlist=["measure"]).measure(
                "REL-CONSUME",
                "punishment",
                "other_provincial",
                conduct_categories=["refusal_to_perform"],
                targets=["related_person"],
                scenarios=["procurement", "licensing"],
            ),
        )
        publish_measure(session, ctx, actor=STAFF, code="REL-CONSUME", on=TODAY)
        session.add(
            SubjectLink(
                organisation_key=COMPANY,
                person_key=BOSS,
                person_name="李四",
                relation="legal_representative",
                valid_from=dt.date(2020, 1, 1),
                source="登记（演示）",
                recorded_at=ctx.clock.now(),
            )
        )
    receipt = push_as_system(
        ctx,
        [_court_row(COMPANY, "哈尔滨演示建设有限公司", "（2026）黑01执恢1号")],
        item=court_debtors.COURT_DEBTOR_ITEM,
        provider="HLJ-GY",
    )
    assert receipt.counts()["accepted"] == 1
    assert any("第二十八条第三款" in n for n in receipt.notes)
    with ctx.sessions() as session:
        entries = list(session.scalars(select(ListEntry).order_by(ListEntry.id)))
        assert [(e.subject_key, e.relation, e.state) for e in entries] == [
            (COMPANY, None, "active"),
            (BOSS, "legal_representative", "active"),
        ]
        assert entries[0].basis_type == "court_debtor"
        assert "（2026）黑01执恢1号" in entries[0].basis_document
        assert json.loads(entries[0].citations)[0]["paragraph"] == 3
    [boss] = _check(ctx, [BOSS], scenario="licensing")
    assert [i["measure"] for i in boss["restrictions"]] == ["REL-CONSUME"]  # type: ignore[index]
    with ctx.sessions() as session, session.begin():  # running the sync again changes nothing
        assert court_debtors.sync_court_debtors(session, ctx, actor=SYSTEM) == {
            "added": 0,
            "removed": 0,
        }


def test_the_digest_is_over_each_answers_canonical_json(measures: Context) -> None:
    import hashlib

    ctx = measures
    _list(ctx)
    keys = [COMPANY, OTHER_COMPANY, 'ODD"KEY']
    with ctx.sessions() as session, session.begin():
        answer = run_check(session, ctx, actor=AGENCY, scenario="procurement", subject_keys=keys)
    digest = hashlib.sha256()
    for result in answer.results:
        digest.update(json.dumps(result, ensure_ascii=False, sort_keys=True).encode("utf-8"))
    assert answer.check.digest == digest.hexdigest()


def test_every_line_gets_one_answer_and_an_invalid_code_says_which_rule(
    measures: Context,
) -> None:
    """Issue 16: `abc` and a code with a wrong check character were answered 平台有记录：否."""
    from xinyong.common.identifiers import uscc_check_character
    from xinyong.demo.generate import synthetic_uscc

    ctx = measures
    _list(ctx)
    wrong = COMPANY[:17] + ("0" if COMPANY[17] != "0" else "1")
    not_held = synthetic_uscc(999, "230103")
    with ctx.sessions() as session, session.begin():
        session.add(
            Subject(
                subject_key=OTHER_COMPANY,
                kind="legal_person",
                name="哈尔滨无措施有限公司",
                created_at=dt.datetime(2026, 1, 1, tzinfo=PLATFORM_TZ),
            )
        )
    results = _check(ctx, ["abc", wrong, not_held, OTHER_COMPANY, COMPANY])
    by_key = {r["subject_key"]: r for r in results}
    assert [r["status"] for r in results] == [
        "invalid",
        "invalid",
        "not_held",
        "no_measures",
        "measures",
    ]
    assert "18位" in str(by_key["ABC"]["problem"])
    assert f"校验码应为{uscc_check_character(COMPANY[:17])}" in str(by_key[wrong]["problem"])
    assert by_key[OTHER_COMPANY]["name"] == "哈尔滨无措施有限公司"
    assert by_key[COMPANY]["name"]
    with ctx.sessions() as session:  # the same answers when the stored check is read back
        check_id = session.scalar(select(func.max(CreditCheckResult.check_id)))
        assert check_id is not None
        stored = load_check(session, AGENCY, check_id, ctx)
    assert stored.results == results
    assert stored.as_dict()["counts"] == {
        "invalid": 2,
        "not_held": 1,
        "no_measures": 1,
        "measures": 1,
    }
    assert stored.as_dict()["scenario_name"].startswith("政府采购")

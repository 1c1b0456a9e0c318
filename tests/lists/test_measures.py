"""Measures: only from the statutory lists, punishments with a term, applied only once
published (HLJ 26, HLJ 30, HLJ 31)."""

from __future__ import annotations

import pytest

from xinyong.common.errors import DomainError
from xinyong.context import Context
from xinyong.lists import recognition
from xinyong.lists.measures import define_measure, list_measures

from .conftest import STAFF, decision, measure


def _define(ctx: Context, body: object) -> None:
    with ctx.sessions() as session, session.begin():
        define_measure(session, ctx, actor=STAFF, body=body)  # type: ignore[arg-type]


def test_a_measure_outside_the_statutory_list_is_refused(ctx: Context) -> None:
    with pytest.raises(DomainError) as caught:
        _define(ctx, measure("X", "punishment", "public_shaming"))
    assert caught.value.code == "measures.outside_list"
    assert any(c.article == 31 for c in caught.value.citations)


def test_a_punishment_without_a_term_is_refused(ctx: Context) -> None:
    body = measure("P", "punishment", "no_awards", term_amount=None, term_unit=None)
    with pytest.raises(DomainError) as caught:
        _define(ctx, body)
    assert caught.value.code == "measures.term_required"
    assert [(c.article, c.paragraph) for c in caught.value.citations] == [(31, 3)]


def test_a_restriction_must_be_linked_to_conduct_categories(ctx: Context) -> None:
    with pytest.raises(DomainError) as caught:
        _define(ctx, measure("C", "constraint", "no_facilitation", conduct_categories=[]))
    assert caught.value.code == "measures.conduct_categories"


def test_scenarios_come_from_the_statutory_list(ctx: Context) -> None:
    with pytest.raises(DomainError) as caught:
        _define(ctx, measure("C", "constraint", "no_facilitation", scenarios=["gossip"]))
    assert caught.value.code == "measures.scenario"
    assert any(c.article == 44 for c in caught.value.citations)


def test_applying_an_unpublished_measure_is_refused(measures: Context) -> None:
    ctx = measures
    with pytest.raises(DomainError) as caught, ctx.sessions() as session, session.begin():
        recognition.recognise(
            session, ctx, actor=STAFF, list_kind="serious", body=decision(measures=["PUN-DRAFT"])
        )
    assert caught.value.code == "measures.unpublished"
    assert [(c.article, c.paragraph) for c in caught.value.citations] == [(30, 4)]


def test_a_measure_unrelated_to_the_conduct_is_refused(measures: Context) -> None:
    ctx = measures
    body = decision(conduct_category="research_integrity", measures=["PUN-1"])
    with pytest.raises(DomainError) as caught, ctx.sessions() as session, session.begin():
        recognition.recognise(session, ctx, actor=STAFF, list_kind="serious", body=body)
    assert caught.value.code == "measures.unrelated"
    assert [(c.article, c.paragraph) for c in caught.value.citations] == [(30, 1)]


def test_the_public_sees_published_measures_only(measures: Context) -> None:
    ctx = measures
    with ctx.sessions() as session:
        public = list_measures(session, published_only=True, on=ctx.today())
        everything = list_measures(session, published_only=False, on=ctx.today())
    assert "PUN-DRAFT" not in {m.code for m in public}
    assert "PUN-DRAFT" in {m.code for m in everything}

"""Public answers kept on embedded SQLite: served again only while nothing has changed and the
day is the same, each serving audited as a read of its own. And the public's record views, kept
by row on both databases."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from tests.ingest.conftest import push_as_system
from xinyong.audit.models import AuditEvent
from xinyong.common.clock import FixedClock
from xinyong.common.roles import ANONYMOUS, Actor, Role
from xinyong.context import Context
from xinyong.demo.rows import penalty_row
from xinyong.sharing import reads
from xinyong.sharing.schemas import Profile
from xinyong.sharing.service import profile_async
from xinyong.visibility.engine import Viewer

PUBLIC = Viewer(actor=ANONYMOUS)


@pytest.fixture
def counted(seeded: Context, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    if seeded.engine.dialect.name != "sqlite":
        pytest.skip("answers are kept only on embedded SQLite")
    keys: list[str] = []
    original = reads._PROFILE_READ.all

    def counting(conn: Any, params: dict[str, Any]) -> list[Any]:
        keys.append(params["key"])
        return original(conn, params)

    monkeypatch.setattr(reads._PROFILE_READ, "all", counting)
    return keys


def read(ctx: Context, key: str, viewer: Viewer = PUBLIC) -> Profile:
    return asyncio.run(profile_async(ctx, viewer=viewer, subject_key=key))


def test_a_public_answer_is_served_again_and_audited_each_time(
    seeded: Context, counted: list[str]
) -> None:
    row = penalty_row(1, seeded.today())
    push_as_system(seeded, [row])
    key = row["统一社会信用代码"]
    first, second = read(seeded, key), read(seeded, f" {key.lower()} ")
    assert counted == [key]  # the second answer was not read again
    assert second.as_dict()["records"] == first.as_dict()["records"] != []
    assert first.audit_id is not None and second.audit_id == first.audit_id + 1
    # served again from its kept JSON, with its own receipt: the bytes orjson gives the answer
    assert first.encoded is None and second.encoded is not None
    for answer in (first, second):
        assert answer.as_json() == orjson.dumps(answer.as_dict())
    with seeded.sessions() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.id.in_([first.audit_id, second.audit_id]))
        ).all()
    assert [e.action for e in events] == ["sharing:profile:read"] * 2
    assert events[0].detail_json == events[1].detail_json  # the same records shown
    assert events[1].occurred_at >= events[0].occurred_at


def test_any_commit_elsewhere_is_seen_at_once(seeded: Context, counted: list[str]) -> None:
    row = penalty_row(2, seeded.today())
    push_as_system(seeded, [row])
    key = row["统一社会信用代码"]
    assert len(read(seeded, key).records) == 1
    later = penalty_row(2, seeded.today()) | {"处罚决定书文号": "黑市监罚〔2026〕999号"}
    push_as_system(seeded, [later])  # another connection commits a second record
    assert len(read(seeded, key).records) == 2 and counted == [key, key]


def test_a_new_day_withdraws_what_ended_yesterday(seeded: Context, counted: list[str]) -> None:
    clock = seeded.clock
    assert isinstance(clock, FixedClock)
    decided = seeded.today().replace(year=seeded.today().year - 1)  # public until today
    row = penalty_row(3, decided + dt.timedelta(days=4))  # penalty_row(3, d) decides d - 4
    assert row["处罚决定日期"] == decided.isoformat()
    push_as_system(seeded, [row])
    key = row["统一社会信用代码"]
    assert len(read(seeded, key).records) == 1
    assert len(read(seeded, key).records) == 1 and counted == [key]
    clock.advance(dt.timedelta(days=1))
    assert read(seeded, key).records == []  # HLJ 37: withdrawn the day after, with no job run


def test_only_the_public_is_served_kept_answers(seeded: Context, counted: list[str]) -> None:
    row = penalty_row(4, seeded.today())
    push_as_system(seeded, [row])
    key = row["统一社会信用代码"]
    staff = Viewer(actor=Actor(role=Role.STAFF, username="staff"))
    read(seeded, key, staff), read(seeded, key, staff)
    agency = Viewer(actor=Actor(role=Role.AGENCY, username="a"), purpose="licensing")
    read(seeded, key, agency), read(seeded, key, agency)
    assert counted == [key] * 4


def test_a_platform_may_keep_none(seeded: Context, counted: list[str]) -> None:
    seeded.settings.public_answers_kept = 0
    row = penalty_row(5, seeded.today())
    push_as_system(seeded, [row])
    key = row["统一社会信用代码"]
    read(seeded, key), read(seeded, key)
    assert counted == [key, key]


def test_public_views_follow_the_row_and_the_day(seeded: Context, clock: FixedClock) -> None:
    """The public's record views are reused by row (both databases, reads.PublicViews): a
    correction, an objection's mark or the end of publicity shows at the next read."""
    ctx = seeded
    row = penalty_row(31, ctx.today()) | {"处罚决定日期": "2025-11-24"}  # public to 2026-11-24
    push_as_system(ctx, [row])
    key = row["统一社会信用代码"]
    clock.set(dt.date(2026, 11, 24))
    first = read(ctx, key)
    assert first.records[0].fields["处罚内容"] == row["处罚内容"]
    assert read(ctx, key).as_dict()["records"] == first.as_dict()["records"]
    views = reads.public_views(ctx)
    assert views.views  # kept: the second read reused them
    push_as_system(ctx, [row | {"处罚内容": "罚款人民币三千元。"}])  # the unit corrects it
    corrected = read(ctx, key)
    assert corrected.records[0].fields["处罚内容"] == "罚款人民币三千元。"
    assert corrected.as_dict()["records"][0]["fields"]["处罚内容"] == "罚款人民币三千元。"
    agency = Viewer(actor=Actor(role=Role.AGENCY, username="agency"), purpose="licensing")
    assert read(ctx, key, agency).records[0].fields["法定代表人"] == "王演示"  # never kept views
    assert read(ctx, key).records[0].fields["法定代表人"] == "王**"
    clock.set(dt.date(2026, 11, 25))  # publicity ended yesterday (HLJ 37): gone at once
    assert read(ctx, key).records == []

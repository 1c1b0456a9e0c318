"""Reads through the engine on both databases: expiry on read, self-query, audit of every read."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.ingest.conftest import TODAY, push_as_system
from xinyong.audit.models import AuditEvent
from xinyong.common.clock import FixedClock
from xinyong.common.errors import DomainError
from xinyong.common.roles import ANONYMOUS, Actor, Role
from xinyong.context import Context
from xinyong.demo.generate import synthetic_uscc
from xinyong.demo.rows import penalty_row
from xinyong.demo.seed import DEMO_PASSWORD, load_demo
from xinyong.sharing.service import access_log, profile
from xinyong.visibility.engine import Viewer
from xinyong.web.app import create_app


@pytest.fixture
def company(seeded: Context) -> str:
    row = penalty_row(1, TODAY) | {"处罚决定日期": "2025-11-24"}  # general: public until 2026-11-24
    push_as_system(seeded, [row])
    return str(row["统一社会信用代码"])


def test_public_sees_the_penalty_until_the_last_day_and_never_after(
    seeded: Context, company: str, clock: FixedClock
) -> None:
    public = Viewer(actor=ANONYMOUS)
    clock.set(dt.date(2026, 11, 24))
    shown = profile(seeded, viewer=public, subject_key=company).records
    assert len(shown) == 1 and shown[0].publicity_ends_on == dt.date(2026, 11, 24)
    assert shown[0].fields["法定代表人"] == "王**"  # a natural person's name, desensitised
    clock.set(dt.date(2026, 11, 25))  # no job has run
    assert profile(seeded, viewer=public, subject_key=company).records == []
    own = Viewer(actor=Actor(role=Role.SUBJECT, subject_key=company))
    archived = profile(seeded, viewer=own, subject_key=company).records
    assert len(archived) == 1 and archived[0].decision.archived
    assert archived[0].fields["法定代表人"] == "王演示"


def test_natural_persons_are_not_open_to_the_public(seeded: Context) -> None:
    row = penalty_row(2, TODAY, person=True)
    push_as_system(seeded, [row])
    with pytest.raises(DomainError) as err:
        profile(seeded, viewer=Viewer(actor=ANONYMOUS), subject_key=row["证件号码"])
    assert err.value.code == "sharing.natural_person" and err.value.citations[0].article == 23
    me = profile(
        seeded,
        viewer=Viewer(actor=Actor(role=Role.SUBJECT, subject_key=row["证件号码"])),
        subject_key=row["证件号码"],
    )
    assert me.records[0].fields["证件号码"] == row["证件号码"]
    assert me.subject["subject_key"] == row["证件号码"]


def test_agencies_state_a_statutory_purpose(seeded: Context, company: str) -> None:
    agency = Actor(role=Role.AGENCY, username="agency")
    with pytest.raises(DomainError) as err:
        profile(seeded, viewer=Viewer(actor=agency), subject_key=company)
    assert err.value.code == "sharing.purpose_required" and err.value.citations[0].article == 44
    shown = profile(seeded, viewer=Viewer(actor=agency, purpose="licensing"), subject_key=company)
    assert shown.records[0].fields["法定代表人"] == "王演示"


def test_every_read_is_audited_and_the_subject_sees_who_read(seeded: Context, company: str) -> None:
    profile(seeded, viewer=Viewer(actor=ANONYMOUS), subject_key=company)
    profile(
        seeded,
        viewer=Viewer(actor=Actor(role=Role.AGENCY, username="agency"), purpose="procurement"),
        subject_key=company,
    )
    with seeded.sessions() as session:
        reads = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "sharing:profile:read")
        ).all()
        assert len(reads) == 2 and all(r.personal_read for r in reads)  # 法定代表人 was shown
        log = access_log(session, Actor(role=Role.SUBJECT, subject_key=company), company)
        with pytest.raises(DomainError):
            access_log(session, Actor(role=Role.SUBJECT, subject_key="someone-else"), company)
    purposes = [e["purpose"] for e in log if e["action"] == "sharing:profile:read"]
    assert purposes == ["procurement", None]
    assert any("第二十三条" in (e["legal_basis"] or "") for e in log)


def test_self_query_and_access_log_over_http(ctx: Context) -> None:
    load_demo(ctx, subjects=5, records=5)
    client = TestClient(create_app(ctx))
    token = client.post(
        "/api/auth/token", data={"username": "company", "password": DEMO_PASSWORD}
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    me = client.get("/api/me/records", headers=headers)
    assert me.status_code == 200 and me.json()["subject"]["name"].startswith("哈尔滨示范科技")
    for _ in range(3):  # free and unlimited
        assert client.get("/api/me/records", headers=headers).status_code == 200
    log = client.get("/api/me/accesses", headers=headers).json()
    assert sum(1 for e in log if e["action"] == "sharing:profile:read") == 4
    assert client.get("/api/me/records").status_code == 401


def test_my_record_history_over_http(ctx: Context) -> None:
    load_demo(ctx, subjects=2, records=2)
    from xinyong.demo.seed import DEMO_COMPANY

    row = penalty_row(40, TODAY) | {"统一社会信用代码": DEMO_COMPANY}
    push_as_system(ctx, [row])
    push_as_system(ctx, [row | {"处罚内容": "罚款人民币三千元。"}])
    client = TestClient(create_app(ctx))
    token = client.post(
        "/api/auth/token", data={"username": "company", "password": DEMO_PASSWORD}
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    url = f"/api/me/records/HLJ-CF-001/{row['处罚决定书文号']}/history"
    body = client.get(url, params={"provider": "HRB-SCJG"}, headers=headers).json()
    assert body["provider"] == "HRB-SCJG" and [v["version"] for v in body["versions"]] == [1, 2]
    assert body["provider_name"] and body["item_name"]  # the source unit by name (HLJ 35)
    first, second = body["versions"]
    assert (first["current"], second["current"]) == (False, True)
    assert first["superseded_at"] and second["superseded_at"] is None
    assert second["change_label"] == "更新"
    assert second["fields"]["处罚内容"] == "罚款人民币三千元。"
    assert second["changes"] == [  # what changed, and only that
        {"field": "处罚内容", "before": row["处罚内容"], "after": "罚款人民币三千元。"}
    ]
    with ctx.sessions() as session:  # the read itself is on the log, for the subject to see
        logged = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "sharing:history:read")
        ).all()
    assert [e.object_id for e in logged] == [f"HRB-SCJG/HLJ-CF-001/{row['处罚决定书文号']}"]
    assert logged[0].subject_key == DEMO_COMPANY and logged[0].legal_basis
    other = client.post(
        "/api/auth/token", data={"username": "citizen", "password": DEMO_PASSWORD}
    ).json()["access_token"]
    denied = client.get(
        url, params={"provider": "HRB-SCJG"}, headers={"Authorization": f"Bearer {other}"}
    )
    # another subject's record is answered as an unknown one: no oracle of whose records exist
    assert denied.status_code == 404 and denied.json()["error"]["code"] == "records.unknown"
    unknown = client.get(
        url.replace("HLJ-CF-001/", "HLJ-CF-001/NO-SUCH-"),
        params={"provider": "HRB-SCJG"},
        headers={"Authorization": f"Bearer {other}"},
    )
    assert unknown.status_code == 404
    assert (
        unknown.json()["error"]["message"].replace("NO-SUCH-", "")
        == (denied.json()["error"]["message"])
    )


def test_the_http_route_answers_as_profile_does_for_every_caller(ctx: Context) -> None:
    """/api/subjects/{key}/records runs `profile_async` (on PostgreSQL: the loop's own
    connections; accounts' grants in a worker thread): the same answers and refusals as the
    sync `profile`, each read audited."""
    load_demo(ctx, subjects=5, records=5)
    company = penalty_row(3, TODAY)
    person = penalty_row(4, TODAY, person=True)
    push_as_system(ctx, [company, person])
    key, person_key = company["统一社会信用代码"], person["证件号码"]
    with TestClient(create_app(ctx)) as client:
        token = client.post(
            "/api/auth/token", data={"username": "agency", "password": DEMO_PASSWORD}
        ).json()["access_token"]
        agency = {"Authorization": f"Bearer {token}"}

        def reads() -> int:
            with ctx.sessions() as session:
                query = select(AuditEvent.id).where(AuditEvent.action == "sharing:profile:read")
                return len(session.scalars(query).all())

        before = reads()
        public = client.get(f"/api/subjects/{key}/records").json()
        expected = profile(ctx, viewer=Viewer(actor=ANONYMOUS), subject_key=key).as_dict()
        assert {k: v for k, v in public.items() if k != "audit_receipt"} == {
            k: v for k, v in expected.items() if k != "audit_receipt"
        }
        assert public["records"][0]["fields"]["法定代表人"] == "王**"
        refused = client.get(f"/api/subjects/{person_key}/records")
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "sharing.natural_person"
        # a key that is no organisation's code gets the same refusal: no existence oracle
        unknown = client.get("/api/subjects/NO-SUCH-KEY/records")
        assert (unknown.status_code, unknown.json()) == (403, refused.json())
        no_such_company = synthetic_uscc(7_999_999, "230103")
        assert client.get(f"/api/subjects/{no_such_company}/records").status_code == 404
        no_purpose = client.get(f"/api/subjects/{key}/records", headers=agency)
        assert no_purpose.json()["error"]["code"] == "sharing.purpose_required"
        checked = client.get(f"/api/subjects/{key}/records?purpose=licensing", headers=agency)
        assert checked.json()["records"][0]["fields"]["法定代表人"] == "王演示"
        assert reads() == before + 3  # two answers over HTTP, one from `profile`


def test_reads_of_one_loop_turn_go_as_one_query(
    seeded: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the profile reads that requests ask for during one turn of the event loop
    are made as one query: each reader gets exactly the answer (or refusal) it would alone."""
    if seeded.engine.dialect.name != "postgresql":
        pytest.skip("reads are batched on the loop's own PostgreSQL connections")
    import asyncio
    from typing import Any

    from xinyong.fastpath import close_loop_connections, loop_connections
    from xinyong.sharing import reads, service

    rows = [penalty_row(i, TODAY - dt.timedelta(days=i)) for i in range(1, 4)]
    person = penalty_row(9, TODAY, person=True)
    push_as_system(seeded, [*rows, person])
    keys = [str(r["统一社会信用代码"]) for r in rows]
    public = Viewer(actor=ANONYMOUS)
    batches: list[list[str]] = []
    original = reads._PROFILE_READS.all_async

    async def counting(conn: Any, dialect: Any, params: dict[str, Any]) -> list[Any]:
        batches.append(sorted(params["keys"]))
        return await original(conn, dialect, params)

    monkeypatch.setattr(reads._PROFILE_READS, "all_async", counting)
    no_such_company = synthetic_uscc(7_999_999, "230103")
    asked = [*keys, keys[0], no_such_company, "NO-SUCH-SUBJECT", str(person["证件号码"])]

    async def all_at_once() -> tuple[list[Any], str]:
        try:
            answers = await asyncio.gather(
                *(service.profile_async(seeded, viewer=public, subject_key=k) for k in asked),
                return_exceptions=True,
            )
            async with loop_connections(seeded.engine).connection() as conn:
                jit = (await (await conn.execute("SHOW jit")).fetchone() or ("?",))[0]
            return answers, str(jit)
        finally:
            await close_loop_connections(seeded.engine)

    answers, jit = asyncio.run(all_at_once())
    assert batches == [sorted(set(asked))]  # one query for the seven requests
    assert jit == "off"  # the loop's connections run short reads: no JIT, no parallel plans
    for key, answer in zip(asked, answers, strict=True):
        if key == no_such_company:
            assert isinstance(answer, DomainError) and answer.code == "sharing.unknown_subject"
        elif key in ("NO-SUCH-SUBJECT", person["证件号码"]):  # the same refusal for both
            assert isinstance(answer, DomainError) and answer.code == "sharing.natural_person"
        else:
            alone = profile(seeded, viewer=public, subject_key=key).as_dict()
            got = answer.as_dict()
            assert got["records"] == alone["records"] != [] and got["subject"] == alone["subject"]
            assert got["audit_receipt"] is not None


def test_a_provider_sees_a_person_only_if_it_provided_about_them(ctx: Context) -> None:
    """Issue 14 item 4: a unit's account saw any person's full name and ID in the header. Now
    the header goes through the engine: the unit that pushed the person's record sees them in
    full; another unit gets the refusal anyone gets for a person it may not read — the same
    answer as for an ID the platform has never seen."""
    from xinyong.accounts.service import create_user
    from xinyong.common.roles import SYSTEM
    from xinyong.demo.seed import DEMO_CITIZEN

    load_demo(ctx, subjects=2, records=2)  # the citizen's penalty, pushed by HRB-SCJG
    with ctx.sessions() as session, session.begin():
        create_user(
            session,
            ctx,
            actor=SYSTEM,
            username="other-unit",
            password=DEMO_PASSWORD,
            role=Role.PROVIDER,
            display_name="另一提供单位",
            provider_code="HLJ-SCJG",
        )
    client = TestClient(create_app(ctx))

    def bearer(username: str) -> dict[str, str]:
        form = {"username": username, "password": DEMO_PASSWORD}
        token = client.post("/api/auth/token", data=form).json()["access_token"]
        return {"Authorization": f"Bearer {token}"}

    pushed = client.get(f"/api/subjects/{DEMO_CITIZEN}/records", headers=bearer("provider"))
    assert pushed.status_code == 200
    assert pushed.json()["subject"] == pushed.json()["subject"] | {
        "subject_key": DEMO_CITIZEN,
        "name": "张示范（演示）",
    }
    other = bearer("other-unit")
    refused = client.get(f"/api/subjects/{DEMO_CITIZEN}/records", headers=other)
    never = DEMO_CITIZEN[:14] + ("0000" if DEMO_CITIZEN[14:] != "0000" else "0010")
    unknown = client.get(f"/api/subjects/{never}/records", headers=other)
    assert refused.status_code == unknown.status_code == 403
    assert refused.json() == unknown.json()
    assert DEMO_CITIZEN not in refused.text and "张示范" not in refused.text

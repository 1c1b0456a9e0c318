"""Authorisations (HLJ 24, 36; HRB 35) and the good-information switch (HLJ 37 ¶1),
on both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient

from tests.ingest.conftest import TODAY, push_as_system
from tests.ingest.test_ingest import utility_row
from xinyong.authorisations.schemas import GrantIn
from xinyong.authorisations.service import grant, revoke, set_good_publicity
from xinyong.common.clock import FixedClock
from xinyong.common.errors import DomainError
from xinyong.common.roles import ANONYMOUS, Actor, Role
from xinyong.context import Context
from xinyong.demo.seed import DEMO_PASSWORD, load_demo
from xinyong.sharing.service import profile
from xinyong.visibility.engine import Viewer
from xinyong.web.app import create_app

BANK = Actor(role=Role.ORGANISATION, username="bank")


@pytest.fixture
def person(seeded: Context) -> str:
    """A natural person with a conditional, non-public utility-arrears record (consent recorded)."""
    from tests.ingest.test_ingest import consent

    load_demo(seeded, subjects=2, records=2)
    row = utility_row(5)
    consent(seeded, row["证件号码"], "HLJ-GY-001", [], written=False)
    receipt = push_as_system(seeded, [row], item="HLJ-GY-001", provider="HRB-GS")
    assert receipt.counts()["accepted"] == 1
    return str(row["证件号码"])


def grant_to_bank(
    ctx: Context, person: str, expires: dt.date, items: list[str] | None = None
) -> int:
    with ctx.sessions() as session, session.begin():
        return grant(
            session,
            ctx,
            actor=Actor(role=Role.SUBJECT, subject_key=person),
            body=GrantIn(
                grantee="bank",
                items=items or ["HLJ-GY-001"],
                purpose="贷款审批",
                expires_on=expires,
            ),
        ).id


def test_conditional_information_only_under_a_valid_authorisation(
    seeded: Context, person: str, clock: FixedClock
) -> None:
    with pytest.raises(DomainError) as err:
        profile(seeded, viewer=Viewer(actor=BANK), subject_key=person)
    assert err.value.code == "sharing.natural_person"
    auth_id = grant_to_bank(seeded, person, TODAY + dt.timedelta(days=30))
    shown = profile(seeded, viewer=Viewer(actor=BANK), subject_key=person)
    assert len(shown.records) == 1
    assert f"授权编号{auth_id}" in shown.records[0].decision.basis
    assert shown.records[0].fields["证件号码"] != person  # desensitised even when authorised
    assert (
        shown.subject["subject_key"].startswith(person[:6])
        and shown.subject["subject_key"] != person
    )
    clock.set(TODAY + dt.timedelta(days=30))  # the expiry day is included
    assert len(profile(seeded, viewer=Viewer(actor=BANK), subject_key=person).records) == 1
    clock.set(TODAY + dt.timedelta(days=31))
    with pytest.raises(DomainError):
        profile(seeded, viewer=Viewer(actor=BANK), subject_key=person)


def test_revocation_takes_effect_at_once(seeded: Context, person: str) -> None:
    auth_id = grant_to_bank(seeded, person, TODAY + dt.timedelta(days=10))
    assert len(profile(seeded, viewer=Viewer(actor=BANK), subject_key=person).records) == 1
    with seeded.sessions() as session, session.begin():
        revoke(
            session,
            seeded,
            actor=Actor(role=Role.SUBJECT, subject_key=person),
            authorisation_id=auth_id,
        )
    with pytest.raises(DomainError):
        profile(seeded, viewer=Viewer(actor=BANK), subject_key=person)


def test_no_lifetime_authorisations(seeded: Context, person: str) -> None:
    with pytest.raises(DomainError) as err:
        grant_to_bank(seeded, person, TODAY + dt.timedelta(days=366))
    assert err.value.code == "authorisations.too_long" and err.value.citations[0].article == 36
    grant_to_bank(seeded, person, TODAY + dt.timedelta(days=365))  # the cap itself is allowed
    with pytest.raises(DomainError) as err:
        grant_to_bank(seeded, person, TODAY + dt.timedelta(days=5), items=["HLJ-CF-001", "NO-SUCH"])
    assert err.value.code == "authorisations.unknown_item"


def test_good_information_hidden_when_the_subject_asks(seeded: Context) -> None:
    from xinyong.demo.rows import penalty_row

    base = penalty_row(9, TODAY)
    row = {
        "主体名称": base["行政相对人名称"],
        "主体类别": "法人及非法人组织",
        "统一社会信用代码": base["统一社会信用代码"],
        "表彰名称": "守合同重信用企业",
        "表彰文号": "黑市监〔2026〕1号",
        "表彰机关": "黑龙江省市场监督管理局",
        "表彰日期": "2026-05-01",
    }
    push_as_system(seeded, [row], item="HLJ-BZ-001", provider="HLJ-SCJG")
    company = base["统一社会信用代码"]
    assert len(profile(seeded, viewer=Viewer(actor=ANONYMOUS), subject_key=company).records) == 1
    me = Actor(role=Role.SUBJECT, subject_key=company)
    with seeded.sessions() as session, session.begin():
        set_good_publicity(session, seeded, actor=me, hide=True)
    assert profile(seeded, viewer=Viewer(actor=ANONYMOUS), subject_key=company).records == []
    assert len(profile(seeded, viewer=Viewer(actor=me), subject_key=company).records) == 1


def test_authorisations_over_http(ctx: Context) -> None:
    load_demo(ctx, subjects=2, records=2)
    client = TestClient(create_app(ctx))
    token = client.post(
        "/api/auth/token", data={"username": "citizen", "password": DEMO_PASSWORD}
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    body = {
        "grantee": "bank",
        "items": ["HLJ-GY-001"],
        "purpose": "贷款审批",
        "expires_on": "2027-01-31",
    }
    created = client.post("/api/me/authorisations", json=body, headers=headers)
    assert created.status_code == 201 and created.json()["valid"] is True
    lifetime = client.post(
        "/api/me/authorisations", json=body | {"expires_on": "2099-01-01"}, headers=headers
    )
    assert (
        lifetime.status_code == 422
        and lifetime.json()["error"]["code"] == "authorisations.too_long"
    )
    revoked = client.post(
        f"/api/me/authorisations/{created.json()['id']}/revoke", headers=headers
    ).json()
    assert revoked["valid"] is False and revoked["revoked_at"]
    mine = client.get("/api/me/authorisations", headers=headers).json()
    assert [a["valid"] for a in mine if a["id"] == created.json()["id"]] == [False]
    assert [a["valid"] for a in mine] == [True, False]  # the demo's own (demo/seed.py) stays
    pref = client.put("/api/me/preferences", json={"hide_good_information": True}, headers=headers)
    assert pref.json() == {"hide_good_information": True}

"""Property tests: for random viewers, records and dates, nothing is shown that the rules forbid."""

from __future__ import annotations

import datetime as dt
import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from xinyong.authorisations.service import Grant
from xinyong.catalog.schemas import CatalogItemSpec
from xinyong.catalog.service import SEED_FILE
from xinyong.common.roles import Actor, Role
from xinyong.demo.rows import penalty_row
from xinyong.law.rules import default_library, load_yaml
from xinyong.records.models import CreditRecord
from xinyong.visibility.engine import Level, Viewer, decide_record, view_record
from xinyong.visibility.publicity import publicity_window

RULES = default_library().ruleset("230000")
BASE = load_yaml(SEED_FILE)["items"]
PENALTY = next(i for i in BASE if i["code"] == "HLJ-CF-001")
FULL_ID = re.compile(r"\d{17}[\dX]")
PURPOSES = [None, "licensing", "procurement", "gossip"]


@st.composite
def cases(draw: st.DrawFn) -> tuple[Viewer, CreditRecord, CatalogItemSpec, dt.date]:
    raw = dict(PENALTY)
    raw["opening"] = draw(st.sampled_from(["unconditional", "conditional", "none"]))
    raw["sharing"] = draw(st.sampled_from(["unconditional", "conditional", "none"]))
    raw["public_by_law"] = draw(st.booleans())
    nature = draw(st.sampled_from(["dishonesty", "good", "registration"]))
    raw["nature"] = nature
    raw["severity"] = (
        draw(st.sampled_from(["minor", "general", "serious"])) if nature == "dishonesty" else None
    )
    raw["publicity"] = "rule" if nature == "dishonesty" else "long_term"
    spec = CatalogItemSpec.model_validate(raw)
    decided = draw(st.dates(min_value=dt.date(2021, 1, 1), max_value=dt.date(2026, 11, 1)))
    person = draw(st.booleans())
    row = penalty_row(draw(st.integers(0, 10**6)), decided + dt.timedelta(days=800), person=person)
    row["处罚决定日期"] = decided.isoformat()
    key = row["证件号码"] if person else row["统一社会信用代码"]
    record = CreditRecord(
        subject_key=key,
        provider_code=draw(st.sampled_from(["HRB-SCJG", "HLJ-SCJG"])),
        item_code=spec.code,
        item_version=1,
        record_key=row["处罚决定书文号"],
        version=1,
        is_current=True,
        category=spec.category,
        nature=nature,
        severity=raw["severity"],
        title="t",
        decided_on=decided,
        payload_json=json.dumps(row, ensure_ascii=False),
        payload_hash="0" * 64,
        state=draw(st.sampled_from(["active", "active", "withdrawn"])),
        change="new",
        valid_from=decided,
    )
    role = draw(st.sampled_from(list(Role)))
    subject_key = key if draw(st.booleans()) else "91230100MA1B2C3D49"
    actor = Actor(
        role=role,
        subject_key=subject_key if role is Role.SUBJECT else None,
        provider_code="HRB-SCJG" if role is Role.PROVIDER else None,
    )
    # the platform asks as of today; the regulation is in force from 2022-07-01
    on = draw(st.dates(min_value=max(decided, dt.date(2022, 7, 1)), max_value=dt.date(2031, 1, 1)))
    grants: tuple[Grant, ...] = ()
    if draw(st.booleans()):
        grants = (
            Grant(1, frozenset({draw(st.sampled_from([spec.code, "HLJ-OTHER"]))}), "贷款", on),
        )
    viewer = Viewer(
        actor=actor,
        purpose=draw(st.sampled_from(PURPOSES)),
        grants=grants,
        subject_hides_good=draw(st.booleans()),
    )
    return viewer, record, spec, on


@settings(max_examples=400, deadline=None)
@given(cases())
def test_nothing_is_shown_that_the_rules_forbid(
    case: tuple[Viewer, CreditRecord, CatalogItemSpec, dt.date],
) -> None:
    viewer, record, spec, on = case
    actor = viewer.actor
    own = actor.role is Role.SUBJECT and actor.subject_key == record.subject_key
    staff = actor.role in (Role.STAFF, Role.ADMIN)
    provider_own = actor.role is Role.PROVIDER and actor.provider_code == record.provider_code
    decision = decide_record(viewer, record, spec, RULES, on)
    view = view_record(viewer, record, spec, RULES, on)
    assert (view is not None) == decision.visible
    window = (
        publicity_window(RULES, record.severity, record.decided_on)
        if record.nature == "dishonesty"
        else None
    )
    # past its maximum period: withdrawn from every third party; never published or outside its
    # window: not shown to the public
    expired = window is not None and window.max_end is not None and on > window.max_end
    unpublished = window is not None and not window.public_on(on)
    covered = any(record.item_code in g.items for g in viewer.grants)
    if own or staff:
        assert decision.visible  # the subject and staff always see it, archived or not
        assert decision.archived == expired
        return
    if provider_own:
        assert decision.visible
        return
    if record.state != "active" or expired:
        assert not decision.visible
        return
    if actor.role is Role.AGENCY:
        if spec.sharing == "none" or (
            spec.sharing == "conditional" and viewer.purpose not in ("licensing", "procurement")
        ):
            assert not decision.visible
    elif spec.opening == "conditional":
        # conditional information only under an authorisation
        assert decision.visible == covered
    elif (
        spec.opening == "none"
        or unpublished
        or (record.nature == "good" and viewer.subject_hides_good)
    ):
        assert not decision.visible
    if view is None:
        return
    if actor.role is not Role.AGENCY:
        for name in view.personal:
            assert view.levels.get(name, Level.HIDDEN) is not Level.FULL
        natural = json.loads(record.payload_json)["行政相对人类别"] == "自然人"
        if natural:  # a natural person's ID number never reaches a third party in full
            assert all(record.subject_key not in str(v) for v in view.fields.values())
            assert all(not FULL_ID.search(str(v)) for v in view.fields.values())
        if not spec.public_by_law and not covered:
            assert view.personal_shown == []  # no law and no consent: no personal field at all

"""Records keep the catalog version they were checked against; links for HLJ 33; consents."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from tests.ingest.conftest import TODAY, push_as_system
from xinyong.catalog.schemas import CatalogItemSpec
from xinyong.catalog.service import define_item, get_item, spec_of
from xinyong.common.errors import DomainError
from xinyong.common.identifiers import region_codes
from xinyong.common.roles import SYSTEM
from xinyong.consents.schemas import ConsentIn
from xinyong.consents.service import record_consent
from xinyong.context import Context
from xinyong.demo.generate import synthetic_citizen_id
from xinyong.demo.rows import penalty_row
from xinyong.records.models import CreditRecord
from xinyong.subjects.schemas import LinkIn
from xinyong.subjects.service import add_link, links_of


def test_records_keep_the_catalog_version_they_were_checked_against(seeded: Context) -> None:
    push_as_system(seeded, [penalty_row(1, TODAY)])
    with seeded.sessions() as session, session.begin():
        spec = spec_of(get_item(session, "HLJ-CF-001")).model_dump()
        spec["note"] = "第二版"
        define_item(session, seeded, actor=SYSTEM, spec=CatalogItemSpec.model_validate(spec))
    push_as_system(seeded, [penalty_row(2, TODAY)])
    with seeded.sessions() as session:
        versions = dict(
            session.execute(select(CreditRecord.record_key, CreditRecord.item_version)).all()
        )
    assert sorted(versions.values()) == [1, 2]


def test_links_of_an_organisation(seeded: Context) -> None:
    company = penalty_row(3, TODAY)["统一社会信用代码"]
    person = synthetic_citizen_id(77, region_codes("2301"))
    with seeded.sessions() as session, session.begin():
        add_link(
            session,
            seeded,
            actor=SYSTEM,
            organisation_key=company,
            body=LinkIn(
                person_key=person,
                person_name="王演示",
                relation="legal_representative",
                valid_from=dt.date(2020, 1, 1),
                source="市场主体登记信息",
            ),
        )
    with seeded.sessions() as session:
        links = links_of(session, company, TODAY)
    assert links == [
        {
            "id": links[0]["id"],
            "relation": "legal_representative",
            "relation_label": "法定代表人",
            "person_name": "王演示",
            "valid_from": "2020-01-01",
            "valid_to": None,
            "source": "市场主体登记信息",
        }
    ]
    assert "person_key" not in links[0]  # ID numbers are not shown here (visibility is issue 4)
    with pytest.raises(ValidationError, match="应为以下之一：法定代表人"):
        LinkIn(
            person_key=person, person_name="x", relation="friend", valid_from=TODAY, source="登记"
        )
    with pytest.raises(DomainError), seeded.sessions() as session:  # the service holds too
        add_link(
            session,
            seeded,
            actor=SYSTEM,
            organisation_key=company,
            body=LinkIn.model_construct(
                person_key=person,
                person_name="x",
                relation="friend",
                valid_from=TODAY,
                source="登记信息",
            ),
        )


def test_consents_for_restricted_classes_must_be_written(seeded: Context) -> None:
    person = synthetic_citizen_id(78, region_codes("2301"))
    body = ConsentIn(
        subject_key=person,
        item_code="HLJ-QS-001",
        classes=["tax_amount"],
        purpose="评价",
        informed=True,
        written=False,
        document="档案2026-9",
        valid_from=TODAY,
    )
    with pytest.raises(DomainError) as err, seeded.sessions() as session:
        record_consent(session, seeded, actor=SYSTEM, body=body)
    assert err.value.code == "consents.restricted_needs_written"
    assert err.value.citations[0].article == 20 and err.value.citations[0].paragraph == 2
    uninformed = body.model_copy(update={"informed": False, "classes": []})
    with pytest.raises(DomainError) as err, seeded.sessions() as session:
        record_consent(session, seeded, actor=SYSTEM, body=uninformed)
    assert err.value.code == "consents.not_informed"

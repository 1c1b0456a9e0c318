"""A natural person's 信用修复型 commitment, filed with its repair, is published as every other
commitment of a person is: name masked, never searchable, no identity number (HLJ 23 ¶4, HLJ 50).
It was filed with the subject kind "person", which the publication took for an organisation:
the citizen's full name and ID number were on the public list."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.cases.helpers import owner
from tests.ingest.conftest import push_as_system
from xinyong.cases import service as cases
from xinyong.commitments.models import Commitment
from xinyong.context import Context
from xinyong.demo.rows import penalty_row
from xinyong.records.models import CreditRecord
from xinyong.web.app import create_app


def test_a_citizens_repair_commitment_is_published_masked(seeded: Context) -> None:
    ctx = seeded
    old = ctx.today() - dt.timedelta(days=400)  # past the minimum publicity period
    row = penalty_row(77, old, person=True)
    push_as_system(ctx, [row])
    with ctx.sessions() as session:
        record = session.scalars(
            select(CreditRecord).where(CreditRecord.record_key == row["处罚决定书文号"])
        ).one()
        session.expunge(record)
    with ctx.sessions() as session, session.begin():
        cases.file_repair(
            session,
            ctx,
            actor=owner(record),
            record_id=record.id,
            request="已缴清罚款",
            conditions=["conduct_corrected", "public_commitment"],
            commitment="本人承诺今后守法经营",
        )
    with ctx.sessions() as session:
        filed = session.scalars(select(Commitment)).one()
    assert (filed.commitment_type, filed.subject_kind) == ("repair", "natural_person")
    name = str(row["行政相对人名称"])
    public = TestClient(create_app(ctx)).get("/api/commitments")
    assert public.status_code == 200, public.text
    shown = public.json()["items"]
    assert len(shown) == 1
    assert record.subject_key not in public.text and name not in public.text
    assert shown[0]["subject_name"].startswith(name[0]) and "*" in shown[0]["subject_name"]
    searched = TestClient(create_app(ctx)).get("/api/commitments", params={"q": name})
    assert searched.json()["items"] == []

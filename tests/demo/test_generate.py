"""Synthetic data: valid identifiers, deterministic by seed, marked synthetic, audited."""

from __future__ import annotations

from sqlalchemy import func, select

from xinyong.common.identifiers import check_identifier
from xinyong.common.roles import Role
from xinyong.context import Context
from xinyong.demo.generate import generate, stream
from xinyong.demo.seed import DEMO_ACCOUNTS, load_demo
from xinyong.records.models import CreditRecord
from xinyong.subjects.models import Subject


def test_generated_rows_are_valid_synthetic_and_counted(ctx: Context) -> None:
    counts = generate(ctx, subjects=300, records=1000, seed=5, batch=128)
    assert (counts.subjects, counts.records) == (300, 1000)
    with ctx.sessions() as session:
        subjects = list(session.scalars(select(Subject)))
        assert len(subjects) == 300
        assert all(s.synthetic for s in subjects)
        assert all(check_identifier(s.subject_key, ctx.today()).valid for s in subjects)
        assert all(s.region_code and s.region_code.startswith("23") for s in subjects)
        assert {s.kind for s in subjects} >= {"legal_person", "natural_person"}
        n_records = session.scalar(select(func.count()).select_from(CreditRecord))
        assert n_records == 1000
        assert session.scalar(select(func.count()).where(CreditRecord.synthetic.is_(False))) == 0
        assert ctx.audit.verify(session).ok
        assert ctx.audit.count(session) == 3  # one entry per committed batch


def test_same_seed_same_data_other_seed_other_keys(ctx: Context) -> None:
    now, today = ctx.clock.now(), ctx.today()
    a = [s["subject_key"] for s, _ in stream(3, 50, 0, today, now)]
    b = [s["subject_key"] for s, _ in stream(3, 50, 0, today, now)]
    c = [s["subject_key"] for s, _ in stream(4, 50, 0, today, now)]
    assert a == b and not set(a) & set(c) and len(set(a)) == 50


def test_demo_load_creates_one_account_per_role_once(ctx: Context) -> None:
    created = load_demo(ctx, subjects=20, records=40)
    assert created is not None
    assert {a.role for a in created} == set(Role) - {Role.PUBLIC}
    assert {a.username for a in created} == {a.username for a in DEMO_ACCOUNTS}
    assert load_demo(ctx, subjects=20, records=40) is None

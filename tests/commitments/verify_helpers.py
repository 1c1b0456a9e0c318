"""Commitments made directly through the models (the filing API is another helper's): a matter
that accepts a commitment and one commitment on it, for the verification tests and stories."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from xinyong.commitments.filing import number_for
from xinyong.commitments.models import Commitment, CommitmentMatter
from xinyong.context import Context
from xinyong.demo.rows import synthetic_uscc

USCC = synthetic_uscc(7_000_001, "230103")  # valid: the catalog's row validator checks it


def file_for_test(
    ctx: Context,
    *,
    commitment_type: str = "approval_substitute",
    subject_key: str = USCC,
    cure_days: int | None = 10,
    made_on: dt.date | None = None,
) -> str:
    """A commitment on a licensing matter (its number), as the filing flow would leave it."""
    with ctx.sessions() as session, session.begin():
        code = f"M-{commitment_type}"
        if session.scalar(select(CommitmentMatter).where(CommitmentMatter.code == code)) is None:
            session.add(
                CommitmentMatter(
                    code=code,
                    version=1,
                    is_current=True,
                    name="食品经营许可",
                    kind="certification" if commitment_type == "certification" else "licensing",
                    agency="哈尔滨市市场监督管理局",
                    legal_basis="《中华人民共和国食品安全法》",
                    replaces="经营场所证明材料",
                    cure_days=cure_days,
                    in_force=True,
                    changed_at=ctx.clock.now(),
                    changed_by="staff",
                )
            )
        made = made_on or ctx.today()
        number = number_for(session, ctx, made)
        session.add(
            Commitment(
                number=number,
                subject_key=subject_key,
                subject_name="哈尔滨示例食品有限公司",
                subject_kind="legal_person",
                commitment_type=commitment_type,
                matter_code=code,
                matter_version=1,
                reason="申请食品经营许可",
                content="本单位承诺所填信息真实，经营场所符合要求",
                liability="违背承诺的，依法撤销许可并记入信用记录",
                made_on=made,
                accepting_agency="哈尔滨市市场监督管理局",
                publicity="public",
                fulfilment="pending",
                state="active",
                filed_via="api",
                filed_by="agency",
                created_at=ctx.clock.now(),
            )
        )
    return number

"""The commitments' scheduled work, run by `flows.run_jobs`."""

from __future__ import annotations

from sqlalchemy.orm import Session

from xinyong.commitments.verification import lapse_materials
from xinyong.common.roles import SYSTEM
from xinyong.context import Context


def lapse_missing_materials(session: Session, ctx: Context) -> int:
    """容缺受理 whose materials never came by their day (HLJ 45 ¶2): not kept, a breach.
    Answers how many; a second run finds none (they are no longer pending)."""
    return len(lapse_materials(session, ctx, actor=SYSTEM))

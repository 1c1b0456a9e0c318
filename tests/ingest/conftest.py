from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from xinyong.demo.rows import PENALTY_COLUMNS, penalty_row

TODAY = dt.date(2026, 11, 23)


def csv_bytes(rows: list[dict[str, Any]], encoding: str = "utf-8-sig") -> bytes:
    columns = list(PENALTY_COLUMNS)
    for row in rows:
        columns += [c for c in row if c not in columns]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def flip_check(code: str) -> str:
    return code[:-1] + ("0" if code[-1] != "0" else "1")


def mixed_rows() -> list[dict[str, Any]]:
    """Rows 2..8 of a file: good, bad identifier, good, simplified procedure, forbidden field,
    duplicate of row 2, good natural person."""
    good = [penalty_row(i, TODAY) for i in range(3)]
    bad_id = dict(penalty_row(50, TODAY))
    bad_id["统一社会信用代码"] = flip_check(bad_id["统一社会信用代码"])
    simplified = dict(penalty_row(51, TODAY), 适用程序="简易程序")
    forbidden = dict(penalty_row(52, TODAY), 血型="A型")
    return [
        good[0],
        bad_id,
        good[1],
        simplified,
        forbidden,
        dict(good[0]),
        penalty_row(53, TODAY, person=True),
    ]


def push_as_system(
    ctx: Any, rows: list[dict[str, Any]], item: str = "HLJ-CF-001", provider: str = "HRB-SCJG"
) -> Any:
    """Push rows as the platform's own import would (staff acting for `provider`)."""
    from xinyong.common.roles import SYSTEM
    from xinyong.flows import AFTER_PUSH
    from xinyong.ingest.readers import read_json_records
    from xinyong.ingest.service import ingest

    return ingest(
        ctx,
        actor=SYSTEM,
        provider_code=provider,
        item_code=item,
        rows=read_json_records(rows),
        source="api",
        after=AFTER_PUSH,
    )


def seed_catalog_and_unit(ctx: Any, password: str) -> None:
    """The seed catalog and one provider unit's account, `unit` (HRB-SCJG), for tests that push
    through HTTP with a real token."""
    from xinyong.accounts.service import create_user
    from xinyong.catalog.service import seed_catalog
    from xinyong.common.roles import SYSTEM, Role

    with ctx.sessions() as session, session.begin():
        seed_catalog(session, ctx, actor=SYSTEM)
        create_user(
            session,
            ctx,
            actor=SYSTEM,
            username="unit",
            password=password,
            role=Role.PROVIDER,
            display_name="哈尔滨市市场监督管理局",
            provider_code="HRB-SCJG",
        )

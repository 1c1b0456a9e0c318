"""Ingestion end to end on both databases: receipts, quarantine, versions, refusals by article."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from sqlalchemy import func, select

from tests.ingest.conftest import TODAY, csv_bytes, flip_check, mixed_rows
from xinyong.common.errors import DomainError
from xinyong.common.roles import SYSTEM, Actor, Role
from xinyong.consents.schemas import ConsentIn
from xinyong.consents.service import record_consent
from xinyong.context import Context
from xinyong.demo.rows import penalty_row
from xinyong.flows import AFTER_PUSH
from xinyong.ingest.models import IngestBatch, QuarantinedRow
from xinyong.ingest.quarantine import list_quarantine, resubmit, withdraw
from xinyong.ingest.readers import read_csv, read_json_records, read_xlsx
from xinyong.ingest.service import ingest
from xinyong.records import store
from xinyong.records.models import CreditRecord
from xinyong.records.service import correct, timeliness
from xinyong.subjects.models import Subject

PROVIDER = "HRB-SCJG"
ITEM = "HLJ-CF-001"
UNIT = Actor(role=Role.PROVIDER, username="unit", provider_code=PROVIDER)


def push(
    ctx: Context, rows: list[dict], item: str = ITEM, actor: Actor = UNIT, provider: str = PROVIDER
):  # type: ignore[no-untyped-def,type-arg]
    return ingest(
        ctx,
        actor=actor,
        provider_code=provider,
        item_code=item,
        rows=read_json_records(rows),
        source="api",
        after=AFTER_PUSH,
    )


def push_mixed_csv(ctx: Context):  # type: ignore[no-untyped-def]
    """The mixed file of tests.ingest.conftest, pushed by the unit as a CSV."""
    rows = read_csv(io.BytesIO(csv_bytes(mixed_rows())))
    return ingest(
        ctx,
        actor=UNIT,
        provider_code=PROVIDER,
        item_code=ITEM,
        rows=rows,
        source="csv",
        filename="mixed.csv",
        after=AFTER_PUSH,
    )


def reasons_of(receipt, row: int) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    return next(r["reasons"] for r in receipt.rejected if r["row"] == row)


def test_mixed_file_counts_every_row_and_quarantines_every_bad_one(seeded: Context) -> None:
    receipt = push_mixed_csv(seeded)
    assert receipt.counts() == {
        "rows": 7,
        "accepted": 3,
        "updated": 0,
        "unchanged": 1,
        "rejected": 3,
    }
    assert sorted(receipt.accepted) == [2, 4, 8]
    assert receipt.unchanged == [7]
    bad_id = reasons_of(receipt, 3)[0]
    assert bad_id["code"] == "identifier.uscc.check_character"
    assert any("第十九条" in a for a in bad_id["articles"])
    simplified = reasons_of(receipt, 5)[0]
    assert simplified["code"] == "ingest.simplified_procedure"
    assert any("第十八条第三款" in a for a in simplified["articles"])
    forbidden = reasons_of(receipt, 6)[0]
    assert forbidden["code"] == "ingest.forbidden_field" and forbidden["field"] == "血型"
    assert any("第二十条第三款" in a for a in forbidden["articles"])
    with seeded.sessions() as session:
        total, rows = list_quarantine(session, UNIT, PROVIDER)
        assert total == 3 and sorted(r.row_number for r in rows) == [3, 5, 6]
        stored = {r.row_number: json.loads(r.payload_json) for r in rows}
        assert stored[6]["血型"] == "A型"  # kept exactly as received, until fixed or withdrawn
        assert session.scalar(select(func.count()).select_from(CreditRecord)) == 3
        batch = session.get(IngestBatch, receipt.batch_id)
        assert batch is not None and batch.state == "done" and batch.rejected == 3
        assert seeded.audit.verify(session).ok


def test_receipt_lists_row_ranges_and_says_the_item_is_unverified(seeded: Context) -> None:
    receipt = push(seeded, [penalty_row(i, TODAY) for i in range(5)])
    body = receipt.as_dict()
    assert body["rows_accepted"] == [[1, 5]]
    assert "未经与国家标准原文核对" in body["unverified"]


def test_pushing_again_changes_nothing_and_a_change_is_a_new_version(
    seeded: Context, clock
) -> None:  # type: ignore[no-untyped-def]
    rows = [penalty_row(i, TODAY) for i in range(3)]
    push(seeded, rows)
    again = push(seeded, rows)
    assert again.counts()["unchanged"] == 3
    clock.advance(dt.timedelta(days=2))
    changed = dict(rows[1], 处罚内容="罚款人民币六千元。")
    receipt = push(seeded, [changed])
    assert receipt.counts()["updated"] == 1
    with seeded.sessions() as session:
        versions = store.versions(session, PROVIDER, ITEM, rows[1]["处罚决定书文号"])
    assert [(v.version, v.is_current) for v in versions] == [(1, False), (2, True)]
    assert versions[0].superseded_at is not None
    assert versions[0].valid_to == dt.date(2026, 11, 25)
    assert versions[1].valid_from == dt.date(2026, 11, 25)
    assert versions[0].valid_from.isoformat() == rows[1]["处罚决定日期"]
    assert json.loads(versions[1].payload_json)["处罚内容"] == "罚款人民币六千元。"


def test_same_key_twice_in_one_batch(seeded: Context) -> None:
    row = penalty_row(7, TODAY)
    receipt = push(seeded, [row, dict(row), dict(row, 处罚内容="更正后的内容")])
    assert receipt.counts() == {
        "rows": 3,
        "accepted": 1,
        "updated": 1,
        "unchanged": 1,
        "rejected": 0,
    }
    with seeded.sessions() as session:
        current = session.scalars(
            select(CreditRecord).where(CreditRecord.is_current.is_(True))
        ).all()
        assert len(current) == 1 and current[0].version == 2


def test_a_unit_pushes_only_its_catalog_items(seeded: Context) -> None:
    with pytest.raises(DomainError) as err:
        push(
            seeded,
            [penalty_row(1, TODAY)],
            actor=Actor(role=Role.PROVIDER, provider_code="HRB-GS"),
            provider="HRB-GS",
        )
    assert err.value.code == "ingest.provider_not_allowed" and err.value.status == 403
    assert err.value.citations[0].article == 18
    with pytest.raises(DomainError) as err:
        push(seeded, [penalty_row(1, TODAY)], provider="HLJ-SCJG")
    assert err.value.code == "ingest.other_provider"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"处罚决定日期": "2026-02-30"}, "ingest.bad_date"),
        ({"处罚决定日期": "2027-01-01"}, "ingest.future_date"),
        ({"罚款金额（万元）": "-1"}, "ingest.bad_amount"),
        ({"罚款金额（万元）": "五千"}, "ingest.bad_amount"),
        ({"行政相对人类别": "公司"}, "ingest.bad_enum"),
        ({"违法事实": ""}, "ingest.required"),
        ({"统一社会信用代码": ""}, "ingest.identifier_missing"),
        ({"备用字段": "x"}, "ingest.unknown_field"),
        ({"指纹信息": "..."}, "ingest.forbidden_field"),
    ],
)
def test_field_validation(seeded: Context, change: dict, code: str) -> None:  # type: ignore[type-arg]
    receipt = push(seeded, [penalty_row(3, TODAY) | change])
    assert receipt.counts()["rejected"] == 1
    assert code in [r["code"] for r in receipt.rejected[0]["reasons"]]


def test_row_number_columns_are_ignored_and_formats_accepted(seeded: Context) -> None:
    row = penalty_row(4, TODAY) | {
        "序号": "1",
        "处罚决定日期": "2026年3月5日",
        "罚款金额（万元）": "1,200.50",
    }
    receipt = push(seeded, [row])
    assert receipt.counts()["accepted"] == 1
    with seeded.sessions() as session:
        record = session.scalars(select(CreditRecord)).one()
    payload = json.loads(record.payload_json)
    assert payload["处罚决定日期"] == "2026-03-05" and payload["罚款金额（万元）"] == "1200.5"
    assert record.decided_on == dt.date(2026, 3, 5)


def test_natural_person_identified_by_citizen_id(seeded: Context) -> None:
    good = penalty_row(9, TODAY, person=True)
    bad = dict(penalty_row(10, TODAY, person=True))
    bad["证件号码"] = bad["证件号码"][:6] + "20990101" + bad["证件号码"][14:]
    passport = dict(penalty_row(11, TODAY, person=True), 证件类型="护照", 证件号码="E12345678")
    receipt = push(seeded, [good, bad, passport])
    assert receipt.counts()["accepted"] == 2
    assert receipt.rejected[0]["reasons"][0]["code"] == "identifier.citizen_id.birth_date"
    with seeded.sessions() as session:
        keys = set(session.scalars(select(Subject.subject_key)))
    assert good["证件号码"] in keys and "护照:E12345678" in keys


def utility_row(n: int, person: bool = True) -> dict:  # type: ignore[type-arg]
    base = penalty_row(n, TODAY, person=person)
    return {
        "用户名称": base["行政相对人名称"],
        "用户类别": base["行政相对人类别"],
        "统一社会信用代码": base["统一社会信用代码"],
        "证件类型": base["证件类型"],
        "证件号码": base["证件号码"],
        "用户编号": f"SW{n:08d}",
        "欠费起始日期": "2026-01-01",
        "欠费金额（元）": "860.5",
        "催告日期": "2026-06-01",
    }


def tax_row(n: int) -> dict:  # type: ignore[type-arg]
    base = penalty_row(n, TODAY, person=True)
    return {
        "纳税人名称": base["行政相对人名称"],
        "纳税人类别": "自然人",
        "证件类型": "身份证",
        "证件号码": base["证件号码"],
        "文书编号": f"黑税限缴〔2026〕{n}号",
        "欠缴税种": "个人所得税",
        "纳税数额（元）": "120000",
        "欠缴税额（元）": "3400",
        "责令缴纳日期": "2026-05-01",
    }


def consent(
    ctx: Context, subject_key: str, item: str, classes: list[str], written: bool = True
) -> None:
    with ctx.sessions() as session, session.begin():
        record_consent(
            session,
            ctx,
            actor=SYSTEM,
            body=ConsentIn(
                subject_key=subject_key,
                item_code=item,
                classes=classes,
                purpose="信用评价",
                informed=True,
                written=written,
                adverse_consequences_told=written,
                document="档案号 2026-001",
                valid_from=dt.date(2026, 1, 1),
            ),
        )


def test_non_public_information_of_a_person_needs_consent_hlj20(seeded: Context) -> None:
    gs = Actor(role=Role.PROVIDER, provider_code="HRB-GS")
    first = push(
        seeded,
        [utility_row(1), utility_row(2, person=False)],
        item="HLJ-GY-001",
        actor=gs,
        provider="HRB-GS",
    )
    assert first.counts()["accepted"] == 1  # the company needs no consent
    reason = first.rejected[0]["reasons"][0]
    assert reason["code"] == "ingest.nonpublic_without_consent"
    assert any("第二十条第一款" in a for a in reason["articles"])
    consent(seeded, utility_row(1)["证件号码"], "HLJ-GY-001", [], written=False)
    assert (
        push(seeded, [utility_row(1)], item="HLJ-GY-001", actor=gs, provider="HRB-GS").counts()[
            "accepted"
        ]
        == 1
    )


def test_tax_amounts_of_a_person_need_written_consent_hlj20(seeded: Context) -> None:
    sw = Actor(role=Role.PROVIDER, provider_code="HLJ-SW")
    row = tax_row(1)
    consent(seeded, row["证件号码"], "HLJ-QS-001", [], written=False)  # told, but not in writing
    receipt = push(seeded, [row], item="HLJ-QS-001", actor=sw, provider="HLJ-SW")
    reason = receipt.rejected[0]["reasons"][0]
    assert reason["code"] == "ingest.restricted_without_consent"
    assert any("第二十条第二款" in a for a in reason["articles"])
    without_amount = dict(row, **{"纳税数额（元）": ""})
    assert (
        push(seeded, [without_amount], item="HLJ-QS-001", actor=sw, provider="HLJ-SW").counts()[
            "accepted"
        ]
        == 1
    )
    consent(seeded, row["证件号码"], "HLJ-QS-001", ["tax_amount"])
    assert (
        push(seeded, [row], item="HLJ-QS-001", actor=sw, provider="HLJ-SW").counts()["updated"] == 1
    )


def test_quarantine_fix_resubmit_and_withdraw(seeded: Context) -> None:
    receipt = push_mixed_csv(seeded)
    by_row = {r["row"]: r["quarantine_id"] for r in receipt.rejected}
    fixed = dict(penalty_row(50, TODAY))
    ok = resubmit(seeded, actor=UNIT, quarantine_id=by_row[3], record=fixed, after=AFTER_PUSH)
    assert ok.counts()["accepted"] == 1
    still_bad = dict(penalty_row(51, TODAY), 适用程序="简易程序")
    again = resubmit(
        seeded, actor=UNIT, quarantine_id=by_row[5], record=still_bad, after=AFTER_PUSH
    )
    assert again.counts()["rejected"] == 1
    withdraw(seeded, actor=UNIT, quarantine_id=by_row[6], reason="误报，已删除血型列后另行推送")
    with pytest.raises(DomainError) as err:
        withdraw(seeded, actor=UNIT, quarantine_id=by_row[6], reason="again")
    assert err.value.code == "quarantine.closed"
    with pytest.raises(DomainError):
        resubmit(
            seeded,
            actor=Actor(role=Role.PROVIDER, provider_code="HRB-GS"),
            quarantine_id=by_row[5],
            record=fixed,
            after=AFTER_PUSH,
        )
    with seeded.sessions() as session:
        states = {
            i: st for i, st in session.execute(select(QuarantinedRow.id, QuarantinedRow.state))
        }
        total_open, open_rows = list_quarantine(session, UNIT, PROVIDER)
    assert states[by_row[3]] == "resubmitted"
    # refused again: fixed in place, the same row stays open with its new reasons (issue 16)
    assert states[by_row[5]] == "open" and again.rejected[0]["quarantine_id"] == by_row[5]
    assert states[by_row[6]] == "withdrawn"
    assert total_open == 1 and open_rows[0].id == by_row[5] and open_rows[0].attempts == 2
    assert len(states) == 3  # nothing deleted, nothing opened twice


def test_corrections_record_discovery_and_the_hlj38_deadline(seeded: Context) -> None:
    row = penalty_row(20, TODAY)
    push(seeded, [row])
    key = row["处罚决定书文号"]
    fixed = dict(row, 处罚内容="罚款人民币四千元（更正）。")
    on_time = correct(
        seeded,
        actor=UNIT,
        provider_code=PROVIDER,
        item_code=ITEM,
        record_key=key,
        discovered_on=dt.date(2026, 11, 19),
        reason="金额录入错误",
        record=fixed,
    )
    # discovered Thursday 11-19: 3 working days -> Tuesday 11-24; today is 11-23
    assert on_time.correction_due_on == dt.date(2026, 11, 24) and on_time.correction_on_time is True
    late = correct(
        seeded,
        actor=UNIT,
        provider_code=PROVIDER,
        item_code=ITEM,
        record_key=key,
        discovered_on=dt.date(2026, 11, 2),
        reason="决定已被撤销",
    )
    assert late.state == "withdrawn" and late.correction_on_time is False
    with seeded.sessions() as session:
        versions = store.versions(session, PROVIDER, ITEM, key)
    assert [v.change for v in versions] == ["new", "correction", "withdrawal"]
    assert versions[1].valid_from == versions[0].valid_from  # a correction is retroactive
    with pytest.raises(DomainError) as err:
        correct(
            seeded,
            actor=UNIT,
            provider_code=PROVIDER,
            item_code=ITEM,
            record_key=key,
            discovered_on=TODAY,
            reason="x",
            record=dict(row, 处罚决定书文号="另一个"),
        )
    assert err.value.code == "records.key_changed"


def test_timeliness_counts_late_first_arrivals(seeded: Context) -> None:
    recent = penalty_row(30, TODAY) | {"处罚决定日期": "2026-11-20"}
    old = penalty_row(31, TODAY) | {"处罚决定日期": "2026-06-01"}
    push(seeded, [recent, old])
    with seeded.sessions() as session:
        report = timeliness(session, PROVIDER, 2026)
    assert report == [{"item": ITEM, "records": 2, "late": 1, "on_time": 1, "on_time_ratio": 0.5}]


def test_excel_file_as_a_provider_prepares_it(seeded: Context) -> None:
    from openpyxl import Workbook

    rows = [penalty_row(i, TODAY) for i in range(40, 43)]
    book = Workbook()
    sheet = book.active
    sheet.append(list(rows[0]))
    for row in rows:
        values = []
        for name, value in row.items():
            if name in ("处罚决定日期", "处罚有效期", "公示截止期"):
                values.append(dt.datetime.fromisoformat(value))  # Excel dates
            elif name.endswith("（万元）"):
                values.append(float(value))  # numbers
            else:
                values.append(value or None)
        sheet.append(values)
    sheet.append([None] * len(rows[0]))  # a trailing empty row
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    receipt = ingest(
        seeded,
        actor=UNIT,
        provider_code=PROVIDER,
        item_code=ITEM,
        rows=read_xlsx(buffer),
        source="xlsx",
        after=AFTER_PUSH,
    )
    assert receipt.counts() == {
        "rows": 3,
        "accepted": 3,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
    }
    with seeded.sessions() as session:
        payload = json.loads(session.scalars(select(CreditRecord.payload_json)).first() or "{}")
    assert (
        payload["罚款金额（万元）"] == "0.5" and payload["处罚决定日期"] == rows[0]["处罚决定日期"]
    )


def test_gb18030_csv_from_chinese_excel(seeded: Context) -> None:
    data = csv_bytes([penalty_row(60, TODAY)], encoding="gb18030")
    receipt = ingest(
        seeded,
        actor=UNIT,
        provider_code=PROVIDER,
        item_code=ITEM,
        rows=read_csv(io.BytesIO(data)),
        source="csv",
        after=AFTER_PUSH,
    )
    assert receipt.counts()["accepted"] == 1


def test_flip_check_really_breaks_codes() -> None:
    code = penalty_row(1, TODAY)["统一社会信用代码"]
    assert flip_check(code) != code

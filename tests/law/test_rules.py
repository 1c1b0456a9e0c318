"""The law packs: strict loading, citations on every leaf, the platform chains, dates."""

from __future__ import annotations

import datetime as dt
import shutil
import textwrap
from pathlib import Path

import pytest

from xinyong.common.errors import DomainError
from xinyong.law.rules import PACKS_DIR, PLATFORMS_FILE, PackError, default_library, load_library

ON = dt.date(2026, 11, 23)
HLJ = "黑龙江省社会信用条例"
HRB = "哈尔滨市社会信用体系建设促进条例"


def test_harbin_objection_decide_is_three_days_citing_hlj39_and_noting_hrb39() -> None:
    answer = default_library().ruleset("harbin").get("objection.decide", ON)
    assert answer.value == 3
    assert answer.unit == "working_day"
    assert [(c.instrument, c.article, c.paragraph) for c in answer.citations] == [(HLJ, 39, 2)]
    not_applied = [c for c in answer.contributions if not c.applied]
    assert [(c.pack, c.value, c.citations[0].article) for c in not_applied] == [
        ("harbin-2020", 5, 39)
    ]
    assert any("5个工作日" in n and "哈尔滨" in n for n in answer.notes)


def test_province_platform_ignores_harbin_pack() -> None:
    answer = default_library().ruleset("230000").get("objection.decide", ON)
    assert answer.value == 3
    assert [c.pack for c in answer.contributions] == ["heilongjiang-2022"]


def test_equal_values_report_both_citations() -> None:
    answer = default_library().ruleset("harbin").get("correction.basis_changed.provider_report", ON)
    assert answer.value == 2
    assert {c.instrument for c in answer.citations} == {HLJ, HRB}


def test_shorter_provincial_deadline_binds_harbin_platform() -> None:
    answer = default_library().ruleset("harbin").get("correction.basis_changed.platform_act", ON)
    assert answer.value == 1
    assert answer.citations[0].article == 38
    assert answer.citations[0].paragraph == 3


def test_rules_are_asked_for_as_of_a_date() -> None:
    rules = default_library().ruleset("harbin")
    # Before the province's regulation took effect (2022-07-01) only Harbin's 5 days applied.
    before = rules.get("objection.decide", dt.date(2022, 6, 30))
    assert before.value == 5
    assert before.citations[0].instrument == HRB
    assert rules.get("objection.decide", dt.date(2022, 7, 1)).value == 3
    with pytest.raises(DomainError) as err:
        rules.get("objection.decide", dt.date(2021, 1, 31))
    assert err.value.code == "law.not_in_force"


def test_national_publicity_periods_switch_orders_and_are_marked_unverified() -> None:
    rules = default_library().ruleset("230000")
    old = rules.get("publicity.serious.max", dt.date(2026, 3, 31))
    new = rules.get("publicity.serious.max", dt.date(2026, 4, 1))
    assert (old.value, old.unit, new.value) == (3, "year", 3)
    assert old.citations[0].document == "国家发展改革委令2023年第58号"
    assert new.citations[0].document == "国家发展改革委令2025年第36号"
    assert old.unverified and new.unverified
    assert "未核实" in new.summary()
    assert rules.get("publicity.general.min", ON).value == 3
    assert rules.get("publicity.general.max", ON).value == 1
    assert rules.get("publicity.serious.min", ON).value == 1
    assert rules.get("publicity.minor.max", ON).value == 3
    with pytest.raises(DomainError):
        rules.get("publicity.minor.max", dt.date(2026, 3, 31))


def test_catalog_has_the_ten_categories_of_hlj18() -> None:
    answer = default_library().ruleset("230000").get("catalog.categories", ON)
    assert [e["item"] for e in answer.value] == list(range(1, 11))
    assert answer.citations[0].article == 18


def test_hlj20_fields() -> None:
    rules = default_library().ruleset("230000")
    assert set(rules.codes("collection.forbidden_fields", ON)) == {
        "religion",
        "blood_type",
        "disease",
        "medical_history",
        "fingerprint",
        "gene",
        "biometric",
    }
    assert set(rules.codes("collection.restricted_personal_fields", ON)) == {
        "income",
        "deposits",
        "securities",
        "commercial_insurance",
        "real_estate",
        "tax_amount",
    }


def test_union_lists_tag_each_entry_with_its_pack() -> None:
    answer = default_library().ruleset("harbin").get("serious_dishonesty.conduct_categories", ON)
    packs = {e["pack"] for e in answer.value}
    assert packs == {"heilongjiang-2022", "harbin-2020"}
    assert len(answer.value) == 12


def test_every_leaf_cites_an_article_unless_marked_unverified() -> None:
    for pack in default_library().packs.values():
        for leaf in pack.leaves.values():
            for cites in leaf.references.values():
                for c in cites:
                    assert c.article is not None or leaf.unverified, (pack.id, leaf.key)


def test_unknown_key_and_platform_are_clear_errors() -> None:
    with pytest.raises(DomainError) as err:
        default_library().ruleset("230000").get("no.such.rule", ON)
    assert err.value.code == "law.unknown_key"
    with pytest.raises(DomainError) as err:
        default_library().ruleset("atlantis")
    assert err.value.code == "law.unknown_platform"


# --- the loader is strict ----------------------------------------------------------------------

GOOD_LEAF = """
objection.decide:
  description: 时限
  unit: working_day
  values:
    2022-07-01: 3
  reference:
    2022-07-01:
      - {instrument: 黑龙江省社会信用条例, article: 39, paragraph: 2}
"""


def _packs_with(tmp_path: Path, body: str, filename: str = "broken.yaml") -> Path:
    root = tmp_path / "packs"
    shutil.copytree(PACKS_DIR, root)
    (root / "heilongjiang-2022" / filename).write_text(textwrap.dedent(body), encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (GOOD_LEAF.replace("unit: working_day", "unit: fortnight"), "unit"),
        (
            GOOD_LEAF.replace("  description: 时限\n", "  description: 时限\n  colour: red\n"),
            "unknown keys",
        ),
        (GOOD_LEAF.split("  reference:")[0], "missing keys"),
        (GOOD_LEAF.replace("article: 39, ", ""), "without article"),
        (GOOD_LEAF.replace("2022-07-01: 3", "2022-13-01: 3"), "YAML"),
        (GOOD_LEAF.replace("2022-07-01: 3", "2023-01-01: 4\n    2022-07-01: 3"), "out of order"),
        (GOOD_LEAF.replace("2022-07-01: 3", "2022-07-01: 3\n    2022-07-01: 4"), "duplicate key"),
        (GOOD_LEAF.replace("2022-07-01", "2020-01-01"), "before the instrument"),
        (GOOD_LEAF.replace("2022-07-01: 3", "2022-07-01: three"), "does not fit unit"),
        (
            GOOD_LEAF.replace("instrument: 黑龙江省社会信用条例", "instrument: 某条例"),
            "not in pack.yaml",
        ),
        (GOOD_LEAF.replace("objection.decide", "complaint.answer"), "duplicate key, also in"),
        (
            GOOD_LEAF.replace("    2022-07-01:\n      - {", "    2023-07-01:\n      - {"),
            "which has no value",
        ),
    ],
)
def test_loader_refuses_and_names_file_and_key(tmp_path: Path, body: str, problem: str) -> None:
    root = _packs_with(tmp_path, body)
    with pytest.raises(PackError) as err:
        load_library(root, PLATFORMS_FILE)
    message = str(err.value)
    assert problem in message
    assert "broken.yaml" in message or "rights.yaml" in message
    if err.value.key is None:  # a YAML-level error: the line is named instead
        assert "line" in message or "month" in message
    else:
        assert err.value.key in ("objection.decide", "complaint.answer")


def test_chain_refuses_packs_that_disagree_on_unit(tmp_path: Path) -> None:
    root = tmp_path / "packs"
    shutil.copytree(PACKS_DIR, root)
    path = root / "harbin-2020" / "rights.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("unit: working_day", "unit: calendar_day", 1),
        encoding="utf-8",
    )
    with pytest.raises(PackError, match="differ"):
        load_library(root, PLATFORMS_FILE)

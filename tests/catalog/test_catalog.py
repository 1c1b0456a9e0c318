"""The catalog: HLJ 18's ten categories, HLJ 20's forbidden fields, versions."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from xinyong.catalog.models import CatalogItem
from xinyong.catalog.service import SEED_FILE, define_item, describe, get_item, list_items, spec_of
from xinyong.common.errors import DomainError
from xinyong.common.roles import SYSTEM
from xinyong.context import Context
from xinyong.law.rules import load_yaml


def base_spec() -> dict:  # type: ignore[type-arg]
    return dict(next(i for i in load_yaml(SEED_FILE)["items"] if i["code"] == "HLJ-BZ-001"))


def define(ctx: Context, raw: dict) -> CatalogItem:  # type: ignore[type-arg]
    from xinyong.catalog.schemas import CatalogItemSpec

    with ctx.sessions() as session, session.begin():
        return define_item(session, ctx, actor=SYSTEM, spec=CatalogItemSpec.model_validate(raw))


def test_seed_covers_all_ten_categories(seeded: Context) -> None:
    with seeded.sessions() as session:
        items = list_items(session)
    categories = {i.category for i in items}
    expected = set(seeded.rules.codes("catalog.categories", seeded.today()))
    assert categories == expected and len(expected) == 10


def test_category_outside_hlj18_is_refused(seeded: Context) -> None:
    raw = base_spec() | {"code": "TEST-X-001", "category": "gossip"}
    with pytest.raises(DomainError) as err:
        define(seeded, raw)
    assert err.value.code == "catalog.category_outside_hlj18"
    assert (err.value.citations[0].article, err.value.citations[0].paragraph) == (18, 2)


@pytest.mark.parametrize(
    "field", [{"name": "血型", "type": "string"}, {"name": "宗教信仰情况", "type": "string"}]
)
def test_forbidden_fields_cannot_be_defined(seeded: Context, field: dict) -> None:  # type: ignore[type-arg]
    raw = base_spec() | {"code": "TEST-X-002"}
    raw["fields"] = [*raw["fields"], field]
    with pytest.raises(DomainError) as err:
        define(seeded, raw)
    assert err.value.code == "catalog.forbidden_field"
    assert (err.value.citations[0].article, err.value.citations[0].paragraph) == (20, 3)


def test_new_versions_keep_the_old(seeded: Context) -> None:
    raw = base_spec()
    raw["name"] = "表彰奖励信息（修订）"
    item = define(seeded, raw)
    assert item.version == 2
    with seeded.sessions() as session:
        assert get_item(session, "HLJ-BZ-001").name == "表彰奖励信息（修订）"
        assert get_item(session, "HLJ-BZ-001", 1).name == "表彰奖励信息"
        versions = session.scalars(
            select(CatalogItem.version).where(CatalogItem.code == "HLJ-BZ-001")
        )
        assert sorted(versions) == [1, 2]


def test_unverified_items_say_so(seeded: Context) -> None:
    with seeded.sessions() as session:
        penalty = describe(get_item(session, "HLJ-CF-001"))
        registration = describe(get_item(session, "HLJ-DJ-001"))
    assert penalty["unverified"] and "未核实" in penalty["unverified_notice"]
    assert "unverified_notice" not in registration


def test_national_double_publicity_fields_are_present(seeded: Context) -> None:
    with seeded.sessions() as session:
        penalty = spec_of(get_item(session, "HLJ-CF-001"))
        licence = spec_of(get_item(session, "HLJ-XK-001"))
    for name in (
        "处罚决定书文号",
        "违法行为类型",
        "罚款金额（万元）",
        "处罚机关统一社会信用代码",
        "公示截止期",
    ):
        assert penalty.field(name) is not None
    for name in ("行政许可决定文书号", "许可类别", "有效期自", "有效期至", "许可机关"):
        assert licence.field(name) is not None

"""docs/regulation-map.md lists every rule key the packs hold."""

from __future__ import annotations

from pathlib import Path

from xinyong.law.rules import default_library

MAP = Path(__file__).resolve().parents[2] / "docs" / "regulation-map.md"


def test_every_rule_key_is_in_the_regulation_map() -> None:
    text = MAP.read_text(encoding="utf-8")
    keys = {key for pack in default_library().packs.values() for key in pack.leaves}
    missing = sorted(k for k in keys if f"`{k}`" not in text)
    assert missing == []

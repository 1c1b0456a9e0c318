"""common/choices.py: a code, its Chinese label or an alias all give the code."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import BaseModel, ValidationError

from xinyong.common.choices import choice, label_of
from xinyong.common.inputs import Key

COLOURS = {"red": "红色", "blue": "蓝色"}


class Strict(BaseModel):
    colour: Annotated[Key, choice(COLOURS, aliases={"赤": "red"})]


class Lenient(BaseModel):
    colour: Annotated[Key, choice(lambda: COLOURS, strict=False)]


def test_a_code_a_label_or_an_alias_gives_the_code() -> None:
    assert Strict(colour="red").colour == "red"
    assert Strict(colour=" 红色 ").colour == "red"
    assert Strict(colour="赤").colour == "red"


def test_an_unknown_value_lists_the_labels() -> None:
    with pytest.raises(ValidationError) as err:
        Strict(colour="绿色")
    assert err.value.errors()[0]["type"] == "literal_error"
    assert "应为以下之一：红色、蓝色" in str(err.value)


def test_lenient_passes_the_unknown_on_for_the_service_to_refuse() -> None:
    assert Lenient(colour="蓝色").colour == "blue"
    assert Lenient(colour="green").colour == "green"
    with pytest.raises(ValidationError):
        Lenient(colour=3)  # not a string: the Key type refuses it


def test_a_page_never_shows_a_code() -> None:
    assert label_of(COLOURS, "blue") == "蓝色"
    assert label_of(COLOURS, "green") == "其他"
    assert label_of(COLOURS, None) == ""

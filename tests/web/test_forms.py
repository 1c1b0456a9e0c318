"""A refused form names its fields in Chinese, never by their code names (the commitments' and
supervision's pages had each written `填写不完整或有误：subject_key`)."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from xinyong.commitments.schemas import CommitmentIn
from xinyong.supervision.schemas import PlanIn
from xinyong.web.forms import form_problem, form_values


@pytest.mark.parametrize("model", [CommitmentIn, PlanIn])
def test_a_refused_form_names_its_fields_in_chinese(model: type) -> None:
    with pytest.raises(ValidationError) as refused:
        model()
    text = form_problem(refused.value, model)
    assert text.startswith("填写不完整或有误：")
    assert not re.search(r"[A-Za-z_]{3,}", text), text


def test_form_values_drop_the_token_and_empty_fields() -> None:
    assert form_values({"csrf_token": "t", "a": " x ", "b": ""}) == {"a": "x", "b": None}

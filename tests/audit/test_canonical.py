"""The audit log's canonical JSON and time stamps are written by fast paths (orjson, isoformat);
every hash already on a chain was computed with the reference forms, so the fast paths must give
the very same bytes, for any data."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from xinyong.audit.service import (
    _STAMP_FORMAT,
    _reference_json,
    _stamp,
    canonical_bytes,
    canonical_json,
)

_scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text()
_plain = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(), inner, max_size=5)
    ),
    max_leaves=30,
)


class Colour(enum.Enum):
    RED = "red"


_other = (
    st.floats(allow_nan=True)
    | st.datetimes()
    | st.dates()
    | st.just(Colour.RED)
    | st.dictionaries(st.integers(), st.text(), max_size=3)
)


@given(_plain)
def test_plain_data_gives_the_reference_bytes(data: Any) -> None:
    assert canonical_bytes(data) == _reference_json(data).encode("utf-8")
    assert canonical_json(data) == _reference_json(data)


@given(st.lists(_plain | _other, max_size=4))
def test_any_other_data_gives_the_reference_bytes(data: list[Any]) -> None:
    assert canonical_bytes(data) == _reference_json(data).encode("utf-8")


def test_keys_sort_by_code_point_beyond_the_basic_plane() -> None:
    data = {"\U00010000": 1, "\uffff": 2, "a": 3, "中": 4}
    assert canonical_bytes(data) == _reference_json(data).encode("utf-8")


_zones = st.sampled_from(
    [dt.UTC, dt.timezone(dt.timedelta(hours=8)), dt.timezone(-dt.timedelta(hours=5))]
)


@given(st.datetimes(min_value=dt.datetime(2, 1, 1), timezones=_zones))
def test_stamps_are_strftimes_text(moment: dt.datetime) -> None:
    assert _stamp(moment) == moment.astimezone(dt.UTC).strftime(_STAMP_FORMAT)

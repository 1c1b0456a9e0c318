"""The types of what a request may carry: ids a database can hold, years and dates the calendar
can count, bounded text without control characters, page numbers.

Every route's path, query and form parameters and every request model use them, so a value the
platform cannot handle is refused at the door with a Chinese 422 naming the field and the rule
(web/errors.py), never passed on to fail as a 500 further in: an integer over 2^63 overflows
SQLite and PostgreSQL's BIGINT, a year outside 1950-2100 has no holidays, a date like 9999-12-30
overflows as soon as a deadline is counted from it, and PostgreSQL refuses NUL in text. The
bounds are published in the OpenAPI document (maximum, maxLength, pattern).

Pydantic only (no FastAPI): services' request models use these types too."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from annotated_types import Ge, Le
from pydantic import BeforeValidator, StringConstraints

from xinyong.config import (
    KEY_MAX_CHARS,
    NAME_MAX_CHARS,
    PAGE_MAX,
    RECORD_KEY_MAX_CHARS,
    TEXT_MAX_CHARS,
)
from xinyong.law.workdays import FIRST_YEAR, LAST_YEAR

#: The largest integer SQLite's INTEGER and PostgreSQL's BIGINT hold.
DB_INT_MAX = 2**63 - 1
#: The largest PostgreSQL's INTEGER holds (tables keyed by Integer rather than BigId).
DB_INT32_MAX = 2**31 - 1
FIRST_DAY = dt.date(FIRST_YEAR, 1, 1)
LAST_DAY = dt.date(LAST_YEAR, 12, 31)

#: One line: no control character (NUL, line breaks, escape, DEL...).
ONE_LINE = r"^[^\x00-\x1f\x7f]*$"
#: Free text: tabs and line breaks allowed, other control characters (NUL included) not.
MULTI_LINE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"

#: The id of a row keyed by BigId (records, cases, batches, quarantined rows, checks).
RowId = Annotated[int, Ge(1), Le(DB_INT_MAX)]
#: The id of a row keyed by Integer (authorisations, case and state-unit notices), or a
#: catalog item's version: PostgreSQL compares it as INTEGER.
IntRowId = Annotated[int, Ge(1), Le(DB_INT32_MAX)]
#: A year the working-day calendar can count.
CalendarYear = Annotated[int, Ge(FIRST_YEAR), Le(LAST_YEAR)]
#: A date the working-day calendar can count from (1950-01-01 to 2100-12-31).
CalendarDate = Annotated[dt.date, Ge(FIRST_DAY), Le(LAST_DAY)]
#: A code, key, number or identifier.
Key = Annotated[str, StringConstraints(max_length=KEY_MAX_CHARS, pattern=ONE_LINE)]
#: A record's key within its item and provider (e.g. a 处罚决定书文号).
RecordKey = Annotated[str, StringConstraints(max_length=RECORD_KEY_MAX_CHARS, pattern=ONE_LINE)]
#: A name, label, purpose, title or search text.
Name = Annotated[str, StringConstraints(max_length=NAME_MAX_CHARS, pattern=ONE_LINE)]
#: Free text (a request, reasons, a note).
Text = Annotated[str, StringConstraints(max_length=TEXT_MAX_CHARS, pattern=MULTI_LINE)]
#: A one-line value whose length a model's Field states (e.g. max_length=300).
Line = Annotated[str, StringConstraints(pattern=ONE_LINE)]
#: A page of a paged list.
PageNumber = Annotated[int, Ge(1), Le(PAGE_MAX)]


def _blank_is_none(value: Any) -> Any:
    """An HTML form's empty field (``?since=``) means "not given"."""
    return None if isinstance(value, str) and not value.strip() else value


#: A date in a page's query string, where an empty form field means none.
FormDate = Annotated[CalendarDate | None, BeforeValidator(_blank_is_none)]
#: A name in a page's query string, where an empty form field means none.
FormName = Annotated[Name | None, BeforeValidator(_blank_is_none)]

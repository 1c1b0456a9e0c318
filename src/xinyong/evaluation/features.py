"""The one feature query: per subject, how many items of each indicator fall in each age band.

Plain SQL that runs unchanged on SQLite and PostgreSQL (and is meant for Spark SQL): no date
function anywhere. Ages are turned into day boundaries before the query runs and passed as
parameters (`:lo_<column>`, `:hi_<column>`), so comparing a date column with a date is all the
database does. The items a subject's features count are the rows of ITEMS, the same text the
explanation reads for one subject: what moved a grade is exactly what the grade counted."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import TextClause, bindparam, text

from xinyong.db import UTCDateTime
from xinyong.evaluation.model import Model

COURT_DEBTOR_ITEM = "HLJ-SX-001"  # lists/court_debtors.py: counted through its list entry
BREACH_ITEM = "HLJ-CN-001"  # commitments/verification.py: a broken promise's record

#: Every item that can move a grade: (subject_key, indicator, on_day, source, ref_id, ref, title).
#: Record versions as they stood at :data_at (bitemporal: what the platform knew then); list
#: entries in force on :as_of; broken commitments not yet recorded as a credit record (once
#: recorded, the record counts, and a repair of it ends the deduction).
ITEMS = """
SELECT r.subject_key AS subject_key,
       CASE WHEN r.item_code = :breach_item THEN 'commitment_broken'
            WHEN r.nature = 'good' THEN 'good_record'
            WHEN r.severity = 'minor' THEN 'penalty_minor'
            WHEN r.severity = 'serious' THEN 'penalty_serious'
            ELSE 'penalty_general' END AS indicator,
       COALESCE(r.decided_on, r.valid_from) AS on_day,
       'record' AS source, r.id AS ref_id, r.record_key AS ref, r.title AS title
  FROM credit_records r
 WHERE r.recorded_at <= :data_at
   AND (r.superseded_at IS NULL OR r.superseded_at > :data_at)
   AND r.state = 'active' AND r.nature IN ('dishonesty', 'good')
   AND r.item_code <> :court_item {records_subject}
UNION ALL
SELECT e.subject_key AS subject_key,
       CASE WHEN e.basis_type = 'court_debtor' THEN 'court_debtor'
            WHEN e.list_kind = 'red' THEN 'red_list'
            ELSE 'serious_list' END AS indicator,
       e.decided_on AS on_day,
       'entry' AS source, e.id AS ref_id, e.number AS ref, e.reasons AS title
  FROM list_entries e
 WHERE e.state = 'active' AND e.list_kind IN ('red', 'serious')
   AND e.valid_until >= :as_of
   AND (e.valid_from IS NULL OR e.valid_from <= :as_of) {entries_subject}
UNION ALL
SELECT c.subject_key AS subject_key, 'commitment_broken' AS indicator,
       COALESCE(c.decided_on, c.made_on) AS on_day,
       'commitment' AS source, c.id AS ref_id, c.number AS ref, c.reason AS title
  FROM commitments c
 WHERE c.state = 'active' AND c.fulfilment IN ('false', 'not_kept', 'partly')
   AND c.breach_record IS NULL {commitments_subject}
"""

_SUBJECT = {
    "records_subject": "AND r.subject_key = :subject",
    "entries_subject": "AND e.subject_key = :subject",
    "commitments_subject": "AND c.subject_key = :subject",
}
_ALL = dict.fromkeys(_SUBJECT, "")


def _items(one: bool) -> str:
    return ITEMS.format(**(_SUBJECT if one else _ALL))


def feature_sql(model: Model, *, one: bool = False) -> str:
    """The per-subject counts: every legal person and organisation (none of its items: zeros,
    NULL here), or one subject (`one`, :subject). The items are aggregated first and the
    population joined to the aggregate (one row per subject): joining the items row by row
    costs SQLite an automatic index over all of them."""
    columns = [ind.column(b) for ind in model.indicators for b in ind.bands]
    sums = ",\n         ".join(
        f"SUM(CASE WHEN i.indicator = '{ind.code}' AND i.on_day >= :lo_{ind.column(b)}"
        f" AND i.on_day < :hi_{ind.column(b)} THEN 1 ELSE 0 END) AS {ind.column(b)}"
        for ind in model.indicators
        for b in ind.bands
    )
    picked = ", ".join(f"a.{c}" for c in columns)
    where = "s.kind <> 'natural_person'" + (" AND s.subject_key = :subject" if one else "")
    return (
        f"SELECT s.subject_key AS subject_key, {picked}\n"
        "  FROM subjects s LEFT JOIN (\n"
        f"  SELECT i.subject_key AS aggregated_key,\n         {sums}\n"
        f"    FROM ({_items(one)}) i\n   GROUP BY i.subject_key) a\n"
        "    ON a.aggregated_key = s.subject_key\n"
        f" WHERE {where}"
    )


def item_sql() -> str:
    """One subject's items (the explanation's rows)."""
    return f"SELECT * FROM ({_items(True)}) items ORDER BY on_day DESC, ref_id"


def parameters(model: Model, as_of: dt.date, data_at: dt.datetime) -> dict[str, Any]:
    """The query's parameters: each band's day boundaries, computed here from its ages."""
    params: dict[str, Any] = {
        "as_of": as_of,
        "data_at": data_at,
        "court_item": COURT_DEBTOR_ITEM,
        "breach_item": BREACH_ITEM,
    }
    for ind in model.indicators:
        newer = -1  # a band's items are at most up_to_days old and older than the band before
        for band in ind.bands:
            column = ind.column(band)
            params[f"lo_{column}"] = as_of - dt.timedelta(days=band.up_to_days)
            params[f"hi_{column}"] = as_of - dt.timedelta(days=newer)
            newer = band.up_to_days
    return params


def statement(sql: str) -> TextClause:
    return text(sql).bindparams(bindparam("data_at", type_=UTCDateTime()))

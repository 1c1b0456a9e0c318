"""The scoring function alone: pure, over Arrow record batches, no database and no Spark; the
model refuses an indicator that does not say where its numbers come from."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest

from xinyong.evaluation import features, scoring
from xinyong.evaluation.model import all_models, model_on, parse
from xinyong.law.rules import load_yaml


def test_scoring_imports_no_database_and_no_spark() -> None:
    tree = ast.parse(Path(scoring.__file__).read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert not imported & {"sqlalchemy", "pyspark", "psycopg", "sqlite3"}


def test_a_batch_in_grades_out() -> None:
    model = model_on(dt.date(2026, 11, 23))
    columns = model.feature_columns()
    rows = {
        "clean": {},
        "one_penalty": {"penalty_general__y1": 1},
        "old_penalty": {"penalty_general__y3": 1},
        "listed": {"serious_list__all": 1, "good_record__y1": 3},
        "many": {"penalty_general__y1": 9},  # floored at -40
    }
    batch = pa.RecordBatch.from_arrays(
        [pa.array(list(rows), pa.string())]
        + [pa.array([r.get(c, 0) for r in rows.values()], pa.int64()) for c in columns],
        names=["subject_key", *columns],
    )
    out = scoring.scorer(model)(batch).to_pydict()
    assert out["grade"] == ["A", "B", "A", "D", "C"]  # listed: 66 points, D by its ceiling
    assert out["score"] == [100.0, 92.0, 98.4, 66.0, 60.0]
    assert out["pts_penalty_general"][4] == -40.0
    assert scoring.output_schema(model) == scoring.scorer(model)(batch).schema


def test_every_indicator_has_a_query_branch_and_a_source() -> None:
    sql = features.ITEMS
    for model in all_models():
        for indicator in model.indicators:
            assert f"'{indicator.code}'" in sql, indicator.code
            assert indicator.source.note


def test_an_indicator_without_a_source_is_refused() -> None:
    raw = load_yaml(Path(features.__file__).parent / "models" / "2026.yaml")
    del raw["indicators"][0]["source"]
    with pytest.raises(ValueError, match="names no source"):
        parse(raw)
    raw = load_yaml(Path(features.__file__).parent / "models" / "2026.yaml")
    raw["indicators"][3]["grade_ceiling_source"]["unverified"] = False
    with pytest.raises(ValueError, match="unverified"):
        parse(raw)

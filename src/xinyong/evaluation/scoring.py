"""The pure scoring function: features in, grades out, over Arrow record batches.

No database and no Spark import: `scorer(model)` returns `score(batch) -> batch`, which a
province calls in-process and a national node could hand to Spark's `mapInArrow` unchanged
(wrapped to iterate over batches). Input: `subject_key` and one int64 count per feature column
(model.feature_columns()); output: `subject_key`, `score`, `grade`, and one `pts_<indicator>`
column per indicator, so every grade carries what moved it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pyarrow as pa
import pyarrow.compute as pc

from xinyong.evaluation.model import Model


def output_schema(model: Model) -> pa.Schema:
    return pa.schema(
        [
            pa.field("subject_key", pa.string()),
            pa.field("score", pa.float64()),
            pa.field("grade", pa.string()),
            *(pa.field(f"pts_{i.code}", pa.float64()) for i in model.indicators),
        ]
    )


def scorer(model: Model) -> Callable[[pa.RecordBatch], pa.RecordBatch]:
    schema = output_schema(model)
    letters = [g.grade for g in model.grades]  # highest first
    rank = {letter: n for n, letter in enumerate(letters)}

    def score(batch: pa.RecordBatch) -> pa.RecordBatch:
        rows = batch.num_rows
        total = pa.array([model.base_score] * rows, pa.float64())
        worst = pa.array([0] * rows, pa.int64())  # the lowest grade a ceiling allows (rank)
        points = []
        for ind in model.indicators:
            pts = pa.array([0.0] * rows, pa.float64())
            items = pa.array([0] * rows, pa.int64())
            for band in ind.bands:
                counts = pc.fill_null(batch.column(ind.column(band)), 0).cast(pa.int64())
                items = pc.add(items, counts)
                weight = ind.points_per_item * band.factor
                pts = pc.add(pts, pc.multiply(counts.cast(pa.float64()), weight))
            if ind.floor is not None:
                pts = pc.max_element_wise(pts, ind.floor)
            if ind.ceiling is not None:
                pts = pc.min_element_wise(pts, ind.ceiling)
            pts = pc.round(pts, 2)
            points.append(pts)
            total = pc.add(total, pts)
            if ind.grade_ceiling is not None:
                capped = pc.if_else(pc.greater(items, 0), rank[ind.grade_ceiling], 0)
                worst = pc.max_element_wise(worst, capped)
        total = pc.round(total, 2)
        by_score = pa.array([0] * rows, pa.int64())
        for n, grade in enumerate(model.grades):  # lowest band first wins below
            by_score = pc.if_else(pc.less(total, grade.min_score), n + 1, by_score)
        final = pc.min_element_wise(pc.max_element_wise(by_score, worst), len(letters) - 1)
        grades = pc.take(pa.array(letters, pa.string()), final)
        return pa.RecordBatch.from_arrays(
            [batch.column("subject_key").cast(pa.string()), total, grades, *points],
            schema=schema,
        )

    return score


def score_batches(model: Model, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """The shape Spark's mapInArrow calls: an iterator of batches in, an iterator out."""
    score = scorer(model)
    for batch in batches:
        yield score(batch)

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, BigId, UTCDateTime


class EvaluationRun(Base):
    """One evaluation: of every legal person and organisation (`full`), or of one subject at once
    after a correction or repair (`subject`). Runs are appended, never changed."""

    __tablename__ = "evaluation_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # full | subject
    model: Mapped[str] = mapped_column(String(40))
    model_version: Mapped[str] = mapped_column(String(20))
    as_of: Mapped[dt.date] = mapped_column(Date)  # the day ages are counted to
    data_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)  # records as the platform knew them
    #: the month a scheduled run stands for (YYYY-MM); unique: one scheduled run a month
    monthly: Mapped[str | None] = mapped_column(String(7), unique=True)
    subject_key: Mapped[str | None] = mapped_column(String(64))  # a `subject` run's subject
    reason: Mapped[str | None] = mapped_column(Text)
    subjects: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    started_by: Mapped[str] = mapped_column(String(120))


class EvaluationResult(Base):
    """A subject's grade in one run, with the points each indicator gave (the explanation's
    totals; which items they came from is read through the feature query's own items)."""

    __tablename__ = "evaluation_results"
    __table_args__ = (Index("ix_evaluation_results_subject", "subject_key", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: the run (evaluation_runs.id); no foreign key: a run appends up to millions of results by
    #: COPY, and a per-row constraint trigger would cost more than the rest of the write
    run_id: Mapped[int] = mapped_column(BigId, index=True)
    subject_key: Mapped[str] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Float)
    grade: Mapped[str] = mapped_column(String(2))
    points_json: Mapped[str] = mapped_column(Text)  # {indicator: points}, non-zero only

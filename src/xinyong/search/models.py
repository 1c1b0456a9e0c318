from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, BigId


class SubjectNameGram(Base):
    """Every two-character piece (bigram) of an organisation's name: the index that serves Chinese
    queries of two characters and more on both databases (pg_trgm and SQLite's trigram tokenizer
    do not serve two-character queries)."""

    __tablename__ = "subject_name_grams"
    __table_args__ = (Index("ix_subject_name_grams_gram_subject_id", "gram", "subject_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    gram: Mapped[str] = mapped_column(String(2))
    subject_id: Mapped[int] = mapped_column(BigInteger)


class GramPosition(Base):
    """1..200: the positions at which set-based SQL cuts names into bigrams."""

    __tablename__ = "gram_positions"

    i: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


class SearchState(Base):
    """How far the gram index has been built (subjects.id)."""

    __tablename__ = "search_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    indexed_upto: Mapped[int] = mapped_column(BigInteger)

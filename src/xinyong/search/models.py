from __future__ import annotations

from sqlalchemy import BigInteger, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base


class SubjectNameGram(Base):
    """Every two-character piece (bigram) of an organisation's name, with the name's length: the
    index that serves Chinese queries of two characters and more on both databases (pg_trgm and
    SQLite's trigram tokenizer do not serve two-character queries).

    The key (gram, name_len, subject_id) is also the order in which results are ranked (shortest
    name first), so a query reads its first page straight off the index and stops: a bigram shared
    by every company name (有限) costs no more than a rare one."""

    __tablename__ = "subject_name_grams"
    __table_args__ = ({"sqlite_with_rowid": False},)

    gram: Mapped[str] = mapped_column(String(2), primary_key=True)
    name_len: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    subject_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)


class SubjectNameGramCount(Base):
    """How many names hold each bigram: a query walks its rarest bigram's postings."""

    __tablename__ = "subject_name_gram_counts"

    gram: Mapped[str] = mapped_column(String(2), primary_key=True)
    postings: Mapped[int] = mapped_column(BigInteger)


class GramPosition(Base):
    """1..200: the positions at which set-based SQL cuts names into bigrams."""

    __tablename__ = "gram_positions"

    i: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


class SearchState(Base):
    """How far the gram index has been built (subjects.id)."""

    __tablename__ = "search_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    indexed_upto: Mapped[int] = mapped_column(BigInteger)

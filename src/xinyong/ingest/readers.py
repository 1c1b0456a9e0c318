"""Streaming readers: rows come out one at a time with their spreadsheet row numbers (the header
is row 1), so a file of any size is read in bounded memory.

CSV may be UTF-8 (with or without BOM) or GB18030 (what Excel on a Chinese system writes).
Excel (.xlsx) is read with openpyxl in read-only mode: dates arrive as dates, amounts as numbers."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from typing import IO, Any

from xinyong.common.errors import DomainError

Row = tuple[int, dict[str, Any]]


class CountingReader(io.RawIOBase):
    """Counts the bytes read from a binary stream (for progress bars)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.bytes_read += n
        return n


def detect_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:  # a character cut at the end of the sample
            return "utf-8"
        return "gb18030"


def _header(names: list[str] | None) -> list[str]:
    if not names:
        raise DomainError(code="ingest.empty_file", message="文件为空或缺少表头")
    header = [n.strip().lstrip("\ufeff") for n in names]
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            raise DomainError(code="ingest.duplicate_column", message=f"表头中“{name}”重复")
        seen.add(name)
    return header


def read_csv(stream: IO[bytes]) -> Iterator[Row]:
    buffered = io.BufferedReader(
        stream if isinstance(stream, io.RawIOBase) else CountingReader(stream)
    )
    encoding = detect_encoding(buffered.peek(65536)[:65536])
    text = io.TextIOWrapper(buffered, encoding=encoding, newline="")
    reader = csv.reader(text)
    header = _header(next(reader, None))
    for number, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        if len(values) > len(header):
            extra = [v for v in values[len(header) :] if v.strip()]
            if extra:
                yield (
                    number,
                    {**dict(zip(header, values, strict=False)), "（表头外的列）": "、".join(extra)},
                )
                continue
        yield number, dict(zip(header, values, strict=False))


def read_xlsx(stream: IO[bytes]) -> Iterator[Row]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several kinds for a file that is not xlsx
        raise DomainError(code="ingest.bad_xlsx", message=f"无法读取Excel文件：{exc}") from exc
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        first = next(rows, None)
        header = _header([("" if v is None else str(v)) for v in first] if first else None)
        for number, values in enumerate(rows, start=2):
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            yield number, {name: value for name, value in zip(header, values, strict=False) if name}
    finally:
        workbook.close()


def read_json_records(records: list[dict[str, Any]]) -> Iterator[Row]:
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise DomainError(code="ingest.bad_json", message=f"第{number}条记录不是对象")
        yield number, record


def reader_for(filename: str) -> str:
    lower = filename.lower()
    if lower.endswith(".csv"):
        return "csv"
    if lower.endswith(".xlsx"):
        return "xlsx"
    raise DomainError(code="ingest.file_type", message="只接受CSV（.csv）或Excel（.xlsx）文件")


def read_file(kind: str, stream: IO[bytes]) -> Iterator[Row]:
    return read_csv(stream) if kind == "csv" else read_xlsx(stream)

"""Streaming readers: rows come out one at a time with their spreadsheet row numbers (the header
is row 1), so a file of any size is read in bounded memory.

CSV may be UTF-8 (with or without BOM) or GB18030 (what Excel on a Chinese system writes).
Excel (.xlsx) is read with openpyxl in read-only mode: dates arrive as dates, amounts as numbers.

Every reader is bounded by the platform's limits (`ReadLimits`, from the XINYONG_INGEST_*
settings). A value over a field-level limit (too long, a NUL character, bytes that are not the
file's encoding, a row with too many columns) becomes a `RefusedValue`: a short preview that the
validator turns into a reason, so the row is quarantined and nothing is lost. Input over a
file-level limit (a zip bomb, a line too long to find where the next row starts, too many header
columns or rows) is refused as a whole with a `DomainError` naming the setting and its value."""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import IO, TYPE_CHECKING, Any, Literal, TypeVar

from xinyong.common.errors import DomainError

if TYPE_CHECKING:
    from xinyong.config import Settings

Row = tuple[int, dict[str, Any]]

#: The key under which values beyond the header are kept (and refused as an unknown field).
EXTRA_COLUMNS = "（表头外的列）"
#: How much of a refused value is kept in the quarantine: enough to recognise it.
PREVIEW_CHARS = 200
#: Parts smaller than this are not held to the compression ratio (styles and the workbook part
#: compress far better than data, and cannot expand far).
RATIO_CHECKED_ABOVE = 1 << 20
#: A zip central directory may take this much per part allowed (46 bytes + the part's name).
CENTRAL_DIRECTORY_BYTES_PER_PART = 1024
TOO_LARGE = 413


@dataclass(frozen=True)
class ReadLimits:
    max_columns: int = 200
    max_field_chars: int = 32_767
    max_line_chars: int = 1_048_576
    xlsx_max_expanded_bytes: int = 2 * 1024**3
    xlsx_max_ratio: int = 100
    xlsx_max_shared_strings_bytes: int = 64 * 1024**2
    xlsx_max_parts: int = 1_000
    xlsx_max_rows: int = 1_048_576
    xls_max_bytes: int = 32 * 1024**2

    @classmethod
    def from_settings(cls, settings: Settings) -> ReadLimits:
        return cls(
            max_columns=settings.ingest_max_columns,
            max_field_chars=settings.ingest_max_field_chars,
            max_line_chars=settings.ingest_max_line_chars,
            xlsx_max_expanded_bytes=settings.ingest_xlsx_max_expanded_bytes,
            xlsx_max_ratio=settings.ingest_xlsx_max_ratio,
            xlsx_max_shared_strings_bytes=settings.ingest_xlsx_max_shared_strings_bytes,
            xlsx_max_parts=settings.ingest_xlsx_max_parts,
            xlsx_max_rows=settings.ingest_xlsx_max_rows,
            xls_max_bytes=settings.ingest_xls_max_bytes,
        )


def _limits(limits: ReadLimits | None) -> ReadLimits:
    if limits is not None:
        return limits
    from xinyong.config import get_settings

    return ReadLimits.from_settings(get_settings())


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= scale:
            shown = n / scale
            return (
                f"{n}字节（{shown:.0f} {unit}）"
                if shown.is_integer()
                else f"{n}字节（约{shown:.1f} {unit}）"
            )
    return f"{n}字节"


def _too_large(code: str, message: str) -> DomainError:
    return DomainError(code=code, message=message, status=TOO_LARGE)


_SURROGATES = re.compile("[\udc80-\udcff]")


def preview(text: str) -> str:
    """A bounded, storable rendering of a refused value: undecodable bytes shown as U+FFFD, NUL
    as ␀, cut after PREVIEW_CHARS with the original length."""
    shown = _SURROGATES.sub("\ufffd", text[: PREVIEW_CHARS + 1]).replace("\x00", "␀")
    if len(text) > PREVIEW_CHARS:
        return f"{shown[:PREVIEW_CHARS]}……（共{len(text)}个字符，已截断）"
    return shown


class RefusedValue(str):
    """A value a reader refused: its text is a preview; `code` and `message` say which limit."""

    code: str
    message: str

    def __new__(cls, text: str, code: str, message: str) -> RefusedValue:
        value = super().__new__(cls, text)
        value.code = code
        value.message = message
        return value

    def __reduce__(self) -> tuple[Any, ...]:  # kept through the worker's queue
        return (RefusedValue, (str(self), self.code, self.message))


def check_value(name: str, value: str, limits: ReadLimits, encoding: str = "") -> str:
    """The value itself, or a RefusedValue saying which limit it broke."""
    if "\x00" in value:
        return RefusedValue(
            preview(value), "ingest.nul_character", f"字段“{name}”含有空字符（\\x00），不予接收"
        )
    if encoding and _SURROGATES.search(value):
        return RefusedValue(
            preview(value),
            "ingest.bad_encoding",
            f"字段“{name}”含有不符合{encoding}编码的字节（文件编码按开头判定），不予接收",
        )
    if len(value) > limits.max_field_chars:
        return RefusedValue(
            preview(value),
            "ingest.field_too_long",
            f"字段“{name}”有{len(value)}个字符，超过平台上限{limits.max_field_chars}个字符"
            "（XINYONG_INGEST_MAX_FIELD_CHARS）",
        )
    return value


def _too_many_columns(count: int | None, extra: Sequence[Any], limits: ReadLimits) -> RefusedValue:
    shown = "、".join(str(v) for v in extra[:10])
    has = f"该行有{count}列" if count is not None else "该行的列数"
    return RefusedValue(
        preview(shown),
        "ingest.too_many_columns",
        f"{has}，超过平台上限{limits.max_columns}列（XINYONG_INGEST_MAX_COLUMNS）",
    )


class CountingReader(io.RawIOBase):
    """Counts the bytes read from a binary stream (for progress bars). Seekable when the stream
    is (an .xlsx is a zip: its reader seeks); `position` is the furthest offset reached."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.bytes_read = 0
        self.position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self.raw.seekable()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self.raw.seek(offset, whence)

    def tell(self) -> int:
        return self.raw.tell()

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.bytes_read += n
        if self.raw.seekable():
            self.position = max(self.position, self.raw.tell())
        else:
            self.position = self.bytes_read
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


def _header(names: Sequence[str] | None, limits: ReadLimits) -> list[str]:
    if not names:
        raise DomainError(code="ingest.empty_file", message="文件为空或缺少表头")
    if len(names) > limits.max_columns:
        raise _too_large(
            "ingest.too_many_columns",
            f"表头有{len(names)}列，超过平台上限{limits.max_columns}列"
            "（XINYONG_INGEST_MAX_COLUMNS），整个文件不予读取",
        )
    header = [n.strip().lstrip("\ufeff") for n in names]
    seen: set[str] = set()
    for name in header:
        if "\x00" in name or _SURROGATES.search(name) or len(name) > limits.max_field_chars:
            raise DomainError(
                code="ingest.bad_header",
                message=f"表头“{preview(name)}”含有空字符、无法解码的字节或过长，整个文件不予读取",
            )
        if name and name in seen:
            raise DomainError(code="ingest.duplicate_column", message=f"表头中“{name}”重复")
        seen.add(name)
    return header


#: How many rows at the top of a file may hold a title above the header.
HEADER_SEARCH_ROWS = 5
_HEADER_NOISE = re.compile(r"[\s\u3000*＊]+")


def header_key(name: str) -> str:
    """A header cell as matched against the catalog's field names: full-width forms folded
    (NFKC), spaces, line breaks and the asterisks that mark required columns removed."""
    return _HEADER_NOISE.sub("", unicodedata.normalize("NFKC", name))


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _named(names: list[str], fields: Sequence[str] | None) -> list[str]:
    """Header cells mapped onto the catalog's spelling where they match it loosely."""
    if not fields:
        return names
    canonical = {header_key(f): f for f in fields}
    return [canonical.get(header_key(n), n) for n in names]


def _header_at(
    head: Sequence[Sequence[Any]], fields: Sequence[str] | None, limits: ReadLimits
) -> int | None:
    """Which of the first rows is the header: the first whose cells are mostly the catalog
    item's field names (a title row or two may stand above it); without field names, the
    first row that is not blank. None when no row is; a DomainError when none looks like a
    header of this item."""
    filled = [i for i, values in enumerate(head) if any(_cell_text(v).strip() for v in values)]
    if not filled:
        return None
    if not fields:
        return filled[0]
    keys = {header_key(f) for f in fields}
    need = min(2, len(keys))
    best, best_hits = None, 0
    for i in filled:
        cells = [header_key(_cell_text(v)) for v in head[i]]
        cells = [c for c in cells if c]
        hits = sum(1 for c in cells if c in keys)
        if hits >= need and 2 * hits >= len(cells):
            return i
        if hits > best_hits:
            best, best_hits = i, hits
    if best is not None:
        return best
    first = [_cell_text(v) for v in head[filled[0]]]
    while first and not first[-1].strip():  # a sheet's rows come padded to the columns read
        first.pop()
    _header(first, limits)  # a header too wide is refused as such
    shown = "、".join(list(fields)[:4])
    raise DomainError(
        code="ingest.no_header",
        message=f"文件前{HEADER_SEARCH_ROWS}行中找不到表头：表头应使用目录项的字段名"
        f"（如{shown}），可下载本目录项的模板填写",
    )


_T = TypeVar("_T")


def _head(source: Iterator[_T]) -> tuple[list[_T], DomainError | None]:
    """The first rows, where the header is looked for; a refusal met while reading them is
    kept, to be raised once the rows before it are handed over."""
    head: list[_T] = []
    try:
        head.extend(islice(source, HEADER_SEARCH_ROWS))
    except DomainError as exc:
        return head, exc
    return head, None


def _after_head(rest: list[_T], source: Iterator[_T], stopped: DomainError | None) -> Iterator[_T]:
    yield from rest
    if stopped is not None:
        raise stopped
    yield from source


class _LineTooLong(Exception):
    pass


_surrogateescape = codecs.lookup_error("surrogateescape")
_UNDECODABLE = [0]  # bytes that were not the file's encoding, counted over every reader


def _mark_undecodable(error: UnicodeError) -> tuple[str, int]:
    """surrogateescape, counted: a reader that sees the count move checks its rows for the
    surrogates (a regular expression per line would cost more than the rest of reading)."""
    _UNDECODABLE[0] += 1
    return _surrogateescape(error)  # type: ignore[return-value]


codecs.register_error("xinyong-undecodable", _mark_undecodable)


def _lines(text: io.TextIOWrapper, limit: int, record: list[int]) -> Iterator[str]:
    """Lines for csv.reader, each read with a bound. `record` holds the characters of the record
    being read (a quoted field may span lines) and whether it holds a NUL; the reader resets it
    for each record."""
    readline = text.readline
    bound = limit + 1
    while line := readline(bound):
        record[0] += len(line)
        if record[0] > limit:
            raise _LineTooLong
        if "\x00" in line:
            record[1] = 1
        yield line


def read_csv(
    stream: IO[bytes], limits: ReadLimits | None = None, fields: Sequence[str] | None = None
) -> Iterator[Row]:
    """Rows of a CSV file. With the catalog item's `fields`, the header is found among the
    first rows (a title above it is skipped) and its cells are matched loosely."""
    limits = _limits(limits)
    buffered = io.BufferedReader(
        stream if isinstance(stream, io.RawIOBase) else CountingReader(stream)
    )
    encoding = detect_encoding(buffered.peek(65536)[:65536])
    shown_encoding = "GB18030" if encoding == "gb18030" else "UTF-8"
    # Bytes that are not the encoding stay in the text as surrogates; the row holding them is
    # quarantined (the encoding is judged on the first 64 KB: a bad byte later is not a 500).
    text = io.TextIOWrapper(buffered, encoding=encoding, errors="xinyong-undecodable", newline="")
    record = [0, 0]  # characters in the record being read, NUL seen
    csv.field_size_limit(max(limits.max_line_chars, 1))  # _Lines bounds the record first
    reader = csv.reader(_lines(text, limits.max_line_chars, record))

    def records() -> Iterator[tuple[int, list[str], bool]]:
        """(number, values, whether the values need checking) for every record."""
        number = 0
        undecodable = _UNDECODABLE[0]
        suspect = False  # once bytes went undecodable (text is decoded ahead), every row
        # is checked
        while True:
            number += 1
            record[0] = record[1] = 0
            try:
                values = next(reader)
            except StopIteration:
                return
            except _LineTooLong:
                where = "表头" if number == 1 else f"第{number}行"
                raise _too_large(
                    "ingest.line_too_long",
                    f"{where}超过平台上限{limits.max_line_chars}个字符"
                    "（XINYONG_INGEST_MAX_LINE_CHARS），无法确定下一行从何开始："
                    + ("整个文件不予读取" if number == 1 else "此行及以后未读取，此前各行已处理"),
                ) from None
            except csv.Error as exc:
                raise DomainError(
                    code="ingest.bad_csv",
                    message=f"第{number}行不是有效的CSV（{exc}）：此行及以后未读取",
                ) from None
            if not suspect and _UNDECODABLE[0] != undecodable:
                suspect = True
            yield number, values, bool(suspect or record[1] or record[0] > limits.max_field_chars)

    source = records()
    head, stopped = _head(source)
    at = _header_at([values for _, values, _ in head], fields, limits)
    if at is None:
        if stopped is not None:
            raise stopped
        _header(None, limits)
        return
    header = _header(_named(head[at][1], fields), limits)
    width = len(header)
    for row_number, values, check in _after_head(head[at + 1 :], source, stopped):
        if not any(v.strip() for v in values):
            continue
        row: dict[str, Any] = dict(zip(header, values, strict=False))
        if len(values) > width:
            extra = [v for v in values[width:] if v.strip()]
            if len(values) > limits.max_columns:
                row[EXTRA_COLUMNS] = _too_many_columns(len(values), extra, limits)
            elif extra:
                row[EXTRA_COLUMNS] = "、".join(extra)
        if check:
            for name, value in row.items():
                if value.__class__ is str:
                    row[name] = check_value(name, value, limits, shown_encoding)
        yield row_number, row


class _Budget:
    """What an .xlsx may still inflate, counted on the bytes actually read."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def spend(self, n: int) -> None:
        self.used += n
        if self.used > self.limit:
            raise _too_large(
                "ingest.xlsx_bomb",
                f"Excel文件实际解压超过平台上限{_size(self.limit)}"
                "（XINYONG_INGEST_XLSX_MAX_EXPANDED_BYTES），疑为压缩炸弹，不予读取",
            )


_ROW_START = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?row[\s>/]")


class _Counted(io.RawIOBase):
    """A part of the zip, counting what it inflates. For a worksheet, also the bytes since the
    last row began: openpyxl builds a whole <row> in memory before reading it (a row of 10
    million empty cells would take gigabytes), so a row's XML is bounded like a CSV line.
    Comments and CDATA, which could hide a fake row start, are refused in a worksheet, and a
    DTD or entity declaration (entity expansion) in any part: Excel writes none of them."""

    def __init__(self, inner: IO[bytes], budget: _Budget, row_limit: int | None) -> None:
        self.inner = inner
        self.budget = budget
        self.row_limit = row_limit
        self.since_row = 0
        self.tail = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            parts = []
            while chunk := self.read(1 << 20):
                parts.append(chunk)
            return b"".join(parts)
        data = self.inner.read(size)
        self.budget.spend(len(data))
        if data:
            self._guard(data)
        return data

    def _guard(self, data: bytes) -> None:
        window = self.tail + data
        self.tail = window[-64:]
        if b"<!DOCTYPE" in window or b"<!ENTITY" in window:  # entity expansion: never in OOXML
            raise DomainError(
                code="ingest.bad_xlsx",
                message="Excel文件中含有DTD或实体声明（Excel不会写入），不予读取",
            )
        if self.row_limit is None:
            return
        if b"<![CDATA[" in window or b"<!--" in window:
            raise DomainError(
                code="ingest.bad_xlsx",
                message="Excel工作表中含有注释或CDATA段（Excel不会写入），不予读取",
            )
        last = None
        for last in _ROW_START.finditer(window):  # noqa: B007 - the last one is wanted
            pass
        self.since_row = len(window) - last.start() if last else self.since_row + len(data)
        if self.since_row > self.row_limit:
            raise _too_large(
                "ingest.xlsx_row_too_large",
                f"Excel工作表中一行的XML超过平台上限{_size(self.row_limit)}"
                "（XINYONG_INGEST_MAX_LINE_CHARS，按字节计），不予读取",
            )

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.inner.close()
        super().close()


class _BoundedZip(zipfile.ZipFile):
    """A zip whose members count what they inflate against one budget."""

    budget: _Budget
    sheets: set[str]  # worksheet parts: their rows are bounded
    row_limit: int

    def open(
        self,
        name: Any,
        mode: Literal["r", "w"] = "r",
        pwd: bytes | None = None,
        *,
        force_zip64: bool = False,
    ) -> IO[bytes]:
        inner = super().open(name, mode, pwd, force_zip64=force_zip64)
        if mode != "r":
            return inner
        name = name.filename if isinstance(name, zipfile.ZipInfo) else name
        limit = self.row_limit if name in self.sheets else None
        return _Counted(inner, self.budget, limit)  # type: ignore[return-value]


def _central_directory(stream: IO[bytes]) -> tuple[int, int] | None:
    """(entries, size) from the zip's end record, read before zipfile parses the directory."""
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    tail = min(size, 22 + 0xFFFF)
    stream.seek(size - tail)
    data = stream.read(tail)
    stream.seek(0)
    at = data.rfind(b"PK\x05\x06")
    if at < 0 or len(data) - at < 22:
        return None
    return int.from_bytes(data[at + 10 : at + 12], "little"), int.from_bytes(
        data[at + 12 : at + 16], "little"
    )


def _open_zip(stream: IO[bytes], limits: ReadLimits) -> _BoundedZip:
    """Refuse a zip bomb on what the archive declares, before anything is inflated."""
    directory = _central_directory(stream)
    if directory is not None:
        entries, size = directory
        if entries > limits.xlsx_max_parts or size > (
            limits.xlsx_max_parts * CENTRAL_DIRECTORY_BYTES_PER_PART
        ):
            raise _too_large(
                "ingest.xlsx_parts",
                f"Excel文件含有{entries}个部件，超过平台上限{limits.xlsx_max_parts}个"
                "（XINYONG_INGEST_XLSX_MAX_PARTS），不予读取",
            )
    try:
        archive = _BoundedZip(stream)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise DomainError(code="ingest.bad_xlsx", message=f"无法读取Excel文件：{exc}") from exc
    archive.budget = _Budget(limits.xlsx_max_expanded_bytes)
    archive.sheets = set()
    archive.row_limit = limits.max_line_chars
    infos = archive.infolist()
    if len(infos) > limits.xlsx_max_parts:
        raise _too_large(
            "ingest.xlsx_parts",
            f"Excel文件含有{len(infos)}个部件，超过平台上限{limits.xlsx_max_parts}个"
            "（XINYONG_INGEST_XLSX_MAX_PARTS），不予读取",
        )
    total = sum(info.file_size for info in infos)
    if total > limits.xlsx_max_expanded_bytes:
        raise _too_large(
            "ingest.xlsx_bomb",
            f"Excel文件解压后共{_size(total)}，超过平台上限{_size(limits.xlsx_max_expanded_bytes)}"
            "（XINYONG_INGEST_XLSX_MAX_EXPANDED_BYTES），疑为压缩炸弹，不予读取",
        )
    for info in infos:
        if info.file_size > RATIO_CHECKED_ABOVE:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.xlsx_max_ratio:
                raise _too_large(
                    "ingest.xlsx_bomb",
                    f"Excel文件中“{info.filename[:100]}”的压缩比为{ratio:.0f}:1，超过平台上限"
                    f"{limits.xlsx_max_ratio}:1（XINYONG_INGEST_XLSX_MAX_RATIO），"
                    "疑为压缩炸弹，不予读取",
                )
    return archive


def _load_workbook(archive: _BoundedZip, limits: ReadLimits) -> Any:
    """openpyxl's own reader, read-only, on the bounded archive; the shared-strings table (read
    whole into memory) is held to its own limit first."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.xml.constants import SHARED_STRINGS

    class Reader(ExcelReader):  # type: ignore[misc]
        def __init__(self) -> None:  # what ExcelReader.__init__ sets, on our archive
            self.archive = archive
            self.valid_files = archive.namelist()
            self.read_only = True
            self.keep_vba = False
            self.data_only = True
            self.keep_links = False
            self.rich_text = False
            self.shared_strings: list[Any] = []

        def read_strings(self) -> None:
            part = self.package.find(SHARED_STRINGS)
            if part is not None:
                name = part.PartName[1:]
                size = archive.getinfo(name).file_size if name in self.valid_files else 0
                if size > limits.xlsx_max_shared_strings_bytes:
                    raise _too_large(
                        "ingest.xlsx_shared_strings",
                        f"Excel文件的共享字符串表解压后{_size(size)}，超过平台上限"
                        f"{_size(limits.xlsx_max_shared_strings_bytes)}"
                        "（XINYONG_INGEST_XLSX_MAX_SHARED_STRINGS_BYTES），不予读取；"
                        "大量数据请改用CSV文件",
                    )
            super().read_strings()

        def read_worksheets(self) -> None:  # read-only sheets, sized without a full parse
            for sheet, rel in self.parser.find_sheets():
                if rel.target in self.valid_files and "chartsheet" not in rel.Type:
                    archive.sheets.add(rel.target)
                    ws = _Sheet(self.wb, sheet.name, rel.target, self.shared_strings)
                    ws.sheet_state = sheet.state
                    self.wb._sheets.append(ws)

    reader = Reader()
    reader.read()
    return reader.wb


def _sheet_class() -> Any:
    from openpyxl.utils.cell import range_boundaries
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet
    from openpyxl.worksheet._reader import DATA_TAG, DIMENSION_TAG
    from openpyxl.xml.functions import iterparse

    class Sheet(ReadOnlyWorksheet):  # type: ignore[misc]
        def _get_size(self) -> None:
            """openpyxl looks for <dimension> until the *end* of <sheetData>: without one it parses
            the whole sheet (500 MB of empty rows: 209 s, 1.9 GB). Stop at its start."""
            source = self._get_source()
            try:
                for _, element in iterparse(source, events=("start",)):
                    if element.tag == DIMENSION_TAG:
                        ref = element.get("ref")
                        if ref:
                            with contextlib.suppress(ValueError, TypeError):
                                bounds = range_boundaries(ref)
                                if None not in bounds:
                                    (
                                        self._min_column,
                                        self._min_row,
                                        self._max_column,
                                        self._max_row,
                                    ) = bounds
                        return
                    if element.tag == DATA_TAG:
                        return
            finally:
                source.close()

    return Sheet


class _LazySheet:
    """The sheet class, made on first use (openpyxl is imported only to read an .xlsx)."""

    cls: Any = None

    def __call__(self, *args: Any) -> Any:
        if self.cls is None:
            self.cls = _sheet_class()
        return self.cls(*args)


_Sheet = _LazySheet()


def read_xlsx(
    stream: IO[bytes], limits: ReadLimits | None = None, fields: Sequence[str] | None = None
) -> Iterator[Row]:
    limits = _limits(limits)
    archive = _open_zip(stream, limits)
    try:
        try:
            workbook = _load_workbook(archive, limits)
        except DomainError:
            raise
        except Exception as exc:  # openpyxl raises several kinds for a file that is not xlsx
            raise DomainError(code="ingest.bad_xlsx", message=f"无法读取Excel文件：{exc}") from exc
        try:
            yield from _sheet_rows(workbook, limits, fields)
        except DomainError:
            raise
        except Exception as exc:  # broken XML or a bad CRC found while reading the sheet
            raise DomainError(
                code="ingest.bad_xlsx", message=f"读取Excel工作表时出错，未读完：{exc}"
            ) from exc
    finally:
        archive.close()


def _rows_refused(rows: int, limits: ReadLimits) -> DomainError:
    return _too_large(
        "ingest.too_many_rows",
        f"工作表有{rows}行以上，超过平台上限{limits.xlsx_max_rows}行"
        "（XINYONG_INGEST_XLSX_MAX_ROWS）",
    )


def _sheet_rows(workbook: Any, limits: ReadLimits, fields: Sequence[str] | None) -> Iterator[Row]:
    if not workbook.worksheets:
        raise DomainError(code="ingest.empty_file", message="文件为空或缺少表头")
    sheet = workbook.worksheets[0]
    declared = sheet.max_row  # from the sheet's <dimension>, when it has one: refuse up front
    if isinstance(declared, int) and declared > limits.xlsx_max_rows:
        raise _rows_refused(declared, limits)
    # One column past the limit shows a row that has too many; one row past shows the same.
    rows = sheet.iter_rows(
        max_row=limits.xlsx_max_rows + 1, max_col=limits.max_columns + 1, values_only=True
    )
    yield from _grid_rows(enumerate(rows, start=1), limits, fields)


def _grid_rows(
    rows: Iterator[tuple[int, Sequence[Any]]], limits: ReadLimits, fields: Sequence[str] | None
) -> Iterator[Row]:
    """Rows of a worksheet (numbered as the sheet numbers them) below its header."""
    head, stopped = _head(rows)
    at = _header_at([values for _, values in head], fields, limits)
    if at is None:
        if stopped is not None:
            raise stopped
        _header(None, limits)
        return
    names = [_cell_text(v) for v in head[at][1]]
    while names and not names[-1].strip():
        names.pop()
    header = _header(_named(names, fields) or None, limits)
    width = len(header)
    for number, values in _after_head(head[at + 1 :], rows, stopped):
        if number > limits.xlsx_max_rows:
            raise _rows_refused(number, limits)
        if values.count(None) == len(values) or all(
            v is None or (isinstance(v, str) and not v.strip()) for v in values
        ):
            continue
        row: dict[str, Any] = {}
        for name, value in zip(header, values, strict=False):
            if name:
                row[name] = check_value(name, value, limits) if value.__class__ is str else value
        extra = [v for v in values[width:] if v is not None and str(v).strip()]
        if len(values) > limits.max_columns and values[limits.max_columns] is not None:
            row[EXTRA_COLUMNS] = _too_many_columns(None, extra, limits)
        elif extra:
            row[EXTRA_COLUMNS] = check_value(
                EXTRA_COLUMNS, "、".join(str(v) for v in extra), limits
            )
        yield number, row


def read_xls(
    stream: IO[bytes], limits: ReadLimits | None = None, fields: Sequence[str] | None = None
) -> Iterator[Row]:
    """Rows of a legacy Excel 97-2003 workbook (.xls, BIFF) read with xlrd. xlrd reads the whole
    file into memory, so the file is bounded first (XINYONG_INGEST_XLS_MAX_BYTES), then the
    first sheet's rows and columns like an .xlsx. Dates arrive as dates."""
    limits = _limits(limits)
    data = stream.read(limits.xls_max_bytes + 1)
    if len(data) > limits.xls_max_bytes:
        raise _too_large(
            "ingest.xls_too_large",
            f"旧版Excel（.xls）文件超过平台上限{_size(limits.xls_max_bytes)}"
            "（XINYONG_INGEST_XLS_MAX_BYTES），请另存为.xlsx或CSV后推送",
        )
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True, logfile=io.StringIO())
    except Exception as exc:  # xlrd raises several kinds for a file that is not .xls
        raise DomainError(
            code="ingest.bad_xls",
            message=f"无法读取旧版Excel（.xls）文件：{exc}；可另存为.xlsx或CSV后推送",
        ) from exc
    try:
        if book.nsheets == 0:
            raise DomainError(code="ingest.empty_file", message="文件为空或缺少表头")
        try:
            sheet = book.sheet_by_index(0)
        except Exception as exc:  # a damaged sheet record
            raise DomainError(
                code="ingest.bad_xls", message=f"无法读取旧版Excel（.xls）工作表：{exc}"
            ) from exc
        if sheet.nrows > limits.xlsx_max_rows:
            raise _rows_refused(sheet.nrows, limits)
        columns = min(sheet.ncols, limits.max_columns + 1)
        datemode = book.datemode

        def value(cell: Any) -> Any:
            kind = cell.ctype
            if kind == xlrd.XL_CELL_DATE:
                with contextlib.suppress(Exception):
                    return xlrd.xldate.xldate_as_datetime(cell.value, datemode)
                return cell.value
            if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                return None
            if kind == xlrd.XL_CELL_BOOLEAN:
                return bool(cell.value)
            if kind == xlrd.XL_CELL_ERROR:
                return None
            return cell.value

        def rows() -> Iterator[tuple[int, Sequence[Any]]]:
            for index in range(sheet.nrows):
                cells = sheet.row_slice(index, 0, columns)
                yield index + 1, tuple(value(c) for c in cells)

        yield from _grid_rows(rows(), limits, fields)
    finally:
        book.release_resources()


def read_json_records(
    records: list[dict[str, Any]], limits: ReadLimits | None = None
) -> Iterator[Row]:
    limits = _limits(limits)
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise DomainError(code="ingest.bad_json", message=f"第{number}条记录不是对象")
        row: dict[str, Any] = {}
        for name, value in record.items():
            if len(row) == limits.max_columns:
                row[EXTRA_COLUMNS] = _too_many_columns(
                    len(record), list(record)[limits.max_columns :], limits
                )
                break
            key = name if len(name) <= PREVIEW_CHARS and "\x00" not in name else preview(name)
            row[key] = check_value(key, value, limits) if isinstance(value, str) else value
        yield number, row


#: The file types a provider may push, by their ending.
FILE_TYPES = {".csv": "csv", ".xlsx": "xlsx", ".xls": "xls"}


def reader_for(filename: str) -> str:
    lower = filename.lower()
    for ending, kind in FILE_TYPES.items():
        if lower.endswith(ending):
            return kind
    raise DomainError(
        code="ingest.file_type",
        message="只接受CSV（.csv）或Excel（.xlsx、.xls）文件",
    )


def read_file(
    kind: str,
    stream: IO[bytes],
    limits: ReadLimits | None = None,
    fields: Sequence[str] | None = None,
) -> Iterator[Row]:
    """Rows of a file of `kind`; with the catalog item's `fields`, its header is found below
    any title rows and matched loosely (see `read_csv`)."""
    if kind == "csv":
        return read_csv(stream, limits, fields)
    if kind == "xls":
        return read_xls(stream, limits, fields)
    return read_xlsx(stream, limits, fields)

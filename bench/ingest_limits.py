"""The hostile inputs of issue 14 (items 6 and 7) against the readers, with the default limits:
time and peak memory of each, each in its own process.

    .venv/bin/python -m bench.ingest_limits

- a 500 MB shared-strings table in an .xlsx of about 500 KB (was: 506 MB RSS)
- 500 MB of empty rows in an .xlsx (was: 209 s, 1.9 GB)
- a 10 MB CSV with 1,000,000 columns, in the header or in a data row (was: 28 s, 1.5 GB, and a
  118 MB quarantine row)
- for comparison, a real 20,000-row .xlsx written by openpyxl, read in full."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
MB = 1_000_000


def base_xlsx(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    from xinyong.demo.rows import PENALTY_COLUMNS, penalty_row

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(list(PENALTY_COLUMNS))
    for n in range(rows):
        row = penalty_row(n, dt.date(2026, 11, 23))
        sheet.append([row.get(c) or None for c in PENALTY_COLUMNS])
    book.save(path)


def with_part(source: Path, target: Path, name: str, chunks: object, types: bool = False) -> None:
    """`source` with part `name` written from `chunks` (streamed: the bomb is never in memory)."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == name:
                continue
            if types and info.filename == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                )
            zf.writestr(info.filename, data)
        with zf.open(name, "w", force_zip64=True) as out:
            for chunk in chunks:  # type: ignore[attr-defined]
                out.write(chunk)


def shared_strings_bomb(size: int) -> object:
    yield f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{NS}"><si><t>'.encode()
    block = b"A" * MB
    for _ in range(size // MB):
        yield block
    yield b"</t></si></sst>"


def empty_rows_bomb(size: int) -> object:
    yield (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS}"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>行政相对人名称</t></is></c></row>'
    ).encode()
    written, n = 0, 2
    while written < size:
        block = "".join(f'<row r="{r}"/>' for r in range(n, n + 50_000)).encode()
        n += 50_000
        written += len(block)
        yield block
    yield b"</sheetData></worksheet>"


def build(folder: Path) -> dict[str, Path]:
    base = folder / "base.xlsx"
    base_xlsx(base, 1)
    files = {"real 20,000-row xlsx": folder / "real.xlsx"}
    base_xlsx(files["real 20,000-row xlsx"], 20_000)
    files["500 MB shared strings"] = folder / "strings.xlsx"
    with_part(
        base,
        files["500 MB shared strings"],
        "xl/sharedStrings.xml",
        shared_strings_bomb(500 * MB),
        types=True,
    )
    files["500 MB empty rows"] = folder / "rows.xlsx"
    with_part(
        base, files["500 MB empty rows"], "xl/worksheets/sheet1.xml", empty_rows_bomb(500 * MB)
    )
    from xinyong.demo.rows import PENALTY_COLUMNS

    files["CSV header, 1M columns"] = folder / "header.csv"
    files["CSV header, 1M columns"].write_text(
        ",".join(f"c{n}" for n in range(1_000_000)) + "\n", encoding="utf-8"
    )
    files["CSV row, 1M columns"] = folder / "row.csv"
    files["CSV row, 1M columns"].write_text(
        ",".join(PENALTY_COLUMNS) + "\n" + ",".join(["123456789"] * 1_000_000) + "\n",
        encoding="utf-8",
    )
    return files


def measure(path: str) -> None:
    """In a fresh process: read the whole file, print the outcome, seconds and peak RSS."""
    from xinyong.common.errors import DomainError
    from xinyong.ingest.readers import CountingReader, read_file, reader_for

    start = time.perf_counter()
    with open(path, "rb") as raw:
        try:
            rows = sum(1 for _ in read_file(reader_for(path), CountingReader(raw)))
            outcome = f"read {rows} rows"
        except DomainError as exc:
            outcome = f"refused {exc.status} {exc.code}: {exc.message[:90]}"
    seconds = time.perf_counter() - start
    # VmHWM, not ru_maxrss: the latter keeps the high-water mark of the process before exec
    status = Path("/proc/self/status").read_text()
    peak = int(status.split("VmHWM:")[1].split()[0]) / 1024
    print(f"{seconds:.2f} s | {peak:.0f} MB | {outcome}")


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        measure(sys.argv[2])
        return
    with tempfile.TemporaryDirectory() as tmp:
        files = build(Path(tmp))
        print("| input | upload | time | peak RSS | outcome |")
        print("|---|---|---|---|---|")
        for label, path in files.items():
            done = subprocess.run(
                [sys.executable, "-m", "bench.ingest_limits", "--measure", str(path)],
                capture_output=True,
                text=True,
                check=True,
            )
            seconds, peak, outcome = done.stdout.strip().split(" | ", 2)
            size = path.stat().st_size
            shown = f"{size / 1024:.0f} KB" if size < MB else f"{size / MB:.1f} MB"
            print(f"| {label} | {shown} | {seconds} | {peak} | {outcome} |")


if __name__ == "__main__":
    main()

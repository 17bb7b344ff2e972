"""Reading the spreadsheets merchants have: seller back-office order exports and group
blacklists, as CSV (UTF-8 or GBK) or XLSX, with Chinese headers.

Everything that can be wrong with such a file becomes a BadInput with its own template:
too large, empty, undecodable, formulas, merged header cells, missing columns.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.errors import BadInput

MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    names: tuple[str, ...]


@dataclass
class Sheet:
    headers: list[str]
    rows: list[list[str]]  # data rows, as text, without the header row
    first_data_line: int  # 1-based line/row number of rows[0] in the file


def _normalise_header(text: str) -> str:
    return re.sub(r"\s+", "", str(text)).strip("\ufeff").strip()


def clean_cell(value: object) -> str:
    if value is None:
        return ""
    text = value.strip() if isinstance(value, str) else str(value).strip()
    if not text or text[0] not in "='":
        return text.strip("\t")
    # Back offices write long numbers as ="123..." (or '123...) so Excel keeps the digits.
    if text.startswith('="') and text.endswith('"'):
        text = text[2:-1]
    elif text.startswith("'") and text[1:].isdigit():
        text = text[1:]
    return text.strip().strip("\t")


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise BadInput("sheets/encoding.j2")


def _read_csv(data: bytes) -> list[list[str]]:
    text = _decode(data)
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    # Cells are cleaned when read (records()), and only the columns that are used:
    # a Taobao export has over forty.
    return list(csv.reader(io.StringIO(text), dialect))


def _read_xlsx(data: bytes) -> list[list[str]]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise BadInput("sheets/unreadable.j2", reason=type(exc).__name__) from exc
    sheet = workbook.worksheets[0]
    for merged in sheet.merged_cells.ranges:
        if merged.min_row <= 3:
            raise BadInput("sheets/merged_header.j2", cells=str(merged))
    rows: list[list[str]] = []
    for row in sheet.iter_rows():
        values = []
        for cell in row:
            if cell.data_type == "f":
                raise BadInput("sheets/formula.j2", cell=cell.coordinate)
            values.append(clean_cell(cell.value))
        rows.append(values)
    return rows


def read_sheet(data: bytes, filename: str) -> list[list[str]]:
    if len(data) > MAX_BYTES:
        raise BadInput("sheets/too_large.j2", size_mb=round(len(data) / 1024 / 1024, 1), limit_mb=MAX_BYTES // 1024 // 1024)
    if not data.strip():
        raise BadInput("sheets/empty.j2")
    suffix = Path(filename).suffix.lower()
    if suffix in (".xlsx", ".xlsm") or data[:4] == b"PK\x03\x04":
        rows = _read_xlsx(data)
    elif suffix in (".csv", ".txt", ".tsv", ""):
        rows = _read_csv(data)
    else:
        raise BadInput("sheets/unsupported.j2", suffix=suffix)
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise BadInput("sheets/empty.j2")
    return rows


def locate(rows: list[list[str]], columns: list[Column], required: set[str]) -> tuple[dict[str, int], int]:
    """Find the header row (within the first 5 non-empty rows: some exports put a title
    line above it) and map each known column to its index. Raises BadInput naming the
    missing required columns and the headers that were found."""
    best: tuple[dict[str, int], int] | None = None
    for index, row in enumerate(rows[:5]):
        headers = [_normalise_header(clean_cell(cell)) for cell in row]
        found: dict[str, int] = {}
        for column in columns:
            for name in column.names:
                if name in headers:
                    found[column.key] = headers.index(name)
                    break
        if best is None or len(found) > len(best[0]):
            best = (found, index)
        if required <= set(found):
            return found, index
    found, index = best or ({}, 0)
    missing = [c for c in columns if c.key in required and c.key not in found]
    headers = [h for h in (_normalise_header(clean_cell(cell)) for cell in rows[index]) if h][:12]
    raise BadInput("sheets/missing_columns.j2", missing=missing, headers=headers)


def records(rows: list[list[str]], mapping: dict[str, int], header_index: int) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number in the file, {column key: text}) for each data row."""
    for offset, row in enumerate(rows[header_index + 1 :]):
        yield header_index + 2 + offset, {key: (clean_cell(row[i]) if i < len(row) else "") for key, i in mapping.items()}

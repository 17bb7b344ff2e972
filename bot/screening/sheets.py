"""Reading the spreadsheets merchants have: seller back-office order exports and group
blacklists, as CSV (UTF-8 or GBK) or XLSX, with Chinese headers.

Everything that can be wrong with such a file becomes a BadInput with its own template:
too large, empty, undecodable, formulas, merged header cells, missing columns, and each
limit below. A file is hostile until read: the limits are checked before or while
reading, never after (a 1.7 KB XLSX declaring a cell at XFD1048576 once made the reader
allocate 512 GB), and the reading itself runs in a worker process with a memory cap
(bot.screening_jobs), so whatever slips through costs that worker, not the bot.
"""

from __future__ import annotations

import csv
import html
import io
import itertools
import operator
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from python_calamine import CalamineWorkbook

from bot.errors import BadInput
from bot.identity.text import redact

# What a file may weigh, by kind. A Taobao export of 100,000 orders with its ~40 columns
# is ~35 MB of CSV (read in ~250 MB of memory) or ~14 MB of XLSX (~480 MB: the sheet is
# unpacked whole): the README's benchmark section has the figures.
CSV_MAX_BYTES = 50 * 1024 * 1024
XLSX_MAX_BYTES = 15 * 1024 * 1024
# A sheet's data rows and columns. The largest real exports seen are 100,000 orders and
# ~70 columns. Row numbers may run a little past MAX_ROWS (title, header, blank lines).
MAX_ROWS = 300_000
ROW_NUMBER_MAX = 310_000
MAX_COLUMNS = 128
# Excel's own limit for one cell.
CELL_MAX_CHARS = 32_767
# An XLSX is a zip: what it may unpack to, per part and in all, and how much a part may
# grow (ordinary sheet XML compresses 10-20 times; a zip bomb thousands of times).
XLSX_PART_MAX_BYTES = 200 * 1024 * 1024
XLSX_UNPACKED_MAX_BYTES = 300 * 1024 * 1024
XLSX_RATIO_MAX = 100


def _is_xlsx(filename: str, data: bytes = b"") -> bool:
    return Path(filename).suffix.lower() in (".xlsx", ".xlsm") or data[:4] == b"PK\x03\x04"


def size_limit(filename: str, data: bytes = b"") -> int:
    return XLSX_MAX_BYTES if _is_xlsx(filename, data) else CSV_MAX_BYTES


def refuse_if_too_large(filename: str, size: int, data: bytes = b"") -> None:
    limit = size_limit(filename, data)
    if size > limit:
        raise BadInput("sheets.too_large", size_mb=round(size / 1024 / 1024, 1), limit_mb=limit // 1024 // 1024)


# Writing: a cell that a spreadsheet would read as a formula (=, +, - or @ first, or a tab
# or a carriage return: OWASP's "CSV injection"; the full-width signs too, which WPS
# may take for their ASCII twins) is written with OWASP's leading ' and shows as text.
# A merchant opens the files the bot writes in Excel or WPS.
_FORMULA_STARTS = frozenset("=+-@\t\r＝＋－＠")


def inert(text: str) -> str:
    """A cell from anyone's input (a buyer id, an order number, a shop's name, a
    description) as the bot writes it into a CSV. The bot's own numbers are not passed
    here and stay numbers."""
    if text and (text[0] in _FORMULA_STARTS or (text[0].isspace() and text.lstrip()[:1] in _FORMULA_STARTS)):
        return "'" + text
    return text


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    names: tuple[str, ...]


@dataclass
class Table:
    """A sheet's data rows reduced to the known columns: each row has one cell per
    Column asked for, in that order, "" where the file has no such column or the row
    ends early. Cells are the text as read: records() and the screening clean them."""

    keys: tuple[str, ...]  # the Column keys, in the order of each row's cells
    rows: list[tuple[str, ...]]
    lines: list[int]  # each row's line (CSV) or row number (XLSX) in the file
    found: set[str]  # keys of the columns the header row has
    headers: list[str] = field(default_factory=list)  # the header row, normalised


def _normalise_header(text: str) -> str:
    """Header text as compared: no spaces (Taobao writes "收货地址 "), no BOM, no tab."""
    return re.sub(r"\s+", "", str(text)).strip("\ufeff").strip()


_UNIT_RE = re.compile(r"[(（][^()（）]{1,6}[)）]$")


def without_unit(header: str) -> str:
    """ "用户实付金额(元)" → "用户实付金额", "商品数量（件）" → "商品数量"."""
    return _UNIT_RE.sub("", header)


def clean_cell(value: object) -> str:
    if value is None:
        return ""
    text = value.strip() if isinstance(value, str) else str(value).strip()
    if not text or text[0] not in "='":
        return text.strip("\t")
    # Back offices and ERPs write values as ="…" (or '…) so that Excel keeps them as typed
    # (a long number's digits, a phone, an id that starts like a formula).
    if text.startswith('="') and text.endswith('"'):
        text = text[2:-1]
    elif text.startswith("'"):
        text = text[1:]
    return text.strip().strip("\t")


# A sheet is read as a stream and only its known columns are kept: a Taobao export has
# over forty, and 100,000 orders of them are ~35 MB of CSV.
Rows = Iterator[tuple[int, list[str]]]


def _csv_rows(data: bytes, encoding: str) -> Rows:
    sample = data[:8192].decode(encoding, errors="ignore")
    try:
        dialect = csv.Sniffer().sniff(sample[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    csv.field_size_limit(CELL_MAX_CHARS)
    reader = csv.reader(io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline=""), dialect)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise BadInput("sheets.cell_too_long", limit=CELL_MAX_CHARS, line=reader.line_num) from exc
            raise BadInput("sheets.csv_broken", line=reader.line_num) from exc
        if len(row) > MAX_COLUMNS:
            raise BadInput("sheets.too_many_columns", limit=MAX_COLUMNS, line=reader.line_num)
        yield reader.line_num, row


def sheet_names(data: bytes, filename: str) -> list[str]:
    """The sheets of an XLSX (after the same inspection as reading it); [] for a CSV."""
    if not _is_xlsx(filename, data):
        return []
    refuse_if_too_large(filename, len(data), data)
    _inspect_xlsx(data, None)
    try:
        return list(CalamineWorkbook.from_filelike(io.BytesIO(data)).sheet_names)
    except Exception as exc:
        raise BadInput("sheets.unreadable", reason=type(exc).__name__) from exc


def _xlsx_rows(data: bytes, sheet_name: str | None = None) -> Rows:
    # python-calamine (Rust): 20,000 orders of 40 columns take ~1 s to screen, against
    # ~8 s with openpyxl's streaming mode (and ~350 MB in its normal mode).
    _inspect_xlsx(data, sheet_name or "")  # "": the first sheet, the one read by default
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = book.get_sheet_by_name(sheet_name) if sheet_name else book.get_sheet_by_index(0)
        merged = sheet.merged_cell_ranges or []
        start = sheet.start
    except Exception as exc:  # calamine raises its own kinds for a damaged file
        raise BadInput("sheets.unreadable", reason=type(exc).__name__) from exc
    if start is None:  # no cell at all
        raise BadInput("sheets.empty")
    for (first_row, first_column), (last_row, last_column) in merged:
        if first_row < 3:  # a decorated header cannot be mapped to columns
            cells = f"{_column_letters(first_column)}{first_row + 1}:{_column_letters(last_column)}{last_row + 1}"
            raise BadInput("sheets.merged_header", cells=cells)
    # iter_rows() streams the rows from row 1 (blank ones above the data included) but
    # its columns from the first one used: blanks in front keep the sheet's columns.
    blanks = [""] * start[1]
    for number, row in enumerate(sheet.iter_rows(), start=1):
        if len(blanks) + len(row) > MAX_COLUMNS:
            raise BadInput("sheets.too_many_columns", limit=MAX_COLUMNS, line=number)
        texts = [*blanks, *(cell if type(cell) is str else _cell_text(cell) for cell in row)]
        if any(len(text) > CELL_MAX_CHARS for text in texts):
            raise BadInput("sheets.cell_too_long", limit=CELL_MAX_CHARS, line=number)
        yield number, texts


def _cell_text(value: object) -> str:
    # Numbers are doubles in XLSX: 13812345678 and 1 come back as 13812345678.0 and 1.0.
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return "" if value is None else str(value)


def _column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


_SHEET_ELEMENT_RE = re.compile(rb"<(?:\w+:)?sheet\b[^>]*>")
_RELATIONSHIP_RE = re.compile(rb"<Relationship\b[^>]*>")
# Attributes as XML allows them: spaces around "=", the value in "…" or '…'.
_CELL_REFERENCE_RE = re.compile(rb"""\br\s*=\s*["']\s*([A-Za-z]*\d*)""")
_FORMULA_RE = re.compile(rb"<(?:\w+:)?c\b([^>]*)>\s*<(?:\w+:)?f\b")


def _target(relationships: bytes, attribute: bytes) -> str | None:
    """The Target of the first <Relationship> whose attributes match `attribute`."""
    for element in _RELATIONSHIP_RE.findall(relationships):
        if re.search(attribute, element):
            found = re.search(rb'Target="([^"]+)"', element)
            return found.group(1).decode() if found else None
    return None


# A cell or row reference beyond the limits: a row number from 310000 up, or a column
# after DX (the 128th). Searched in the sheet's XML before it is given to the reader,
# which allocates the whole rectangle up to the farthest cell.
# Any quoting and spacing XML allows (r = 'XFD1048576' is the same cell to the reader),
# any case; and a reference spelt with a character reference (r="&#88;FD1") is not
# one a real export writes: refused as far too.
_FAR_REFERENCE_RE = re.compile(
    rb"""\br\s*=\s*(?:"[^"&]*&|'[^'&]*&|["']\s*(?:[A-Z]{3,}|[E-Z][A-Z]|D[YZ]|[A-Z]{0,2}(?:3[1-9]\d{4}|[4-9]\d{5}|\d{7,})))""",
    re.IGNORECASE,
)
_DIMENSION_RE = re.compile(rb"""<(?:\w+:)?dimension\b[^>]*?\bref\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_DIMENSION_END_RE = re.compile(r"([A-Z]+)\s*(\d+)\s*$", re.IGNORECASE)


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def _inspect_xlsx(data: bytes, sheet_name: str | None = "") -> None:
    """Before the reader sees the file: what every part unpacks to, and the sheet about to
    be read (sheet_name; "" the first; None: none, only the sheet names are wanted): its
    declared dimension and farthest cell, and formulas (a formula's cached value may be
    stale or missing, so what a merchant sees is not what is read: the file is refused,
    naming the first formula's cell)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = 0
            for part in archive.infolist():
                total += part.file_size
                ratio = part.file_size / max(part.compress_size, 1)
                if (
                    part.file_size > XLSX_PART_MAX_BYTES
                    or total > XLSX_UNPACKED_MAX_BYTES
                    or (part.file_size > 1024 * 1024 and ratio > XLSX_RATIO_MAX)
                ):
                    raise BadInput("sheets.unpacked_too_large", limit_mb=XLSX_UNPACKED_MAX_BYTES // 1024 // 1024)
            sheets = _sheet_paths(archive)
            if sheet_name is not None:
                # The sheet about to be read (the first one by default): other sheets
                # are never given to the reader.
                path = dict(sheets).get(sheet_name) if sheet_name else sheets[0][1]
                if path is None:
                    raise BadInput("sheets.unreadable", reason="no sheet")
                _scan_sheet(archive, path)
    except (KeyError, ValueError, zipfile.BadZipFile, AttributeError, EOFError) as exc:
        raise BadInput("sheets.unreadable", reason=type(exc).__name__) from exc


MAX_SHEETS = 10


def _sheet_paths(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    # The package's relationships name the workbook (xl/workbook.xml as a rule), and the
    # workbook's relationships each sheet's part. Every sheet is inspected: a 千牛 export
    # is read from several.
    book_path = (_target(archive.read("_rels/.rels"), rb'Type="[^"]*/officeDocument"') or "xl/workbook.xml").lstrip("/")
    folder, _, name = book_path.rpartition("/")
    elements = _SHEET_ELEMENT_RE.findall(archive.read(book_path))
    if not elements:
        raise BadInput("sheets.unreadable", reason="no sheet")
    if len(elements) > MAX_SHEETS:
        raise BadInput("sheets.too_many_sheets", limit=MAX_SHEETS)
    relationships = archive.read(f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels")
    paths = []
    for element in elements:
        sheet_id = re.search(rb'\b\w+:id="([^"]+)"', element)
        sheet_name = re.search(rb'\bname="([^"]*)"', element)
        target = _target(relationships, b'Id="' + re.escape(sheet_id.group(1)) + b'"') if sheet_id else None
        if target is None:
            raise BadInput("sheets.unreadable", reason="no sheet")
        path = target.lstrip("/") if target.startswith("/") else f"{folder}/{target}".lstrip("/")
        paths.append((html.unescape(sheet_name.group(1).decode()) if sheet_name else "", path))
    return paths


def _scan_sheet(archive: zipfile.ZipFile, path: str) -> None:
    """Stream the sheet's XML (the header may lie about its size: the bytes are counted)
    for its dimension, any reference beyond the limits, and the first formula."""
    unpacked = 0
    with archive.open(path) as xml:
        tail = b""
        while chunk := xml.read(1 << 20):
            unpacked += len(chunk)
            if unpacked > XLSX_PART_MAX_BYTES:
                raise BadInput("sheets.unpacked_too_large", limit_mb=XLSX_UNPACKED_MAX_BYTES // 1024 // 1024)
            window = tail + chunk
            dimension = _DIMENSION_RE.search(window)
            if dimension:
                _check_dimension((dimension.group(1) or dimension.group(2) or b"").decode(errors="replace"))
            if _FAR_REFERENCE_RE.search(window):
                raise BadInput("sheets.dimension_too_large", rows=MAX_ROWS, columns=MAX_COLUMNS)
            found = _FORMULA_RE.search(window)
            if found:
                reference = _CELL_REFERENCE_RE.search(found.group(1))
                raise BadInput("sheets.formula", cell=reference.group(1).decode().upper() if reference else "?")
            tail = chunk[-300:]


def _check_dimension(ref: str) -> None:
    """The sheet's declared size ("A1:XFD1048576"; spaces, any case, character
    references): the reader allocates what it says."""
    end = _DIMENSION_END_RE.search(html.unescape(ref))
    if end is None:
        if ref.strip():
            raise BadInput("sheets.dimension_too_large", rows=MAX_ROWS, columns=MAX_COLUMNS)
        return
    if int(end.group(2)) >= ROW_NUMBER_MAX or _column_number(end.group(1).upper()) > MAX_COLUMNS:
        raise BadInput("sheets.dimension_too_large", rows=MAX_ROWS, columns=MAX_COLUMNS)


def _filled(rows: Rows) -> Rows:
    """The non-blank rows, up to the row limits (blank rows count towards the row
    number: ten million empty lines are a file to refuse, not to walk through)."""
    count = 0
    for number, row in rows:
        if number > ROW_NUMBER_MAX:
            raise BadInput("sheets.too_many_rows", limit=MAX_ROWS)
        if "".join(row).strip():
            count += 1
            if count > MAX_ROWS + 5:  # the header row and a title line or two
                raise BadInput("sheets.too_many_rows", limit=MAX_ROWS)
            yield number, row


def _table(rows: Rows, columns: list[Column], required: set[str]) -> Table:
    filled = _filled(rows)
    head = list(itertools.islice(filled, 5))
    if not head:
        raise BadInput("sheets.empty")
    mapping, header_index = locate([row for _, row in head], columns, required)
    # One blank cell is added to each row; the columns the file lacks read it.
    width = max(mapping.values()) + 1
    positions = [mapping.get(c.key, -1) for c in columns]
    pick = operator.itemgetter(*positions) if len(positions) > 1 else (lambda row: (row[positions[0]],))
    headers = [_normalise_header(clean_cell(cell)) for cell in head[header_index][1]]
    table = Table(tuple(c.key for c in columns), [], [], set(mapping), headers)
    for number, row in itertools.chain(head[header_index + 1 :], filled):
        if len(row) < width:
            row.extend([""] * (width - len(row)))
        row.append("")
        table.rows.append(pick(row))
        table.lines.append(number)
    return table


def read_table(
    data: bytes, filename: str, columns: list[Column], required: set[str], sheet: str | None = None
) -> Table:
    """The data rows of the first sheet of a CSV (UTF-8 or GBK) or XLSX file, under the
    header row that names the required columns. Raises BadInput for a file that is too
    large, empty, not a spreadsheet, undecodable, has formulas or a merged header, or
    lacks a required column."""
    refuse_if_too_large(filename, len(data), data)
    if not data.strip():
        raise BadInput("sheets.empty")
    if _is_xlsx(filename, data):
        return _table(_xlsx_rows(data, sheet), columns, required)
    suffix = Path(filename).suffix.lower()
    if suffix not in (".csv", ".txt", ".tsv", ""):
        raise BadInput("sheets.unsupported", suffix=suffix)
    # UTF-8 first (a GBK file fails on its header line already), then GBK's superset;
    # Excel's "Unicode 文本" is UTF-16 with a byte-order mark (and tabs).
    encodings = ("utf-16",) if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            return _table(_csv_rows(data, encoding), columns, required)
        except UnicodeDecodeError:
            continue
    raise BadInput("sheets.encoding")


def locate(rows: list[list[str]], columns: list[Column], required: set[str]) -> tuple[dict[str, int], int]:
    """Find the header row (within the first 5 non-empty rows: some exports put a title
    line above it) and map each known column to its index. Raises BadInput naming the
    missing required columns and the headers that were found."""
    best: tuple[dict[str, int], int] | None = None
    for index, row in enumerate(rows[:5]):
        headers = [_normalise_header(clean_cell(cell)) for cell in row]
        bare = [without_unit(h) for h in headers]
        found: dict[str, int] = {}
        for column in columns:
            for name in column.names:
                if name in headers:
                    found[column.key] = headers.index(name)
                    break
                if name in bare:
                    found[column.key] = bare.index(name)
                    break
        if best is None or len(found) > len(best[0]):
            best = (found, index)
        if required <= set(found):
            return found, index
    found, index = best or ({}, 0)
    missing = [c for c in columns if c.key in required and c.key not in found]
    # The headers found are shown only when the file looks like a table of ours (some
    # column was recognised): the first line of anything else is not echoed.
    headers = []
    if found:
        headers = [redact(h[:20]) for h in (_normalise_header(clean_cell(cell)) for cell in rows[index]) if h][:12]
    raise BadInput("sheets.missing_columns", missing=missing, headers=headers)


def records(table: Table) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number in the file, {column key: text}) for each data row, for the columns
    the file has."""
    keys = [(i, key) for i, key in enumerate(table.keys) if key in table.found]
    for line, row in zip(table.lines, table.rows, strict=False):
        yield line, {key: clean_cell(row[i]) for i, key in keys}

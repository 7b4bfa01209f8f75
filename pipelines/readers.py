"""Read a partnership's CSV or XLSX file into an all-text table with source line numbers.

Every cell stays text here; typing is the normalisers' job, so a bad value can be
quarantined with the exact text the partnership sent.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from .schema import KINDS, Kind

LINE = "__line"
HEADER_SCAN_ROWS = 10  # a title block above the header is searched this far down
CHUNK_BYTES = 64 << 20  # big plain CSVs are parsed and validated in slices of this size
csv.field_size_limit(2**31 - 1)  # a long narrative is still one field: too long is the normaliser's call


class FileProblem(Exception):
    """The file as a whole cannot be loaded. Says which file, line and column."""

    def __init__(self, file: str, message: str, line: int | None = None, column: str | None = None):
        self.file, self.line, self.column = file, line, column
        where = ", ".join(p for p in (f"line {line}" if line else "", f"column {column!r}" if column else "") if p)
        super().__init__(f"{file}: {where + ': ' if where else ''}{message}")


@dataclass
class RawTable:
    frame: pl.DataFrame  # all-text columns named by the normalised header, plus LINE
    excel: bool  # Excel serial dates are only accepted from workbooks
    bad_rows: list[tuple[int, str]]  # (line, reason) for rows the reader itself could not split


def normalise_header(name: object) -> str:
    """Case-insensitive; spaces and hyphens count as underscores (contract, top)."""
    return re.sub(r"[\s\-]+", "_", str(name if name is not None else "").strip().lstrip("\ufeff").lower())


def detect_kind(columns: list[str], file: str) -> Kind:
    """The kind whose required columns are all present, preferring the closest fit."""
    present = set(columns)

    def overlap(k: Kind) -> int:
        return len(present & {c.name for c in k.columns})

    fits = [k for k in KINDS.values() if set(k.required) <= present]
    closest = max(KINDS.values(), key=overlap)
    best = max(fits, key=lambda k: (len(k.required), overlap(k))) if fits else None
    # An episodes file missing episode_date still "fits" children (child_id, agency): refuse it
    # rather than load it as the wrong kind.
    if best is None or (closest not in fits and overlap(closest) > overlap(best)):
        missing = sorted(set(closest.required) - present)
        raise FileProblem(file, f"cannot tell which extract this is; closest is '{closest.name}', "
                                f"which needs column(s) {', '.join(missing)}", line=1)
    return best


def read_table(path: Path, kind_hint: str | None = None) -> RawTable:
    name = path.name
    if not path.exists():
        raise FileProblem(name, "file not found")
    head = path.open("rb").read(8)
    if head.startswith(b"PK\x03\x04"):
        return _read_xlsx(path, kind_hint)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raise FileProblem(name, "has an .xlsx name but is not an Excel workbook (it may be truncated)")
    if path.suffix.lower() == ".xls" or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileProblem(name, "old .xls workbooks are not supported: save it as .xlsx or CSV")
    return _read_csv(path)


def looks_like_xml(head: bytes) -> bool:
    """XML (any encoding, after a byte-order mark): the registry sends it to an XML source."""
    plain = head.replace(b"\x00", b"").removeprefix(b"\xef\xbb\xbf").removeprefix(b"\xff\xfe").removeprefix(b"\xfe\xff")
    return plain.lstrip().startswith(b"<")


def _decode(name: str, data: bytes) -> str:
    """UTF-8, else Windows-1252, line by line: a file pasted together from both (an export with rows added
    in Excel) keeps each line's own letters instead of reading every é as Ã©."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    out = []
    for line in data.removeprefix(b"\xef\xbb\xbf").split(b"\n"):
        try:
            out.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            try:
                out.append(line.decode("cp1252"))
            except UnicodeDecodeError as exc:
                raise FileProblem(name, "is neither UTF-8 nor Windows-1252 text") from exc
    return "\n".join(out)


def _read_csv(path: Path) -> RawTable:
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileProblem(path.name, "is UTF-16 text (Excel's 'Unicode Text'); save it as 'CSV UTF-8' or XLSX")
    if b"\x00" in data[:65536]:
        raise FileProblem(path.name, "is not a text file (it contains binary data); expected CSV or XLSX")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data[:65536].strip() and not data.strip():
        raise FileProblem(path.name, "is empty", line=1)
    first = data[:data.find(b"\n") if b"\n" in data[:65536] else 65536]
    delim = max([",", ";", "\t", "|"], key=lambda d: first.count(d.encode()))
    fast = _read_csv_fast(path.name, data, delim)
    return fast if fast is not None else _read_csv_exact(path.name, _decode(path.name, data), delim)


def _plain_lines(data: bytes, delim: str, fields: int) -> int | None:
    """How many lines these complete rows hold, if none needs CSV's quoting rules: no quotes,
    no CR, no blank rows, `fields` fields on every line. None sends the file to the exact reader.
    Scans the bytes in place (no copies): this runs over every byte of a 10M-row file."""
    end = len(data)
    while end and data[end - 1] == 0x0A:
        end -= 1
    if not end:
        return 0
    d = delim.encode()
    empty_row = d * (fields - 1)
    if (b'"' in data or b"\r" in data or data[0] == 0x0A or data.find(b"\n\n", 0, end) >= 0
            or data.startswith(empty_row + b"\n") or data.find(b"\n" + empty_row + b"\n", 0, end + 1) >= 0
            or data.endswith(b"\n" + empty_row, 0, end) or data[:end] == empty_row):
        return None
    lines = data.count(b"\n", 0, end) + 1
    return lines if data.count(d, 0, end) == (fields - 1) * lines else None


def _parse_plain(data: bytes, delim: str, columns: list[str], first_line: int) -> pl.DataFrame:
    end = len(data.rstrip(b"\n")) if data.endswith(b"\n\n") else len(data)
    frame = pl.read_csv(data[:end] if end < len(data) else data, separator=delim, infer_schema=False,
                        has_header=False, quote_char=None, new_columns=columns)
    return frame.with_columns(pl.int_range(first_line, first_line + frame.height, dtype=pl.Int64).alias(LINE))


def _read_csv_fast(name: str, data: bytes, delim: str) -> RawTable | None:
    """Polars' reader, for UTF-8 files whose rows need no quoting rules (the usual case)."""
    newline = data.find(b"\n")
    header, body = (data, b"") if newline < 0 else (data[:newline], data[newline + 1:])
    fields = header.count(delim.encode()) + 1
    if b'"' in header or b"\r" in header or _plain_lines(body, delim, fields) is None:
        return None
    try:
        columns = _unique([normalise_header(h) for h in header.decode("utf-8").split(delim)], name)
        frame = _parse_plain(body, delim, columns, 2) if body.strip(b"\n") else pl.DataFrame(
            schema={c: pl.String for c in columns}).with_columns(pl.lit(None, pl.Int64).alias(LINE))
    except (UnicodeDecodeError, pl.exceptions.ComputeError):
        return None  # not UTF-8 (cp1252): the exact reader decodes it
    return RawTable(frame, excel=False, bad_rows=[])


class NotPlain(Exception):
    """A slice of a big CSV turned out to need CSV's quoting rules: read the file again, whole."""


def read_batches(path: Path, kind_hint: str | None = None) -> Iterator[RawTable]:
    """The file as one or more tables. A big plain CSV comes in ~64 MB slices, checked and
    parsed in one pass, so a 10M-row file never sits in memory whole. If a later slice is not
    plain, NotPlain is raised and the caller starts again with read_table; if the first is
    not, read_table is used straight away. Anything else is read at once by read_table."""
    header = _plain_header(path) if path.exists() and path.stat().st_size > CHUNK_BYTES else None
    if header is None:
        yield read_table(path, kind_hint)
        return
    columns, delim, skip = header
    line = 2
    with path.open("rb") as f:
        f.seek(skip)
        for block in _line_blocks(f):
            frame = _parse_plain_block(block, delim, columns, line)
            if frame is None:
                if line == 2:
                    yield read_table(path, kind_hint)
                    return
                raise NotPlain(f"{path.name}: line {line} onwards needs the full CSV reader")
            line += frame.height
            yield RawTable(frame, excel=False, bad_rows=[])


def _plain_header(path: Path) -> tuple[list[str], str, int] | None:
    """(columns, delimiter, offset of the first data row) for a header that needs no quoting."""
    with path.open("rb") as f:
        header = f.readline()
        skip = f.tell()
    header = header.removeprefix(b"\xef\xbb\xbf").rstrip(b"\n")
    if b'"' in header or b"\r" in header or b"\x00" in header:
        return None
    delim = max([",", ";", "\t", "|"], key=lambda d: header.count(d.encode()))
    try:
        return _unique([normalise_header(h) for h in header.decode("utf-8").split(delim)], path.name), delim, skip
    except UnicodeDecodeError:
        return None


def _parse_plain_block(block: bytes, delim: str, columns: list[str], first_line: int) -> pl.DataFrame | None:
    """One slice parsed, or None when it needs the full reader. _plain_lines only counts the
    delimiters of the whole slice, so a line with too many fields and one with too few pass it
    together; Polars then refuses the long line, and the full reader quarantines both (with no
    field of theirs kept)."""
    if not _plain_block(block, delim, len(columns)):
        return None
    try:
        return _parse_plain(block, delim, columns, first_line)
    except pl.exceptions.ComputeError:
        return None


def _plain_block(block: bytes, delim: str, fields: int) -> bool:
    if _plain_lines(block, delim, fields) is None or b"\x00" in block:
        return False
    try:
        return block.isascii() or bool(block.decode("utf-8"))  # ASCII is UTF-8; others are checked
    except UnicodeDecodeError:
        return False


def _line_blocks(f) -> Iterator[bytes]:
    """Blocks of about CHUNK_BYTES that end at a line break."""
    carry = b""
    while block := f.read(CHUNK_BYTES):
        data = carry + block
        cut = data.rfind(b"\n") + 1
        if cut:
            yield data[:cut]
        carry = data[cut:]
    if carry:
        yield carry


def _read_csv_exact(name: str, text: str, delim: str) -> RawTable:
    """Python's csv module: slower, but knows each record's starting line. A quote that is never closed
    would swallow every line after it; instead its own line is quarantined and reading resumes on the
    next, so rows read always equal the data lines in the file."""
    physical = io.StringIO(text, newline="").readlines()  # the lines the csv reader counts
    reader = csv.reader(iter(physical), delimiter=delim, strict=True)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise FileProblem(name, f"header cannot be read ({exc})", line=1) from exc
    columns = [normalise_header(h) for h in header]
    rows, lines, bad = [], [], []
    offset, start = 0, reader.line_num + 1  # offset: the physical lines before the current reader's first
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):  # a quote opened on line `start` runs to the end of the file
                bad.append((start, "row cannot be read: a quote opened on this line is never closed"))
                offset = start
                reader = csv.reader(iter(physical[offset:]), delimiter=delim, strict=True)
                start = offset + 1
                continue
            bad.append((start, f"row cannot be read: {exc}"))  # the reader has skipped past the bad record
            start = offset + reader.line_num + 1
            continue
        if record and any(cell.strip() for cell in record):
            if len(record) != len(columns):
                bad.append((start, f"has {len(record)} fields, the header has {len(columns)}"))
            else:
                rows.append(record)
                lines.append(start)
        start = offset + reader.line_num + 1
    frame = pl.DataFrame([list(col) for col in zip(*rows)] if rows else [[] for _ in columns],
                         schema={c: pl.String for c in _unique(columns, name)}, orient="col")
    return RawTable(frame.with_columns(pl.Series(LINE, lines, dtype=pl.Int64)), excel=False, bad_rows=bad)


def _unique(columns: list[str], name: str) -> list[str]:
    """Header names, each once. A duplicate is named only when it is a contract column: a file
    without a header has a row of data in its place, which may hold an identifier."""
    known = {c.name for k in KINDS.values() for c in k.columns}
    seen: dict[str, int] = {}
    for i, c in enumerate(columns):
        if not c:
            columns[i] = c = f"_unnamed_{i + 1}"
        if c in seen:
            if c in known:
                raise FileProblem(name, f"column {c!r} appears twice in the header", line=1, column=c)
            raise FileProblem(name, f"columns {seen[c] + 1} and {i + 1} of the header have the same name", line=1)
        seen[c] = i
    return columns


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def sheet_rows(path: Path, name: str, choose) -> tuple[str, list[tuple]]:
    """(title, every row's values) of the sheet `choose(book)` picks from a workbook. A workbook that
    unpacks beyond PM_MAX_XLSX_MB is refused before any sheet is read; a damaged one (bad zip, bad
    sheet XML, entity declarations, no worksheet) fails with a message, never a traceback."""
    import zipfile
    import zlib

    from openpyxl import load_workbook  # imported here: CSV-only runs should not pay for it

    from .config import settings

    limit = settings().max_xlsx_mb
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(item.file_size for item in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise FileProblem(name, f"is not a readable Excel workbook ({exc})") from exc
    if unpacked > limit * 1024 * 1024:
        raise FileProblem(name, f"unpacks to {unpacked / 1048576:,.0f} MB, over the {limit} MB limit for workbooks "
                                "(PM_MAX_XLSX_MB): save a large extract as CSV")
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, SyntaxError, zlib.error) as exc:
        raise FileProblem(name, f"is not a readable Excel workbook ({_first_line(exc)})") from exc
    try:
        if not book.worksheets:
            raise FileProblem(name, "is a workbook with no worksheet")
        sheet = choose(book)
        return sheet.title, list(sheet.iter_rows(values_only=True))
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, SyntaxError, zlib.error, EOFError) as exc:
        # SyntaxError: malformed sheet XML; ValueError: defusedxml refusing an entity declaration
        raise FileProblem(name, f"has a damaged worksheet ({_first_line(exc)})") from exc
    finally:
        book.close()


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def rows_table(rows: list[tuple], header_at: int, name: str) -> RawTable:
    """A sheet's rows below its header as an all-text table; blank rows skipped, sheet row numbers kept."""
    header = list(rows[header_at])
    while header and header[-1] in (None, ""):  # a sheet is as wide as its widest row: blank header cells trail
        header.pop()
    columns = _unique([normalise_header(v) for v in header], name)
    body, lines, bad = [], [], []
    for i, r in enumerate(rows[header_at + 1:], start=header_at + 2):
        cells = [_cell_text(v) for v in r] + [None] * (len(columns) - len(r))
        if any(c not in (None, "") for c in cells[len(columns):]):  # never dropped without trace
            bad.append((i, f"has a value beyond the header's last column ({len(columns)} columns)"))
        elif any(c not in (None, "") for c in cells):
            body.append(cells[:len(columns)])
            lines.append(i)
    frame = pl.DataFrame(body or None, schema={c: pl.String for c in columns}, orient="row")
    return RawTable(frame.with_columns(pl.Series(LINE, lines, dtype=pl.Int64)), excel=True, bad_rows=bad)


def _read_xlsx(path: Path, kind_hint: str | None) -> RawTable:
    def choose(book):
        names = {s.lower(): s for s in book.sheetnames}
        sheet = book[names.get(kind_hint or "", "")] if (kind_hint or "") in names else None
        return sheet or next((book[names[k]] for k in KINDS if k in names), book.worksheets[0])

    title, rows = sheet_rows(path, path.name, choose)
    known = {c.name for k in KINDS.values() for c in k.columns}
    header_at = next((i for i, r in enumerate(rows[:HEADER_SCAN_ROWS])
                      if len({normalise_header(v) for v in r} & known) >= 2), None)
    if header_at is None:
        raise FileProblem(path.name, f"sheet '{title}' has no header row with contract columns "
                                     f"in its first {HEADER_SCAN_ROWS} rows", line=1)
    return rows_table(rows, header_at, path.name)

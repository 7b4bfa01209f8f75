"""An agency's own export (police, health, education), mapped to a contract kind by a small
YAML file: `python -m pipelines load --mapping police.yaml contacts.csv` (docs/sources/mapping.md).

The mapping names the contract kind, which of the agency's columns feeds each contract column,
how the agency's codes translate, the date formats it uses and any value fixed for the whole
file (`agency: police`). It is checked strictly before the data is read: anything wrong with it
is a FileProblem naming the mapping file, the key and the column. In the data, a value the
mapping does not translate quarantines its row with a reason naming the mapping. Only the
mapped columns leave this module, so the agency's other columns are never stored.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

import polars as pl
import yaml

from ..normalise import blank, normalise_column
from ..readers import (HEADER_SCAN_ROWS, LINE, FileProblem, RawTable, looks_like_xml, normalise_header,
                       read_batches, read_table, rows_table, sheet_rows)
from ..schema import KINDS, Column, Kind
from ..validation import MAX_SHOWN_VALUE
from . import Batch, Context, Part, Source

KEYS = ("kind", "columns", "fixed", "values", "date_formats", "sheet")
MAX_MAPPING_BYTES = 1 << 20  # a mapping is a page of text; anything bigger is not one
MAX_NODES = 100_000  # YAML aliases can make a small file expand enormously: stop well before
DATE_TYPES = ("date", "birth_month")
ISO = "%Y-%m-%d"  # always accepted besides the mapping's formats (a workbook's real date cells arrive so)
_FLAG = "__mapping_"  # prefix of the per-column "no mapping" reason columns


@dataclass(frozen=True)
class Mapping:
    file: str  # the mapping file's name, as messages give it
    kind: Kind
    columns: dict[str, str]  # contract column -> the agency's header, as the mapping spells it
    fixed: dict[str, str]  # contract column -> the value every row gets
    values: dict[str, dict[str, str | None]]  # contract column -> {folded agency value: contract value or None}
    date_formats: tuple[str, ...]
    sheet: str | None


# ---------------------------------------------------------------- the mapping file


@dataclass
class _Y:
    """One YAML value and the line it starts on. Scalars stay the text as written (so `Yes` is
    "Yes", not True, and `01` is "01"); only a plain `~`, `null` or nothing is None."""
    value: object  # str | None | list[_Y] | dict[str, _Y]
    line: int


def _yaml(path: Path, name: str) -> _Y:
    if not path.exists():
        raise FileProblem(name, "mapping file not found")
    data = path.read_bytes()
    if len(data) > MAX_MAPPING_BYTES:
        raise FileProblem(name, f"is {len(data):,} bytes; a mapping file is a short YAML text (at most "
                                f"{MAX_MAPPING_BYTES:,} bytes)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileProblem(name, "is not UTF-8 text; save the mapping as UTF-8 YAML") from exc
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        hint = (" (put text starting with % in quotes, e.g. '%d.%m.%Y')" if "'%'" in problem
                else " (indent with spaces, not tabs)" if "\\t" in problem
                else " (check the indentation: the lines under a key are indented by the same number of spaces)"
                if "block" in problem else "")
        raise FileProblem(name, f"is not valid YAML: {problem}{hint}",
                          line=mark.line + 1 if mark else None) from exc
    finally:
        loader.dispose()
    if node is None:
        raise FileProblem(name, "is empty; a mapping needs at least kind: and columns:")
    count = [0]
    return _walk(node, name, count)


def _walk(node: yaml.Node, name: str, count: list[int]) -> _Y:
    count[0] += 1
    if count[0] > MAX_NODES:
        raise FileProblem(name, "is too large once its YAML aliases are expanded; write the mapping out plainly")
    line = node.start_mark.line + 1
    if isinstance(node, yaml.ScalarNode):
        plain_null = node.tag == "tag:yaml.org,2002:null" and node.style is None
        return _Y(None if plain_null else str(node.value), line)
    if isinstance(node, yaml.SequenceNode):
        return _Y([_walk(n, name, count) for n in node.value], line)
    entries: dict[str, _Y] = {}
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode):
            raise FileProblem(name, "a key must be plain text, not a list or a mapping", line=key.start_mark.line + 1)
        text = str(key.value)
        if text in entries:
            raise FileProblem(name, f"key {text!r} appears twice", line=key.start_mark.line + 1)
        entry = _walk(value, name, count)
        entries[text] = _Y(entry.value, key.start_mark.line + 1)  # an entry is found by its key's line
    return _Y(entries, line)


def _entries(y: _Y | None, name: str, key: str) -> dict[str, _Y]:
    if y is None or y.value is None:
        return {}
    if not isinstance(y.value, dict):
        raise FileProblem(name, f"{key}: should be a list of 'name: value' lines, one per line, indented below it",
                          line=y.line)
    return y.value


def _text(y: _Y, name: str, key: str, what: str) -> str:
    if not isinstance(y.value, str) or not y.value.strip():
        raise FileProblem(name, f"{key}: needs {what}", line=y.line)
    return y.value.strip()


def _fold(text: str) -> str:
    """How agency values are matched: trimmed, any case, runs of spaces as one."""
    return " ".join(text.split()).lower()


def _contract_column(kind: Kind, column: str, name: str, key: str, line: int) -> Column:
    if column not in {c.name for c in kind.columns}:
        raise FileProblem(name, f"{key}: {column!r} is not a column of kind '{kind.name}' "
                                f"(its columns: {', '.join(c.name for c in kind.columns)})", line=line, column=column)
    return kind.column(column)


def _contract_problem(col: Column, value: str) -> str | None:
    """Why `value` would break the contract in `col` (the loader's own rules), or None."""
    _, reason = normalise_column(col)
    return pl.DataFrame({col.name: [value]}, schema={col.name: pl.String}).select(reason).item()


def read_mapping(path: Path, name: str | None = None) -> Mapping:
    """The mapping file, checked: every problem is a FileProblem naming the file, key and column."""
    name = name or path.name
    top = _yaml(path, name)
    if not isinstance(top.value, dict):
        raise FileProblem(name, "should be a YAML mapping with keys such as kind: and columns:", line=top.line)
    for key, y in top.value.items():
        if key not in KEYS:
            raise FileProblem(name, f"unknown key {key!r} (a mapping has: {', '.join(KEYS)})", line=y.line)
    entries = top.value

    if "kind" not in entries:
        raise FileProblem(name, f"no kind: say which contract kind the file becomes ({', '.join(KINDS)})")
    kind_name = _text(entries["kind"], name, "kind", f"one of {', '.join(KINDS)}")
    if kind_name not in KINDS:
        raise FileProblem(name, f"kind: {kind_name!r} is not a kind of the data contract "
                                f"(one of {', '.join(KINDS)})", line=entries["kind"].line)
    kind = KINDS[kind_name]

    columns: dict[str, str] = {}
    for column, y in _entries(entries.get("columns"), name, "columns").items():
        _contract_column(kind, column, name, "columns", y.line)
        columns[column] = _text(y, name, f"columns: {column}", "the name of a column in your file")
    if not columns:
        raise FileProblem(name, "columns: map at least one contract column to a column of your file "
                                "(contract_column: Your Column)", line=entries["columns"].line if "columns" in entries else None)

    fixed: dict[str, str] = {}
    for column, y in _entries(entries.get("fixed"), name, "fixed").items():
        col = _contract_column(kind, column, name, "fixed", y.line)
        if column in columns:
            raise FileProblem(name, f"fixed: {column} is also under columns:; give it one or the other",
                              line=y.line, column=column)
        if col.type == "child_id":
            raise FileProblem(name, f"fixed: {column} identifies each child; it must come from a column of your file",
                              line=y.line, column=column)
        value = _text(y, name, f"fixed: {column}", "a value")
        if problem := _contract_problem(col, value):
            raise FileProblem(name, f"fixed: {column}: {value!r} is {_as_reason(problem)}", line=y.line, column=column)
        fixed[column] = value

    missing = [c for c in kind.required if c not in columns and c not in fixed]
    if missing:
        one = "it" if len(missing) == 1 else "each"
        raise FileProblem(name, f"kind '{kind.name}' requires {', '.join(missing)}, neither under columns: nor fixed:; "
                                f"map {one} to a column of your file under columns:, or give {one} one value for "
                                "every row under fixed:", column=missing[0])

    values: dict[str, dict[str, str | None]] = {}
    for column, y in _entries(entries.get("values"), name, "values").items():
        col = _contract_column(kind, column, name, "values", y.line)
        if column not in columns:
            raise FileProblem(name, f"values: {column} is not mapped under columns:, so it has no values to translate",
                              line=y.line, column=column)
        if col.type == "child_id":
            raise FileProblem(name, f"values: {column} is a child identifier; identifiers are loaded as they are",
                              line=y.line, column=column)
        if col.type in DATE_TYPES:
            raise FileProblem(name, f"values: {column} is a date; say how your dates are written with date_formats:",
                              line=y.line, column=column)
        table: dict[str, str | None] = {}
        for theirs, target in _entries(y, name, f"values: {column}").items():
            if isinstance(target.value, (list, dict)):
                raise FileProblem(name, f"values: {column}: {theirs!r} should map to one value", line=target.line,
                                  column=column)
            value = target.value.strip() if isinstance(target.value, str) and target.value.strip() else None
            if value is not None and (problem := _contract_problem(col, value)):
                raise FileProblem(name, f"values: {column}: {theirs!r} maps to {value!r}, which is "
                                        f"{_as_reason(problem)}", line=target.line, column=column)
            folded = _fold(theirs)
            if folded in table and table[folded] != value:
                raise FileProblem(name, f"values: {column}: {theirs!r} is given twice with different values "
                                        "(matching ignores case and extra spaces)", line=target.line, column=column)
            table[folded] = value
        if not table:
            raise FileProblem(name, f"values: {column}: list your values, one 'Your value: contract value' per line",
                              line=y.line, column=column)
        values[column] = table

    formats_y = entries.get("date_formats")
    formats: list[str] = []
    if formats_y is not None and formats_y.value is not None:
        items = formats_y.value if isinstance(formats_y.value, list) else [formats_y]
        for item in items:
            fmt = _text(item, name, "date_formats", "a date format in quotes, such as '%d.%m.%Y'")
            _check_format(fmt, name, item.line)
            formats.append(fmt)

    sheet = _text(entries["sheet"], name, "sheet", "the name of a worksheet") if "sheet" in entries else None
    return Mapping(name, kind, columns, fixed, values, tuple(formats), sheet)


def _as_reason(problem: str) -> str:
    """A validation reason worded to follow "... is": 'not one of: Y, N' reads so already."""
    return problem if problem.startswith("not ") else f"refused by the contract ({problem})"


def _check_format(fmt: str, name: str, line: int) -> None:
    """A format must give a whole date: a known date written with it must read back as itself."""
    sample = dt.datetime(2024, 3, 15, 10, 30, 45)
    try:
        back = dt.datetime.strptime(sample.strftime(fmt), fmt).date()
    except ValueError:
        back = None
    if back != sample.date():
        raise FileProblem(name, f"date_formats: {fmt!r} does not read a whole date (day, month and year), e.g. "
                                "'%d.%m.%Y' for 15.03.2024 or '%d/%m/%Y %H:%M' for 15/03/2024 10:30", line=line)


# ---------------------------------------------------------------- the agency's file


def batches(path: Path, context: Context) -> Iterator[Batch]:
    mapping = read_mapping(context.mapping)
    if context.kind_hint is not None and context.kind_hint != mapping.kind.name:
        raise FileProblem(context.name, f"asked to load it as kind '{context.kind_hint}', but {mapping.file} maps it "
                                        f"to kind '{mapping.kind.name}'")
    with path.open("rb") as f:
        head = f.read(1024)
    if looks_like_xml(head):
        raise FileProblem(context.name, f"is XML; {mapping.file} maps a CSV or XLSX export (load a CIN census "
                                        "return without a mapping)", line=1)
    if head.startswith(b"PK\x03\x04"):
        tables: Iterator[RawTable] = iter([_read_workbook(path, context.name, mapping)])
    elif mapping.sheet is not None:
        raise FileProblem(context.name, f"is not an Excel workbook, but {mapping.file} names a sheet "
                                        f"(sheet: {mapping.sheet})")
    else:
        tables = iter([read_table(path)]) if context.whole else read_batches(path)
    first = next(tables)
    _check_header(first, mapping, context.name)
    labels = dict(mapping.columns)
    for table in chain([first], tables):
        yield Batch([Part(mapping.kind, _mapped(table, mapping), labels)])


def _check_header(table: RawTable, mapping: Mapping, name: str) -> None:
    present = set(table.frame.columns)
    for column, theirs in mapping.columns.items():
        if normalise_header(theirs) not in present:
            raise FileProblem(name, f"no such column in the header, but {mapping.file} maps it "
                                    f"(columns: {column}: {theirs}); correct the mapping or the file",
                              line=1, column=theirs)


def _read_workbook(path: Path, name: str, mapping: Mapping) -> RawTable:
    """An agency workbook: the chosen sheet (default the first), its header the first row in the
    top HEADER_SCAN_ROWS holding every mapped column (a title block above it is skipped)."""
    def choose(book):
        if mapping.sheet is None:
            return book.worksheets[0]
        names = {s.strip().lower(): s for s in book.sheetnames}
        if mapping.sheet.lower() not in names:
            raise FileProblem(name, f"has no sheet {mapping.sheet!r} (named in {mapping.file}: sheet)")
        return book[names[mapping.sheet.lower()]]

    title, rows = sheet_rows(path, name, choose)
    wanted = {normalise_header(h) for h in mapping.columns.values()}
    scan = rows[:HEADER_SCAN_ROWS]
    header_at = max(range(len(scan)), key=lambda i: len(wanted & {normalise_header(v) for v in scan[i]}), default=None)
    if header_at is None:
        raise FileProblem(name, f"sheet '{title}' is empty", line=1)
    return rows_table(rows, header_at, name)


def _mapped(table: RawTable, mapping: Mapping) -> RawTable:
    """The contract's columns only, translated. A row holding a value the mapping cannot translate
    leaves the table and becomes one of its bad rows, with the reason: the loader quarantines it."""
    frame, kind = table.frame, mapping.kind
    values, reasons = [], []
    for column, theirs in mapping.columns.items():
        col = kind.column(column)
        source = pl.col(normalise_header(theirs))
        where = f"in {mapping.file} (column {theirs!r})"
        if column in mapping.values:
            value, unmapped = _translated(source, mapping.values[column])
            what = _what(source, col)
            reasons.append(pl.when(unmapped).then(pl.concat_str(pl.lit("no mapping for "), what, pl.lit(" " + where)))
                           .alias(_FLAG + column))
        elif col.type in DATE_TYPES and mapping.date_formats:
            value, bad = _dated(frame, normalise_header(theirs), mapping.date_formats)
            formats = " or ".join(repr(f) for f in mapping.date_formats)
            reasons.append(pl.when(bad).then(pl.concat_str(
                _what(source, col), pl.lit(f" is not a date written as {formats}, the date_formats {where}"))).alias(_FLAG + column))
        else:
            value = source
        values.append(value.cast(pl.String).alias(column))
    fixed = [pl.lit(v, pl.String).alias(c) for c, v in mapping.fixed.items()]
    out = frame.select(*values, *fixed, *reasons, pl.col(LINE))
    flags = [e.meta.output_name() for e in reasons]
    if not flags:
        return RawTable(out, table.excel, list(table.bad_rows))
    failing = pl.any_horizontal(pl.col(flags).is_not_null())
    bad = (out.filter(failing).select(LINE, *flags).unpivot(index=LINE, value_name="reason")
           .drop_nulls("reason").sort(LINE, "variable"))
    bad_rows = list(table.bad_rows) + list(zip(bad[LINE].to_list(), bad["reason"].to_list()))
    return RawTable(out.filter(~failing).drop(flags), table.excel, sorted(bad_rows))


def _what(source: pl.Expr, col: Column) -> pl.Expr:
    """The offending value in quotes, only where the contract column's values cannot identify
    anyone (as the quarantine's value column does); else "this value"."""
    if col.identifying:
        return pl.lit("this value")
    return pl.concat_str(pl.lit("'"), source.str.strip_chars().str.slice(0, MAX_SHOWN_VALUE), pl.lit("'"))


def _translated(source: pl.Expr, table: dict[str, str | None]) -> tuple[pl.Expr, pl.Expr]:
    """(contract value, True where the value has no mapping). A blank value stays blank unless
    the mapping translates "" itself."""
    folded = source.fill_null("").str.strip_chars().str.to_lowercase().str.replace_all(r"\s+", " ")
    value = folded.replace_strict(table, default=None, return_dtype=pl.String)
    unmapped = ~folded.is_in(list(table)) & (folded != "")
    return value, unmapped


def _dated(frame: pl.DataFrame, column: str, formats: tuple[str, ...]) -> tuple[pl.Expr, pl.Expr]:
    """(ISO date text, True where a value is in none of the formats). Each distinct value is read
    once with Python's strptime, so the formats mean exactly what Python's documentation says."""
    def parse(text: str) -> str | None:
        for fmt in (*formats, ISO):
            try:
                return dt.datetime.strptime(text, fmt).date().isoformat()
            except ValueError:
                continue
        return None

    distinct = frame.get_column(column).drop_nulls().str.strip_chars().unique().to_list()
    lookup = {text: parse(text) for text in distinct if text}
    source = pl.col(column).str.strip_chars()
    value = source.replace_strict(lookup, default=None, return_dtype=pl.String)
    return value, ~blank(pl.col(column)) & value.is_null()


SOURCE = Source("mapping", "An agency's own export, read through a mapping file (YAML)", "mapping",
                lambda _: False, batches, tuple(KINDS))

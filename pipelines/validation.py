"""Check contract-shaped tables against their kind: typed rows out, one record per problem.

The checks are SQL generated from the declared schema (normalise.py) and run inside DuckDB: the
loader runs them over a whole file on its own connection, `validate` runs them on a few rows in
memory (the coding form). Sources (pipelines/sources) produce the tables; the loader stores the result.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb
import polars as pl

from .normalise import ident, normalise_column, quote
from .readers import LINE, RawTable
from .schema import TEXT_TYPES, Column, Kind, direct_identifier_columns

MAX_SHOWN_VALUE = 200
WITHHELD = "(withheld: identifier)"  # shown instead of any value that could identify a child or a record
WHY = "__why_"  # prefix of the per-column reason columns
RAW = "__raw_"  # prefix of the raw text kept beside a reason, for columns whose value may be shown
OK = "__ok"  # true when the row breaks no rule
PROBLEM_SCHEMA = {"file": pl.String, "line": pl.Int64, "column": pl.String, "value": pl.String, "reason": pl.String}
# Rules across columns: (the column whose reason it becomes, when it is broken, the reason).
CROSS_COLUMN = {
    "incident_not_after_notification": ("incident_date", "incident_date > notification_date",
                                        "incident_date is after notification_date"),
    "action_not_before_disclosure": ("action_date", "action_date < disclosure_date", "action_date is before disclosure_date"),
    "closure_not_before_referral": ("closure_date", "closure_date < referral_date", "closure_date is before referral_date"),
}


@dataclass
class Extras:
    """What happened to the file's unknown columns: kept only when named in PM_KEEP_COLUMNS."""
    unknown: set[str] = field(default_factory=set)
    kept: set[str] = field(default_factory=set)
    refused: set[str] = field(default_factory=set)  # named, but they would store an identifier

    def message(self) -> str:
        kept = self.kept - self.refused
        parts = [f"{len(self.unknown - kept):,} extra column(s) ignored, not stored"] if self.unknown - kept else []
        parts += [f"{len(kept):,} kept (PM_KEEP_COLUMNS)"] if kept else []
        return "; ".join(parts)


def coded(kind: Kind) -> list[Column]:
    """Columns with few distinct values in millions of rows (codes, flags, dates): normalised once per
    distinct value and joined back, not once per row."""
    return [c for c in kind.columns if c.type not in TEXT_TYPES]


def lookup_name(source: str, col: Column) -> str:
    return f"{source}__{col.name}"


def lookup(values: pl.Series, col: Column, excel: bool, today: dt.date) -> pl.DataFrame:
    """(raw, value, reason) for each distinct raw text of one coded column, by the column's SQL in an
    in-memory database. Registered beside the source, never stored: a date of birth is among them."""
    value, reason = normalise_column(col, "raw", excel, today)
    con = duckdb.connect()
    con.register("distinct_values", pl.DataFrame({"raw": values.unique()}).to_arrow())
    found = con.sql(f"SELECT raw, {value} AS value, {reason} AS reason FROM distinct_values").pl()
    con.close()
    return found


def register_lookups(con: duckdb.DuckDBPyConnection, source: str, frame: pl.DataFrame, kind: Kind, excel: bool,
                     today: dt.date) -> list[str]:
    """Register the lookup of every coded column the frame has on `con`; returns their names (to unregister)."""
    names = []
    for col in coded(kind):
        if col.name in frame.columns:
            names.append(lookup_name(source, col))
            con.register(names[-1], lookup(frame[col.name], col, excel, today).to_arrow())
    return names


def checked_sql(kind: Kind, source: str, excel: bool, today: dt.date, extras: list[str] | tuple[str, ...] = (),
                present: list[str] | tuple[str, ...] | None = None) -> str:
    """One SELECT over `source` (all-text columns plus readers.LINE): every column's canonical value,
    its reason (WHY + name), the raw text of columns that may be echoed (RAW + name), `extra` (the
    unknown columns to store, as JSON) and OK. Coded columns come from their lookups (register_lookups);
    text columns are checked in place. `present` names the source's columns: a declared column the file
    lacks is read as blank."""
    present = set(present if present is not None else [c.name for c in kind.columns])
    inner, joins = ["s." + ident(LINE)], []
    for col in kind.columns:
        raw = f"s.{ident(col.name)}" if col.name in present else "NULL::VARCHAR"
        if col.type in TEXT_TYPES or col.name not in present:
            value, reason = normalise_column(col, raw, excel, today)
        else:
            table = ident(lookup_name(source, col))
            joins.append(f"LEFT JOIN {table} ON {raw} IS NOT DISTINCT FROM {table}.raw")
            value, reason = f"{table}.value", f"{table}.reason"
        inner += [f"{value} AS {ident(col.name)}", f"{reason} AS {ident(WHY + col.name)}"]
        if not col.identifying:
            inner.append(f"{raw} AS {ident(RAW + col.name)}")
    if extras:
        inner.append("json_object(" + ", ".join(f"{quote(c)}, s.{ident(c)}" for c in extras) + ")::VARCHAR AS extra")
    replaced = [f"CASE WHEN {ident(WHY + column)} IS NULL AND ({broken}) THEN {quote(reason)} "
                f"ELSE {ident(WHY + column)} END AS {ident(WHY + column)}"
                for column, broken, reason in (CROSS_COLUMN[c] for c in kind.checks)]
    outer = f"* REPLACE ({', '.join(replaced)})" if replaced else "*"
    ok = " AND ".join(f"{ident(WHY + c.name)} IS NULL" for c in kind.columns)
    return (f"SELECT *, {ok} AS {OK} FROM (SELECT {outer} FROM (SELECT {', '.join(inner)} FROM {source} s "
            f"{' '.join(joins)}))")


def problems_sql(kind: Kind, checked: str, name: str, labels: dict[str, str] | None = None) -> str:
    """One row per (line, column) that breaks a rule: file, line, column (as the file names it), value,
    reason. The offending text is shown only for columns whose values cannot identify anyone (coded
    values, dates other than a date of birth, the partnership or area): see schema.Column.identifying."""
    labels = labels or {}
    parts = [f"SELECT {quote(name)} AS file, {ident(LINE)} AS line, {quote(labels.get(c.name, c.name))} AS \"column\", "
             f"{quote(WITHHELD) if c.identifying else f'left({ident(RAW + c.name)}, {MAX_SHOWN_VALUE})'} AS value, "
             f"{ident(WHY + c.name)} AS reason FROM failing WHERE {ident(WHY + c.name)} IS NOT NULL"
             for c in kind.columns]
    return f"WITH failing AS MATERIALIZED (SELECT * FROM ({checked}) WHERE NOT {OK}) " + " UNION ALL ".join(parts)


def validate(raw: RawTable, kind: Kind, name: str, today: dt.date | None = None,
             extras: list[str] | tuple[str, ...] = ()) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """(valid typed rows, one row per problem, rows read), by the loader's own SQL in an in-memory
    database: for the coding form and tests, which check a few rows without loading them."""
    con = duckdb.connect()
    con.register("raw_table", raw.frame.to_arrow())
    register_lookups(con, "raw_table", raw.frame, kind, raw.excel, today or dt.date.today())
    checked = checked_sql(kind, "raw_table", raw.excel, today or dt.date.today(), extras, raw.frame.columns)
    keep = [LINE, *(c.name for c in kind.columns), *(["extra"] if extras else [])]
    clean = con.sql(f"SELECT {', '.join(map(ident, keep))} FROM ({checked}) WHERE {OK} ORDER BY {ident(LINE)}").pl()
    found = con.sql(problems_sql(kind, checked, name)).pl()
    con.close()
    problems = pl.concat([found.cast(PROBLEM_SCHEMA), reader_problems(raw, name)]).sort("line", "column")
    return clean, problems, raw.frame.height + len(raw.bad_rows)


def kept_extras(frame: pl.DataFrame, kind: Kind, keep: tuple[str, ...] | list[str]) -> tuple[list[str], list[str]]:
    """(unknown columns, the ones to store). An allow-list, never a deny-list: an unknown column
    is stored only when PM_KEEP_COLUMNS names it, and even then not when it is a child identifier
    or date of birth in the contract, nor when any value repeats the row's own child_id or another
    identifying value of the row (a reference, free text)."""
    declared = {c.name for c in kind.columns} | {LINE}
    unknown = [c for c in frame.columns if c not in declared]
    kept = [c for c in unknown if c in keep and c not in direct_identifier_columns()]
    identifying = [c.name for c in kind.columns if c.identifying and c.name in frame.columns]

    def folded(column: str) -> pl.Expr:
        text = pl.col(column).str.strip_chars().str.to_lowercase()
        return pl.when(text != "").then(text)

    if kept and identifying:
        repeats = frame.select(pl.any_horizontal([(folded(c) == folded(i)).fill_null(False) for i in identifying]).any()
                               .alias(c) for c in kept).row(0, named=True)
        kept = [c for c in kept if not repeats[c]]
    return unknown, kept


def reader_problems(raw: RawTable, name: str) -> pl.DataFrame:
    """Rows the reader could not split into the header's columns: no field of theirs is kept (value null)."""
    return pl.DataFrame({"file": [name] * len(raw.bad_rows), "line": [l for l, _ in raw.bad_rows],
                         "column": [None] * len(raw.bad_rows), "value": [None] * len(raw.bad_rows),
                         "reason": [r for _, r in raw.bad_rows]}, schema=PROBLEM_SCHEMA)

"""Value normalisers: raw text in, canonical value or a reason out, as DuckDB SQL.

Each normaliser is a pair of SQL expressions over one raw (VARCHAR) column, generated
from the column's declared type: the canonical value (null when blank or invalid) and
the reason the value breaks the contract (null when it does not). The loader runs them
inside DuckDB over the whole file at once; `normalise_values` runs them on a few values
(tests, the coding form, mapping checks). Nothing is guessed: a value that does not parse
is quarantined, never "fixed".
"""
from __future__ import annotations

import datetime as dt
from functools import cache

import duckdb

from .reference import MAJOR_GROUPS, ethnicity_lookup
from .schema import FLAG, TEXT_TYPES, Column

MAX_TEXT = 1000
MAX_ID = 64
FLAG_SYNONYMS = {"y": "Y", "yes": "Y", "true": "Y", "1": "Y", "n": "N", "no": "N", "false": "N", "0": "N"}
EXCEL_EPOCH = dt.date(1899, 12, 30)
EARLIEST = dt.date(1900, 1, 1)
# White space at either end of a value is Unicode's (as Python's and Polars' strip): space, tab and
# the other ASCII controls RE2's \s knows, vertical tab, next line, and every Unicode separator (no-break
# space, em space, ideographic space...). DuckDB's trim() strips spaces only, and trim() with a set of
# characters is ten times slower than this on millions of values.
WHITESPACE = r"[\s\x{0b}\x{85}\p{Z}]"


def quote(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def stripped(raw: str) -> str:
    return (f"CASE WHEN regexp_matches({raw}, '^{WHITESPACE}|{WHITESPACE}$') "
            f"THEN regexp_replace({raw}, '^{WHITESPACE}+|{WHITESPACE}+$', '', 'g') ELSE {raw} END")


def blank(raw: str) -> str:
    return f"({raw} IS NULL OR {stripped(raw)} = '')"


def _lookup(key: str, mapping: dict[str, str]) -> str:
    whens = " ".join(f"WHEN {quote(k)} THEN {quote(v)}" for k, v in mapping.items())
    return f"(CASE {key} {whens} END)"


def enum_value(raw: str, values: tuple[str, ...]) -> str:
    """Case-insensitive, and 'Family member' / 'family-member' match family_member. A value already
    in its canonical spelling (the usual case, millions of times) skips the folding."""
    mapping = {v.lower(): v for v in values}
    if set(FLAG) <= set(values):
        mapping.update(FLAG_SYNONYMS)
    key = f"regexp_replace(lower({stripped(raw)}), '[\\s\\-]+', '_', 'g')"
    exact = ", ".join(quote(v) for v in values)
    return f"(CASE WHEN {raw} IN ({exact}) THEN {raw} ELSE {_lookup(key, mapping)} END)"


def date_value(raw: str, excel: bool) -> str:
    """ISO or UK day-first dates; Excel serial numbers only from XLSX."""
    s = stripped(raw)
    parts = [f"CASE WHEN regexp_full_match({s}, '\\d{{4}}-\\d{{1,2}}-\\d{{1,2}}') "
             f"THEN try_strptime({s}, '%Y-%m-%d')::DATE END",
             f"CASE WHEN regexp_full_match({s}, '\\d{{1,2}}/\\d{{1,2}}/\\d{{4}}') "
             f"THEN try_strptime({s}, '%d/%m/%Y')::DATE END"]
    if excel:
        parts.append(f"CASE WHEN regexp_full_match({s}, '\\d{{4,5}}(\\.0+)?') THEN DATE '{EXCEL_EPOCH}' + "
                     f"CAST(regexp_extract({s}, '^(\\d+)', 1) AS INTEGER) END")
    return f"coalesce({', '.join(parts)})"


def ethnicity_value(raw: str) -> str:
    """DfE code or label (any case) -> code. Blank stays null (= not recorded). The label is folded
    as reference.label_key folds it: runs of anything but a-z become one space."""
    lookup = ethnicity_lookup()
    folded = f"lower({stripped(raw)})"
    label = f"trim(regexp_replace(lower({raw}), '[^a-z]+', ' ', 'g'))"
    return f"coalesce({_lookup(folded, lookup)}, {_lookup(label, lookup)})"


def thirty_years_before(today: dt.date) -> dt.date:
    """The same day 30 years earlier (28 February when today is 29 February)."""
    return today.replace(year=today.year - 30, day=28 if (today.month, today.day) == (2, 29) else today.day)


def _first(*cases: tuple[str, str]) -> str:
    """The first reason whose condition holds, else null."""
    return "CASE " + " ".join(f"WHEN {cond} THEN {quote(reason)}" for cond, reason in cases) + " END"


def normalise_column(col: Column, raw: str | None = None, excel: bool = False,
                     today: dt.date | None = None) -> tuple[str, str]:
    """(value, reason) SQL expressions for one contract column over `raw` (default: the column itself)."""
    today = today or dt.date.today()
    raw = raw or ident(col.name)
    is_blank, text = blank(raw), stripped(raw)
    if col.type in TEXT_TYPES:
        limit = MAX_ID if col.type == "child_id" else MAX_TEXT
        reason = _first((f"length({text}) > {limit}", f"longer than {limit:,} characters"))
        value = f"CASE WHEN NOT {is_blank} AND length({text}) <= {limit} THEN {text} END"
    elif col.type in ("enum", "ethnic_group", "ethnicity"):
        value = ethnicity_value(raw) if col.type == "ethnicity" else enum_value(
            raw, MAJOR_GROUPS if col.type == "ethnic_group" else col.values)
        what = "a DfE ethnicity code or label" if col.type == "ethnicity" else \
            "one of: " + ", ".join(MAJOR_GROUPS if col.type == "ethnic_group" else col.values)
        reason = _first((f"NOT {is_blank} AND {value} IS NULL", f"not {what}"))
    elif col.type in ("date", "birth_month"):
        parsed = date_value(raw, excel)
        if col.type == "date":
            reason = _first((f"NOT {is_blank} AND {parsed} IS NULL", "not a valid date (expected YYYY-MM-DD or DD/MM/YYYY)"),
                            (f"{parsed} > DATE '{today}'", "date is in the future"),
                            (f"{parsed} < DATE '{EARLIEST}'", "date before 1900"))
            value = f"CASE WHEN ({reason}) IS NULL THEN {parsed} END"
        else:
            month = f"CASE WHEN regexp_full_match({text}, '\\d{{4}}-\\d{{2}}') THEN try_strptime({text} || '-01', '%Y-%m-%d')::DATE END"
            parsed = f"coalesce({parsed}, {month})"
            reason = _first((f"NOT {is_blank} AND {parsed} IS NULL",
                             "not a valid date of birth (expected YYYY-MM-DD, DD/MM/YYYY or YYYY-MM)"),
                            (f"{parsed} > DATE '{today}'", "date of birth is in the future"),
                            (f"{parsed} < DATE '{thirty_years_before(today)}'", "date of birth more than 30 years ago"))
            value = f"CASE WHEN ({reason}) IS NULL THEN strftime({parsed}, '%Y-%m') END"
    elif col.type in ("age", "count"):
        digits = f"regexp_replace(replace({text}, ',', ''), '\\.0+$', '')"
        number = f"CASE WHEN regexp_full_match({digits}, '[+-]?\\d+') THEN TRY_CAST({digits} AS BIGINT) END"
        in_range = f"{number} BETWEEN 0 AND 17" if col.type == "age" else f"{number} >= 0"
        what = "an age from 0 to 17" if col.type == "age" else "a whole number of 0 or more"
        reason = _first((f"NOT {is_blank} AND ({number} IS NULL OR NOT ({in_range}))", f"not {what}"))
        value = f"CASE WHEN ({reason}) IS NULL THEN {number} END"
    else:
        raise ValueError(f"unknown column type {col.type!r}")
    if col.required:
        reason = f"CASE WHEN {is_blank} THEN 'required value is missing' ELSE {reason} END"
    return value, reason


@cache
def _scratch() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


def normalise_values(col: Column, raws: list[str | None], excel: bool = False,
                     today: dt.date | None = None) -> list[tuple[object, str | None]]:
    """(value, reason) for each raw text, by the loader's own SQL, in an in-memory database."""
    value, reason = normalise_column(col, "raw", excel, today)
    con = _scratch().cursor()
    rows = con.execute(f"SELECT {value}, {reason} FROM unnest($raws::VARCHAR[]) WITH ORDINALITY AS t(raw, n) "
                       "ORDER BY n", {"raws": raws}).fetchall()
    return [tuple(r) for r in rows]

"""Value normalisers: raw text in, canonical value or a reason out.

Each normaliser is a pair of Polars expressions over one raw (string) column:
the canonical value (null when blank or invalid) and the reason the value
breaks the contract (null when it does not). Nothing is guessed: a value that
does not parse is quarantined, never "fixed".
"""
from __future__ import annotations

import datetime as dt

import polars as pl

from .reference import MAJOR_GROUPS, ethnicity_lookup, label_key
from .schema import FLAG, TEXT_TYPES, Column

MAX_TEXT = 1000
MAX_ID = 64
FLAG_SYNONYMS = {"y": "Y", "yes": "Y", "true": "Y", "1": "Y", "n": "N", "no": "N", "false": "N", "0": "N"}
EXCEL_EPOCH = dt.date(1899, 12, 30)
EARLIEST = dt.date(1900, 1, 1)


def blank(raw: pl.Expr) -> pl.Expr:
    return raw.is_null() | (raw.str.strip_chars() == "")


def _enum_key(raw: pl.Expr) -> pl.Expr:
    """Case-insensitive, and 'Family member' / 'family-member' match family_member."""
    return raw.str.strip_chars().str.to_lowercase().str.replace_all(r"[\s\-]+", "_")


def enum_value(raw: pl.Expr, values: tuple[str, ...]) -> pl.Expr:
    mapping = {v.lower(): v for v in values}
    if set(FLAG) <= set(values):
        mapping.update(FLAG_SYNONYMS)
    return _enum_key(raw).replace_strict(mapping, default=None, return_dtype=pl.String)


def date_value(raw: pl.Expr, excel: bool) -> pl.Expr:
    """ISO or UK day-first dates; Excel serial numbers only from XLSX."""
    s = raw.str.strip_chars()
    iso = s.str.to_date("%Y-%m-%d", strict=False)
    uk = pl.when(s.str.contains(r"^\d{1,2}/\d{1,2}/\d{4}$")).then(s.str.to_date("%d/%m/%Y", strict=False))
    parsed = pl.coalesce(iso, uk)
    if excel:
        serial = pl.when(s.str.contains(r"^\d{4,5}(\.0+)?$")).then(
            pl.lit(EXCEL_EPOCH) + pl.duration(days=s.str.extract(r"^(\d+)").cast(pl.Int64, strict=False)))
        parsed = pl.coalesce(parsed, serial.cast(pl.Date))
    return parsed


def ethnicity_value(raw: pl.Expr) -> pl.Expr:
    """DfE code or label (any case) -> code. Blank stays null (= not recorded)."""
    folded = raw.str.strip_chars().str.to_lowercase()
    label = raw.map_batches(lambda s: s.map_elements(label_key, return_dtype=pl.String, skip_nulls=True),
                            return_dtype=pl.String)
    lookup = ethnicity_lookup()
    return pl.coalesce(folded.replace_strict(lookup, default=None, return_dtype=pl.String),
                       label.replace_strict(lookup, default=None, return_dtype=pl.String))


def thirty_years_before(today: dt.date) -> dt.date:
    """The same day 30 years earlier (28 February when today is 29 February)."""
    return today.replace(year=today.year - 30, day=28 if (today.month, today.day) == (2, 29) else today.day)


def normalise_column(col: Column, excel: bool = False, today: dt.date | None = None) -> tuple[pl.Expr, pl.Expr]:
    """(value, reason) expressions for one contract column."""
    today = today or dt.date.today()
    raw = pl.col(col.name)
    is_blank = blank(raw)
    text = raw.str.strip_chars()
    reason: pl.Expr = pl.lit(None, pl.String)

    if col.type in TEXT_TYPES:
        limit = MAX_ID if col.type == "child_id" else MAX_TEXT
        value = pl.when(~is_blank).then(text)
        reason = pl.when(text.str.len_chars() > limit).then(pl.lit(f"longer than {limit:,} characters"))
        value = pl.when(reason.is_null()).then(value)
    elif col.type == "enum":
        value = enum_value(raw, col.values)
        reason = pl.when(~is_blank & value.is_null()).then(pl.lit("not one of: " + ", ".join(col.values)))
    elif col.type == "date":
        parsed = date_value(raw, excel)
        bad = pl.when(~is_blank & parsed.is_null()).then(
            pl.lit("not a valid date (expected YYYY-MM-DD or DD/MM/YYYY)"))
        future = pl.when(parsed > pl.lit(today)).then(pl.lit("date is in the future"))
        ancient = pl.when(parsed < pl.lit(EARLIEST)).then(pl.lit("date before 1900"))
        reason = pl.coalesce(bad, future, ancient)
        value = pl.when(reason.is_null()).then(parsed)
    elif col.type == "birth_month":
        month_only = pl.when(text.str.contains(r"^\d{4}-\d{2}$")).then(
            (text + "-01").str.to_date("%Y-%m-%d", strict=False))
        parsed = pl.coalesce(date_value(raw, excel), month_only)
        bad = pl.when(~is_blank & parsed.is_null()).then(
            pl.lit("not a valid date of birth (expected YYYY-MM-DD, DD/MM/YYYY or YYYY-MM)"))
        future = pl.when(parsed > pl.lit(today)).then(pl.lit("date of birth is in the future"))
        too_old = pl.when(parsed < pl.lit(thirty_years_before(today))).then(
            pl.lit("date of birth more than 30 years ago"))
        reason = pl.coalesce(bad, future, too_old)
        value = pl.when(reason.is_null()).then(parsed.dt.strftime("%Y-%m"))
    elif col.type in ("age", "count"):
        number = text.str.replace_all(",", "").str.replace(r"\.0+$", "").cast(pl.Int64, strict=False)
        low, high, what = (0, 17, "an age from 0 to 17") if col.type == "age" else (0, None, "a whole number of 0 or more")
        in_range = (number >= low) if high is None else number.is_between(low, high)
        reason = pl.when(~is_blank & (number.is_null() | ~in_range)).then(pl.lit(f"not {what}"))
        value = pl.when(reason.is_null()).then(number)
    elif col.type == "ethnicity":
        value = ethnicity_value(raw)
        reason = pl.when(~is_blank & value.is_null()).then(pl.lit("not a DfE ethnicity code or label"))
    elif col.type == "ethnic_group":
        value = enum_value(raw, MAJOR_GROUPS)
        reason = pl.when(~is_blank & value.is_null()).then(pl.lit("not one of: " + ", ".join(MAJOR_GROUPS)))
    else:
        raise ValueError(f"unknown column type {col.type!r}")

    if col.required:
        reason = pl.when(is_blank).then(pl.lit("required value is missing")).otherwise(reason)
    return value.alias(col.name), reason.alias(col.name)


def normalise_frame(frame: pl.DataFrame, columns: list[Column], excel: bool, today: dt.date | None,
                    reason_prefix: str) -> pl.DataFrame:
    """Every column's value and reason. Coded columns (dates, flags, codes) hold few distinct
    values in millions of rows, so each is normalised once per distinct value and mapped back."""
    out = []
    for col in columns:
        value, reason = normalise_column(col, excel, today)
        reason = reason.alias(reason_prefix + col.name)
        raw = frame.get_column(col.name).fill_null("")
        if col.type in TEXT_TYPES:
            out += frame.select(value, reason).get_columns()
            continue
        distinct = raw.unique()
        position = raw.replace_strict(distinct, pl.int_range(len(distinct), dtype=pl.UInt32, eager=True)).cast(pl.UInt32)  # cast: an empty column maps to String
        mapped = pl.DataFrame({col.name: distinct}).select(value, reason)
        out += [series.gather(position) for series in mapped.get_columns()]
    return pl.DataFrame(out)

"""Check one contract-shaped table against its kind: typed rows out, one record per problem.

Pure: touches no database. Sources (pipelines/sources) produce the tables; the loader stores the result.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl

from .normalise import normalise_frame
from .readers import LINE, RawTable
from .schema import Kind, direct_identifier_columns

MAX_SHOWN_VALUE = 200
WITHHELD = "(withheld: identifier)"  # shown instead of any value that could identify a child or a record


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


WHY = "__why_"  # prefix of the per-column reason columns during validation


def validate(raw: RawTable, kind: Kind, name: str, today: dt.date | None = None,
             extras: list[str] | tuple[str, ...] = ()) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """(valid typed rows, one row per problem, rows read). Pure: touches no database.
    `extras` names the unknown columns to store, as JSON in `extra` (see kept_extras); no other
    unknown column leaves this function.

    Values and reasons are computed column by column (see normalise_frame); only
    the failing rows are then turned into problem records.
    """
    frame = raw.frame
    missing = [pl.lit(None, pl.String).alias(c.name) for c in kind.columns if c.name not in frame.columns]
    frame = frame.with_columns(missing) if missing else frame
    checked = normalise_frame(frame, list(kind.columns), raw.excel, today, WHY).with_columns(frame[LINE])
    checked = _cross_column_checks(kind, checked.lazy()).collect()
    why = [WHY + c.name for c in kind.columns]
    failing = pl.any_horizontal(pl.col(why).is_not_null())
    problems = _problem_rows(checked.filter(failing), frame, why, name, kind)
    clean = checked.filter(~failing).drop(why)
    problems = pl.concat([problems, _reader_problems(raw, name)], how="vertical")
    if extras:
        extra = frame.filter(pl.col(LINE).is_in(clean[LINE].implode())).select(
            pl.struct(extras).struct.json_encode().alias("extra"))
        clean = clean.with_columns(extra["extra"])
    return clean, problems.sort("line", "column"), frame.height + len(raw.bad_rows)


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


def _cross_column_checks(kind: Kind, checked: pl.LazyFrame) -> pl.LazyFrame:
    rules = {
        "incident_not_after_notification": (
            "incident_date", pl.col("incident_date") > pl.col("notification_date"), "incident_date is after notification_date"),
        "action_not_before_disclosure": (
            "action_date", pl.col("action_date") < pl.col("disclosure_date"), "action_date is before disclosure_date"),
        "closure_not_before_referral": (
            "closure_date", pl.col("closure_date") < pl.col("referral_date"), "closure_date is before referral_date"),
    }
    for check in kind.checks:
        column, broken, reason = rules[check]
        checked = checked.with_columns(
            pl.when(broken.fill_null(False) & pl.col(WHY + column).is_null()).then(pl.lit(reason))
            .otherwise(pl.col(WHY + column)).alias(WHY + column))
    return checked


def _problem_rows(failing: pl.DataFrame, frame: pl.DataFrame, why: list[str], name: str, kind: Kind) -> pl.DataFrame:
    """Long format: one row per (line, column) with a reason, with the offending text."""
    long = (failing.select(LINE, *why).unpivot(index=LINE, variable_name="column", value_name="reason")
            .drop_nulls("reason").with_columns(pl.col("column").str.strip_prefix(WHY)))
    columns = long["column"].unique().to_list()
    raw_long = (frame.filter(pl.col(LINE).is_in(failing[LINE].implode())).select(LINE, *columns)
                .unpivot(index=LINE, variable_name="column", value_name="value"))
    return _shape_problems(long.join(raw_long, on=[LINE, "column"], how="left"), name, kind)


def _shape_problems(long: pl.DataFrame, name: str, kind: Kind) -> pl.DataFrame:
    """The offending value is shown only for columns whose values cannot identify anyone (coded
    values, dates other than a date of birth, the partnership or area): see schema.Column.identifying."""
    shown = [c.name for c in kind.columns if not c.identifying]
    value = pl.col("value").cast(pl.String).str.slice(0, MAX_SHOWN_VALUE)
    return long.select(
        pl.lit(name).alias("file"), pl.col(LINE).alias("line"), pl.col("column"),
        pl.when(pl.col("column").is_in(shown)).then(value).otherwise(pl.lit(WITHHELD)).alias("value"),
        pl.col("reason"))


def _reader_problems(raw: RawTable, name: str) -> pl.DataFrame:
    """Rows the reader could not split into the header's columns: no field of theirs is kept (value null)."""
    return pl.DataFrame({"file": [name] * len(raw.bad_rows), "line": [l for l, _ in raw.bad_rows],
                         "column": [None] * len(raw.bad_rows), "value": [None] * len(raw.bad_rows),
                         "reason": [r for _, r in raw.bad_rows]},
                        schema={"file": pl.String, "line": pl.Int64, "column": pl.String,
                                "value": pl.String, "reason": pl.String})



"""Load one extract: read, validate against the contract, quarantine, pseudonymise, upsert.

One file is one transaction on a copy of the database (see store.py): either
every valid row and its accounting land together, or nothing does.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from . import pseudonymise as ps
from .config import Settings
from .normalise import normalise_column
from .readers import LINE, FileProblem, RawTable, detect_kind, read_table
from .schema import IDENTIFIER_HINTS, KINDS, Kind
from .store import landing_table, write_connection

MAX_SHOWN_VALUE = 200
WITHHELD = "(withheld: identifier)"


@dataclass
class LoadResult:
    file: str
    kind: str | None
    status: str  # loaded | unchanged | failed
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    message: str = ""
    load_id: int | None = None

    def summary(self) -> str:
        if self.status == "failed":
            return f"FAILED    {self.message}"
        return (f"{self.status:<9} {self.file} as {self.kind}: {self.rows_read:,} read, "
                f"{self.rows_loaded:,} loaded, {self.rows_quarantined:,} quarantined")


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def load_file(path: Path, settings: Settings, kind_name: str | None = None, display_name: str | None = None) -> LoadResult:
    """Load one file; never raises for bad input, returns a failed result naming the problem."""
    name = display_name or path.name
    started = dt.datetime.now()
    try:
        digest = sha256_of(path)
        raw = read_table(path, kind_name)
        kind = _choose_kind(raw, kind_name, name)
        clean, problems, rows_read = validate(raw, kind, name)
        with write_connection(settings.db_path, settings.followup_days) as con:
            load_id = _next_load_id(con)
            if _already_loaded(con, digest, kind.name):
                result = LoadResult(name, kind.name, "unchanged", load_id=load_id,
                                    message="identical to the latest load of this file; nothing changed")
            else:
                clean = _pseudonymise(con, clean, settings) if "child_id" in clean.columns else clean
                _upsert(con, kind, clean, load_id)
                _record_quarantine(con, problems, load_id)
                quarantined = problems["line"].n_unique()
                result = LoadResult(name, kind.name, "loaded", rows_read, clean.height, quarantined, load_id=load_id)
            _record_load(con, result, digest, started)
        return result
    except (FileProblem, ps.KeyProblem) as exc:
        result = LoadResult(name, kind_name, "failed", message=str(exc))
    except (pl.exceptions.PolarsError, duckdb.Error, OSError) as exc:
        result = LoadResult(name, kind_name, "failed", message=f"{name}: could not be loaded: {exc}")
    _record_failure(result, settings, started)
    return result


def _choose_kind(raw: RawTable, kind_name: str | None, name: str) -> Kind:
    if kind_name is None:
        return detect_kind(raw.frame.columns, name)
    if kind_name not in KINDS:
        raise FileProblem(name, f"unknown kind {kind_name!r}; choose one of {', '.join(KINDS)}")
    kind = KINDS[kind_name]
    missing = [c for c in kind.required if c not in raw.frame.columns]
    if missing:
        raise FileProblem(name, f"required column missing for kind '{kind.name}'", line=1, column=missing[0])
    return kind


def validate(raw: RawTable, kind: Kind, name: str, today: dt.date | None = None) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """(valid typed rows, one row per problem, rows read). Pure: touches no database."""
    frame = raw.frame
    for col in kind.columns:  # optional columns may be absent from a file
        if col.name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.String).alias(col.name))
    pairs = [normalise_column(c, raw.excel, today) for c in kind.columns]
    values = frame.select(pl.col(LINE), *[v for v, _ in pairs])
    reasons = frame.select(pl.col(LINE), *[r for _, r in pairs])
    reasons = _cross_column_checks(kind, values, reasons)
    problems = _problem_rows(reasons, frame, name)
    problems = pl.concat([problems, _duplicate_keys(values, kind, problems, name),
                          _reader_problems(raw, name)], how="vertical")
    bad_lines = problems["line"].unique()
    clean = values.filter(~pl.col(LINE).is_in(bad_lines.implode()))
    extras = [c for c in frame.columns if c not in {col.name for col in kind.columns} | {LINE}
              and not any(h in c for h in IDENTIFIER_HINTS)]
    if extras:
        extra = frame.filter(pl.col(LINE).is_in(clean[LINE].implode())).select(
            pl.struct(extras).struct.json_encode().alias("extra"))
        clean = clean.with_columns(extra["extra"])
    return clean, problems.sort("line", "column"), frame.height + len(raw.bad_rows)


def _cross_column_checks(kind: Kind, values: pl.DataFrame, reasons: pl.DataFrame) -> pl.DataFrame:
    rules = {
        "incident_not_after_notification": (
            "incident_date", pl.col("incident_date") > pl.col("notification_date"), "incident_date is after notification_date"),
        "action_not_before_disclosure": (
            "action_date", pl.col("action_date") < pl.col("disclosure_date"), "action_date is before disclosure_date"),
    }
    for check in kind.checks:
        column, broken, reason = rules[check]
        flag = values.select(broken.fill_null(False)).to_series()
        reasons = reasons.with_columns(
            pl.when(flag & pl.col(column).is_null()).then(pl.lit(reason)).otherwise(pl.col(column)).alias(column))
    return reasons


def _problem_rows(reasons: pl.DataFrame, frame: pl.DataFrame, name: str) -> pl.DataFrame:
    """Long format: one row per (line, column) with a reason, with the offending text."""
    long = reasons.unpivot(index=LINE, variable_name="column", value_name="reason").drop_nulls("reason")
    raw_long = frame.select(pl.col(LINE), *[pl.col(c) for c in long["column"].unique().to_list()]).unpivot(
        index=LINE, variable_name="column", value_name="value")
    long = long.join(raw_long, on=[LINE, "column"], how="left")
    return _shape_problems(long, name)


def _shape_problems(long: pl.DataFrame, name: str) -> pl.DataFrame:
    value = pl.col("value").cast(pl.String).str.slice(0, MAX_SHOWN_VALUE)
    return long.select(
        pl.lit(name).alias("file"), pl.col(LINE).alias("line"), pl.col("column"),
        pl.when(pl.col("column") == "child_id").then(pl.lit(WITHHELD)).otherwise(value).alias("value"),
        pl.col("reason"))


def _duplicate_keys(values: pl.DataFrame, kind: Kind, problems: pl.DataFrame, name: str) -> pl.DataFrame:
    """A key seen again on a later line is quarantined there, naming the first line."""
    key = list(kind.key)
    valid = values.filter(~pl.col(LINE).is_in(problems["line"].unique().implode()))
    dup = (valid.with_columns(pl.col(LINE).min().over(key).alias("first"))
           .filter(pl.col(LINE) != pl.col("first")))
    long = dup.select(pl.col(LINE), pl.lit(",".join(key)).alias("column"),
                      pl.concat_str([pl.col(k).cast(pl.String) for k in key], separator=",").alias("value"),
                      ("duplicate key; first on line " + pl.col("first").cast(pl.String)).alias("reason"))
    if "child_id" in key:
        long = long.with_columns(pl.lit(WITHHELD).alias("value"))
    return _shape_problems(long, name)


def _reader_problems(raw: RawTable, name: str) -> pl.DataFrame:
    return pl.DataFrame({"file": [name] * len(raw.bad_rows), "line": [l for l, _ in raw.bad_rows],
                         "column": [None] * len(raw.bad_rows), "value": [None] * len(raw.bad_rows),
                         "reason": [r for _, r in raw.bad_rows]},
                        schema={"file": pl.String, "line": pl.Int64, "column": pl.String,
                                "value": pl.String, "reason": pl.String})


def _pseudonymise(con: duckdb.DuckDBPyConnection, clean: pl.DataFrame, settings: Settings) -> pl.DataFrame:
    stored = con.execute("SELECT value FROM meta WHERE name = 'key_fingerprint'").fetchone()
    has_children = any(con.execute(f"SELECT count(*) FROM landing_{k} LIMIT 1").fetchone()[0]
                       for k in ("children", "episodes", "disclosures"))
    key = ps.load_key(settings.key_path, create=not has_children)
    if stored and stored[0] != ps.fingerprint(key):
        raise ps.KeyProblem(f"pseudonymisation key {settings.key_path} is not the key this database was built with")
    con.execute("INSERT OR REPLACE INTO meta VALUES ('key_fingerprint', ?)", [ps.fingerprint(key)])
    return clean.with_columns(ps.pseudonymise(clean["child_id"], key).alias("child_key")).drop("child_id")


def _upsert(con: duckdb.DuckDBPyConnection, kind: Kind, clean: pl.DataFrame, load_id: int) -> None:
    """Rows whose key is already stored are replaced: a corrected file supersedes the old one."""
    table = landing_table(kind)
    key = ["child_key" if k == "child_id" else k for k in kind.key]
    incoming = clean.rename({LINE: "source_line"}).with_columns(pl.lit(load_id, pl.Int32).alias("load_id"))
    con.register("incoming", incoming.to_arrow())
    try:
        match = " AND ".join(f't."{k}" = i."{k}"' for k in key)
        con.execute(f"DELETE FROM {table} t WHERE EXISTS (SELECT 1 FROM incoming i WHERE {match})")
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming")
    finally:
        con.unregister("incoming")


def _record_quarantine(con: duckdb.DuckDBPyConnection, problems: pl.DataFrame, load_id: int) -> None:
    con.register("problems", problems.with_columns(pl.lit(load_id).alias("load_id")).to_arrow())
    try:
        con.execute('INSERT INTO quarantine SELECT load_id, file, line, "column", value, reason FROM problems')
    finally:
        con.unregister("problems")


def _next_load_id(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM loads").fetchone()[0]


def _already_loaded(con: duckdb.DuckDBPyConnection, digest: str, kind: str) -> bool:
    """Same bytes as the latest successful load of this kind, so reloading would change nothing."""
    latest = con.execute("SELECT sha256 FROM loads WHERE kind = ? AND status = 'loaded' "
                         "ORDER BY load_id DESC LIMIT 1", [kind]).fetchone()
    return latest is not None and latest[0] == digest


def _record_load(con: duckdb.DuckDBPyConnection, r: LoadResult, digest: str | None, started: dt.datetime) -> None:
    con.execute("INSERT INTO loads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [r.load_id, r.file, digest, r.kind, r.rows_read, r.rows_loaded, r.rows_quarantined,
                 r.status, r.message, started, dt.datetime.now()])


def _record_failure(result: LoadResult, settings: Settings, started: dt.datetime) -> None:
    """A failed load leaves its own trace in the loads table, and nothing else."""
    try:
        with write_connection(settings.db_path, settings.followup_days, rebuild=False) as con:
            result.load_id = _next_load_id(con)
            _record_load(con, result, None, started)
    except (duckdb.Error, OSError) as exc:
        result.message += f" (and the failure could not be recorded: {exc})"

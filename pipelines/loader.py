"""Load one extract: read, validate against the contract, quarantine, pseudonymise, upsert.

One file is one transaction on a copy of the database (see store.py): either
every valid row and its accounting land together, or nothing does.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from . import pseudonymise as ps
from .config import Settings
from .normalise import normalise_frame
from .readers import LINE, FileProblem, NotPlain, RawTable, detect_kind, read_batches, read_table
from .schema import KINDS, Kind, direct_identifier_columns
from .store import landing_table, read_connection, write_connection

MAX_SHOWN_VALUE = 200
WITHHELD = "(withheld: identifier)"  # shown instead of any value that could identify a child or a record


@dataclass
class LoadResult:
    file: str
    kind: str | None
    status: str  # loaded | unchanged | failed (and purged, later: see purge.py)
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    message: str = ""
    load_id: int | None = None
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase, for benchmarks

    def summary(self) -> str:
        if self.status == "failed":
            return f"FAILED    {self.message}"
        took = f" in {self.timings['total']:.1f} s" if "total" in self.timings else ""
        note = f"; {self.message}" if self.status == "loaded" and self.message else ""
        return (f"{self.status:<9} {self.file} as {self.kind}: {self.rows_read:,} read, "
                f"{self.rows_loaded:,} loaded, {self.rows_quarantined:,} quarantined{took}{note}")


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def load_file(path: Path, settings: Settings, kind_name: str | None = None, display_name: str | None = None) -> LoadResult:
    """Load one file; never raises for bad input, returns a failed result naming the problem.

    The file is read in batches (see readers.read_batches), each validated and appended to a
    private copy of the database that replaces the live one only if everything succeeds
    (store.write_connection); duplicate keys and replaced rows are settled in SQL at the end."""
    name = display_name or path.name
    started = dt.datetime.now()
    timings: dict[str, float] = {}
    try:
        with _timed(timings, "hash"):
            digest = sha256_of(path)
            previous = _previous_load(settings, digest)
        if previous:
            result = LoadResult(name, previous, "unchanged",
                                message="identical to the latest load of this kind; nothing changed")
            with write_connection(settings, rebuild=False) as con:
                result.load_id = _next_load_id(con)
                _record_load(con, result, digest, started)
            return result
        batches = read_batches(path, kind_name)
        with _timed(timings, "read"):
            first = next(batches)
            kind = _choose_kind(first, kind_name, name)
        with (_timed(timings, "write"),
              write_connection(settings, timings, changed={kind.name}) as con):
            load_id = _next_load_id(con)
            has_ids = any(c.type == "child_id" for c in kind.columns)
            pseudonym = ps.Pseudonymiser(_key(con, settings)) if has_ids else None
            try:
                rows_read, extras = _load_batches(con, kind, load_id, name, first, batches, pseudonym, timings,
                                                  settings.keep_columns)
            except NotPlain:  # a late slice needs CSV's quoting rules: start again with the full reader
                for table in (landing_table(kind), "quarantine"):
                    con.execute(f"DELETE FROM {table} WHERE load_id = ?", [load_id])
                rows_read, extras = _load_batches(con, kind, load_id, name, read_table(path, kind_name), iter(()),
                                                  pseudonym, timings, settings.keep_columns)
            with _timed(timings, "settle"):
                _quarantine_duplicates(con, kind, load_id, name)
                _replace_older(con, kind, load_id)
            loaded, quarantined = con.execute(
                f"SELECT (SELECT count(*) FROM {landing_table(kind)} WHERE load_id = $1), "
                "(SELECT count(DISTINCT line) FROM quarantine WHERE load_id = $1)", [load_id]).fetchall()[0]
            result = LoadResult(name, kind.name, "loaded", rows_read, loaded, quarantined, message=extras.message(),
                                load_id=load_id, timings=timings)
            _record_load(con, result, digest, started)
        timings["total"] = round((dt.datetime.now() - started).total_seconds(), 3)
        return result
    except (FileProblem, ps.KeyProblem) as exc:
        result = LoadResult(name, kind_name, "failed", message=str(exc))
    except (pl.exceptions.PolarsError, duckdb.Error, OSError) as exc:
        result = LoadResult(name, kind_name, "failed", message=f"{name}: could not be loaded: {_safe_error(exc)}")
    _record_failure(result, settings, started)
    return result


def _safe_error(exc: Exception) -> str:
    """An unexpected error's message, without any of the data it may quote: Polars and DuckDB
    errors can echo a cell ("could not convert string 'x'"), which may be an identifier. Operating
    system and I/O errors (disk full, permission denied) name no data and are kept whole."""
    if isinstance(exc, (OSError, duckdb.IOException)):
        return str(exc)
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    first = re.sub(r"""'[^']*'|"[^"]*"|`[^`]*`""", "'…'", first)[:MAX_SHOWN_VALUE]
    return f"{type(exc).__name__}: {first} (any quoted data withheld)"


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


def _load_batches(con: duckdb.DuckDBPyConnection, kind: Kind, load_id: int, name: str, batch: RawTable | None,
                  batches, pseudonym: ps.Pseudonymiser | None, timings: dict[str, float],
                  keep: tuple[str, ...] = ()) -> tuple[int, Extras]:
    """Validate, pseudonymise and append each batch; returns the rows read and what became of extra columns."""
    rows_read, extras = 0, Extras()
    while batch is not None:
        with _timed(timings, "validate"):
            unknown, kept = _kept_extras(batch.frame, kind, keep)
            extras.unknown |= set(unknown)
            extras.kept |= set(kept)
            extras.refused |= set(unknown) & set(keep) - set(kept)
            clean, problems, read = validate(batch, kind, name, extras=[c for c in kept if c not in extras.refused])
            rows_read += read
            if pseudonym is not None:
                clean = clean.with_columns(pseudonym(clean["child_id"]).alias("child_key")).drop("child_id")
        with _timed(timings, "append"):
            _append(con, kind, clean, load_id)
            _record_quarantine(con, problems, load_id)
        del batch, clean
        with _timed(timings, "read"):
            batch = next(batches, None)
    late = extras.refused & extras.kept
    if late:  # kept in an earlier batch, refused in a later one: take it out of the whole load
        patch = json.dumps({c: None for c in late})
        table = landing_table(kind)
        con.execute(f"UPDATE {table} SET extra = nullif(json_merge_patch(extra, $2)::VARCHAR, '{{}}') "
                    "WHERE load_id = $1 AND extra IS NOT NULL", [load_id, patch])
    return rows_read, extras


@contextlib.contextmanager
def _timed(timings: dict[str, float], phase: str):
    """Add the seconds spent in the block to timings[phase] (phases repeat once per batch)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[phase] = round(timings.get(phase, 0.0) + time.perf_counter() - start, 3)


def _previous_load(settings: Settings, digest: str) -> str | None:
    """The kind, if these exact bytes are the latest successful load of their kind (so nothing would change).
    A later purge counts as a change: it may have removed rows this file would bring back."""
    if not settings.db_path.exists():
        return None
    with read_connection(settings.db_path) as con:
        row = con.execute("SELECT kind FROM loads l WHERE sha256 = ? AND status = 'loaded' AND NOT EXISTS ("
                          "SELECT 1 FROM loads later WHERE later.kind = l.kind AND later.status IN ('loaded', 'purged') "
                          "AND later.load_id > l.load_id)", [digest]).fetchall()
    return row[0][0] if row else None


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


WHY = "__why_"  # prefix of the per-column reason columns during validation


def validate(raw: RawTable, kind: Kind, name: str, today: dt.date | None = None,
             extras: list[str] | tuple[str, ...] = ()) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """(valid typed rows, one row per problem, rows read). Pure: touches no database.
    `extras` names the unknown columns to store, as JSON in `extra` (see _kept_extras); no other
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


def _kept_extras(frame: pl.DataFrame, kind: Kind, keep: tuple[str, ...] | list[str]) -> tuple[list[str], list[str]]:
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


def _key(con: duckdb.DuckDBPyConnection, settings: Settings) -> bytes:
    """The pseudonymisation key, checked against the fingerprint of the one the database was built with."""
    stored = next(iter(con.execute("SELECT value FROM meta WHERE name = 'key_fingerprint'").fetchall()), None)
    has_children = any(con.execute(f"SELECT count(*) FROM landing_{k} LIMIT 1").fetchall()[0][0]
                       for k in ("children", "episodes", "disclosures"))
    key = ps.load_key(settings.key_path, create=not has_children)
    if stored and stored[0] != ps.fingerprint(key):
        raise ps.KeyProblem(f"pseudonymisation key {settings.key_path} is not the key this database was built with")
    con.execute("INSERT OR REPLACE INTO meta VALUES ('key_fingerprint', ?)", [ps.fingerprint(key)])
    return key


def _stored_key(kind: Kind) -> list[str]:
    return ["child_key" if k == "child_id" else k for k in kind.key]


def _append(con: duckdb.DuckDBPyConnection, kind: Kind, clean: pl.DataFrame, load_id: int) -> None:
    """Add one batch's valid rows to the landing table, tagged with this load."""
    incoming = clean.rename({LINE: "source_line"}).with_columns(pl.lit(load_id, pl.Int32).alias("load_id"))
    con.register("incoming", incoming.to_arrow())
    try:
        con.execute(f"INSERT INTO {landing_table(kind)} BY NAME SELECT * FROM incoming")
    finally:
        con.unregister("incoming")


def _quarantine_duplicates(con: duckdb.DuckDBPyConnection, kind: Kind, load_id: int, name: str) -> None:
    """A key seen again on a later line of the file is quarantined there, naming the first line.
    The key is shown only when none of its columns can identify a child or a record."""
    table, key = landing_table(kind), _stored_key(kind)
    keys = ", ".join(f'"{k}"' for k in key)
    identifying = any(kind.column(k).identifying for k in kind.key)
    shown = "'" + WITHHELD + "'" if identifying else " || ',' || ".join(f'CAST("{k}" AS VARCHAR)' for k in key)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE repeated AS
        SELECT source_line, {shown} AS value, first_line FROM (
            SELECT *, min(source_line) OVER (PARTITION BY {keys}) AS first_line FROM {table} WHERE load_id = $1)
        WHERE source_line <> first_line""", [load_id])
    con.execute("INSERT INTO quarantine SELECT $1, $2, source_line, $3, value, "
                "'duplicate key; first on line ' || first_line FROM repeated", [load_id, name, ",".join(kind.key)])
    con.execute(f"DELETE FROM {table} WHERE load_id = $1 AND source_line IN (SELECT source_line FROM repeated)", [load_id])
    con.execute("DROP TABLE repeated")


def _replace_older(con: duckdb.DuckDBPyConnection, kind: Kind, load_id: int) -> None:
    """Rows whose key this load brings again are replaced: a corrected file supersedes the old one."""
    table = landing_table(kind)
    match = " AND ".join(f'o."{k}" = n."{k}"' for k in _stored_key(kind))
    con.execute(f"DELETE FROM {table} o WHERE o.load_id <> $1 AND EXISTS "
                f"(SELECT 1 FROM {table} n WHERE n.load_id = $1 AND {match})", [load_id])


def _record_quarantine(con: duckdb.DuckDBPyConnection, problems: pl.DataFrame, load_id: int) -> None:
    con.register("problems", problems.with_columns(pl.lit(load_id).alias("load_id")).to_arrow())
    try:
        con.execute('INSERT INTO quarantine SELECT load_id, file, line, "column", value, reason FROM problems')
    finally:
        con.unregister("problems")


def _next_load_id(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM loads").fetchall()[0][0]


def _record_load(con: duckdb.DuckDBPyConnection, r: LoadResult, digest: str | None, started: dt.datetime) -> None:
    con.execute("INSERT INTO loads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [r.load_id, r.file, digest, r.kind, r.rows_read, r.rows_loaded, r.rows_quarantined,
                 r.status, r.message, started, dt.datetime.now()])


def _record_failure(result: LoadResult, settings: Settings, started: dt.datetime) -> None:
    """A failed load leaves its own trace in the loads table, and nothing else."""
    try:
        with write_connection(settings, rebuild=False) as con:
            result.load_id = _next_load_id(con)
            _record_load(con, result, None, started)
    except (duckdb.Error, OSError) as exc:
        result.message += f" (and the failure could not be recorded: {exc})"

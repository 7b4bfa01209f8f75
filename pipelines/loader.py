"""The ingest stage: each file's batches validated, quarantined, pseudonymised and stored.

A source (pipelines/sources) turns the file into contract-shaped tables, one per kind; the
rest happens here, the same for every source. The files of one command share one write on a copy
of the database (stages.py, store.py): a file's valid rows and its accounting land together or not
at all (a failed file's rows are deleted again by load id), and the write lands whole or not at all.
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from . import pseudonymise as ps
from .config import Settings
from .readers import LINE, FileProblem, NotPlain
from .schema import CHILD_KINDS, KINDS, Kind
from .sources import Batch, Context, Part, open_file
from . import stages
from .stages import Progress
from .store import landing_table, read_connection, write_connection
from .validation import MAX_SHOWN_VALUE, WITHHELD, Extras, kept_extras, validate

__all__ = ["LoadResult", "load_file", "load_files", "WITHHELD"]


@dataclass
class LoadResult:
    file: str
    kind: str | None  # the kinds stored, comma-separated (a CIN return: children,episodes,referrals)
    status: str  # loaded | unchanged | failed (and purged, later: see purge.py)
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    message: str = ""
    load_id: int | None = None
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase, for benchmarks
    source: str | None = None  # the source module that read it (sources.registry)

    def summary(self) -> str:
        if self.status == "failed":
            return f"FAILED    {self.message}"
        seconds = self.timings.get("ingest", self.timings.get("total"))  # this file's own reading and storing
        took = f" in {seconds:.1f} s" if seconds is not None else ""
        note = f"; {self.message}" if self.status == "loaded" and self.message else ""
        return (f"{self.status:<9} {self.file} as {self.kind}: {self.rows_read:,} read, "
                f"{self.rows_loaded:,} loaded, {self.rows_quarantined:,} quarantined{took}{note}")


def sha256_of(*paths: Path) -> str:
    """One file's digest; for a file and its mapping, each but the first is preceded by its size,
    so no two pairs of files can run together into the same bytes."""
    h = hashlib.sha256()
    for n, path in enumerate(paths):
        if n:
            h.update(b"\x00%d\x00" % path.stat().st_size)
        with path.open("rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
    return h.hexdigest()


def load_file(path: Path, settings: Settings, kind_name: str | None = None, display_name: str | None = None,
              mapping: Path | None = None) -> LoadResult:
    """Load one file (load_files with one path)."""
    return load_files([path], settings, kind_name, mapping, [display_name or path.name])[0]


def load_files(paths: list[Path], settings: Settings, kind_name: str | None = None, mapping: Path | None = None,
               names: list[str] | None = None, progress: Progress | None = None,
               publish: bool = True) -> list[LoadResult]:
    """Load files in one write: each is ingested in turn (a bad file is recorded as failed, its rows
    taken out again, and the others go on), then marts, cubes and the protected release are built and
    published once (stages.py), and the whole write replaces the live database in one step.
    Never raises for bad input: a failed result names the problem. `mapping` is an agency mapping
    file; `progress(message)` hears the stage each file, then the write, is in."""
    names = names or [p.name for p in paths]
    say = progress or (lambda message: None)
    if settings.db_path.exists():  # not ours (a CSV, a folder, an empty file): ValueError naming it, as readers get
        with read_connection(settings.db_path):
            pass
    results: list[LoadResult] = []
    write_timings: dict[str, float] = {}  # copy, build, publish, commit: shared by the command's files
    try:
        with stages.write(settings, write_timings, publish_release=publish,
                          progress=lambda stage: say(STAGE_WORDS[stage])) as w:
            for path, name in zip(paths, names):
                results.append(_ingest(w, path, name, settings, kind_name, mapping, say))
    except (duckdb.Error, OSError, ValueError) as exc:  # opening the copy, the build, the publish or the swap
        results += [LoadResult(name, kind_name, "failed") for name in names[len(results):]]
        for r in results:
            r.status, r.message = "failed", f"{r.file}: could not be loaded: {_safe_error(exc)}; nothing was saved"
        _record_failures(results, settings)
        return results
    shared = sum(v for k, v in write_timings.items() if k != "marts")  # marts = build + publish, as benches report
    for r in results:
        r.timings.update(write_timings)
        r.timings["total"] = round(r.timings.get("ingest", 0) + shared, 3)
    return results


STAGE_WORDS = {"build": "building marts and cubes", "publish": "publishing the protected release (audit)",
               "save": "saving the new database"}


def _ingest(w: stages.Write, path: Path, name: str, settings: Settings, kind_name: str | None,
            mapping: Path | None, say: Progress) -> LoadResult:
    """One file into the landing tables; a file that fails leaves nothing of itself behind (its rows are
    deleted again by load id), and the write hears what changed."""
    started = dt.datetime.now()
    timings: dict[str, float] = {}
    context = Context(name, kind_name, mapping)
    con = w.con
    try:
        if kind_name is not None and kind_name not in KINDS:
            raise FileProblem(name, f"unknown kind {kind_name!r}; choose one of {', '.join(KINDS)}")
        if mapping is not None and not mapping.is_file():
            raise FileProblem(name, f"mapping file {mapping.name} not found")
        if path.exists() and not path.is_file():  # reading a device or a pipe would never end
            raise FileProblem(name, "is not a regular file (a folder, a device or a pipe): nothing was read")
        say(f"{name}: reading")
        with _timed(timings, "hash"):
            digest = sha256_of(path, *([mapping] if mapping else []))
            previous = _previous_load(con, digest)
        if previous and kind_name and kind_name not in previous.split(","):
            previous = None  # the same bytes asked to load as another kind: checked as that kind, not "unchanged"
        if previous:
            result = LoadResult(name, previous, "unchanged",
                                message="identical to the latest load of this kind; nothing changed")
            _record_new(con, result, digest, started)
            return result
        with _timed(timings, "read"):
            opened = open_file(path, context)
        loading = _Loading(con, _next_load_id(con), name, settings, timings, say)
        try:
            with _timed(timings, "write"):
                try:
                    loading.run(opened.batches)
                except NotPlain:  # a late slice needs CSV's quoting rules: start again with the full reader
                    loading.discard()
                    loading.run(open_file(path, dataclasses.replace(context, whole=True)).batches)
                say(f"{name}: storing")
                con.begin()  # settling replaces other loads' rows: all of it, with the accounting, or none
                try:
                    result = loading.finish(opened.source.name)
                    _record_load(con, result, digest, started)
                    con.commit()
                except BaseException:
                    con.rollback()
                    raise
        except (FileProblem, ps.KeyProblem, pl.exceptions.PolarsError, duckdb.Error, OSError):
            loading.discard()  # the appends commit as they go (one transaction round a national file held it
            raise              # in memory: 2.7 GB against 1.5 GB), so a failed file's rows are taken out again
        w.record(stages.Changes(frozenset(loading.kinds), (result.load_id,) if loading.replaced == 0 else ()))
        timings["ingest"] = round((dt.datetime.now() - started).total_seconds(), 3)
        return result
    except (FileProblem, ps.KeyProblem) as exc:
        result = LoadResult(name, kind_name, "failed", message=str(exc))
    except (pl.exceptions.PolarsError, duckdb.Error, OSError) as exc:
        result = LoadResult(name, kind_name, "failed", message=f"{name}: could not be loaded: {_safe_error(exc)}")
    _record_new(con, result, None, started)
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


@contextlib.contextmanager
def _timed(timings: dict[str, float], phase: str):
    """Add the seconds spent in the block to timings[phase] (phases repeat once per batch)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[phase] = round(timings.get(phase, 0.0) + time.perf_counter() - start, 3)


def _previous_load(con: duckdb.DuckDBPyConnection, digest: str) -> str | None:
    """The kinds, if these exact bytes are the latest successful load of their kinds (so nothing would change).
    A later purge counts as a change: it may have removed rows this file would bring back."""
    row = con.execute("SELECT kind FROM loads l WHERE sha256 = ? AND status = 'loaded' AND NOT EXISTS ("
                      "SELECT 1 FROM loads later WHERE later.kind = l.kind AND later.status IN ('loaded', 'purged') "
                      "AND later.load_id > l.load_id)", [digest]).fetchall()
    return row[0][0] if row else None


class _Loading:
    """One load in progress: the batches' rows, their accounting and what became of extra columns."""

    def __init__(self, con: duckdb.DuckDBPyConnection, load_id: int, name: str, settings: Settings,
                 timings: dict[str, float], say: Progress):
        self.con, self.load_id, self.name, self.settings = con, load_id, name, settings
        self.timings, self.kinds, self.say = timings, set(), say
        self.rows_read, self.extras = 0, Extras()
        self.pseudonym: ps.Pseudonymiser | None = None
        self.today = dt.date.today()
        self.replaced: int | None = None  # earlier rows this load replaced (finish): none lets the marts append

    def run(self, batches: Iterator[Batch]) -> None:
        with _timed(self.timings, "read"):
            batch = next(batches, None)
        while batch is not None:
            self._batch(batch)
            del batch
            with _timed(self.timings, "read"):
                batch = next(batches, None)
        late = self.extras.refused & self.extras.kept
        if late:  # kept in an earlier batch, refused in a later one: take it out of the whole load
            patch = json.dumps({c: None for c in late})
            for kind in self.kinds:
                self.con.execute(f"UPDATE {landing_table(KINDS[kind])} SET extra = nullif(json_merge_patch(extra, $2)"
                                 "::VARCHAR, '{}') WHERE load_id = $1 AND extra IS NOT NULL", [self.load_id, patch])

    def _batch(self, batch: Batch) -> None:
        """Validate every part; a unit (line) with a problem in any part is quarantined whole."""
        checked, problems, lines = [], [], set()
        self.say(f"{self.name}: checking rows {self.rows_read + 1:,} on")
        with _timed(self.timings, "validate"):
            for part in batch.parts:
                self.kinds.add(part.kind.name)
                kept = self._extras(part)
                clean, found, _ = validate(part.table, part.kind, self.name, self.today, extras=kept)
                lines.update(part.table.frame[LINE].to_list())
                lines.update(line for line, _ in part.table.bad_rows)
                checked.append((part, clean))
                problems.append(_relabelled(found, part.labels))
            problems = pl.concat(problems) if problems else None
            bad = problems["line"].unique().implode() if problems is not None else pl.Series([], dtype=pl.Int64).implode()
            as_of = batch.as_of or self.today
            ready = [(part, self._stored_form(part, clean.filter(~pl.col(LINE).is_in(bad)), as_of))
                     for part, clean in checked]
        self.rows_read += len(lines)
        with _timed(self.timings, "append"):
            for part, rows in ready:
                _append(self.con, part.kind, rows, self.load_id)
            if problems is not None:
                _record_quarantine(self.con, problems.sort("line", "column"), self.load_id)

    def _extras(self, part: Part) -> list[str]:
        unknown, kept = kept_extras(part.table.frame, part.kind, self.settings.keep_columns)
        self.extras.unknown |= set(unknown)
        self.extras.kept |= set(kept)
        self.extras.refused |= set(unknown) & set(self.settings.keep_columns) - set(kept)
        return [c for c in kept if c not in self.extras.refused]

    def _stored_form(self, part: Part, clean: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
        """Child ids become pseudonyms (and qualify per-child references); the as-of date is added."""
        if part.kind.child_level:
            if self.pseudonym is None:
                self.pseudonym = ps.Pseudonymiser(_key(self.con, self.settings))
            clean = clean.with_columns(self.pseudonym(clean["child_id"]).alias("child_key")).drop("child_id")
            clean = clean.with_columns(
                (pl.col(c) + "@" + pl.col("child_key").cast(pl.String)).alias(c) for c in part.per_child)
        return clean.with_columns(pl.lit(as_of, pl.Date).alias("as_of"))

    def discard(self) -> None:
        for kind in self.kinds:
            self.con.execute(f"DELETE FROM {landing_table(KINDS[kind])} WHERE load_id = ?", [self.load_id])
        self.con.execute("DELETE FROM quarantine WHERE load_id = ?", [self.load_id])
        self.rows_read, self.extras = 0, Extras()

    def finish(self, source: str) -> LoadResult:
        """Settle duplicates and older rows; count what was loaded and quarantined."""
        kinds = [KINDS[k] for k in sorted(self.kinds)]
        con, load_id = self.con, self.load_id
        with _timed(self.timings, "settle"):
            for kind in kinds:
                _quarantine_duplicates(con, kind, load_id, self.name)
            for kind in kinds:  # a unit with any quarantined row is quarantined whole
                con.execute(f"DELETE FROM {landing_table(kind)} WHERE load_id = $1 AND source_line IN "
                            "(SELECT line FROM quarantine WHERE load_id = $1)", [load_id])
            stored = " UNION ALL ".join(f"SELECT source_line FROM {landing_table(k)} WHERE load_id = $1" for k in kinds)
            loaded, quarantined = con.execute(
                f"SELECT (SELECT count(DISTINCT source_line) FROM ({stored or 'SELECT NULL AS source_line'})), "
                "(SELECT count(DISTINCT line) FROM quarantine WHERE load_id = $1)", [load_id]).fetchall()[0]
            settled = [_replace_older(con, kind, load_id) for kind in kinds]
            replaced, kept = sum(r for r, _ in settled), sum(k for _, k in settled)
            self.replaced = replaced
        notes = [self.extras.message(),
                 f"{replaced:,} record(s) replaced their earlier version (same key); records not in this file "
                 "stay as loaded before" if replaced else "",
                 f"{kept:,} record(s) not replaced: a source dated later already holds them" if kept else ""]
        return LoadResult(self.name, ",".join(k.name for k in kinds) or None, "loaded", self.rows_read, loaded,
                          quarantined, message="; ".join(n for n in notes if n), load_id=load_id,
                          timings=self.timings, source=source)


def _relabelled(problems: pl.DataFrame, labels: dict[str, str]) -> pl.DataFrame:
    """Problems name the column as the file does (a CIN element, an agency's own header)."""
    if not labels or problems.is_empty():
        return problems
    return problems.with_columns(pl.col("column").replace(labels))


def _key(con: duckdb.DuckDBPyConnection, settings: Settings) -> bytes:
    """The pseudonymisation key, checked against the fingerprint of the one the database was built with."""
    stored = next(iter(con.execute("SELECT value FROM meta WHERE name = 'key_fingerprint'").fetchall()), None)
    has_children = any(con.execute(f"SELECT count(*) FROM landing_{k} LIMIT 1").fetchall()[0][0]
                       for k in sorted(CHILD_KINDS))
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


def _replace_older(con: duckdb.DuckDBPyConnection, kind: Kind, load_id: int) -> tuple[int, int]:
    """One row per key: the one whose source is dated latest (`as_of`: a CIN return's ReferenceDate,
    else the day it was loaded), the later load on a tie, whatever order the files came in. A
    corrected file supersedes the old one. Returns how many earlier rows this load replaced, and how many
    of its own lost to a later-dated row."""
    table = landing_table(kind)
    match = " AND ".join(f'o."{k}" = n."{k}"' for k in _stored_key(kind))
    old = "coalesce(o.as_of, DATE '0001-01-01')"  # rows stored before as_of existed: oldest
    # One pass over the table finds every key this load shares with an earlier one (row ids only, no value);
    # a load of new rows (a month's extract) then deletes nothing and scans nothing more.
    con.execute(f"CREATE OR REPLACE TEMP TABLE clash AS SELECT o.rowid AS old_row, n.rowid AS new_row, "
                f"n.as_of >= {old} AS new_wins FROM {table} n JOIN {table} o ON {match} "
                "WHERE n.load_id = $1 AND o.load_id <> $1", [load_id])
    counts = con.execute("SELECT count(*) FILTER (WHERE new_wins), count(*) FILTER (WHERE NOT new_wins) FROM clash").fetchone()
    for wins, column in ((True, "old_row"), (False, "new_row")):
        if counts[0 if wins else 1]:
            con.execute(f"DELETE FROM {table} WHERE rowid IN (SELECT {column} FROM clash WHERE new_wins = {wins})")
    con.execute("DROP TABLE clash")
    return counts[0], counts[1]


def _record_quarantine(con: duckdb.DuckDBPyConnection, problems: pl.DataFrame, load_id: int) -> None:
    con.register("problems", problems.with_columns(pl.lit(load_id).alias("load_id")).to_arrow())
    try:
        con.execute('INSERT INTO quarantine SELECT load_id, file, line, "column", value, reason FROM problems')
    finally:
        con.unregister("problems")


def _next_load_id(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM loads").fetchall()[0][0]


def _record_load(con: duckdb.DuckDBPyConnection, r: LoadResult, digest: str | None, started: dt.datetime) -> None:
    con.execute("INSERT INTO loads BY NAME SELECT ? AS load_id, ? AS file, ? AS sha256, ? AS kind, ? AS rows_read, "
                "? AS rows_loaded, ? AS rows_quarantined, ? AS status, ? AS message, ? AS started_at, "
                "? AS finished_at, ? AS source",
                [r.load_id, r.file, digest, r.kind, r.rows_read, r.rows_loaded, r.rows_quarantined,
                 r.status, r.message, started, dt.datetime.now(), r.source])


def _record_new(con: duckdb.DuckDBPyConnection, r: LoadResult, digest: str | None, started: dt.datetime) -> None:
    """A load that stored nothing (unchanged, failed) gets the next id and its row in loads."""
    r.load_id = _next_load_id(con)
    _record_load(con, r, digest, started)


def _record_failures(results: list[LoadResult], settings: Settings) -> None:
    """The files of a write that failed leave their traces in loads (one write of their own) and nothing else."""
    try:
        with write_connection(settings) as con:
            for r in results:
                _record_new(con, r, None, dt.datetime.now())
    except (duckdb.Error, OSError) as exc:
        for r in results:
            r.message += f" (and the failure could not be recorded: {exc})"

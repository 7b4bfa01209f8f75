"""The DuckDB file: short-lived read-only connections, and writes that swap in atomically.

A DuckDB file cannot be read by one process while another writes it, so a
writer never touches the live file: it copies it, loads into the copy (statements
commit as they go: the copy is private, so no one sees them), checkpoints, and
renames the copy over the original, the one atomic step. Readers see
the old figures until the rename and the new ones after; a writer killed at
any point leaves the live file exactly as it was.

DuckDB reuses freed blocks but does not wipe them, so deleted rows linger in the file's
bytes. A writer that removes data for good (purge) asks for `compact=True`: the copy is
then itself copied, table by table, into a fresh file, and that file is the one swapped in.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

from .config import REFERENCE_DIR, SQL_DIR, Settings
from .schema import KINDS, Kind


WRITER_MEMORY = "1GB"  # DuckDB spills to disk beyond this, so a national load stays within the 2 GB budget

SYSTEM_DDL = """
CREATE TABLE IF NOT EXISTS meta (name VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS loads (
    load_id INTEGER, file VARCHAR, sha256 VARCHAR, kind VARCHAR,
    rows_read BIGINT, rows_loaded BIGINT, rows_quarantined BIGINT,
    status VARCHAR, message VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP);
ALTER TABLE loads ADD COLUMN IF NOT EXISTS source VARCHAR;
CREATE TABLE IF NOT EXISTS quarantine (
    load_id INTEGER, file VARCHAR, line BIGINT, "column" VARCHAR, value VARCHAR, reason VARCHAR);
"""


def landing_table(kind: Kind) -> str:
    return f"landing_{kind.name}"


def landing_ddl(kind: Kind) -> str:
    """Typed landing table generated from the declared contract (child_id is stored only as child_key)."""
    cols = [("child_key" if c.type == "child_id" else c.name, c.sql_type) for c in kind.columns]
    cols += [("extra", "VARCHAR"), ("load_id", "INTEGER"), ("source_line", "BIGINT"), ("as_of", "DATE")]
    body = ", ".join(f'"{n}" {t}' for n, t in cols)
    return (f"CREATE TABLE IF NOT EXISTS {landing_table(kind)} ({body});\n"  # as_of came later: older files gain it
            f"ALTER TABLE {landing_table(kind)} ADD COLUMN IF NOT EXISTS as_of DATE;")


def sql_files(layer: str) -> list[Path]:
    """One layer's SQL, in file-name order."""
    return sorted((SQL_DIR / layer).glob("*.sql"))


def apply_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Landing tables (from the contract) and staging views (from sql/staging), before a write."""
    con.execute(SYSTEM_DDL)
    for kind in KINDS.values():
        con.execute(landing_ddl(kind))
    con.execute("CREATE OR REPLACE TABLE ref_ethnicity AS SELECT * FROM read_csv(?, header = true, all_varchar = true)",
                [str(REFERENCE_DIR / "dfe_ethnicity_codes.csv")])
    for path in sql_files("staging"):
        con.execute(path.read_text())


@contextlib.contextmanager
def read_connection(db_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection held only as long as the caller needs it."""
    if not db_path.exists():
        raise FileNotFoundError(f"no database at {db_path}: load some files first (python -m pipelines load ...)")
    if not db_path.is_file():
        raise ValueError(f"{db_path} is not a database file (a directory or a device)")
    con = None
    try:
        con = duckdb.connect(str(db_path), read_only=True)
        con.execute("SELECT 1 FROM loads LIMIT 0")  # one of ours, not any DuckDB file
    except duckdb.Error as exc:
        if con is not None:
            con.close()
        raise ValueError(f"{db_path} is not a partnership metrics database "
                         f"({str(exc).strip().splitlines()[0][:160]})") from None
    con.execute("SET enable_progress_bar = false")
    try:
        yield con
    finally:
        con.close()


@contextlib.contextmanager
def write_connection(settings: Settings, timings: dict[str, float] | None = None,
                     compact: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Exclusive writer on a copy of the database; the copy replaces the original only on success
    (stages.write builds and publishes inside it). With `compact`, what replaces the original is a
    fresh file holding only the live data (no freed blocks with deleted rows in them); the
    replacement is still one os.replace."""
    db_path = settings.db_path
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with open(db_path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        staging = db_path.with_name(f".{db_path.name}.{os.getpid()}.tmp")
        compacted = db_path.with_name(f"{staging.name}.compact")  # matched by _remove_leftovers too
        _remove_leftovers(db_path)
        clock = time.perf_counter()
        if db_path.exists():
            shutil.copyfile(db_path, staging)
        timings = {} if timings is None else timings
        timings["copy"] = round(time.perf_counter() - clock, 3)
        spill = Path(f"{staging}.spill")
        con = duckdb.connect(str(staging), config={"memory_limit": WRITER_MEMORY, "temp_directory": str(spill)})
        con.execute("SET enable_progress_bar = false")
        try:
            apply_schema(con)
            yield con
            clock = time.perf_counter()
            con.execute("CHECKPOINT")
            if compact:
                _copy_database(con, compacted)
            con.close()
            final = compacted if compact else staging
            _fsync(final)
            os.replace(final, db_path)
            _fsync(db_path.parent)
            timings["commit"] = round(time.perf_counter() - clock, 3)
        except BaseException:
            con.close()
            raise
        finally:
            for leftover in (staging, compacted):
                leftover.unlink(missing_ok=True)
                Path(f"{leftover}.wal").unlink(missing_ok=True)
            shutil.rmtree(spill, ignore_errors=True)


def _copy_database(con: duckdb.DuckDBPyConnection, target: Path) -> None:
    """Every table, view and sequence of `con`'s database, written afresh into `target`."""
    target.unlink(missing_ok=True)
    (source,) = con.execute("SELECT current_database()").fetchone()
    source = '"' + source.replace('"', '""') + '"'
    con.execute(f"ATTACH '{_sql_text(target)}' AS compacted")
    try:
        con.execute(f"COPY FROM DATABASE {source} TO compacted")
        con.execute("CHECKPOINT compacted")
    finally:
        con.execute("DETACH compacted")


def _sql_text(path: Path) -> str:
    return str(path).replace("'", "''")


def _remove_leftovers(db_path: Path) -> None:
    """Copies left by a writer that was killed (we hold the lock, so none is in use)."""
    for p in db_path.parent.glob(f".{db_path.name}.*.tmp*"):
        shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

"""Marts, cubes and the protected release: everything rebuilt from the landing tables after a write.

Kept apart from store.py (storage: files, connections, the atomic swap), which knows nothing of them.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

import duckdb

from .config import Settings
from .cubes import build_cubes
from .release import affected_facts, publish
from .schema import CHILD_KINDS
from .store import sql_files, write_connection


def build_marts(con: duckdb.DuckDBPyConnection, threshold: int, changed: set[str] | None = None) -> None:
    """Marts (sql/marts) and the catalogue's cubes after a load, so pages never redo the joins.

    Views are always recreated (free). A mart table is rebuilt when a kind named in its
    `-- rebuilt after loading:` line changed, or when it does not exist yet; cubes when
    any child-level kind changed. `changed=None` rebuilds everything. Last, the protected
    release of every fact the change touches is rebuilt and audited (release.py).
    """
    existing = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    for path in sql_files("marts"):
        text = path.read_text()
        first = text.splitlines()[0]
        depends = {k.strip() for k in first.split(":", 1)[1].split(",")} if first.startswith("-- rebuilt after loading:") else None
        if depends is None or changed is None or depends & changed or path.stem.split("_", 1)[1] not in existing:
            con.execute(text)
    if changed is None or changed & (CHILD_KINDS | {"population"}) or not any(t.startswith("cube_") for t in existing):
        build_cubes(con)
    publish(con, threshold, None if changed is None else affected_facts(changed))


@contextlib.contextmanager
def writer(settings: Settings, timings: dict[str, float] | None = None, changed: set[str] | None = None,
           compact: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """store.write_connection whose marts, cubes and release are rebuilt before it commits: those
    fed by the kinds in `changed` (read at the end, so a load may add kinds as it finds them), or
    all of them when `changed` is None or a setting the marts read has changed."""
    def rebuild(con: duckdb.DuckDBPyConnection, settings_changed: bool) -> None:
        build_marts(con, settings.suppression_threshold, None if settings_changed else changed)

    with write_connection(settings, timings, before_commit=rebuild, compact=compact) as con:
        yield con

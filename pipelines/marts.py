"""Marts, cubes and the protected release: everything rebuilt from the landing tables after a write.

Kept apart from store.py (storage: files, connections, the atomic swap), which knows nothing of them.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

import duckdb

from .config import SQL_DIR, Settings
from .cubes import build_cubes
from .release import affected_facts, publish
from .schema import CHILD_KINDS, KINDS
from .store import sql_files, write_connection


APPEND_SQL = SQL_DIR / "marts" / "append"  # a mart's cheaper statement for a load that only added rows


def build_marts(con: duckdb.DuckDBPyConnection, threshold: int, changed: set[str] | None = None,
                appended: int | None = None) -> None:
    """Marts (sql/marts) and the catalogue's cubes after a load, so pages never redo the joins.

    Views are always recreated (free). A mart table is rebuilt when a kind named in its
    `-- rebuilt after loading:` line changed, or when it does not exist yet; cubes when
    any child-level kind changed. `changed=None` rebuilds everything. `appended` is the load
    id of a load that replaced no earlier row: a mart with a statement in sql/marts/append whose
    `-- appended after loading:` line names every changed kind runs that instead, and the
    cubes that can take just that load's rows are added to, not rebuilt (cubes.APPENDABLE).
    Last, the protected release of every fact the change touches is rebuilt and audited (release.py).
    """
    existing = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    added_only = True  # every rebuilt mart took the append route, so the cubes may too
    for path in sql_files("marts"):
        text = path.read_text()
        depends = _kinds(text, "-- rebuilt after loading:")
        if depends is None or changed is None or depends & changed or path.stem.split("_", 1)[1] not in existing:
            delta = APPEND_SQL / path.name
            if (appended is not None and changed and delta.exists() and path.stem.split("_", 1)[1] in existing
                    and changed <= (_kinds(delta.read_text(), "-- appended after loading:") or set())):
                con.execute(delta.read_text(), {"load_id": appended})
            else:
                added_only &= depends is None  # views cost nothing; a rebuilt table may change any cube
                con.execute(text)
    if changed is None or changed & (CHILD_KINDS | {"population"}) or not any(t.startswith("cube_") for t in existing):
        can_append = appended is not None and added_only and changed and any(t.startswith("cube_") for t in existing)
        build_cubes(con, ({KINDS[k].fact for k in changed}, appended) if can_append else None)
    publish(con, threshold, None if changed is None else affected_facts(changed))


def _kinds(text: str, header: str) -> set[str] | None:
    """The kinds a SQL file's first line names after `header`, or None when it has no such line."""
    first = text.splitlines()[0] if text else ""
    return {k.strip() for k in first.split(":", 1)[1].split(",")} if first.startswith(header) else None


@contextlib.contextmanager
def writer(settings: Settings, timings: dict[str, float] | None = None, changed: set[str] | None = None,
           compact: bool = False, appended: dict[str, int] | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """store.write_connection whose marts, cubes and release are rebuilt before it commits: those
    fed by the kinds in `changed` (read at the end, so a load may add kinds as it finds them), or
    all of them when `changed` is None or a setting the marts read has changed. A load that replaced
    no earlier row puts its id in `appended["load_id"]` before the end (build_marts' `appended`)."""
    def rebuild(con: duckdb.DuckDBPyConnection, settings_changed: bool) -> None:
        build_marts(con, settings.suppression_threshold, None if settings_changed else changed,
                    None if settings_changed or appended is None else appended.get("load_id"))

    with write_connection(settings, timings, before_commit=rebuild, compact=compact) as con:
        yield con

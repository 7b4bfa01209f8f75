"""The build stage's body: marts (sql/marts) and the catalogue's cubes, rebuilt from the landing tables.

Kept apart from store.py (storage: files, connections, the atomic swap), which knows nothing of them;
stages.py runs this between ingest and publish.
"""
from __future__ import annotations

import duckdb

from .config import SQL_DIR
from .cubes import build_cubes
from .schema import CHILD_KINDS, KINDS
from .store import sql_files


APPEND_SQL = SQL_DIR / "marts" / "append"  # a mart's cheaper statement for loads that only added rows


def build_marts(con: duckdb.DuckDBPyConnection, changed: set[str] | None = None,
                appended: tuple[int, ...] | None = None) -> None:
    """Marts and the catalogue's cubes after a write, so pages never redo the joins.

    Views are always recreated (free). A mart table is rebuilt when a kind named in its
    `-- rebuilt after loading:` line changed, or when it does not exist yet; cubes when
    any child-level kind changed. `changed=None` rebuilds everything. `appended` are the load
    ids of loads that replaced no earlier row: a mart with a statement in sql/marts/append whose
    `-- appended after loading:` line names every changed kind runs that instead, and the
    cubes that can take just those loads' rows are added to, not rebuilt (cubes.APPENDABLE).
    """
    existing = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    has_cubes = any(t.startswith("cube_") for t in existing)
    added_only = True  # every rebuilt mart took the append route, so the cubes may too
    for path in sql_files("marts"):
        text, table = path.read_text(), path.stem.split("_", 1)[1]
        depends = _kinds(text, "-- rebuilt after loading:")
        if depends is None or changed is None or depends & changed or table not in existing:
            delta = APPEND_SQL / path.name
            if (appended and changed and delta.exists() and table in existing
                    and changed <= (_kinds(delta.read_text(), "-- appended after loading:") or set())):
                con.execute(delta.read_text(), {"load_ids": list(appended)})
            else:
                added_only &= depends is None  # views cost nothing; a rebuilt table may change any cube
                con.execute(text)
    if changed is None or changed & (CHILD_KINDS | {"population"}) or not has_cubes:
        build_cubes(con, ({KINDS[k].fact for k in changed}, appended) if appended and added_only and changed else None)


def _kinds(text: str, header: str) -> set[str] | None:
    """The kinds a SQL file's first line names after `header`, or None when it has no such line."""
    first = text.splitlines()[0] if text else ""
    return {k.strip() for k in first.split(":", 1)[1].split(",")} if first.startswith(header) else None

"""Remove one load for good: its stored rows, its quarantine records, and every trace of them in the file.

The load's row in `loads` stays (status `purged`, its counts kept, the message saying when),
so the history still accounts for it. Marts are rebuilt from what remains, and the database
file is rewritten compactly (store.write_connection(compact=True)): DuckDB leaves deleted rows
in freed blocks, which a plain delete would leave readable in the file's bytes.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .config import Settings
from .schema import KINDS
from . import stages
from .store import landing_table, read_connection


@dataclass
class PurgeResult:
    load_id: int
    status: str  # purged | nothing (the load had stored nothing, or was purged already)
    message: str

    def summary(self) -> str:
        return f"{self.status:<9} load {self.load_id}: {self.message}"


class _Changed(Exception):
    """The load changed between the check and the write (another purge): write nothing."""


def purge_load(settings: Settings, load_id: int) -> PurgeResult:
    """Remove load `load_id`. Raises ValueError when there is no such load."""
    load = _load_row(settings, load_id)
    if load is None:
        raise ValueError(f"no load {load_id} in {settings.db_path} (see: python -m pipelines loads)")
    nothing = _nothing_to_remove(settings, load)
    if nothing:
        return PurgeResult(load_id, "nothing", nothing)
    kinds = [KINDS[k] for k in load["kind"].split(",")]
    try:
        with stages.write(settings, compact=True) as w:
            con = w.con
            w.record(stages.Changes(frozenset(k.name for k in kinds)))
            now = con.execute("SELECT status FROM loads WHERE load_id = ?", [load_id]).fetchone()
            if now is None or now[0] != "loaded":
                raise _Changed
            rows = sum(con.execute(f"DELETE FROM {landing_table(k)} WHERE load_id = ?", [load_id]).fetchone()[0]
                       for k in kinds)
            records = con.execute("DELETE FROM quarantine WHERE load_id = ?", [load_id]).fetchone()[0]
            when = dt.datetime.now().isoformat(sep=" ", timespec="seconds")
            con.execute("UPDATE loads SET status = 'purged', message = ? WHERE load_id = ?",
                        [f"purged on {when}: {rows:,} stored row(s) and {records:,} quarantine record(s) removed",
                         load_id])
    except _Changed:
        return purge_load(settings, load_id)  # look again: it is now purged, or gone
    return PurgeResult(load_id, "purged",
                       f"{load['file']} ({load['kind']}): {rows:,} stored row(s) and {records:,} quarantine record(s) "
                       "removed, figures rebuilt, database file rewritten without them")


def _load_row(settings: Settings, load_id: int) -> dict | None:
    with read_connection(settings.db_path) as con:
        cur = con.execute("SELECT load_id, file, sha256, kind, status, message FROM loads WHERE load_id = ?", [load_id])
        row = cur.fetchone()
        return dict(zip([d[0] for d in cur.description], row)) if row else None


def _nothing_to_remove(settings: Settings, load: dict) -> str | None:
    """Why purging this load removes nothing, or None when it holds data."""
    status = load["status"]
    if status == "loaded":
        return None
    if status == "purged":
        return f"{load['file']} was already purged ({load['message']}); nothing to remove"
    if status == "unchanged":
        with read_connection(settings.db_path) as con:
            source = con.execute("SELECT max(load_id) FROM loads WHERE sha256 = ? AND status = 'loaded' "
                                 "AND load_id < ?", [load["sha256"], load["load_id"]]).fetchone()[0]
        hint = f": its rows belong to load {source}; purge that load to remove them" if source else ""
        return f"{load['file']} was unchanged (identical to an earlier load) and stored nothing{hint}"
    return f"{load['file']} was {status} and stored nothing; nothing to remove"

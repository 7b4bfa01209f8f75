"""The audit trail: who signed in, switched to exact counts, exported, loaded, purged, coded a review or
changed the tracker, and when. Append-only.

It lives in its own DuckDB file (Settings.audit_db): a load swaps in a new database file and a purge
rewrites one, and neither may take the trail with it. Nothing in the product updates or deletes a
row; each row carries a SHA-256 chained over the one before, so a row changed, removed or inserted
by anything else breaks the chain, and `verify` (run by the admin page) says where.

What goes in: the user, their role, the action and a small detail (a file name, a kind, the filters,
an item id). Never a child's identifier: details are the caller's own words about the action, and
`record` accepts only short text and numbers.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import time
from pathlib import Path

import duckdb
import pandas as pd

COLUMNS = ("seq", "logged_at", "user_name", "role", "action", "detail", "prev_hash", "hash")
ACTIONS = ("sign_in", "exact_counts", "refused", "export", "load", "purge", "code_review", "tracker_change")
GENESIS = "0" * 64
MAX_DETAIL = 2_000
_lock = threading.Lock()  # one writer at a time in this process; DuckDB's file lock covers other processes


def digest(prev_hash: str, seq: int, at: str, user: str, role: str, action: str, detail: str) -> str:
    text = json.dumps([prev_hash, seq, at, user, role, action, detail], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def record(path: Path, user: str, role: str, action: str, **detail: str | int | float | None) -> int:
    """Append one entry and return its sequence number."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if any(not isinstance(v, (str, int, float, type(None))) for v in detail.values()):
        raise TypeError("audit details are text or numbers")
    text = json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)
    if len(text) > MAX_DETAIL:
        raise ValueError("audit detail too long")
    path.parent.mkdir(parents=True, exist_ok=True)
    with _lock, _connect(path) as con:
        con.execute("BEGIN")
        last = con.execute("SELECT seq, hash FROM audit_trail ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
        at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None).isoformat(timespec="microseconds")
        row = (seq, at, user, role, action, text, prev, digest(prev, seq, at, user, role, action, text))
        con.execute(f"INSERT INTO audit_trail VALUES ({', '.join('?' * len(COLUMNS))})", row)
        con.execute("COMMIT")
    return seq


def entries(path: Path) -> pd.DataFrame:
    """Every entry, newest first (empty before the first)."""
    if not path.exists():
        return pd.DataFrame(columns=list(COLUMNS))
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT * FROM audit_trail ORDER BY seq DESC").df()


def recorded(path: Path, user: str, action: str, **detail: str | int | float | None) -> bool:
    """Whether an entry for this user and action with exactly these details exists (a sign-in seen again
    by a new browser session, say)."""
    text = json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)
    if not path.exists():
        return False
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT count(*) FROM audit_trail WHERE user_name = ? AND action = ? AND detail = ?",
                           [user, action, text]).fetchone()[0] > 0


def verify(path: Path) -> list[str]:
    """Where the chain is broken (a row changed, removed or inserted outside `record`); empty when whole."""
    rows = entries(path).sort_values("seq")
    problems, prev = [], GENESIS
    for n, row in enumerate(rows.itertuples(index=False), start=1):
        at = row.logged_at.isoformat(timespec="microseconds")
        if row.seq != n:
            problems.append(f"entry {n}: numbered {row.seq} (an entry was removed or inserted)")
        if row.prev_hash != prev or row.hash != digest(prev, row.seq, at, row.user_name, row.role, row.action,
                                                          row.detail):
            problems.append(f"entry {row.seq}: does not match the chain (changed outside the product)")
        prev = row.hash
    return problems


def _connect(path: Path, attempts: int = 50) -> duckdb.DuckDBPyConnection:
    """A write connection, waiting briefly while another process (a CLI load) holds the file."""
    for attempt in range(attempts):
        try:
            con = duckdb.connect(str(path))
            break
        except duckdb.IOException:
            if attempt == attempts - 1:
                raise
            time.sleep(0.1)
    con.execute("CREATE TABLE IF NOT EXISTS audit_trail (seq BIGINT PRIMARY KEY, logged_at TIMESTAMP NOT NULL, "
                "user_name VARCHAR NOT NULL, role VARCHAR NOT NULL, action VARCHAR NOT NULL, detail VARCHAR NOT NULL, "
                "prev_hash VARCHAR NOT NULL, hash VARCHAR NOT NULL)")
    return con

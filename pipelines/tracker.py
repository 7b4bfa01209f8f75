"""The recommendations tracker: the Panel's eight recommendations to partnerships, and the partnership's own
actions, tracked to done.

Two append-only tables; nothing here ever UPDATEs or DELETEs a row:

- `tracker_items`: what an item is (id, source, its number within the source, the recommendation text, who
  added it and when). Written once per item.
- `tracker_history`: one row per version of an item's state (status, owner, due date, evidence, the note on
  the change, who made it and when). An update appends version n + 1; the current state is each item's
  latest version, and every earlier state stays readable.

The Panel's recommendations (reference/recommendations.csv, from It's Silent section 7) are pre-filled as
version 1, "not started", the first time anything is written. Writes go through store.write_connection (a
private copy swapped in atomically) with no `before_commit`: the marts do not read the tracker. Reads take a
read-only connection and work before the first write (the Panel's items, not started, as they will be
pre-filled).

No child data belongs here: evidence is a link to where the evidence is kept, or a short note. Text that looks
like an NHS number or a UPN is refused.
"""
from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from functools import cache

import duckdb
import pandas as pd

from .config import REFERENCE_DIR, Settings
from .store import write_connection

STATUSES = ("not started", "in progress", "done", "blocked")
OWNERS = ("partnership", "social_care", "police", "health", "education", "other")
OWNER_LABELS = {"partnership": "Partnership", "social_care": "Children's social care", "police": "Police",
                "health": "Health", "education": "Education", "other": "Other"}
REVIEW, PRACTICE, PARTNERSHIP = "Panel: review process", "Panel: practice", "Partnership"
SOURCES = (REVIEW, PRACTICE, PARTNERSHIP)
PANEL = (REVIEW, PRACTICE)
PREFILLED_BY = "pre-filled from the Panel's report"
TEXT_MAX, WHO_MAX = 2000, 100
FIRST_DUE, LAST_DUE = dt.date(2000, 1, 1), dt.date(2100, 12, 31)
NO_CHILD_DATA = ("Never put a child's or family's details here (names, dates of birth, NHS numbers, UPNs, case "
                 "details): link to where the evidence is kept, or describe it in a few words.")

DDL = """
CREATE TABLE IF NOT EXISTS tracker_items (
    item_id VARCHAR PRIMARY KEY, source VARCHAR NOT NULL, number INTEGER NOT NULL, recommendation VARCHAR NOT NULL,
    reference VARCHAR, created_by VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL);
CREATE TABLE IF NOT EXISTS tracker_history (
    item_id VARCHAR NOT NULL, version INTEGER NOT NULL, status VARCHAR NOT NULL, owner VARCHAR NOT NULL,
    due DATE, evidence VARCHAR NOT NULL, note VARCHAR NOT NULL, changed_by VARCHAR NOT NULL,
    changed_at TIMESTAMP NOT NULL, PRIMARY KEY (item_id, version));
"""
CURRENT_COLUMNS = ["item_id", "source", "number", "recommendation", "reference", "owner", "status", "due", "overdue",
                   "days_overdue", "evidence", "note", "version", "changed_by", "changed_at"]
HISTORY_COLUMNS = ["item_id", "version", "status", "owner", "due", "evidence", "note", "changed_by", "changed_at"]
SOURCE_ORDER = "CASE i.source WHEN 'Panel: review process' THEN 1 WHEN 'Panel: practice' THEN 2 ELSE 3 END"

# Shaped like a child's identifier: an NHS number (10 digits, as 3-3-4 with optional spaces or hyphens) or a
# UPN (a letter, 11 digits, then a digit or letter). Links are left out of the check (a document id may be long).
IDENTIFIER_SHAPES = {"an NHS number": re.compile(r"(?<![\w/])\d{3}[ -]?\d{3}[ -]?\d{4}(?![\w/])"),
                     "a UPN": re.compile(r"\b[A-HJ-NP-RT-Z]\d{11}[0-9A-HJ-NP-RT-Z]\b")}
LINK = re.compile(r"https?://\S+", re.IGNORECASE)


class TrackerError(ValueError):
    """A change refused, with the reason in words; nothing was written."""


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


KEEP = _Keep()  # update(): leave this field as it is


@dataclass(frozen=True)
class Recommendation:
    item_id: str
    source: str
    number: int
    recommendation: str
    reference: str


@cache
def recommendations() -> tuple[Recommendation, ...]:
    """The Panel's eight recommendations to safeguarding partnerships, as the report words them."""
    with open(REFERENCE_DIR / "recommendations.csv", newline="", encoding="utf-8") as f:
        return tuple(Recommendation(r["item_id"], r["source"], int(r["number"]), r["recommendation"], r["reference"])
                     for r in csv.DictReader(f))


# ---- writes ---------------------------------------------------------------------------------------------------

def prefill(settings: Settings) -> int:
    """Store the Panel's recommendations not stored yet (version 1, not started); the number added (0 the
    second time). Every write does this first, so calling it is needed only to pre-fill before any change."""
    with write_connection(settings) as con:
        return _ensure(con)


def needs_prefill(con: duckdb.DuckDBPyConnection) -> bool:
    """True until every Panel recommendation is stored (a read-only check)."""
    if not _stored(con):
        return True
    stored = {r[0] for r in con.execute("SELECT item_id FROM tracker_items").fetchall()}
    return any(r.item_id not in stored for r in recommendations())


def update(settings: Settings, item_id: str, who: str, *, status: object = KEEP, owner: object = KEEP,
           due: object = KEEP, evidence: object = KEEP, note: str = "",
           expected_version: int | None = None) -> int:
    """Append a new version of `item_id` with the fields given (the rest kept); returns the new version number.

    `who` is whoever made the change (typed in for now; the signed-in user once there is sign-in). `due=None`
    clears the due date; `note` says why (it belongs to this change only). With `expected_version`, the change
    is refused if someone else changed the item since that version was read. Raises TrackerError, having
    written nothing, for an unknown item, status or owner, a date that is not one, or no change at all."""
    who = _who(who)
    changes = {}
    if status is not KEEP:
        changes["status"] = _status(status)
    if owner is not KEEP:
        changes["owner"] = _owner(owner)
    if due is not KEEP:
        changes["due"] = _date(due)
    if evidence is not KEEP:
        changes["evidence"] = _text(evidence, "Evidence")
    note = _text(note, "Note")
    with write_connection(settings) as con:
        _ensure(con)
        latest = _latest(con, item_id)
        if latest is None:
            raise TrackerError(f"No item {item_id!r} in the tracker: choose one of {', '.join(_ids(con))}.")
        if expected_version is not None and latest["version"] != expected_version:
            raise TrackerError(f"{item_id} was changed by {latest['changed_by']} at "
                               f"{latest['changed_at']:%Y-%m-%d %H:%M} (now version {latest['version']}) after you "
                               "opened it: nothing was saved. Look at its latest state and make your change again.")
        new = {**latest, **changes}
        if all(new[k] == latest[k] for k in ("status", "owner", "due", "evidence")) and not note:
            raise TrackerError(f"Nothing to save: {item_id} already has these values. Change a field or add a note.")
        version = latest["version"] + 1
        _append(con, item_id, version, new["status"], new["owner"], new["due"], new["evidence"], note, who)
    return version


def add_action(settings: Settings, text: str, who: str, *, owner: str = "partnership", status: str = "not started",
               due: object = None, evidence: str = "", note: str = "") -> str:
    """Add one of the partnership's own actions; returns its id (A1, A2, ...). Raises TrackerError as update does."""
    who, text = _who(who), _text(text, "The action")
    if not text:
        raise TrackerError("Say what the action is: the action text is empty.")
    status, owner, due = _status(status), _owner(owner), _date(due)
    evidence, note = _text(evidence, "Evidence"), _text(note, "Note")
    with write_connection(settings) as con:
        _ensure(con)
        (number,) = con.execute("SELECT coalesce(max(number), 0) + 1 FROM tracker_items WHERE source = ?",
                                [PARTNERSHIP]).fetchone()
        item_id = f"A{number}"
        con.execute("INSERT INTO tracker_items VALUES (?, ?, ?, ?, NULL, ?, ?)",
                    [item_id, PARTNERSHIP, number, text, who, _now()])
        _append(con, item_id, 1, status, owner, due, evidence, note or "added", who)
    return item_id


def _ensure(con: duckdb.DuckDBPyConnection) -> int:
    """The tables (idempotent), and the Panel's recommendations not yet stored; how many were added."""
    con.execute(DDL)
    stored = {r[0] for r in con.execute("SELECT item_id FROM tracker_items").fetchall()}
    missing = [r for r in recommendations() if r.item_id not in stored]
    now = _now()
    for r in missing:
        con.execute("INSERT INTO tracker_items VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [r.item_id, r.source, r.number, r.recommendation, r.reference, PREFILLED_BY, now])
        _append(con, r.item_id, 1, "not started", "partnership", None, "", "", PREFILLED_BY, now)
    return len(missing)


def _append(con: duckdb.DuckDBPyConnection, item_id: str, version: int, status: str, owner: str,
            due: dt.date | None, evidence: str, note: str, who: str, at: dt.datetime | None = None) -> None:
    """The only way a state is written: a new row, never a changed one."""
    con.execute("INSERT INTO tracker_history VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [item_id, version, status, owner, due, evidence, note, who, at or _now()])


def _latest(con: duckdb.DuckDBPyConnection, item_id: str) -> dict | None:
    cur = con.execute("SELECT * FROM tracker_history WHERE item_id = ? ORDER BY version DESC LIMIT 1", [item_id])
    row = cur.fetchone()
    return dict(zip([d[0] for d in cur.description], row)) if row else None


def _ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute(f"SELECT item_id FROM tracker_items i ORDER BY {SOURCE_ORDER}, number")
            .fetchall()]


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


# ---- checks ---------------------------------------------------------------------------------------------------

def _status(value: object) -> str:
    text = str(value).strip().lower()
    if text not in STATUSES:
        raise TrackerError(f"Unknown status {value!r}: choose one of {', '.join(STATUSES)}.")
    return text


def _owner(value: object) -> str:
    text = str(value).strip().lower().replace(" ", "_")
    text = {label.lower().replace(" ", "_"): code for code, label in OWNER_LABELS.items()}.get(text, text)
    if text not in OWNERS:
        raise TrackerError(f"Unknown owner {value!r}: choose one of {', '.join(OWNERS)}.")
    return text


def _date(value: object) -> dt.date | None:
    """A due date: a date, an ISO date (YYYY-MM-DD), or None / empty for no due date."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise TrackerError(f"The due date {value!r} is not a date: write it as YYYY-MM-DD, "
                               "for example 2025-09-30.") from None
    if not FIRST_DUE <= value <= LAST_DUE:
        raise TrackerError(f"The due date {value.isoformat()} is outside {FIRST_DUE.year} to {LAST_DUE.year}: "
                           "check the year.")
    return value


def _who(value: object) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        raise TrackerError("Say who is making the change: your name is empty.")
    if len(text) > WHO_MAX:
        raise TrackerError(f"The name is {len(text)} characters long: at most {WHO_MAX}.")
    return text


def _text(value: object, what: str) -> str:
    text = str(value or "").strip()
    if len(text) > TEXT_MAX:
        raise TrackerError(f"{what} is {len(text):,} characters long: at most {TEXT_MAX:,}. Link to a document "
                           "instead of pasting it.")
    unlinked = LINK.sub(" ", text)
    for name, shape in IDENTIFIER_SHAPES.items():
        if shape.search(unlinked):
            raise TrackerError(f"{what} holds something shaped like {name}. {NO_CHILD_DATA}")
    return text


# ---- reads ----------------------------------------------------------------------------------------------------

def current(con: duckdb.DuckDBPyConnection, today: dt.date | None = None) -> pd.DataFrame:
    """Each item's latest version, Panel recommendations first, with `overdue` (a due date before `today`,
    by default the real today, and status not done) and `days_overdue`. Before the first write: the Panel's
    items as they will be pre-filled (version 0, not yet stored)."""
    today = today or dt.date.today()
    if not _stored(con):
        return _unstored(today)
    frame = con.execute(f"""
        SELECT i.item_id, i.source, i.number, i.recommendation, i.reference, h.owner, h.status, h.due,
               coalesce(h.due < ? AND h.status <> 'done', false) AS overdue,
               CASE WHEN h.due < ? AND h.status <> 'done' THEN date_diff('day', h.due, ?) END AS days_overdue,
               h.evidence, h.note, h.version, h.changed_by, h.changed_at
        FROM tracker_items i
        JOIN (SELECT * FROM tracker_history QUALIFY row_number() OVER (PARTITION BY item_id ORDER BY version DESC) = 1)
             h USING (item_id)
        ORDER BY {SOURCE_ORDER}, i.number""", [today, today, today]).df()
    return _dates(frame)[CURRENT_COLUMNS]


def history(con: duckdb.DuckDBPyConnection, item_id: str | None = None) -> pd.DataFrame:
    """Every stored version (of one item, or of all), oldest first within each item."""
    if not _stored(con):
        return pd.DataFrame({c: pd.Series(dtype="object") for c in HISTORY_COLUMNS})
    where, params = ("WHERE h.item_id = ?", [item_id]) if item_id else ("", [])
    frame = con.execute(f"""
        SELECT h.* FROM tracker_history h JOIN tracker_items i USING (item_id) {where}
        ORDER BY {SOURCE_ORDER}, i.number, h.version""", params).df()
    return _dates(frame)[HISTORY_COLUMNS]


def progress(con: duckdb.DuckDBPyConnection, today: dt.date | None = None) -> dict:
    """Counts for the overview and the board pack: overall, for the Panel's recommendations together, and per
    source; each {"total", "by_status": {status: n for every status}, "done", "overdue"}. Also "as_of" (the
    day overdue is judged on) and "sentence", e.g. "3 of 8 Panel recommendations done, 2 in progress,
    1 overdue; 1 of 2 partnership actions done"."""
    frame = current(con, today)

    def counts(rows: pd.DataFrame) -> dict:
        by_status = {s: int((rows["status"] == s).sum()) for s in STATUSES}
        return {"total": len(rows), "by_status": by_status, "done": by_status["done"],
                "overdue": int(rows["overdue"].sum())}

    summary = {"as_of": (today or dt.date.today()).isoformat(), **counts(frame),
               "panel": counts(frame[frame["source"].isin(PANEL)]),
               "by_source": {s: counts(frame[frame["source"] == s]) for s in SOURCES}}
    summary["sentence"] = progress_sentence(summary)
    return summary


def progress_sentence(summary: dict) -> str:
    """One sentence from progress(): the Panel's recommendations, then the partnership's actions if any."""
    parts = [_part(summary["panel"], "Panel recommendation", "Panel recommendations")]
    actions = summary["by_source"][PARTNERSHIP]
    if actions["total"]:
        parts.append(_part(actions, "partnership action", "partnership actions"))
    return "; ".join(parts) + "."


def _part(c: dict, one: str, many: str) -> str:
    text = f"{c['done']} of {c['total']} {one if c['total'] == 1 else many} done"
    for label, n in (("in progress", c["by_status"]["in progress"]), ("blocked", c["by_status"]["blocked"]),
                     ("overdue", c["overdue"])):
        if n:
            text += f", {n} {label}"
    return text


def _stored(con: duckdb.DuckDBPyConnection) -> bool:
    (n,) = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name IN ('tracker_items', 'tracker_history') "
                       "AND database_name = current_database() AND schema_name = 'main'").fetchone()
    return n == 2


def _unstored(today: dt.date) -> pd.DataFrame:
    rows = [{"item_id": r.item_id, "source": r.source, "number": r.number, "recommendation": r.recommendation,
             "reference": r.reference, "owner": "partnership", "status": "not started", "due": None,
             "overdue": False, "days_overdue": pd.NA, "evidence": "", "note": "", "version": 0,
             "changed_by": None, "changed_at": None} for r in recommendations()]
    frame = pd.DataFrame(rows, columns=CURRENT_COLUMNS)
    frame["days_overdue"] = frame["days_overdue"].astype("Int64")
    return frame


def _dates(frame: pd.DataFrame) -> pd.DataFrame:
    """Due dates as datetime.date (or None), whatever pandas made of DuckDB's DATE."""
    frame["due"] = [None if pd.isna(d) else pd.Timestamp(d).date() for d in frame["due"]]
    if "days_overdue" in frame:
        frame["days_overdue"] = frame["days_overdue"].astype("Int64")
    return frame


# ---- tables for people (pages and downloads) --------------------------------------------------------------------

def display_current(frame: pd.DataFrame) -> pd.DataFrame:
    """current() with plain column names; overdue said in words, not by colour."""
    return pd.DataFrame({
        "ID": frame["item_id"], "Source": frame["source"], "Recommendation or action": frame["recommendation"],
        "Owner": frame["owner"].map(OWNER_LABELS), "Status": frame["status"].map(_capital),
        "Due": [_day(d) for d in frame["due"]],
        "Overdue": [f"OVERDUE by {n} day{'s' if n != 1 else ''}" if o else "" for o, n in
                    zip(frame["overdue"], frame["days_overdue"])],
        "Evidence or note": frame["evidence"],
        "Last update": [_moment(t) for t in frame["changed_at"]],
        "Updated by": frame["changed_by"].fillna(""), "Version": frame["version"].astype(int)})


def display_history(frame: pd.DataFrame) -> pd.DataFrame:
    """history() with plain column names and, for each version, what changed from the one before."""
    changed, before = [], {}
    for row in frame.itertuples(index=False):
        prior = before.get(row.item_id)
        changed.append("created" if prior is None else "; ".join(
            f"{label}: {_shown(getattr(prior, f), f)} → {_shown(getattr(row, f), f)}"
            for f, label in (("status", "status"), ("owner", "owner"), ("due", "due"), ("evidence", "evidence"))
            if getattr(prior, f) != getattr(row, f)) or "no change (note only)")
        before[row.item_id] = row
    return pd.DataFrame({
        "ID": frame["item_id"], "Version": frame["version"].astype(int), "What changed": changed,
        "Status": frame["status"].map(_capital), "Owner": frame["owner"].map(OWNER_LABELS),
        "Due": [_day(d) for d in frame["due"]], "Evidence or note": frame["evidence"], "Why (note)": frame["note"],
        "Changed by": frame["changed_by"], "Changed at": [_moment(t) for t in frame["changed_at"]]})


def _shown(value: object, field: str) -> str:
    if field == "owner":
        return OWNER_LABELS.get(value, str(value))
    if field == "due":
        return _day(value) or "none"
    if field == "evidence":
        return f"“{value}”" if value else "none"
    return str(value)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _day(value: object) -> str:
    return "" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def _moment(value: object) -> str:
    return "" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")

"""Data quality: what was loaded, what was refused and why, and how complete each column is."""
from __future__ import annotations

import duckdb
import pandas as pd

from .catalogue import by_id
from .metrics import Filters
from .release import QUALITY_FACTS
from .sources import registry


def query(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pd.DataFrame:
    cur = con.execute(sql, params or [])
    return pd.DataFrame(cur.fetchall(), columns=[d[0] for d in cur.description])


def loads(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return query(con, "SELECT load_id, file, kind, status, rows_read, rows_loaded, rows_quarantined, message, "
                      "started_at, finished_at FROM loads ORDER BY load_id DESC")


def last_loaded(con: duckdb.DuckDBPyConnection):
    """When the latest successful load finished (None before any): the date the data is as of."""
    return con.execute("SELECT max(finished_at) FROM loads WHERE status = 'loaded'").fetchone()[0]


def loads_published(loads: pd.DataFrame, threshold: int = 5) -> pd.DataFrame:
    """The load history for default output: a file's rows are records about children (a one-review
    file from the coding form is one review), so a row's counts show as 'c' when any of them is
    1 to `threshold` (all three, since read = loaded + quarantined)."""
    counts = ["rows_read", "rows_loaded", "rows_quarantined"]
    small = loads[counts].apply(lambda col: col.between(1, threshold)).any(axis=1)
    out = loads.astype({c: object for c in counts})
    out.loc[small, counts] = "c"
    return out


def quarantine(con: duckdb.DuckDBPyConnection, load_id: int | None = None) -> pd.DataFrame:
    return query(con, 'SELECT load_id, file, line, "column", value, reason FROM quarantine '
                      'WHERE ? IS NULL OR load_id = ? ORDER BY load_id DESC, line, "column"', [load_id, load_id])


def quarantine_reasons(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return query(con, 'SELECT file, "column", reason, count(*) AS rows FROM quarantine '
                      'GROUP BY ALL ORDER BY rows DESC, file, "column"')


COMPLETENESS_KINDS = tuple(QUALITY_FACTS)  # the kinds whose completeness the release publishes


def completeness(con: duckdb.DuckDBPyConnection, kind: str, show_small: bool = False) -> pd.DataFrame:
    """Share of records with each optional column filled, per agency and per agency and source, from
    the protected release: a share times its record count is a count, so it is hidden wherever the
    release hides it. A source that cannot carry a column (the CIN census has no child-seen flag)
    shows as empty here, rather than as 'not seen' in the indicator."""
    try:
        cells = query(con, "SELECT figure, key, numerator, denominator, hidden FROM release_cells "
                           "WHERE figure LIKE ? ORDER BY key", [f"quality.{kind}.%"])
    except duckdb.CatalogException:
        return pd.DataFrame()
    cells = cells[cells["key"] != ""]  # per agency; the overall row adds nothing a reader needs
    titles = {s.name: s.title for s in registry()}
    rows = []
    for key, group in cells.groupby("key", sort=True):
        parts = dict(p.split("=", 1) for p in key.split("|"))
        shown = group if show_small else group[~group["hidden"]]
        source = parts.get("source")
        row = {"agency": parts["agency"], "source": titles.get(source, source) if source else "All sources",
               "records": int(group["denominator"].iloc[0]) if not shown.empty else "c"}
        for _, c in group.iterrows():
            visible = show_small or not c["hidden"]
            row[c["figure"].rsplit(".", 1)[1]] = c["numerator"] / c["denominator"] if visible and c["denominator"] else None
        rows.append(row)
    return pd.DataFrame(rows)


def reviews(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """The review list: partnership references and coded answers, never a child identifier."""
    where, params = filters.clauses(by_id("review.count").fact)
    sql = ("SELECT review_id AS reference, review_type, reporting_year, ethnic_group, ethnicity, ethnicity_source, "
           "tor_race_focus, kloe_race_focus, race_considered, racism_named, adultification_identified, "
           "intersectionality, child_voice_review, interpreter_type, disclosure_followed_up, risk_recognition, "
           "race_learning_points, racism_recommendation, panel_letter_race FROM fct_review"
           + (f" WHERE {' AND '.join(where)}" if where else "") + " ORDER BY notification_date DESC, review_id")
    return query(con, sql, params)

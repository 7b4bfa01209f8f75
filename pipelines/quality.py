"""Data quality: what was loaded, what was refused and why, and how complete each column is."""
from __future__ import annotations

import duckdb
import pandas as pd

from .catalogue import by_id
from .metrics import Filters
from .schema import KINDS
from .store import landing_table


def query(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pd.DataFrame:
    cur = con.execute(sql, params or [])
    return pd.DataFrame(cur.fetchall(), columns=[d[0] for d in cur.description])


def loads(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return query(con, "SELECT load_id, file, kind, status, rows_read, rows_loaded, rows_quarantined, message, "
                      "started_at, finished_at FROM loads ORDER BY load_id DESC")


def quarantine(con: duckdb.DuckDBPyConnection, load_id: int | None = None) -> pd.DataFrame:
    return query(con, 'SELECT load_id, file, line, "column", value, reason FROM quarantine '
                      'WHERE ? IS NULL OR load_id = ? ORDER BY load_id DESC, line, "column"', [load_id, load_id])


def quarantine_reasons(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return query(con, 'SELECT file, "column", reason, count(*) AS rows FROM quarantine '
                      'GROUP BY ALL ORDER BY rows DESC, file, "column"')


COMPLETENESS_KINDS = ("children", "episodes", "disclosures")


def completeness_sql(kind: str) -> str:
    """Share of records with each optional column filled, per agency (from the declared contract)."""
    k = KINDS[kind]
    filled = ", ".join(f'avg(CASE WHEN "{c.name}" IS NULL THEN 0 ELSE 1 END) AS "{c.name}"'
                       for c in k.columns if not c.required)
    return (f"CREATE OR REPLACE TABLE mart_completeness_{kind} AS SELECT agency, count(*) AS records, {filled} "
            f"FROM {landing_table(k)} GROUP BY agency ORDER BY agency")


def build_completeness(con: duckdb.DuckDBPyConnection, changed: set[str] | None, existing: set[str]) -> None:
    """Counted once per load, so the data quality page never scans millions of rows."""
    for kind in COMPLETENESS_KINDS:
        if changed is None or kind in changed or f"mart_completeness_{kind}" not in existing:
            con.execute(completeness_sql(kind))


def completeness(con: duckdb.DuckDBPyConnection, kind: str, threshold: int = 5) -> pd.DataFrame:
    """Completeness per agency; agencies with few records hidden."""
    try:
        frame = query(con, f"SELECT * FROM mart_completeness_{KINDS[kind].name}")
    except duckdb.CatalogException:
        return pd.DataFrame()
    columns = [c for c in frame.columns if c not in ("agency", "records")]
    small = frame["records"] <= threshold
    frame.loc[small, columns] = None
    frame["records"] = frame["records"].astype(object).where(~small, "c")
    return frame


def reviews(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """The review list: partnership references and coded answers, never a child identifier."""
    where, params = filters.clauses(by_id("review.count").fact)
    sql = ("SELECT review_id AS reference, review_type, reporting_year, ethnic_group, ethnicity, ethnicity_source, "
           "tor_race_focus, kloe_race_focus, race_considered, racism_named, adultification_identified, "
           "intersectionality, child_voice_review, interpreter_type, disclosure_followed_up, risk_recognition, "
           "race_learning_points, racism_recommendation, panel_letter_race FROM fct_review"
           + (f" WHERE {' AND '.join(where)}" if where else "") + " ORDER BY notification_date DESC, review_id")
    return query(con, sql, params)

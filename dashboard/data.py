"""Cached queries for the pages. Each opens a short-lived read-only connection.

Results are cached by the database file's modification time, so a load (which
swaps in a new file) is seen on the next rerun without holding any connection.

Every fetch takes the signed-in person (`who`, pipelines.access) and checks them before reading:
the partnership, exact counts and case-system data are refused here, whatever a page asks for.
`who` is part of each cache key, so a cached answer is only ever served to the person it was
checked for.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from pipelines import access, quality, release, report
from pipelines.access import Principal
from pipelines.catalogue import catalogue
from pipelines.metrics import Filters
from pipelines.store import read_connection


def stamp(db: Path) -> float:
    """Changes whenever a load swaps in a new database file."""
    return db.stat().st_mtime_ns if db.exists() else 0.0


def has_data(db: str) -> bool:
    return Path(db).exists()


@st.cache_data(show_spinner=False, max_entries=256)
def indicators(db: str, version: float, who: Principal, by: tuple[str, ...], filters: Filters, show_small: bool,
               threshold: int, ids: tuple[str, ...] = ()) -> pd.DataFrame:
    """Indicator cells; case-system indicators only for someone who may see that data."""
    access.authorise(who, filters.partnership, show_small)
    chosen = [i for i in catalogue() if (not ids or i.id in ids) and (who.case_data or not access.reads_case_data(i))]
    if not chosen:
        return pd.DataFrame(columns=report.FRAME_COLUMNS)
    with read_connection(Path(db)) as con:
        return report.indicator_frame(con, by, filters, show_small, threshold, chosen)


@st.cache_data(show_spinner=False, max_entries=64)
def spc(db: str, version: float, who: Principal, filters: Filters, show_small: bool, threshold: int,
        ids: tuple[str, ...] = (), rules=None) -> pd.DataFrame:
    """Every monthly indicator's p-chart points (pipelines.signals), from the months the page may show.
    Monthly series come from the case-system extracts: none for someone who may not see them."""
    from pipelines import signals, spc as control

    access.authorise(who, filters.partnership, show_small)
    if not who.case_data:
        return pd.DataFrame()
    with read_connection(Path(db)) as con:
        return signals.frame(signals.monthly(con, ids, None, filters, threshold, protected=not show_small,
                                             rules=rules or control.Rules()))


@st.cache_data(show_spinner=False, max_entries=8)
def board_pack(db: str, version: float, who: Principal, fmt: str, filters: Filters, show_small: bool,
               threshold: int) -> bytes:
    """The board pack (pipelines.pack) as PDF or PPTX bytes, from the same figures as the pages."""
    from pipelines import pack

    access.authorise(who, filters.partnership, show_small)
    with read_connection(Path(db)) as con:
        return pack.build(con, fmt, filters, show_small, threshold, case_data=who.case_data)


@st.cache_data(show_spinner=False, max_entries=8)
def tracker_progress(db: str, version: float, who: Principal) -> dict:
    """The recommendations tracker's progress (pipelines.tracker), for the overview: the partnership's
    own actions, so for someone who may see the home partnership."""
    from pipelines import tracker

    access.authorise_home(who)
    with read_connection(Path(db)) as con:
        return tracker.progress(con)


@st.cache_data(show_spinner=False, max_entries=8)
def last_loaded(db: str, version: float, who: Principal):
    who.require("view")  # a date, not a figure
    with read_connection(Path(db)) as con:
        return quality.last_loaded(con)


@st.cache_data(show_spinner=False, max_entries=32)
def interpreter_mix(db: str, version: float, who: Principal, filters: Filters, show_small: bool,
                    threshold: int) -> pd.DataFrame:
    access.authorise(who, filters.partnership, show_small, case_data=True)
    with read_connection(Path(db)) as con:
        return report.interpreter_mix(con, filters, show_small, threshold)


@st.cache_data(show_spinner=False, max_entries=8)
def options(db: str, version: float, who: Principal) -> dict[str, list[str]]:
    """The filters' choices: only the person's own partnerships, and agencies (the case-system extracts')
    only for someone who may see them."""
    none = {"partnership": [], "period": [], "agency": []}
    if not Path(db).exists():
        return {"partnership": [], "reporting_year": [], "agency": [], "release": none}
    with read_connection(Path(db)) as con:
        stored = release.status(con)
        found = {**report.options(con), "release": dict(stored["scopes"]) if stored else none}
    mine = [p for p in found["partnership"] if who.sees(p)]
    found["release"]["partnership"] = [p for p in found["release"].get("partnership", []) if who.sees(p)]
    if not who.case_data:
        found["agency"], found["release"]["agency"] = [], []
    return {**found, "partnership": mine}


@st.cache_data(show_spinner=False, max_entries=32)
def review_list(db: str, version: float, who: Principal, filters: Filters) -> pd.DataFrame:
    access.authorise(who, filters.partnership, show_small=True)  # one row per review: exact by nature
    with read_connection(Path(db)) as con:
        return quality.reviews(con, filters)


@st.cache_data(show_spinner=False, max_entries=16)
def quality_tables(db: str, version: float, who: Principal, show_small: bool) -> dict[str, pd.DataFrame]:
    """Database-wide (every partnership's loads): for someone who may see them all or the home partnership.
    The quarantined rows hold the values that broke the contract: for people who load data."""
    access.authorise_home(who, show_small)
    with read_connection(Path(db)) as con:
        loads = quality.loads(con) if show_small else quality.loads_published(quality.loads(con))
        rows = quality.quarantine(con) if who.may_home("load") else quality.quarantine(con).head(0)
        return {"loads": loads, "reasons": quality.quarantine_reasons(con), "quarantine": rows,
                **{f"complete_{k}": quality.completeness(con, k, show_small) for k in quality.COMPLETENESS_KINDS}}

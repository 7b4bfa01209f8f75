"""Cached queries for the pages. Each opens a short-lived read-only connection.

Results are cached by the database file's modification time, so a load (which
swaps in a new file) is seen on the next rerun without holding any connection.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from pipelines import quality, release, report
from pipelines.catalogue import catalogue
from pipelines.metrics import Filters
from pipelines.store import read_connection


def stamp(db: Path) -> float:
    """Changes whenever a load swaps in a new database file."""
    return db.stat().st_mtime_ns if db.exists() else 0.0


def has_data(db: str) -> bool:
    return Path(db).exists()


@st.cache_data(show_spinner=False, max_entries=256)
def indicators(db: str, version: float, by: tuple[str, ...], filters: Filters, show_small: bool,
               threshold: int, ids: tuple[str, ...] = ()) -> pd.DataFrame:
    chosen = [i for i in catalogue() if i.id in ids] if ids else None
    with read_connection(Path(db)) as con:
        return report.indicator_frame(con, by, filters, show_small, threshold, chosen)


@st.cache_data(show_spinner=False, max_entries=64)
def spc(db: str, version: float, filters: Filters, show_small: bool, threshold: int,
        ids: tuple[str, ...] = (), rules=None) -> pd.DataFrame:
    """Every monthly indicator's p-chart points (pipelines.signals), from the months the page may show."""
    from pipelines import signals, spc as control

    with read_connection(Path(db)) as con:
        return signals.frame(signals.monthly(con, ids, None, filters, threshold, protected=not show_small,
                                             rules=rules or control.Rules()))


@st.cache_data(show_spinner=False, max_entries=8)
def board_pack(db: str, version: float, fmt: str, filters: Filters, show_small: bool, threshold: int) -> bytes:
    """The board pack (pipelines.pack) as PDF or PPTX bytes, from the same figures as the pages."""
    from pipelines import pack

    with read_connection(Path(db)) as con:
        return pack.build(con, fmt, filters, show_small, threshold)


@st.cache_data(show_spinner=False, max_entries=8)
def tracker_progress(db: str, version: float) -> dict:
    """The recommendations tracker's progress (pipelines.tracker), for the overview."""
    from pipelines import tracker

    with read_connection(Path(db)) as con:
        return tracker.progress(con)


@st.cache_data(show_spinner=False, max_entries=8)
def last_loaded(db: str, version: float):
    with read_connection(Path(db)) as con:
        return quality.last_loaded(con)


@st.cache_data(show_spinner=False, max_entries=32)
def interpreter_mix(db: str, version: float, filters: Filters, show_small: bool, threshold: int) -> pd.DataFrame:
    with read_connection(Path(db)) as con:
        return report.interpreter_mix(con, filters, show_small, threshold)


@st.cache_data(show_spinner=False, max_entries=8)
def options(db: str, version: float) -> dict[str, list[str]]:
    none = {"partnership": [], "period": [], "agency": []}
    if not Path(db).exists():
        return {"partnership": [], "reporting_year": [], "agency": [], "release": none}
    with read_connection(Path(db)) as con:
        stored = release.status(con)
        return {**report.options(con), "release": stored["scopes"] if stored else none}


@st.cache_data(show_spinner=False, max_entries=32)
def review_list(db: str, version: float, filters: Filters) -> pd.DataFrame:
    with read_connection(Path(db)) as con:
        return quality.reviews(con, filters)


@st.cache_data(show_spinner=False, max_entries=16)
def quality_tables(db: str, version: float, show_small: bool) -> dict[str, pd.DataFrame]:
    with read_connection(Path(db)) as con:
        loads = quality.loads(con) if show_small else quality.loads_published(quality.loads(con))
        return {"loads": loads, "reasons": quality.quarantine_reasons(con),
                "quarantine": quality.quarantine(con),
                **{f"complete_{k}": quality.completeness(con, k, show_small) for k in quality.COMPLETENESS_KINDS}}

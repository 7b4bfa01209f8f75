"""Sidebar filters, shared by every page and kept in session state so they persist across pages."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import streamlit as st

from pipelines.config import Settings, settings
from pipelines.metrics import Filters

from . import data

ALL = "All partnerships"


@dataclass(frozen=True)
class View:
    settings: Settings
    filters: Filters
    show_small: bool
    years: tuple[str, ...]  # financial years in the selected period

    @property
    def db(self) -> str:
        return str(self.settings.db_path)


def year_bounds(year: str) -> tuple[dt.date, dt.date]:
    start = int(year[:4])
    return dt.date(start, 4, 1), dt.date(start + 1, 3, 31)


def sidebar() -> View:
    cfg = settings()
    opts = data.options(str(cfg.db_path), data.stamp(cfg.db_path))
    with st.sidebar:
        st.header("Filters")
        partnership = st.selectbox("Partnership", [ALL, *opts["partnership"]], key="f_partnership",
                                   help="Applies to the review extract; case-system extracts are the partnership's own.")
        years = opts["reporting_year"]
        period: tuple[str, str] | None = None
        if len(years) > 1:
            period = st.select_slider("Period (financial years, April to March)", years,
                                      value=(years[0], years[-1]), key="f_period")
        elif years:
            period = (years[0], years[0])
        agencies = st.multiselect("Agencies", opts["agency"], key="f_agencies", placeholder="All agencies",
                                  format_func=lambda a: a.replace("_", " ").capitalize())
        show_small = st.toggle("Show small numbers (internal use)", key="f_show_small",
                               help="Shows counts of 1 to 5 that are otherwise hidden. Output is OFFICIAL-SENSITIVE.")
    start, end = (year_bounds(period[0])[0], year_bounds(period[1])[1]) if period else (None, None)
    chosen = tuple(y for y in years if period and period[0] <= y <= period[1])
    filters = Filters(partnership=None if partnership == ALL else partnership,
                      period_start=start, period_end=end, agencies=tuple(agencies))
    return View(cfg, filters, show_small, chosen)

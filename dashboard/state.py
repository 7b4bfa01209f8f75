"""Sidebar filters, shared by every page and kept in session state so they persist across pages."""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from pipelines.config import Settings, settings
from pipelines.metrics import Filters
from pipelines.release import year_bounds

from . import data

ALL = "All partnerships"
WHOLE = "Whole period"
ALL_AGENCIES = "All agencies"


@dataclass(frozen=True)
class View:
    settings: Settings
    filters: Filters
    show_small: bool
    years: tuple[str, ...]  # financial years in the selected period

    @property
    def db(self) -> str:
        return str(self.settings.db_path)


def sidebar() -> View:
    """Published figures offer only the release's filters (one financial year or the whole period,
    one agency or all); the internal-use switch opens any range and any set of agencies."""
    cfg = settings()
    opts = data.options(str(cfg.db_path), data.stamp(cfg.db_path))
    with st.sidebar:
        st.header("Filters")
        show_small = st.toggle("Show small numbers (internal use)", key="f_show_small",
                               help=f"Shows counts of 1 to {cfg.suppression_threshold} that are otherwise hidden, and "
                                    "opens any period range and set of agencies. Output is OFFICIAL-SENSITIVE.")
        partnerships = opts["partnership"] if show_small else opts["release"]["partnership"]
        partnership = st.selectbox("Partnership", [ALL, *partnerships], key="f_partnership",
                                   help="Applies to the review extract; case-system extracts are the partnership's own. "
                                        "Published figures name a partnership only when every partnership has enough reviews.")
        years = opts["reporting_year"] if show_small else opts["release"]["period"]
        if show_small:
            period = _period_range(years)
            agencies = tuple(st.multiselect("Agencies", opts["agency"], key="f_agencies", placeholder="All agencies",
                                            format_func=_agency_label))
        else:
            year = st.selectbox("Period", [WHOLE, *years], key="f_year",
                                help="Published figures are for one financial year (April to March) or the whole period.")
            period = None if year == WHOLE else (year, year)
            agency = st.selectbox("Agency", [ALL_AGENCIES, *opts["release"]["agency"]], key="f_agency",
                                  format_func=lambda a: a if a == ALL_AGENCIES else _agency_label(a))
            agencies = () if agency == ALL_AGENCIES else (agency,)
    start, end = (year_bounds(period[0])[0], year_bounds(period[1])[1]) if period else (None, None)
    chosen = tuple(y for y in years if not period or period[0] <= y <= period[1])
    filters = Filters(partnership=None if partnership == ALL else partnership,
                      period_start=start, period_end=end, agencies=agencies)
    return View(cfg, filters, show_small, chosen)


def _period_range(years: list[str]) -> tuple[str, str] | None:
    if len(years) > 1:
        return st.select_slider("Period (financial years, April to March)", years, value=(years[0], years[-1]),
                                key="f_period")
    return (years[0], years[0]) if years else None


def _agency_label(agency: str) -> str:
    return agency.replace("_", " ").capitalize()

"""Sidebar filters, shared by every page and kept in session state so they persist across pages."""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from pipelines import audit_trail
from pipelines.access import Principal
from pipelines.config import Settings, settings
from pipelines.metrics import Filters
from pipelines.release import year_bounds

from . import auth, data

ALL = "All partnerships"
WHOLE = "Whole period"
ALL_AGENCIES = "All agencies"


@dataclass(frozen=True)
class View:
    settings: Settings
    filters: Filters
    show_small: bool
    years: tuple[str, ...]  # financial years in the selected period
    who: Principal

    @property
    def db(self) -> str:
        return str(self.settings.db_path)


def sidebar() -> View:
    """Published figures offer only the release's filters (one financial year or the whole period,
    one agency or all); the internal-use switch (analysts and above) opens any range and any set of
    agencies. Partnerships are the person's own; "All partnerships" only for someone granted them all."""
    cfg = settings()
    who = auth.principal(cfg)
    auth.sidebar_identity(who)
    opts = data.options(str(cfg.db_path), data.stamp(cfg.db_path), who)
    with st.sidebar:
        st.header("Filters")
        show_small = internal_switch(cfg, who)
        partnerships = opts["partnership"] if show_small else opts["release"]["partnership"]
        choices = [ALL, *partnerships] if who.partnerships is None else partnerships
        partnership = st.selectbox("Partnership", choices or ["None of yours has published figures"],
                                   key="f_partnership",
                                   help="Applies to the review extract; case-system extracts are the partnership's own. "
                                        "Published figures name a partnership only when every partnership has enough reviews.")
        if partnership not in partnerships and partnership != ALL:
            st.warning("None of your partnerships' review figures can be published on their own yet.")
            st.stop()
        if show_small and not who.may("exact_counts", None if partnership == ALL else partnership):
            st.warning(f"Exact counts are not granted to you for {partnership}: turn off the internal-use "
                       "switch or choose a partnership where you are an analyst.", icon=":material/lock:")
            st.stop()
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
    return View(cfg, filters, show_small, chosen, who)


INTERNAL = "internal"  # the URL's query parameter for the internal-use switch (a link an analyst can share)


def internal_switch(cfg: Settings, who: Principal) -> bool:
    """The internal-use switch, for analysts and above; its state is in the URL (?internal=1). Anyone
    else asking for it, by the URL or otherwise, is refused and the refusal is recorded."""
    asked = st.query_params.get(INTERNAL) == "1"
    if not who.may("exact_counts"):
        if asked:
            audit_trail.record(cfg.audit_db, who.user, who.role, "refused", what="exact_counts", via="url")
            del st.query_params[INTERNAL]
            st.session_state["refused_internal"] = True
        if st.session_state.get("refused_internal"):
            st.error("Exact counts are for analysts: your role shows the published figures only.",
                     icon=":material/lock:")
        return False
    if asked and "f_show_small" not in st.session_state:
        st.session_state["f_show_small"] = True

    def switched() -> None:
        if st.session_state["f_show_small"]:
            audit_trail.record(cfg.audit_db, who.user, who.role, "exact_counts", state="on")
            st.query_params[INTERNAL] = "1"
            st.session_state["internal_recorded"] = True
        elif INTERNAL in st.query_params:
            del st.query_params[INTERNAL]

    on = st.toggle("Show small numbers (internal use)", key="f_show_small", on_change=switched,
                   help=f"Shows counts of 1 to {cfg.suppression_threshold} that are otherwise hidden, and opens any "
                        "period range and set of agencies. Output is OFFICIAL-SENSITIVE.")
    if on and asked and not st.session_state.get("internal_recorded"):
        st.session_state["internal_recorded"] = True  # opened from a shared link: recorded like a switch
        audit_trail.record(cfg.audit_db, who.user, who.role, "exact_counts", state="on", via="url")
    return on


def _period_range(years: list[str]) -> tuple[str, str] | None:
    if len(years) > 1:
        return st.select_slider("Period (financial years, April to March)", years, value=(years[0], years[-1]),
                                key="f_period")
    return (years[0], years[0]) if years else None


def _agency_label(agency: str) -> str:
    return agency.replace("_", " ").capitalize()

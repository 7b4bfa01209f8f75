"""Practice: ethnicity recording, the child's voice, identity, interpreters and disclosures, month by month."""
import re

import streamlit as st

from dashboard import charts, components as ui, spc_charts
from dashboard import data
from pipelines import report, signals, spc
from pipelines.catalogue import by_id, catalogue

view = st.session_state["view"]
ui.require(view, "view", home=True)  # the case-system extracts are the home partnership's
ui.page_header("Practice", "Everyday practice from the agencies' case-system extracts: is ethnicity recorded, "
               "is the child seen and heard, is identity explored, who interprets, are disclosures acted on?",
               view.show_small)
version, threshold = data.stamp(view.settings.db_path), view.settings.suppression_threshold
indicators = [i for i in catalogue() if i.page == "practice"]
overall = (data.indicators(view.db, version, view.who, (), view.filters, view.show_small, threshold, tuple(i.id for i in indicators))
           if data.has_data(view.db) else None)
ui.stop_unless(overall is not None and not overall.empty, "case-system extract")

st.subheader("All practice indicators")
ui.table_with_downloads(report.display_table(overall, "Scope"), "practice_overall", view.show_small, "pr_all")

st.divider()
recorded = data.indicators(view.db, version, view.who, ("agency",), view.filters, view.show_small, threshold, ("practice.ethnicity_recorded",))
ui.indicator_block(by_id("practice.ethnicity_recorded"), recorded, "Agency", view.show_small, "pr_eth",
                   charts.rate_bars(recorded) if not recorded.empty else None)

st.divider()
st.subheader("Who interpreted, by agency")
st.caption("Episodes where an interpreter was needed. The report warns against family members and children interpreting.")
mix = data.interpreter_mix(view.db, version, view.who, view.filters, view.show_small, threshold)
if mix.empty:
    st.info("No episodes needing an interpreter in this selection.")
else:
    st.altair_chart(charts.stacked_shares(mix, "Agency", "Interpreter", list(report.INTERPRETER_ARRANGEMENTS.values())),
                    theme=None, width="stretch")
    ui.table_with_downloads(report.display_mix(mix), "interpreters_by_agency", view.show_small, "pr_int")

st.divider()
st.subheader("Month by month: signal or noise?")
st.caption("Statistical process control charts (NHS England's Making Data Count). The solid line is the average "
           "over the months shown, the dashed lines the limits within which months vary by chance alone. A special "
           "cause is a month outside the limits, 7 months in a row on one side of the average or rising or falling, "
           "or 2 of 3 months near a limit: improvement, concern, or (where neither direction is better) change. "
           "Every chart's axis runs from 0% to 100%. c = a month hidden to protect privacy (a gap, not a zero).")
limits = st.radio("Centre line and limits from", ["Every month shown", "The first 12 months (fixed baseline)",
                   "Before and after a change date"], horizontal=True, key="spc_limits")
rules = spc.Rules()
if limits.startswith("The first"):
    rules = spc.Rules(baseline=12)
elif limits.startswith("Before"):
    change = st.text_input("Change date (YYYY-MM), e.g. when a new practice standard began", key="spc_rebase")
    if re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", change.strip()):
        rules = spc.Rules(rebase=change.strip())
    elif change.strip():
        st.warning(f"{change!r} is not a month: write it as YYYY-MM, e.g. 2024-04. Limits use every month meanwhile.")
points = data.spc(view.db, version, view.who, view.filters, view.show_small, threshold, rules=rules)
if points.empty:
    st.info("No dated episodes, disclosures or referrals in this selection.")
else:
    st.markdown(signals.summary_sentence(points))
    columns = st.columns(2)
    for n, (indicator_id, series) in enumerate(points.groupby("indicator", sort=False)):
        ind = by_id(indicator_id)
        with columns[n % 2].container(border=True):
            colour, words = spc_charts.VARIATION_BADGE[series["variation"].iloc[0]]
            st.markdown(f"**{ind.short_label}** · {signals.DIRECTION_TEXT[ind.direction].capitalize()}")
            trial = f" · trial limits ({series['limits_from'].iloc[0]} months)" if series["trial"].iloc[0] else ""
            st.badge(words + trial, color=colour)
            if series["assurance"].iloc[0] in spc_charts.ASSURANCE_BADGE:
                colour, words = spc_charts.ASSURANCE_BADGE[series["assurance"].iloc[0]]
                st.badge(f"{words} ({ind.target:.0%})", color=colour)
            st.altair_chart(spc_charts.p_chart(series), theme=None, width="stretch")
    ui.table_with_downloads(signals.display(points), "practice_monthly_spc", view.show_small, "pr_month")
    monthly = data.indicators(view.db, version, view.who, ("month",), view.filters, view.show_small, threshold,
                              tuple(points["indicator"].unique()))
    ui.sql_behind(monthly)

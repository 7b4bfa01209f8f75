"""Practice: ethnicity recording, the child's voice, identity, interpreters and disclosures, month by month."""
import streamlit as st

from dashboard import charts, components as ui
from dashboard import data
from pipelines import report
from pipelines.catalogue import by_id, catalogue

view = st.session_state["view"]
ui.page_header("Practice", "Everyday practice from the agencies' case-system extracts: is ethnicity recorded, "
               "is the child seen and heard, is identity explored, who interprets, are disclosures acted on?",
               view.show_small)
version, threshold = data.stamp(view.settings.db_path), view.settings.suppression_threshold
indicators = [i for i in catalogue() if i.page == "practice"]
overall = (data.indicators(view.db, version, (), view.filters, view.show_small, threshold, tuple(i.id for i in indicators))
           if data.has_data(view.db) else None)
ui.stop_unless(overall is not None and not overall.empty, "case-system extract")

st.subheader("All practice indicators")
ui.table_with_downloads(report.display_table(overall, "Scope"), "practice_overall", view.show_small, "pr_all")

st.divider()
recorded = data.indicators(view.db, version, ("agency",), view.filters, view.show_small, threshold, ("practice.ethnicity_recorded",))
ui.indicator_block(by_id("practice.ethnicity_recorded"), recorded, "Agency", view.show_small, "pr_eth",
                   charts.rate_bars(recorded) if not recorded.empty else None)

st.divider()
st.subheader("Who interpreted, by agency")
st.caption("Episodes where an interpreter was needed. The report warns against family members and children interpreting.")
mix = data.interpreter_mix(view.db, version, view.filters, view.show_small, threshold)
if mix.empty:
    st.info("No episodes needing an interpreter in this selection.")
else:
    st.altair_chart(charts.stacked_shares(mix, "Agency", "Interpreter", list(report.INTERPRETER_ARRANGEMENTS.values())),
                    theme=None, width="stretch")
    ui.table_with_downloads(report.display_mix(mix), "interpreters_by_agency", view.show_small, "pr_int")

st.divider()
st.subheader("Month by month")
monthly_ids = tuple(i.id for i in indicators if "month" in i.fact.dims)
monthly = data.indicators(view.db, version, ("month",), view.filters, view.show_small, threshold, monthly_ids)
if monthly.empty:
    st.info("No dated episodes or disclosures in this selection.")
else:
    st.altair_chart(charts.monthly_trends(monthly), theme=None)
    st.caption("Each panel has its own scale. Gaps are months hidden to protect privacy.")
    ui.table_with_downloads(report.display_table(monthly, "Month"), "practice_monthly", view.show_small, "pr_month")
    ui.sql_behind(monthly)

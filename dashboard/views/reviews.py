"""Reviews: every review indicator, by review type, year and ethnic group, with the framework question."""
import streamlit as st

from dashboard import charts, components as ui
from dashboard import data
from pipelines import report
from pipelines.catalogue import catalogue

view = st.session_state["view"]
ui.page_header("Reviews", "Rapid reviews and LCSPRs coded with the Panel's analytical framework "
               "(It's Silent, Appendix D).", view.show_small)
version, threshold = data.stamp(view.settings.db_path), view.settings.suppression_threshold
indicators = [i for i in catalogue() if i.page == "reviews"]
ids = tuple(i.id for i in indicators)
overall = data.indicators(view.db, version, view.who, (), view.filters, view.show_small, threshold, ids) if data.has_data(view.db) else None
ui.stop_unless(overall is not None and not overall.empty, "review extract")

st.subheader("Our reviews against the national picture")
rates = overall[overall["indicator"] != "review.count"]
st.altair_chart(charts.rate_bars(rates, category="short_label"), theme=None, width="stretch")
if rates["suppressed"].any() and not view.show_small:  # the chart's key, drawn in it, says what bars and ticks are
    st.caption("c = hidden to protect children's privacy (a count of 1 to 5, or a figure it could be worked out from).")
ui.table_with_downloads(report.display_table(overall, "Scope"), "reviews_overall", view.show_small, "rev_all")
ui.sql_behind(overall)

st.divider()
left, right = st.columns(2)
chosen = left.selectbox("Indicator", ids, index=ids.index("review.tor_race_focus"), key="rev_indicator",
                        format_func=lambda i: next(x.label for x in indicators if x.id == i))
dims = ("review_type", "reporting_year", "ethnic_group", "ethnicity", "sex", "age_band")
by = right.radio("Break down by", dims, key="rev_by", horizontal=True, format_func=report.DIMENSION_LABELS.get)
ind = next(i for i in indicators if i.id == chosen)
frame = data.indicators(view.db, version, view.who, (by,), view.filters, view.show_small, threshold, (chosen,))
ui.indicator_block(ind, frame, report.DIMENSION_LABELS[by], view.show_small, "rev_detail",
                   charts.rate_bars(frame) if not frame.empty else None)

st.divider()
st.subheader("The reviews")
if view.show_small:
    reviews = data.review_list(view.db, version, view.who, view.filters)
    ui.table_with_downloads(reviews, "reviews_list", True, "rev_list")
else:
    st.info("Each row is one child, so the list is shown only with **Show small numbers (internal use)** on.",
            icon=":material/lock:")

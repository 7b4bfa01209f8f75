"""Ethnic groups: any indicator by any breakdown, with 95% intervals and rate ratios."""
import streamlit as st

from dashboard import charts, components as ui
from dashboard import data
from pipelines import report
from pipelines.catalogue import catalogue

view = st.session_state["view"]
ui.page_header("Ethnic groups", "Pick any indicator and any breakdown. Rates have 95% Wilson intervals; "
               "by ethnic group, each group is compared with White children.", view.show_small)
ui.stop_unless(data.has_data(view.db))
version, threshold = data.stamp(view.settings.db_path), view.settings.suppression_threshold
indicators = {i.id: i for i in catalogue()}

first, second, third = st.columns([2, 1, 1])
chosen = first.selectbox("Indicator", list(indicators), key="grp_indicator",
                         index=list(indicators).index("practice.interpreter_informal"),
                         format_func=lambda i: f"{indicators[i].label} ({'reviews' if i.startswith('review') else 'practice'})")
ind = indicators[chosen]
dims = list(ind.fact.dims)
by = second.selectbox("Break down by", dims, key="grp_by", format_func=report.DIMENSION_LABELS.get)
also = third.selectbox("and by (optional)", ["", *[d for d in dims if d != by]], key="grp_also",
                       format_func=lambda d: report.DIMENSION_LABELS.get(d, "Nothing else"))
table = (by, also) if also else (by,)
frame = data.indicators(view.db, version, table, view.filters, view.show_small, threshold, (chosen,))
heading = " and ".join(report.DIMENSION_LABELS[d] for d in table)
ui.indicator_block(ind, frame, heading, view.show_small, "grp",
                   charts.rate_bars(frame) if not frame.empty else None)

if table == ("ethnic_group",) and not frame.empty:
    st.subheader("Compared with White children")
    st.caption("Rate ratio: the group's rate divided by White children's (or all other children's, for White "
               "children). Above 1 means higher. Where the 95% interval includes 1 the difference may be chance. "
               "Hidden groups are not compared.")
    ui.table_with_downloads(report.rate_ratios(frame), f"{chosen.replace('.', '_')}_rate_ratios",
                            view.show_small, "grp_rr")

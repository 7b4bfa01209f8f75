"""Ethnic groups: any indicator by any breakdown, with 95% intervals; by ethnic group, each group
compared with White children in a forest plot, a table and one sentence (computed in pipelines.compare)."""
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import charts, compare_charts, components as ui
from dashboard import data
from pipelines import compare, report
from pipelines.catalogue import catalogue
from pipelines.store import read_connection

POPULATION_BASED = "practice.cin_rate_per_10k"  # a rate per resident child: show each group's share of them


@st.cache_data(show_spinner=False, max_entries=8)
def resident_children(db: str, version: float) -> pd.DataFrame:
    with read_connection(Path(db)) as con:
        return compare.population(con)


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
frame = data.indicators(view.db, version, view.who, table, view.filters, view.show_small, threshold, (chosen,))
heading = " and ".join(report.DIMENSION_LABELS[d] for d in table)
chart = None
if not frame.empty and also and "month" in table:  # month by group: a line per group
    other = also if by == "month" else by
    chart = compare_charts.lines_by_group(compare.grid(frame, table), by == "month", report.DIMENSION_LABELS[other],
                                          f"“{ind.label}”")
elif not frame.empty and also:
    chart = compare_charts.heatmap(compare.grid(frame, table), report.DIMENSION_LABELS[by],
                                   report.DIMENSION_LABELS[also], f"“{ind.label}”")
elif not frame.empty:
    chart = compare_charts.described(charts.rate_bars(frame), compare_charts.rates_description(frame, f"“{ind.label}”", heading))
ui.indicator_block(ind, frame, heading, view.show_small, "grp", chart)
if also and not frame.empty and "month" not in table:
    st.caption("In the grid, each cell is the rate for that combination, darker for higher; z = no records. "
               "The table below the grid lists every cell with its 95% interval.")


def comparison_section() -> None:
    """Each ethnic group against White children: sentence, forest plot, then its table."""
    overall = data.indicators(view.db, version, view.who, (), view.filters, view.show_small, threshold, (chosen,))
    result = compare.comparison(frame, overall)
    reference = result.attrs["reference"]
    population_based = chosen == POPULATION_BASED
    ratio_name = "Relative rate" if population_based else "Rate ratio"
    st.subheader(f"Compared with {reference}")
    st.markdown(compare.sentence(result, f"the rate for “{ind.short_label}”", ind.direction))
    forest = compare_charts.forest(compare.forest_data(result), reference, f"“{ind.label}”", ratio_name)
    st.altair_chart(forest, theme=None, width="stretch")
    fallback = "" if reference == "White children" else (
        " White children have no usable figure here (hidden, none counted or not in the data), so each group is "
        f"compared with {reference}.")
    st.caption(f"{ratio_name}: the group's rate divided by {reference}'s; 1 means the same, above 1 higher. Where the "
               "95% interval (the bar) crosses the dashed line at 1, the difference may be chance. A group whose "
               "figure is hidden to protect children's privacy, or is zero, is shown as too few to compare." + fallback)
    resident = None
    if population_based:
        resident = compare.with_population(result, resident_children(view.db, version), overall)
        st.caption("Resident children are census figures (public, so never hidden); children in need are counted "
                   "from the loaded data and hidden like every other count. A group over-represented among children "
                   "in need has a larger share of them than of resident children.")
    ui.table_with_downloads(compare.display_comparison(result, resident, ratio_name),
                            f"{chosen.replace('.', '_')}_comparison", view.show_small, "grp_rr")


if table == ("ethnic_group",) and not frame.empty:
    if ind.share:
        st.info("This indicator is each group's share of the whole, not a rate within the group, "
                "so groups are not compared by rate ratio.")
    else:
        comparison_section()

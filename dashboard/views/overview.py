"""Board overview: the key figures on one printable screen, beside the national ones."""
import pandas as pd
import streamlit as st

from dashboard import components as ui
from dashboard import data
from pipelines import report
from pipelines.catalogue import catalogue

view = st.session_state["view"]
ui.page_header("Board overview", "Is our safeguarding practice silent about race? Key figures for the selected "
               "period, the change in the latest financial year, and the national figure from the Panel's "
               "report It's Silent (March 2025, 54 reviews).", view.show_small)
ui.stop_unless(data.has_data(view.db))
if view.years:
    st.markdown(f"**Period:** {view.years[0]} to {view.years[-1]} (financial years)"
                + (f" · **Agencies:** {', '.join(view.filters.agencies)}" if view.filters.agencies else "")
                + (f" · **Partnership:** {view.filters.partnership}" if view.filters.partnership else ""))

board = [i for i in catalogue() if i.board]
ids = tuple(i.id for i in board)
version, threshold = data.stamp(view.settings.db_path), view.settings.suppression_threshold
overall = data.indicators(view.db, version, (), view.filters, view.show_small, threshold, ids).set_index("indicator")
yearly = data.indicators(view.db, version, ("reporting_year",), view.filters, view.show_small, threshold, ids)


def change(ind_id: str) -> tuple[str | None, str]:
    """Latest financial year against the one before, in percentage points, when both are shown."""
    rows = yearly[(yearly["indicator"] == ind_id) & yearly["group"].isin(view.years)].sort_values("group")
    if len(rows) < 2 or rows["value"].iloc[-2:].isna().any():
        return None, ""
    prev, last = rows.iloc[-2], rows.iloc[-1]
    points = round((last["value"] - prev["value"]) * 100, 1)
    when = f"{last['group']} against {prev['group']}"
    return (f"{points:+.1f} pp", when) if points else (None, f"no change, {when}")


for page, heading in (("reviews", "Reviews of serious incidents"), ("practice", "Everyday practice")):
    st.subheader(heading)
    shown = [i for i in board if i.page == page and i.id in overall.index]
    if not shown:
        ui.empty_state(f"{page} extract")
        continue
    columns = st.columns(6)  # six across: both sections fit one printed A4 landscape page
    for n, ind in enumerate(shown):
        row = overall.loc[ind.id]
        delta, when = change(ind.id)
        with columns[n % 6].container(border=True):
            value = report.SUPPRESSED if pd.isna(row["value"]) and row["suppressed"] else report.format_value(row["value"], ind.scale)
            st.metric(ind.short_label, value, delta, delta_color={"up": "normal", "down": "inverse"}.get(ind.direction, "off"),
                      help=f"{ind.definition} Numerator: {ind.numerator_text}. Denominator: {ind.denominator_text}.")
            counts = ("hidden: a small number" if pd.isna(row["numerator"])
                      else f"{int(row['numerator']):,} of {int(row['denominator']):,}")
            national = (f"National {report.format_value(ind.national_value, ind.scale)} "
                        f"({ind.national[0]} of {ind.national[1]})" if ind.national else "No national figure")
            st.caption(f"{counts} · {national}" + (f" · {when}" if when else ""))

st.caption("Rates are for the selected period. pp = percentage points. c = hidden to protect children's privacy. "
           "z = not applicable. National figures cover 54 reviews of Black, Asian and Mixed Heritage children "
           "(incidents January 2022 to March 2024). Print with your browser (A4 landscape): the tiles fit one page.")
with st.expander("All key figures, with intervals, for download", expanded=True):  # not printed
    table = report.display_table(overall.reset_index().sort_values("indicator", key=lambda s: s.map(ids.index)), "Scope")
    ui.table_with_downloads(table, "board_overview", view.show_small, "overview")

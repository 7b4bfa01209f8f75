"""Board overview: the key figures on one printable screen, each with a verdict and its monthly signal."""
import pandas as pd
import streamlit as st

from dashboard import components as ui
from dashboard import data, spc_charts
from pipelines import pack, report, signals
from pipelines.catalogue import catalogue

view = st.session_state["view"]
ui.page_header("Board overview", "Is our safeguarding practice silent about race? Key figures for the selected "
               "period, whether each is changing (statistical process control on the monthly figures), and how "
               "it compares with the national figure from the Panel's report It's Silent (March 2025, 54 reviews).",
               view.show_small)
ui.stop_unless(data.has_data(view.db))
version, threshold = data.stamp(view.settings.db_path), view.settings.suppression_threshold
partnerships = data.options(view.db, version, view.who)["partnership"]
loaded = data.last_loaded(view.db, version, view.who)
st.markdown(" · ".join(part for part in (
    f"**Partnership:** {view.filters.partnership or (partnerships[0] if len(partnerships) == 1 else 'all partnerships')}",
    f"**Period:** {view.years[0]} to {view.years[-1]} (financial years)" if view.years else "",
    f"**Agencies:** {', '.join(view.filters.agencies)}" if view.filters.agencies else "",
    f"**Data loaded:** {loaded:%d %B %Y}" if loaded else "",
    f"**Small numbers (1 to {threshold}) suppressed**" if not view.show_small else "") if part))

with st.container(key="screen-pack"), st.popover("Board pack (PDF or PowerPoint)", icon=":material/download:"):
    st.caption("Every page of this overview, the ethnic-group comparisons, data quality and definitions, "
               + ("with exact counts, marked OFFICIAL-SENSITIVE." if view.show_small else "small numbers suppressed."))
    for fmt, label in (("pdf", "PDF (A4 landscape)"), ("pptx", "PowerPoint (16:9)")):
        if st.button(f"Prepare {label}", key=f"pack_{fmt}"):
            st.download_button(f"Download {label}", data.board_pack(
                view.db, data.stamp(view.settings.db_path), view.who, fmt, view.filters, view.show_small,
                view.settings.suppression_threshold), file_name=f"board_pack.{fmt}",
                mime=pack.MEDIA_TYPES[fmt], key=f"pack_{fmt}_file", on_click=ui.record_export,
                args=(f"board_pack.{fmt}", view.show_small))

board = [i for i in catalogue() if i.board]
ids = tuple(i.id for i in board)
overall = data.indicators(view.db, version, view.who, (), view.filters, view.show_small, threshold, ids).set_index("indicator")
review_ids = tuple(i.id for i in board if i.page == "reviews" and i.national)
by_group = data.indicators(view.db, version, view.who, ("sample_group",), view.filters, view.show_small, threshold, review_ids)
monthly = data.spc(view.db, version, view.who, view.filters, view.show_small, threshold, ids)
compared = signals.national_comparisons(by_group, [i for i in board if i.id in review_ids])


def series_of(ind) -> pd.DataFrame:
    return monthly[monthly["indicator"] == ind.id] if not monthly.empty else monthly


def national_line(ind) -> str:
    return signals.national_line(ind, *compared.get(ind.id, (None, None)))


def signal_badge(ind) -> None:
    series = series_of(ind)
    if series.empty:
        st.caption(signals.series_line(ind, series))
        return
    colour, words = spc_charts.VARIATION_BADGE[series["variation"].iloc[0]]
    st.badge(words, color=colour, help=signals.VARIATION_TEXT[series["variation"].iloc[0]])


printed: dict[str, tuple[str, list[list[str]]]] = {}
for page, heading in (("reviews", "Reviews of serious incidents"), ("practice", "Everyday practice")):
    shown = [i for i in board if i.page == page and i.id in overall.index]
    lead = (signals.national_sentence([(i.short_label, compared[i.id][1]) for i in shown if i.national])
            if page == "reviews" else signals.summary_sentence(monthly) if not monthly.empty else "")
    screen = st.container(key=f"screen-tiles-{page}")  # printed as one table instead
    screen.subheader(heading)
    if not shown:
        with screen:
            ui.empty_state(f"{page} extract")
        continue
    screen.markdown(lead)
    columns = screen.columns(3)  # three across: long titles wrap, never cut off
    printed[heading] = lead, []
    for n, ind in enumerate(shown):
        row = overall.loc[ind.id]
        value = report.SUPPRESSED if pd.isna(row["value"]) and row["suppressed"] else report.format_value(row["value"], ind.scale)
        counts = ("hidden: a small number" if pd.isna(row["numerator"])
                  else f"{int(row['numerator']):,} of {int(row['denominator']):,}")
        with columns[n % 3].container(border=True):
            st.markdown(f"**{ind.short_label}**")
            st.metric(ind.short_label, value, label_visibility="collapsed",
                      help=f"{ind.definition} Numerator: {ind.numerator_text}. Denominator: {ind.denominator_text}.")
            st.caption(f"{counts} · {signals.DIRECTION_TEXT[ind.direction].capitalize()}")
            signal_badge(ind)
            st.markdown(national_line(ind))
        printed[heading][1].append([ind.short_label, value, counts, signals.DIRECTION_TEXT[ind.direction].capitalize(),
                                 signals.series_line(ind, series_of(ind)), national_line(ind)])
progress = data.tracker_progress(view.db, version, view.who) if view.who.case_data else None
footnote = ("Rates are for the selected period. c = hidden to protect children's privacy. The signal is the latest "
            "month's statistical process control verdict (see Practice for the charts): a month-to-month change "
            "within the limits is noise, not news. A national comparison says higher or lower only when the national "
            "figure lies outside our 95% interval. National figures cover 54 reviews of Black, Asian and Mixed "
            "Heritage children (incidents January 2022 to March 2024).")
with st.container(key="screen-footer"):  # the printed table carries both as notes
    if progress:  # the home partnership's own tracker
        st.subheader("The Panel's recommendations")
        st.markdown(progress["sentence"] + " See *Recommendations* for each item, its owner and its history.")
    st.caption(footnote)
ui.print_table(["Figure", "Ours", "Counts", "Which way is better", "Monthly signal", "National (like for like)"],
               printed, [f"**The Panel's recommendations:** {progress['sentence']}"] * bool(progress) + [footnote])
with st.expander("All key figures, with intervals, for download", expanded=True):  # not printed
    table = report.display_table(overall.reset_index().sort_values("indicator", key=lambda s: s.map(ids.index)), "Scope")
    ui.table_with_downloads(table, "board_overview", view.show_small, "overview")

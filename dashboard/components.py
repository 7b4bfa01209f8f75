"""Building blocks every page shares: banners, definitions, tables with downloads, the SQL behind a figure."""
from __future__ import annotations

import html
import re

import altair as alt
import pandas as pd
import streamlit as st

from pipelines import access, audit_trail, exports, report
from pipelines.catalogue import Indicator
from pipelines.config import SQL_DIR
from pipelines.cubes import cube_statements

PRINT_CSS = """
<style>
.print-only { display: none; }
@media print {
  @page { size: A4 landscape; margin: 10mm; }
  [data-testid="stSidebar"], [data-testid="stHeader"], [data-testid="stToolbar"],
  [data-testid="stExpander"], .stDownloadButton, [data-testid="stDecoration"], [data-testid="stPopover"],
  [data-testid="stTooltipIcon"], [data-testid="stTable"], [data-testid="stDataFrame"], .print-hide,
  [class*="st-key-screen-"], [data-testid="stLayoutWrapper"]:has(> [class*="st-key-screen-"]),
  [data-testid="stElementContainer"]:has([data-testid="stDataFrame"]), [data-testid="stLayoutWrapper"]:has(> [data-testid="stExpander"]) {
    display: none !important; }
  .print-only { display: block; }
  .stVegaLiteChart, [data-testid="stVerticalBlockBorderWrapper"] { break-inside: avoid; }
  .main .block-container, [data-testid="stMainBlockContainer"] { padding: 0 !important; max-width: 100% !important; }
  html, body, .stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"], [data-testid="stBottom"] {
    height: auto !important; min-height: 0 !important; overflow: visible !important; }
  [data-testid="stBottomBlockContainer"], footer { display: none !important; }
  h1 { font-size: 1.5rem !important; padding: 0 !important; }
  h3 { font-size: 1.05rem !important; padding: 0.2rem 0 !important; }
  [data-testid="stMarkdownContainer"] p, [data-testid="stCaptionContainer"] { font-size: 0.8rem !important; margin-bottom: 0.2rem; }
  [data-testid="stMetricValue"] { font-size: 1.5rem !important; }
  [data-testid="stVerticalBlock"] { gap: 0.3rem !important; }
  table.print-only { display: table; width: 100%; border-collapse: collapse; font-size: 0.68rem; line-height: 1.2; }
  table.print-only th, table.print-only td { border-bottom: 1px solid #999; padding: 2px 4px; text-align: left;
    vertical-align: top; }
  table.print-only th.section { border-bottom: 2px solid #111; padding-top: 6px; font-size: 0.8rem; }
  table.print-only td.figure { white-space: nowrap; }
  table.print-only td.figure:nth-child(2) { font-weight: 700; }
  table.print-only td.lead { border-bottom: none; font-style: italic; }
  table.print-only td.note { border-bottom: none; padding-top: 6px; }
}
[data-testid="stMetricValue"] { font-size: 2.1rem; }
</style>
"""
PRINT_ROWS = 30  # longer tables are not printed
FILTER_NAMES = {"partnership": "partnership", "period": "period", "distinct_period": "period", "agency": "agencies"}


def page_header(title: str, intro: str, show_small: bool) -> None:
    st.markdown(PRINT_CSS, unsafe_allow_html=True)
    if show_small:
        st.error("OFFICIAL-SENSITIVE: small numbers are shown for internal use only. Do not publish or share this page.",
                 icon=":material/warning:")
    st.title(title)
    st.caption(intro)


def require(view, action: str, home: bool = False) -> None:
    """Stop the page for someone who may not do this. Navigation leaves the page out for them already;
    this is the page's own check, and pipelines.access is checked again where data is read or written."""
    try:
        access.authorise_home(view.who, action=action) if home else view.who.require(action)  # in some partnership
    except access.Denied as exc:
        st.error(f"Not available to you: {exc}.", icon=":material/lock:")
        st.stop()


def print_table(header: list[str], sections: dict[str, tuple[str, list[list[str]]]], notes: list[str]) -> None:
    """A table drawn only when the page is printed, in place of the screen's tiles: per section its
    heading, a lead sentence and rows whose second to fourth cells (figure, counts, direction) never wrap;
    then notes. **bold** text stays bold."""
    def cell(text: str) -> str:
        return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html.escape(text))

    span = len(header)
    body = "".join(
        f'<tr><th class="section" colspan="{span}">{html.escape(title)}</th></tr>'
        + (f'<tr><td class="lead" colspan="{span}">{cell(lead)}</td></tr>' if lead else "")
        + "".join("<tr>" + "".join(f'<td{" class=figure" if 1 <= n <= 3 else ""}>{cell(c)}</td>'
                                   for n, c in enumerate(row)) + "</tr>" for row in rows)
        for title, (lead, rows) in sections.items() if rows)
    foot = "".join(f'<tr><td class="note" colspan="{span}">{cell(note)}</td></tr>' for note in notes)
    st.html(f'<table class="print-only"><thead><tr>{"".join(f"<th>{html.escape(h)}</th>" for h in header)}</tr>'
            f"</thead><tbody>{body}</tbody><tfoot>{foot}</tfoot></table>")


def empty_state(what: str = "data") -> None:
    st.info(f"No {what} loaded yet. Open **Load data** to upload the partnership's extracts, "
            "or run `make run` to start with the synthetic sample.", icon=":material/upload_file:")


def stop_unless(ready: bool, what: str = "data") -> None:
    """Explain what to load, and draw nothing else, until the page has something to show."""
    if not ready:
        empty_state(what)
        st.stop()


def withheld(frame: pd.DataFrame) -> None:
    """Why a selection shows nothing: not in the published figures, or not in the data."""
    reasons = frame.attrs.get("withheld", [])
    if reasons:
        st.info("Not published for this selection, to protect children's privacy: "
                + " ".join(r.split(": ", 1)[-1] for r in dict.fromkeys(reasons)), icon=":material/lock:")
    else:
        st.info("Not available for this selection: the loaded data does not support this breakdown.")


def definition(ind: Indicator) -> None:
    """The figure's definition, one click away."""
    better = {"up": "\n- **Higher is better**", "down": "\n- **Lower is better**"}.get(ind.direction, "")
    with st.popover("Definition", icon=":material/info:"):
        st.markdown(f"**{ind.label}**\n\n{ind.definition}\n\n- **Numerator:** {ind.numerator_text}\n"
                    f"- **Denominator:** {ind.denominator_text}{better}")
        st.markdown(f"**Framework question:** {ind.question}\n\n**Why it matters:** {ind.why}\n\n*Source: {ind.source}*")


def sql_behind(frame: pd.DataFrame) -> None:
    """Every statement behind a table, then how each table it reads is built from the loaded data."""
    statements = list(dict.fromkeys(frame["sql"]))
    sources = [re.search(r"\nFROM (\w+)", sql).group(1) for sql in statements]
    cubes = cube_statements()
    with st.expander("SQL behind these figures", icon=":material/code:"):
        st.caption("The statement that computed the table (its parameters are the sidebar filters), then how "
                   "each table it reads is built: cubes are counted from the fact views in sql/marts.")
        # Wrapped lines: a block that scrolls sideways is a scrolling region the keyboard cannot reach (WCAG 2.1.1).
        for sql in statements:
            st.code(sql, language="sql", wrap_lines=True)
        for source in dict.fromkeys(sources):
            fact = source.removeprefix("cube_")
            if source != fact and fact in cubes:
                st.code(cubes[fact], language="sql", wrap_lines=True)
            for path in (SQL_DIR / "marts").glob(f"*_{fact}.sql"):  # e.g. 50_fct_episode.sql
                st.code(path.read_text(), language="sql", wrap_lines=True)


def record_export(file: str, internal: bool) -> None:
    """Audit trail: who downloaded what, with which filters (a download button's on_click)."""
    view = st.session_state["view"]
    f = view.filters
    audit_trail.record(view.settings.audit_db, view.who.user, view.who.role, "export", file=file,
                       exact_counts="yes" if internal else "no", partnership=f.partnership or "all",
                       period=f"{f.period_start or 'start'} to {f.period_end or 'end'}",
                       agencies=", ".join(f.agencies) or "all")


def downloads(table: pd.DataFrame, name: str, internal: bool, key: str) -> None:
    left, right, _ = st.columns([1, 1, 4])
    left.download_button("CSV", exports.to_csv(table, internal), f"{name}.csv", "text/csv",
                         key=f"csv_{key}", icon=":material/download:", on_click=record_export,
                         args=(f"{name}.csv", internal))
    right.download_button("XLSX", exports.to_xlsx(table, name, internal), f"{name}.xlsx",
                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          key=f"xlsx_{key}", icon=":material/download:", on_click=record_export,
                          args=(f"{name}.xlsx", internal))


def table_with_downloads(table: pd.DataFrame, name: str, internal: bool, key: str) -> None:
    """The interactive table and its downloads; a printed page gets the table as plain HTML instead (the
    interactive grid is a canvas that does not print), or, when it is long, where to download it."""
    st.dataframe(table, hide_index=True, width="stretch", height=min(36 * (len(table) + 1) + 3, 640))
    downloads(table, name, internal, key)
    if len(table) <= PRINT_ROWS:
        st.html(table.to_html(index=False, classes="print-only", border=0, na_rep=""))
    else:
        st.html(f'<p class="print-only">A table of {len(table):,} rows: download it from the page as CSV or XLSX.</p>')


def indicator_block(ind: Indicator, frame: pd.DataFrame, first_column: str, internal: bool, key: str,
                    chart: alt.TopLevelMixin | None = None) -> None:
    """Title, definition, chart, table, downloads and SQL for one indicator."""
    head, info = st.columns([5, 1])
    head.subheader(ind.label)
    with info:
        definition(ind)
    applies = ", ".join(FILTER_NAMES[f] for f in ind.fact.filters) or "none (always the whole data)"
    st.caption(f"{ind.definition} Framework question: *{ind.question}* Sidebar filters that apply: {applies}.")
    if frame.empty:
        withheld(frame)
        return
    if chart is not None:
        st.altair_chart(chart, theme=None, width="stretch")
    if frame["suppressed"].any() and not internal:
        st.caption("c = hidden to protect children's privacy (a count of 1 to 5, or a figure it could be worked out from).")
    table_with_downloads(report.display_table(frame, first_column), ind.id.replace(".", "_"), internal, key)
    sql_behind(frame)

"""What the board pack says, page by page, from the functions the dashboard's pages use.

Every figure comes from report.indicator_frame, signals.monthly, compare and quality with the same
`show_small` the dashboard passes, so default output prints only the protected release ("c" for a
hidden cell). Counts are always written "n of d", and a bare number in a table is always a count (a
load's id is written #n), so a test can check that no count of 1 to the threshold is ever printed.
"""
from __future__ import annotations

import datetime as dt
import re

import duckdb
import pandas as pd
from reportlab.pdfbase.pdfmetrics import stringWidth

from .. import compare, quality, release, report, signals
from ..access import reads_case_data
from ..catalogue import Indicator, catalogue
from ..metrics import Filters
from ..narrative import TOO_FEW
from ..sources import registry
from . import INTERNAL_MARKING, Page, Pack, Split, Table, Text, Tile, Tiles
from . import charts

WIDTH = 770  # points of text width on the page the charts are drawn for (A4 landscape, 36 pt margins)
SECTIONS = ("Key indicators", "Ethnic groups: rate ratios", "Data quality", "Definitions", "Recommendations")
HEADINGS = {"reviews": "Reviews of serious incidents", "practice": "Everyday practice"}
MAX_LOADS = 12  # the latest loads; the dashboard's Data quality page has them all


def pack(con: duckdb.DuckDBPyConnection, filters: Filters, show_small: bool, threshold: int, now: dt.datetime,
         case_data: bool = True) -> Pack:
    """case_data False (a reader not granted the home partnership): the reviews' pages only."""
    stored = release.status(con)
    if not show_small:
        release.scope_of(filters, stored, threshold)  # a filter the release does not publish: say so now
    board = [i for i in catalogue() if i.board and (case_data or not reads_case_data(i))]
    overall = report.indicator_frame(con, (), filters, show_small, threshold, board)
    monthly = signals.frame(signals.monthly(con, tuple(i.id for i in board), None, filters, threshold,
                                            protected=not show_small))
    protected = f"Small numbers (1 to {threshold}) are suppressed: c marks a hidden figure."
    pages = [cover(con, filters, show_small, threshold, stored, protected, now),
             *key_indicators(con, board, overall, monthly, filters, show_small, threshold),
             *ethnic_groups(con, board, overall, filters, show_small, threshold),
             *(data_quality(con, show_small, threshold) if case_data else []),
             recommendations(con),
             *definitions(board)]
    return Pack("Board pack: is our safeguarding practice silent about race?",
                INTERNAL_MARKING if show_small else protected, INTERNAL_MARKING if show_small else None, pages, now)


def cover(con, filters: Filters, show_small: bool, threshold: int, stored: dict | None, protected: str,
          now: dt.datetime) -> Page:
    years = report.options(con)["reporting_year"] if show_small or not stored else stored["scopes"]["period"]
    start, end = filters.period_start or dt.date.min, filters.period_end or dt.date.max
    years = [y for y in years if start <= release.year_bounds(y)[0] and release.year_bounds(y)[1] <= end]
    period = ("financial years " + (years[0] if len(years) == 1 else f"{years[0]} to {years[-1]}")
              + f" (April {years[0][:4]} to March {int(years[-1][:4]) + 1})") if years else "no dated records"
    blocks = [Text("Is our safeguarding practice silent about race?", "lead"),
              Text("Indicators from the Child Safeguarding Practice Review Panel's report It's Silent: race, racism "
                   "and safeguarding children (March 2025), computed from our own data.", "body"),
              Text(f"**Partnership:** {filters.partnership or 'All partnerships'}", "lead"),
              Text("**Agencies:** " + (", ".join(report.group_label("agency", a) for a in filters.agencies)
                                       or "All agencies"), "lead"),
              Text(f"**Data period:** {period}", "lead"),
              Text(f"**Generated:** {now:%Y-%m-%d %H:%M}", "lead"),
              Text(f"**{INTERNAL_MARKING}.** Counts of 1 to {threshold} are shown: do not publish or share outside the "
                   "partnership." if show_small else f"**{protected}**", "lead"),
              Text("**Date each source was last loaded**", "body"),
              last_loaded(con),
              Text("Contents: " + "; ".join(SECTIONS) + ".", "note")]
    return Page("Board pack: partnership metrics", blocks, "Cover")


def last_loaded(con) -> Table:
    """Latest finished load per kind and source format (status loaded)."""
    rows = quality.query(con, "SELECT kind, source, max(finished_at) AS finished FROM loads WHERE status = 'loaded' "
                              "GROUP BY ALL ORDER BY kind, source")
    titles = {s.name: s.title for s in registry()}
    return Table(["Extract", "Source format", "Last loaded"],
                 [[str(r["kind"]), titles.get(r["source"], r["source"] or "not recorded"),
                   f"{r['finished']:%Y-%m-%d %H:%M}"]
                  for _, r in rows.iterrows()] or [["none", "", ""]], [1, 2.2, 1])


def value_text(row: pd.Series, ind: Indicator) -> str:
    hidden = pd.isna(row["value"]) and row["suppressed"]
    return report.SUPPRESSED if hidden else report.format_value(row["value"], ind.scale)


def counts_text(n, d) -> str:
    """'n of d' (never split across lines), or 'c of c (hidden)'."""
    if pd.isna(n) or pd.isna(d):
        return f"{report.SUPPRESSED} of {report.SUPPRESSED} (hidden)"
    return f"{int(n):,}\u00a0of\u00a0{int(d):,}"


def key_indicators(con, board: list[Indicator], overall: pd.DataFrame, monthly: pd.DataFrame, filters: Filters,
                   show_small: bool, threshold: int) -> list[Page]:
    """The board overview's tiles (one page each for reviews and practice), every figure at a glance
    with its 95% interval, then the practice figures' monthly control charts."""
    rows = overall.set_index("indicator")
    review_ids = [i for i in board if i.page == "reviews" and i.national]
    by_group = report.indicator_frame(con, ("sample_group",), filters, show_small, threshold, review_ids)
    compared = signals.national_comparisons(by_group, review_ids)
    ours = {k: counts for k, (counts, _) in compared.items()}
    verdicts = {k: verdict for k, (_, verdict) in compared.items()}
    pages = []
    for page in ("reviews", "practice"):
        shown = [i for i in board if i.page == page and i.id in rows.index]
        lead = (signals.national_sentence([(i.short_label, verdicts.get(i.id)) for i in shown if i.national])
                if page == "reviews" else signals.summary_sentence(monthly) if not monthly.empty else "")
        tiles = [tile(i, rows.loc[i.id], monthly, ours.get(i.id), verdicts.get(i.id)) for i in shown]
        blocks = [Text(lead, "lead")] if lead else []
        blocks.append(Tiles(tiles) if tiles else Text(f"No {page} extract is loaded for this selection.", "lead"))
        pages.append(Page(f"Key indicators: {HEADINGS[page].lower()}", blocks, SECTIONS[0]))
    if not overall.empty:
        frame = overall.sort_values("indicator", key=lambda s: s.map([i.id for i in board].index))
        pages.append(Page("Key indicators at a glance", [
            Text("Each bar is our rate for the selected period, the black line its 95% interval; an orange tick is "
                 "the national figure from It's Silent (all 54 reviews), where there is one.", "body"),
            charts.rates(frame, "short_label", WIDTH)], SECTIONS[0]))
    pages += spc_pages(monthly)
    return pages


def tile(ind: Indicator, row: pd.Series, monthly: pd.DataFrame, ours, verdict) -> Tile:
    series = monthly[monthly["indicator"] == ind.id] if not monthly.empty else monthly
    lines = [signals.DIRECTION_TEXT[ind.direction].capitalize() + ".", signals.series_line(ind, series),
             signals.national_line(ind, ours, verdict)]
    return Tile(ind.short_label, value_text(row, ind), counts_text(row["numerator"], row["denominator"]), lines)


def spc_pages(monthly: pd.DataFrame) -> list[Page]:
    """A control chart a page, tall enough that each month's mark reads on a projector and in greyscale
    (its shape, not its colour, says improvement or concern), under its name, direction and signal."""
    if monthly.empty:
        return []
    order = [i.id for i in catalogue()]
    pages = []
    for indicator, series in sorted(monthly.groupby("indicator", sort=False), key=lambda g: order.index(g[0])):
        ind = series.iloc[0]
        trial = f" (trial limits: {int(ind['limits_from'])} months)" if ind["trial"] else ""
        direction = signals.DIRECTION_TEXT[catalogue()[order.index(indicator)].direction]
        head, _, rest = signals.VARIATION_TEXT[ind["variation"]].partition(": ")
        pages.append(Page(f"Month by month: {ind['short_label']}", [
            Text(f"{direction.capitalize()}. **{head}**" + (f": {rest}" if rest else "") + f"{trial}.", "lead"),
            charts.spc(series, WIDTH, 290) if (series["status"] != "hidden").any() else
            Text(f"Every month of {ind['short_label']} is hidden (c) to protect children's privacy.", "body"),
            Text("Statistical process control (NHS England's Making Data Count): the solid line is the average, the "
                 "dashed lines the limits within which months vary by chance alone. A special cause is marked by a "
                 "triangle: pointing up for improvement, down for concern (a diamond: a change where neither "
                 "direction is better). The axis runs from 0% to 100%; c = a month hidden to protect privacy.",
                 "note")], SECTIONS[0]))
    return pages


def ethnic_groups(con, board: list[Indicator], overall: pd.DataFrame, filters: Filters, show_small: bool,
                  threshold: int) -> list[Page]:
    """A page per board indicator with a published breakdown by ethnic group: the plain-English sentence,
    the forest plot of rate ratios and the comparison table; first, what is not published and why."""
    frame = report.indicator_frame(con, ("ethnic_group",), filters, show_small, threshold, board)
    withheld = [i for i in board if i.id in set(overall["indicator"]) and i.id not in set(frame["indicator"])]
    intro = [Text("Each ethnic group's rate is compared with White children's (or, where White children have no "
                  "usable figure, with all other children). A rate ratio of 1 means the same rate; a group is called "
                  "higher or lower only where its whole 95% interval is above or below 1.", "body")]
    details, brief = [], []
    for ind in board:
        rows = frame[frame["indicator"] == ind.id]
        if rows.empty or ind.share:
            continue
        result = compare.comparison(rows, overall[overall["indicator"] == ind.id])
        said = compare.sentence(result, f"the rate for “{ind.short_label}”", ind.direction)
        brief.append(Text(f"**{ind.short_label}.** {said}", "body"))
        details.append(detail(ind, result, said))
    if withheld:
        reasons = sorted({withheld_reason(r, threshold) for r in frame.attrs.get("withheld", [])})
        intro.append(Text("**Not published for this selection:** " + ", ".join(i.short_label for i in withheld) + "."
                          + (f" Why: {'; '.join(reasons)}." if reasons else ""), "body"))
    shares = [i for i in board if i.share and i.id in set(frame["indicator"])]
    if shares:
        intro.append(Text("Shares of the whole, not rates within each group, so not compared by rate ratio: "
                          + ", ".join(i.short_label for i in shares) + ".", "body"))
    pages = [Page("Ethnic groups: in brief" + (" (continued)" if n else ""), part, SECTIONS[1])
             for n, part in enumerate(filled(intro + brief))]
    return pages + details


def filled(texts: list[Text], room: float = 470) -> list[list[Text]]:
    """Paragraphs in pages that hold them in 13 pt Helvetica across the text width, as the PDF sets them
    (the deck scales its type to fit the same pages)."""
    pages: list[list[Text]] = [[]]
    used = 0.0
    for text in texts:
        height = wrapped_lines(text.text.replace("**", ""), 13) * 16.25 + 6
        if pages[-1] and used + height > room:
            pages.append([])
            used = 0.0
        pages[-1].append(text)
        used += height
    return pages


def wrapped_lines(text: str, size: float, width: float = WIDTH) -> int:
    """How many lines a paragraph takes in Helvetica when wrapped at word boundaries."""
    lines, line = 1, ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if line and stringWidth(trial, "Helvetica", size) > width:
            lines, line = lines + 1, word
        else:
            line = trial
    return lines


def withheld_reason(reason: str, threshold: int) -> str:
    """metrics' reason a breakdown is not published, in a board's words."""
    reason = re.sub(r"^\w+: ", "", reason).replace("ethnic_group", "ethnic group").replace("_", " ")
    return re.sub(r"; use internal mode for it$", "", reason).replace("1 to the threshold", f"1 to {threshold}")


def detail(ind: Indicator, result: pd.DataFrame, said: str) -> Page:
    """One indicator by ethnic group: the sentence, the forest plot and the comparison table."""
    table = compare.display_comparison(result).drop(columns=["Compared with"])
    table["What it shows"] = table["What it shows"].str.replace(f" ({compare.HIDDEN})", " (hidden: c)", regex=False)
    comparable = (~result["finding"].isin([TOO_FEW, compare.REFERENCE])).any()
    chart = (charts.forest(compare.forest_data(result), result.attrs["reference"], f"“{ind.label}”", WIDTH)
             if comparable else Text("No group can be compared in this selection.", "body"))
    return Page(f"Ethnic groups: {ind.short_label}", [
        Text(said, "lead"), chart, Split(),
        Table(list(table.columns), table.astype(str).values.tolist(), [1.0, 0.7, 1.3, 0.7, 1.1, 3.0]),
        Text(f"{ind.label}. c = hidden to protect children's privacy; z = not applicable.", "note")], SECTIONS[1])


def data_quality(con, show_small: bool, threshold: int) -> list[Page]:
    loads = quality.loads(con).head(MAX_LOADS)
    rows = [[f"#{r['load_id']}", str(r["file"]), str(r["kind"] or ""), str(r["status"]),
             f"{r['finished_at']:%Y-%m-%d %H:%M}" if pd.notna(r["finished_at"]) else "",
             *load_counts(r, show_small, threshold)] for _, r in loads.iterrows()]
    hidden = "" if show_small else (f" Counts of 1 to {threshold} rows are shown as c, and the rows read with them "
                                    "(read = loaded + quarantined), so no small count can be worked out.")
    loads_page = Page("Data quality: what was loaded", [
        Text("The latest loads, newest first: every row read is either loaded or quarantined (refused with a reason, "
             "never silently dropped or fixed); the dashboard's Data quality page lists every load and every "
             "quarantined row with its reason." + hidden, "body"),
        Table(["Load", "File", "Extract", "Status", "Finished", "Rows read", "Rows loaded", "Rows quarantined"],
              rows or [["", "none", "", "", "", "", "", ""]], [0.5, 1.8, 0.9, 0.8, 1.3, 0.9, 0.9, 1.1])],
        SECTIONS[2])
    complete = []
    for kind in quality.COMPLETENESS_KINDS:
        frame = quality.completeness(con, kind, show_small)
        if frame.empty:
            continue
        frame = frame[(frame["source"] == "All sources")]
        columns = [c for c in frame.columns if c not in ("agency", "source", "records")]
        for _, r in frame.iterrows():
            shares = {c: r[c] for c in columns if pd.notna(r[c])}
            low = min(shares, key=shares.get) if shares else None
            below = [c for c, v in shares.items() if v < 0.95]
            complete.append([kind.capitalize(), report.group_label("agency", r["agency"]), _count(r["records"]),
                             f"{_plain(low)}: {shares[low]:.1%}" if low else "c",
                             ", ".join(map(_plain, below)) or "none",
                             ", ".join(_plain(c) for c in columns if c not in shares) or "none"])
    complete_page = Page("Data quality: how complete the records are", [
        Text("For each extract and agency, the optional column least often filled in, and every column filled in for "
             "fewer than 95% of records. Indicators count only what was recorded. A blank column is hidden (its share "
             "times the records would be a small count) or one the agency's source cannot carry.", "body"),
        Table(["Extract", "Agency", "Records", "Least complete", "Below 95% filled", "Blank"],
              complete or [["none", "", "", "", "", ""]], [0.9, 1.5, 0.8, 1.7, 2.0, 1.6])], SECTIONS[2])
    return [loads_page, complete_page]


def load_counts(r: pd.Series, show_small: bool, threshold: int) -> list[str]:
    """Rows read, loaded and quarantined; in default output a count of 1 to the threshold is 'c', and so
    is rows read whenever either of the others is hidden (it is their sum)."""
    read, loaded, quarantined = (int(r[c] or 0) for c in ("rows_read", "rows_loaded", "rows_quarantined"))
    if show_small:
        return [f"{read:,}", f"{loaded:,}", f"{quarantined:,}"]
    small = [0 < v <= threshold for v in (read, loaded, quarantined)]
    hide_read = any(small)
    return [report.SUPPRESSED if hide_read else f"{read:,}",
            report.SUPPRESSED if small[1] else f"{loaded:,}", report.SUPPRESSED if small[2] else f"{quarantined:,}"]


def _count(value) -> str:
    return value if isinstance(value, str) else f"{int(value):,}"


def _plain(column: str | None) -> str:
    return (column or "").replace("_", " ")


def recommendations(con) -> Page:
    """The Panel's recommendations and the partnership's actions, as the tracker stands (no child data)."""
    from .. import tracker

    items = tracker.current(con)
    rows = [[str(r["item_id"]), str(r["recommendation"])[:140] + ("…" if len(str(r["recommendation"])) > 140 else ""),
             str(r["owner"]), str(r["status"]), "" if pd.isna(r["due"]) else str(r["due"])[:10],
             "overdue" if r["overdue"] else ""] for _, r in items.iterrows()]
    return Page("Recommendations: progress", [
        Text(tracker.progress(con)["sentence"], "lead"),
        Table(["Item", "Recommendation or action", "Owner", "Status", "Due", "Overdue"], rows,
              [0.6, 6, 1.3, 1.2, 1.1, 0.9], font=10)], SECTIONS[4])


def definitions(board: list[Indicator]) -> list[Page]:
    pages = []
    for page in ("reviews", "practice"):
        shown = [i for i in board if i.page == page]
        if shown:
            pages.append(Page(f"Definitions: {HEADINGS[page].lower()}", [Table(
                ["Indicator", "Definition", "Numerator", "Denominator"],
                [[f"**{i.short_label}**: {i.label}", i.definition, i.numerator_text, i.denominator_text]
                 for i in shown],
                [1.4, 2.2, 1.4, 1.4], font=12.5)], SECTIONS[3]))
    if pages:
        pages[-1].blocks.append(Text("National figures: It's Silent (Child Safeguarding Practice Review Panel, March "
                                     "2025), 54 reviews of Black, Asian and Mixed Heritage children (incidents January "
                                     "2022 to March 2024). Rates are for the selected period; 95% intervals are Wilson "
                                     "intervals, rate ratios' intervals Katz log intervals.", "note"))
    return pages

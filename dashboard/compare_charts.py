"""Charts for comparing groups: a forest plot of rate ratios and a heatmap of two-way breakdowns.

Readable in greyscale: every finding is in words or position, never in colour alone. Every chart
carries a description (Vega-Lite `description`, read out by screen readers) saying in words what
it shows, built from the same figures.
"""
from __future__ import annotations

import math

import altair as alt
import pandas as pd

from pipelines.report import SUPPRESSED, format_value

INK = "#222222"
NOTE = "#444444"  # dark enough for text on white (WCAG AA)
TICKS = [0.05, 0.1, 0.2, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 5, 10, 20]


def described(chart: alt.TopLevelMixin, text: str) -> alt.TopLevelMixin:
    """Any chart, with its description in words."""
    return chart.properties(description=text)


def forest(data: pd.DataFrame, reference: str, measure: str, ratio_name: str = "Rate ratio") -> alt.LayerChart:
    """One row per group: the rate ratio as a point, its 95% CI as a bar, on a log axis, with a
    labelled line at 1; a group that cannot be compared says so in its row."""
    shown = data.dropna(subset=["ratio"])
    low = min([1.0, *shown["low"]]) / 1.35
    high = max([1.0, *shown["high"]]) * 1.35
    if shown.empty:
        low, high = 0.5, 2.0
    ticks = log_ticks(low, high)
    order = list(data["label"])
    x_scale = alt.Scale(type="log", domain=[low, high], nice=False)
    x_axis = alt.Axis(values=ticks, format="~g", title=f"{ratio_name} against {reference} (log scale; 95% CI as bar)")
    base = alt.Chart(data).encode(y=alt.Y("label:N", sort=order, title=None,
                                          axis=alt.Axis(labelFontSize=14, grid=True, gridColor="#f0f0f0")))
    tooltip = [alt.Tooltip("group:N", title="Group"), alt.Tooltip("ratio:Q", format=".2f", title=ratio_name),
               alt.Tooltip("low:Q", format=".2f", title="95% CI low"), alt.Tooltip("high:Q", format=".2f", title="95% CI high"),
               alt.Tooltip("finding:N", title="What it shows")]
    one = alt.Chart(pd.DataFrame({"x": [1.0], "label": [f"1 = same as {reference}"]}))
    line = one.mark_rule(color=INK, strokeDash=[6, 4], strokeWidth=1.5).encode(x=alt.X("x:Q", scale=x_scale, axis=x_axis))
    line_label = one.mark_text(align="left", baseline="bottom", dx=4, dy=-4, fontSize=13, color=INK).encode(
        x=alt.X("x:Q", scale=x_scale), y=alt.value(0), text="label:N")
    bars = base.mark_rule(strokeWidth=3, color=INK).encode(x=alt.X("low:Q", scale=x_scale, axis=x_axis), x2="high:Q",
                                                           tooltip=tooltip)
    points = base.mark_point(filled=True, size=140, shape="square", color=INK, opacity=1).encode(
        x=alt.X("ratio:Q", scale=x_scale), tooltip=tooltip)
    notes = base.transform_filter("datum.note != ''").mark_text(
        align="left", dx=6, fontSize=14, fontStyle="italic", color=NOTE).encode(
        x=alt.value(0), text="note:N", tooltip=[alt.Tooltip("group:N", title="Group"), alt.Tooltip("note:N", title="Note")])
    height = 40 * max(len(data), 2)
    return (line + bars + points + notes + line_label).properties(
        height=height, width="container", padding={"top": 24, "left": 5, "right": 5, "bottom": 5},
        description=forest_description(data, reference, measure, ratio_name))


def forest_description(data: pd.DataFrame, reference: str, measure: str, ratio_name: str = "Rate ratio") -> str:
    rows = []
    for _, r in data.iterrows():
        if r["note"]:
            rows.append(f"{r['group']}: {r['note']}")
        else:
            rows.append(f"{r['group']}: {ratio_name.lower()} {r['ratio']:.2f}, 95% CI {r['low']:.2f} to {r['high']:.2f}, {r['finding']}")
    return (f"Forest plot of {measure} by ethnic group: each group's {ratio_name.lower()} against {reference}, a point with "
            f"its 95% confidence interval as a bar, on a log scale; a dashed line marks 1, the same as {reference}. "
            + "; ".join(rows) + ".")


def heatmap(cells: pd.DataFrame, row_title: str, column_title: str, measure: str) -> alt.LayerChart:
    """A two-way breakdown as a grid: each cell's rate written in it, darker for higher;
    hidden cells 'c' and cells with no records 'z' on white."""
    scale = int(cells["scale"].iloc[0]) if len(cells) else 1
    rows, columns = list(dict.fromkeys(cells["row"])), list(dict.fromkeys(cells["column"]))
    values = cells["value"].dropna()
    top = float(values.max()) if len(values) else 1.0
    dark = top * 0.65  # white text only on the darkest blues, so every label keeps its contrast
    fmt = ".1%" if scale == 1 else ",.1f"
    base = alt.Chart(cells).encode(
        x=alt.X("column:N", sort=columns, title=column_title,
                axis=alt.Axis(orient="top", labelAngle=0, grid=False, ticks=False, domain=False)),
        y=alt.Y("row:N", sort=rows, title=row_title, axis=alt.Axis(grid=False, ticks=False, domain=False)),
        tooltip=[alt.Tooltip("row:N", title=row_title), alt.Tooltip("column:N", title=column_title),
                 alt.Tooltip("text:N", title="Rate"), alt.Tooltip("ci_low:Q", format=fmt, title="95% CI low"),
                 alt.Tooltip("ci_high:Q", format=fmt, title="95% CI high"),
                 alt.Tooltip("numerator:Q", format=","), alt.Tooltip("denominator:Q", format=",")])
    filled = base.transform_filter("isValid(datum.value)").mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color("value:Q", title="Rate", scale=alt.Scale(scheme="blues", domain=[0, top]),
                        legend=alt.Legend(format=".0%" if scale == 1 else ",.0f", orient="right", gradientLength=160)))
    empty = base.transform_filter("!isValid(datum.value)").mark_rect(fill="white", stroke="#888888", strokeWidth=1)
    text = base.mark_text(fontSize=15).encode(
        text="text:N",
        color=alt.condition(f"isValid(datum.value) && datum.value > {dark}", alt.value("white"), alt.value(INK)))
    return (filled + empty + text).properties(
        height=44 * max(len(rows), 1), width="container",
        description=heatmap_description(cells, row_title, column_title, measure))


def heatmap_description(cells: pd.DataFrame, row_title: str, column_title: str, measure: str) -> str:
    shown = cells.dropna(subset=["value"])
    hidden = int(cells["hidden"].sum())
    text = (f"Heatmap of {measure} by {row_title.lower()} (rows) and {column_title.lower()} (columns): each cell "
            f"gives the rate, darker for higher; c = hidden to protect children's privacy, z = no records. ")
    if len(shown):
        hi, lo = shown.loc[shown["value"].idxmax()], shown.loc[shown["value"].idxmin()]
        text += f"Highest: {hi['row']}, {hi['column']} ({hi['text']}); lowest: {lo['row']}, {lo['column']} ({lo['text']}). "
    return text + f"{hidden} of {len(cells)} cells hidden."


def rates_description(frame: pd.DataFrame, measure: str, heading: str) -> str:
    """Words for a bar chart of one indicator by one breakdown (charts.rate_bars)."""
    parts = []
    for _, r in frame.iterrows():
        if pd.isna(r["value"]):
            parts.append(f"{r['group_label']} {SUPPRESSED + ' (hidden)' if r['suppressed'] else 'no records'}")
        else:
            ci = (f" (95% CI {format_value(r['ci_low'], r['scale'])} to {format_value(r['ci_high'], r['scale'])})"
                  if not pd.isna(r["ci_low"]) else "")
            parts.append(f"{r['group_label']} {format_value(r['value'], r['scale'])}{ci}")
    return f"Bar chart of {measure} by {heading.lower()}, with 95% confidence intervals: " + "; ".join(parts) + "."


def log_ticks(low: float, high: float) -> list[float]:
    """Tick values a reader can work with (halves, doubles) inside a log domain."""
    return [t for t in TICKS if low <= t <= high] or [round(math.sqrt(low * high), 2)]


def lines_by_group(cells: pd.DataFrame, month_first: bool, group_title: str, measure: str) -> alt.LayerChart:
    """Month by group: a line per group on one 0-based axis, its name at the line's end (not colour
    alone), a hidden month as a 'c' on that group's row of labels under the lines."""
    data = cells.rename(columns={"row": "month", "column": "group"} if month_first else {"row": "group", "column": "month"})
    data = data.assign(month=pd.to_datetime(data["month"] + "-01"))
    x = alt.X("month:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0, tickCount=6))
    scale = int(data["scale"].iloc[0]) if len(data) else 1
    y = alt.Y("value:Q", title=None, scale=alt.Scale(zero=True),
              axis=alt.Axis(format=".0%" if scale == 1 else ",.0f"))
    dash = alt.StrokeDash("group:N", title=group_title)
    lines = alt.Chart(data).mark_line(point=True, color=INK).encode(x=x, y=y, strokeDash=dash, detail="group:N",
                                                                    tooltip=["group:N", alt.Tooltip("month:T", format="%B %Y"),
                                                                             alt.Tooltip("text:N", title="Rate")])
    ends = alt.Chart(data.dropna(subset=["value"])).mark_text(align="left", dx=6, color=INK, fontSize=12).encode(
        x=alt.X("max(month):T"), y=alt.Y("value:Q", aggregate={"argmax": "month"}), text="group:N")
    hidden = data[data["hidden"]].assign(at=0)
    marks = alt.Chart(hidden).mark_text(color=INK, fontWeight="bold", dy=-8).encode(
        x=x, y=alt.Y("at:Q"), text=alt.value("c"), tooltip=["group:N", alt.Tooltip("month:T", format="%B %Y")])
    n_hidden = int(data["hidden"].sum())
    text = (f"Line chart of {measure} by month, one line per {group_title.lower()} "
            f"({', '.join(map(str, data['group'].unique()))})" + (f"; {n_hidden} hidden month(s) marked c." if n_hidden else "."))
    return (lines + ends + marks).properties(height=320, width="container", description=text)

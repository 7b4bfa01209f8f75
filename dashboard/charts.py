"""One Altair theme and the chart builders every page uses.

Okabe-Ito colours (safe for the common colour-vision deficiencies), large type
for projectors, and rates on a fixed axis so charts can be compared by eye.

Accessibility (WCAG 2.1 AA): every chart says in words what it shows (`describe`: vega-embed makes the
description the chart's aria-label), keys are written in the chart, never colour alone, and every
page puts the chart's table just below it. The theme hides marks from screen readers (`aria: false`):
Vega's own labels for them are raw field dumps ("ci_low: 0.7388…"), and a layer with no marks (every
group hidden) would be a graphic with no name. A mark that carries its own `description` encoding in
words opts back in with `aria=True`.
"""
from __future__ import annotations

import altair as alt
import pandas as pd

from pipelines.report import DIMENSION_LABELS, SUPPRESSED, format_value

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
NATIONAL_COLOUR = "#D55E00"


@alt.theme.register("partnership", enable=True)
def _theme() -> alt.theme.ThemeConfig:
    return {"config": {
        "font": "Arial, Helvetica, sans-serif",
        "axis": {"labelFontSize": 14, "titleFontSize": 15, "labelLimit": 260, "grid": True, "gridColor": "#e6e6e6"},
        "legend": {"labelFontSize": 14, "titleFontSize": 14, "orient": "bottom", "labelLimit": 300},
        "header": {"labelFontSize": 14, "titleFontSize": 15},
        "title": {"fontSize": 17, "anchor": "start"},
        "range": {"category": OKABE_ITO},
        "view": {"stroke": None},
        "bar": {"color": OKABE_ITO[0]},
        "line": {"color": OKABE_ITO[0], "strokeWidth": 3},
        "mark": {"aria": False},  # see the module docstring: the description and the table say it instead
    }}


def describe(chart: alt.TopLevelMixin, text: str) -> alt.TopLevelMixin:
    """The chart with its text alternative: say in words what it shows, e.g. "Bar chart: share of episodes with
    an informal interpreter, by ethnic group; 2 groups hidden (c)". Every chart on a page needs one."""
    return chart.properties(description=text)


def _hidden(n: int, what: str = "group") -> str:
    return f"; {n} {what}{'s' if n != 1 else ''} hidden ({SUPPRESSED})" if n else ""


def _axis(scale: int) -> alt.Axis:
    return alt.Axis(format=".0%" if scale == 1 else ",.0f", title="Rate" if scale == 1 else "Per 10,000 children",
                    tickCount=10)


def rate_bars(frame: pd.DataFrame, category: str = "group_label", title: str = "") -> alt.LayerChart:
    """Horizontal bars with 95% intervals and a tick for the national figure; suppressed groups show no bar
    but keep their row, labelled "(c: hidden)". The key is written above the bars."""
    scale = int(frame["scale"].iloc[0]) if len(frame) else 1
    domain = [0, 1] if scale == 1 else alt.Undefined
    hidden = frame["suppressed"] & frame["value"].isna()
    rows = frame[category].where(~hidden, frame[category] + f" ({SUPPRESSED}: hidden)")
    frame = frame.assign(**{category: rows}, hidden=hidden, said=[_bar_words(r, category, scale) for _, r in frame.assign(
        **{category: rows}).iterrows()])
    has_national = bool(frame["national"].notna().any())
    base = alt.Chart(frame).encode(y=alt.Y(f"{category}:N", sort=None, title=None,
                                           scale=alt.Scale(domain=list(dict.fromkeys(rows)))))  # hidden rows stay
    bars = base.mark_bar(aria=bool(frame["value"].notna().any())).encode(  # an empty layer must stay hidden
        x=alt.X("value:Q", axis=_axis(scale), scale=alt.Scale(domain=domain)),
        description="said:N",
        tooltip=[alt.Tooltip(f"{category}:N", title="Group"), alt.Tooltip("value:Q", format=".1%" if scale == 1 else ",.1f", title="Rate"),
                 alt.Tooltip("numerator:Q", format=","), alt.Tooltip("denominator:Q", format=",")])
    errors = base.mark_rule(strokeWidth=2, color="#333333").encode(x="ci_low:Q", x2="ci_high:Q")
    national = base.mark_tick(color=NATIONAL_COLOUR, thickness=3, size=22).encode(
        x="national:Q", tooltip=[alt.Tooltip("national:Q", format=".1%" if scale == 1 else ",.1f", title="National")])
    marked = base.transform_filter(alt.datum.hidden).mark_text(  # a "c" where the bar would start, as SPC charts do
        align="left", dx=4, fontSize=14, fontWeight="bold", color="#222222").encode(x=alt.datum(0), text=alt.value(SUPPRESSED))
    key = "Bar: rate · black line: 95% interval" + (" · orange tick: national figure (It's Silent)" if has_national else "")
    key += f" · {SUPPRESSED}: hidden" if hidden.any() else ""
    # Fixed (a step height clashes with container width), and Streamlit fits the whole chart to it: rows plus the
    # key and the x axis, or a chart of two rows is squeezed flat.
    height = 34 * max(len(rows), 2) + 80
    layers = [bars, errors] + ([national] if has_national else []) + ([marked] if hidden.any() else [])
    return describe(alt.layer(*layers).properties(
        title=alt.Title(title, subtitle=key, subtitleFontSize=14, subtitleColor="#333333") if title else
        alt.Title(key, fontSize=14, fontWeight="normal", color="#333333"),  # Vega draws no subtitle without a title
        height=height, width="container"), rate_bars_words(frame, category, has_national))


def _bar_words(row: pd.Series, category: str, scale: int) -> str:
    if pd.isna(row["value"]):
        return f"{row[category]}"
    words = f"{row[category]}: {format_value(row['value'], scale)}"
    if pd.notna(row["numerator"]) and scale == 1:
        words += f" ({int(row['numerator']):,} of {int(row['denominator']):,})"
    if pd.notna(row["ci_low"]):
        words += f", 95% interval {format_value(row['ci_low'], scale)} to {format_value(row['ci_high'], scale)}"
    if pd.notna(row["national"]):
        words += f", national {format_value(row['national'], scale)}"
    return words


def rate_bars_words(frame: pd.DataFrame, category: str = "group_label", has_national: bool = False) -> str:
    """What a rate_bars chart shows, in words: its text alternative."""
    scale = int(frame["scale"].iloc[0]) if len(frame) else 1
    shown = frame[frame["value"].notna()]
    n_hidden = int((frame["suppressed"] & frame["value"].isna()).sum())
    if frame["indicator"].nunique() == 1:
        by = frame["by"].dropna()
        breakdown = " and ".join(DIMENSION_LABELS.get(d, d).lower() for d in by.iloc[0].split(",")) if len(by) else "group"
        what = f"Bar chart: {frame['label'].iloc[0]}, by {breakdown}, with 95% intervals"
        hidden = _hidden(n_hidden)
    else:
        what = f"Bar chart: our rate for each of {len(frame)} indicators, with 95% intervals"
        hidden = _hidden(n_hidden, "indicator")
    what += " and the national figure (It's Silent) as a tick" if has_national else ""
    if len(shown) > 1:
        top, bottom = shown.loc[shown["value"].idxmax()], shown.loc[shown["value"].idxmin()]
        what += (f"; highest {top[category]} {format_value(top['value'], scale)}, "
                 f"lowest {bottom[category]} {format_value(bottom['value'], scale)}")
    elif len(shown) == 1:
        what += f"; {shown[category].iloc[0]} {format_value(shown['value'].iloc[0], scale)}"
    else:
        return what + f"; every figure is hidden ({SUPPRESSED}) to protect children's privacy."
    return what + hidden + ". The table below gives every figure."


def monthly_trends(frame: pd.DataFrame) -> alt.FacetChart:
    """Small multiples: one panel per indicator, months along the bottom; hidden months have no point."""
    data = frame.assign(month=pd.to_datetime(frame["group"] + "-01"))
    line = alt.Chart(data).mark_line(point=True).encode(
        x=alt.X("month:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0, tickCount=6)),
        y=alt.Y("value:Q", axis=alt.Axis(format=".0%", title=None), scale=alt.Scale(zero=False)),
        tooltip=[alt.Tooltip("month:T", format="%B %Y"), alt.Tooltip("value:Q", format=".1%", title="Rate"),
                 alt.Tooltip("numerator:Q", format=","), alt.Tooltip("denominator:Q", format=",")])
    chart = line.properties(width=380, height=170).facet(
        facet=alt.Facet("short_label:N", title=None), columns=2).resolve_scale(y="independent")
    return describe(chart, monthly_words(data))


def monthly_words(data: pd.DataFrame) -> str:
    panels = list(dict.fromkeys(data["short_label"]))
    months = sorted(data["group"].unique())
    latest = [f"{name} {format_value(rows['value'].iloc[-1], 1)} in {rows['group'].iloc[-1]}"
              for name, rows in ((n, data[(data["short_label"] == n) & data["value"].notna()].sort_values("group"))
                                 for n in panels) if len(rows)]
    text = (f"Line charts, one panel for each of {len(panels)} indicators, each with its own scale: the monthly rate "
            f"from {months[0]} to {months[-1]}" if months else "Line charts with no months")
    text += (f"; latest shown: {'; '.join(latest)}" if latest else "")
    return text + _hidden(int(data["value"].isna().sum()), "month") + ". The table below gives every month."


def stacked_shares(frame: pd.DataFrame, row: str, colour: str, order: list[str]) -> alt.Chart:
    """100% stacked bars, e.g. who interpreted, per agency; the legend names every colour, in the bars' order."""
    chart = alt.Chart(frame.dropna(subset=["Share"])).mark_bar(stroke="white", strokeWidth=1.5).encode(
        y=alt.Y(f"{row}:N", title=None),
        x=alt.X("Share:Q", stack="zero", scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format=".0%", title="Share of episodes needing an interpreter (hidden shares left blank)")),
        color=alt.Color(f"{colour}:N", sort=order, scale=alt.Scale(domain=order, range=OKABE_ITO[:len(order)]),
                        legend=alt.Legend(title="From the left:", titleOrient="left")),  # position, not colour alone
        order=alt.Order("order:Q"),
        tooltip=[f"{row}:N", f"{colour}:N", alt.Tooltip("Share:Q", format=".1%"), alt.Tooltip("Episodes:Q", format=",")],
    ).transform_calculate(order=f"indexof({order!r}, datum['{colour}'])").properties(
        height=40 * max(frame[row].nunique(), 1) + 110, width="container")  # rows plus axis and legend (see rate_bars)
    return describe(chart, stacked_words(frame, row, colour, order))


def stacked_words(frame: pd.DataFrame, row: str, colour: str, order: list[str]) -> str:
    parts = []
    for part in order:
        shares = frame[(frame[colour] == part) & frame["Share"].notna()]
        if len(shares) > 1:
            top, bottom = shares.loc[shares["Share"].idxmax()], shares.loc[shares["Share"].idxmin()]
            parts.append(f"{part} from {bottom['Share']:.1%} ({bottom[row]}) to {top['Share']:.1%} ({top[row]})")
        elif len(shares) == 1:
            parts.append(f"{part} {shares['Share'].iloc[0]:.1%} ({shares[row].iloc[0]})")
    text = (f"Stacked bar chart: for each {row.lower()} ({frame[row].nunique()}), the share of episodes needing an "
            f"interpreter by {colour.lower()}, in the order {', '.join(order)}")
    text += f"; {'; '.join(parts)}" if parts else "; every share is hidden to protect children's privacy"
    return text + _hidden(int(frame["Share"].isna().sum()), "share") + ". The table below gives every figure."

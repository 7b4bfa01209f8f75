"""One Altair theme and the chart builders every page uses.

Okabe-Ito colours (safe for the common colour-vision deficiencies), large type
for projectors, and rates on a fixed axis so charts can be compared by eye.
"""
from __future__ import annotations

import altair as alt
import pandas as pd

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
    }}


def _axis(scale: int) -> alt.Axis:
    return alt.Axis(format=".0%" if scale == 1 else ",.0f", title="Rate" if scale == 1 else "Per 10,000 children",
                    tickCount=10)


def rate_bars(frame: pd.DataFrame, category: str = "group_label", title: str = "") -> alt.LayerChart:
    """Horizontal bars with 95% intervals and a tick for the national figure; suppressed groups show no bar."""
    scale = int(frame["scale"].iloc[0]) if len(frame) else 1
    domain = [0, 1] if scale == 1 else alt.Undefined
    hidden = frame["suppressed"] & frame["value"].isna()
    frame = frame.assign(**{category: frame[category].where(~hidden, frame[category] + " (c: hidden)")})
    base = alt.Chart(frame).encode(y=alt.Y(f"{category}:N", sort=None, title=None))
    bars = base.mark_bar().encode(
        x=alt.X("value:Q", axis=_axis(scale), scale=alt.Scale(domain=domain)),
        tooltip=[alt.Tooltip(f"{category}:N", title="Group"), alt.Tooltip("value:Q", format=".1%" if scale == 1 else ",.1f", title="Rate"),
                 alt.Tooltip("numerator:Q", format=","), alt.Tooltip("denominator:Q", format=",")])
    errors = base.mark_rule(strokeWidth=2, color="#333333").encode(x="ci_low:Q", x2="ci_high:Q")
    national = base.mark_tick(color=NATIONAL_COLOUR, thickness=3, size=22).encode(
        x="national:Q", tooltip=[alt.Tooltip("national:Q", format=".1%" if scale == 1 else ",.1f", title="National")])
    height = 34 * max(frame[category].nunique(), 2) + 10  # fixed: a step height clashes with container width
    return (bars + errors + national).properties(title=title, height=height, width="container")


def monthly_trends(frame: pd.DataFrame) -> alt.Chart:
    """Small multiples: one panel per indicator, months along the bottom; hidden months leave gaps."""
    data = frame.assign(month=pd.to_datetime(frame["group"] + "-01"))
    line = alt.Chart(data).mark_line(point=True).encode(
        x=alt.X("month:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0, tickCount=6)),
        y=alt.Y("value:Q", axis=alt.Axis(format=".0%", title=None), scale=alt.Scale(zero=False)),
        tooltip=[alt.Tooltip("month:T", format="%B %Y"), alt.Tooltip("value:Q", format=".1%", title="Rate"),
                 alt.Tooltip("numerator:Q", format=","), alt.Tooltip("denominator:Q", format=",")])
    return line.properties(width=380, height=170).facet(
        facet=alt.Facet("short_label:N", title=None), columns=2).resolve_scale(y="independent")


def stacked_shares(frame: pd.DataFrame, row: str, colour: str, order: list[str]) -> alt.Chart:
    """100% stacked bars, e.g. who interpreted, per agency."""
    return alt.Chart(frame.dropna(subset=["Share"])).mark_bar().encode(
        y=alt.Y(f"{row}:N", title=None),
        x=alt.X("Share:Q", stack="zero", scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format=".0%", title="Share of episodes needing an interpreter (hidden shares left blank)")),
        color=alt.Color(f"{colour}:N", sort=order, scale=alt.Scale(domain=order, range=OKABE_ITO[:len(order)]), title=None),
        order=alt.Order("order:Q"),
        tooltip=[f"{row}:N", f"{colour}:N", alt.Tooltip("Share:Q", format=".1%"), alt.Tooltip("Episodes:Q", format=",")],
    ).transform_calculate(order=f"indexof({order!r}, datum['{colour}'])").properties(height=40 * max(frame[row].nunique(), 1), width="container")

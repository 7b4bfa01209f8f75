"""Statistical process control charts in NHS England's Making Data Count style.

Points are coloured by what they signal (blue improvement, orange concern, purple a change on a
measure where neither direction is better, grey common cause) and shaped and labelled too, so
colour never carries the meaning alone. A hidden month is a gap with a "c" above the axis.
"""
from __future__ import annotations

import altair as alt
import pandas as pd

STATUS = {  # Making Data Count colours; the shape and the legend's words say the same
    "improvement": ("#289DE0", "triangle-up", "Improvement (special cause)"),
    "concern": ("#E46C0A", "triangle-down", "Concern (special cause)"),
    "neither": ("#361475", "diamond", "Change, neither better nor worse (special cause)"),
    "common_cause": ("#7F7F7F", "circle", "Common cause (noise)"),
}
VARIATION_BADGE = {  # the series' icon as a badge: colour, and the words
    "improvement": ("blue", ":material/trending_up: Improving"),
    "concern": ("orange", ":material/warning: Concern"),
    "neither": ("violet", ":material/swap_vert: Changed"),
    "common_cause": ("gray", ":material/horizontal_rule: No significant change"),
    "none": ("gray", "Too few months"),
}
ASSURANCE_BADGE = {  # where a target is set: will the process meet it?
    "pass": ("blue", ":material/check_circle: Will meet the target every month"),
    "fail": ("orange", ":material/cancel: Will not meet the target without change"),
    "hit_and_miss": ("gray", ":material/help: Will meet the target in some months only"),
}


def describe(series: pd.DataFrame) -> str:
    """The chart in words: its text alternative."""
    shown = series[series["status"] != "hidden"]
    name = series["short_label"].iloc[0]
    if shown.empty:
        return f"{name}: every month is hidden to protect children's privacy."
    first, last = shown.iloc[0], shown.iloc[-1]
    special = shown[shown["status"] != "common_cause"]
    hidden = int((series["status"] == "hidden").sum())
    text = (f"SPC chart of {name}, {len(series)} months from {first['period']} to {last['period']}: latest "
            f"{last['value']:.0%}, centre line {last['centre']:.0%}, limits {last['lower']:.0%} to {last['upper']:.0%}. ")
    text += (f"{len(special)} month(s) show special cause variation. " if len(special) else "No special cause variation. ")
    return text + (f"{hidden} month(s) hidden (c)." if hidden else "")


def p_chart(series: pd.DataFrame) -> alt.LayerChart:
    """One indicator's monthly p-chart: points, centre line and 3-sigma limits on a 0 to 100% axis."""
    data = series.assign(month=pd.to_datetime(series["period"] + "-01"),
                         meaning=series["status"].map(lambda s: STATUS.get(s, ("", "", ""))[2]))
    shown = data[data["status"] != "hidden"]
    x = alt.X("month:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0, tickCount=6))
    y = alt.Y("value:Q", title=None, axis=alt.Axis(format=".0%"), scale=alt.Scale(domain=[0, 1]))
    base = alt.Chart(shown)
    limits = base.mark_line(strokeDash=[6, 4], color="#555555", interpolate="step-after").encode(x=x, y="lower:Q") + \
        base.mark_line(strokeDash=[6, 4], color="#555555", interpolate="step-after").encode(x=x, y="upper:Q")
    centre = base.mark_line(color="#222222", strokeWidth=1.5).encode(x=x, y="centre:Q")
    line = alt.Chart(data).mark_line(color="#9E9E9E", strokeWidth=1.5).encode(x=x, y=y)  # nulls leave gaps
    kinds = [k for k in STATUS if k in set(shown["status"])]
    points = base.mark_point(filled=True, size=70, opacity=1).encode(
        x=x, y=y,
        color=alt.Color("meaning:N", title=None, scale=alt.Scale(
            domain=[STATUS[k][2] for k in kinds], range=[STATUS[k][0] for k in kinds])),
        shape=alt.Shape("meaning:N", title=None, scale=alt.Scale(
            domain=[STATUS[k][2] for k in kinds], range=[STATUS[k][1] for k in kinds])),
        tooltip=[alt.Tooltip("month:T", format="%B %Y", title="Month"),
                 alt.Tooltip("value:Q", format=".1%", title="Rate"), alt.Tooltip("numerator:Q", format=","),
                 alt.Tooltip("denominator:Q", format=","), alt.Tooltip("centre:Q", format=".1%", title="Centre"),
                 alt.Tooltip("lower:Q", format=".1%", title="Lower limit"),
                 alt.Tooltip("upper:Q", format=".1%", title="Upper limit"), alt.Tooltip("meaning:N", title="Signal"),
                 alt.Tooltip("signals:N", title="Rules")])
    hidden = alt.Chart(data[data["status"] == "hidden"].assign(c="c", at=0.04)).mark_text(
        fontSize=14, fontWeight="bold", color="#222222").encode(x=x, y="at:Q", text="c:N",
                                                                tooltip=[alt.Tooltip("month:T", format="%B %Y"),
                                                                         alt.Tooltip("c:N", title="Hidden")])
    return (limits + centre + line + points + hidden).properties(
        height=220, width="container", description=describe(series))

"""The dashboard's own Altair charts, drawn to PNG without a browser (vl-convert).

Each chart is drawn at the width it will have on the page in points, so its 14 px type prints at
about 14 pt, and at twice that resolution for a sharp print and projector. Only what paper needs
changes: a fixed width instead of the browser's container width, a shorter height where two charts
share a page, and lighter bars so the black interval lines and the national tick stand out in
black and white.
"""
from __future__ import annotations

import re

import pandas as pd

from . import Chart

SCALE = 2  # pixels per point in the PNG
PRINT_BAR = "#C6DBEF"  # light blue: the dark 95% interval and national tick stay visible in greyscale


def draw(chart, width: int, height: int | None = None) -> Chart:
    """The chart `width` points wide in all, axis labels included: measured once as SVG, then drawn
    with the plot narrowed by what its labels and legend take."""
    import vl_convert

    import dashboard.charts  # noqa: F401  registers and enables the dashboard's theme (fonts, colours)

    spec = chart.properties(width=width, **({"height": height} if height else {})).to_dict()
    svg = vl_convert.vegalite_to_svg(spec)
    drawn = float(re.search(r'<svg[^>]*\bwidth="([\d.]+)"', svg).group(1))
    spec["width"] = max(200, round(width - (drawn - width)))
    png = vl_convert.vegalite_to_png(spec, scale=SCALE)
    w, h = int.from_bytes(png[16:20], "big") / SCALE, int.from_bytes(png[20:24], "big") / SCALE  # the PNG header
    return Chart(png, w, h, spec.get("description", ""))


def spc(series: pd.DataFrame, width: int, height: int = 150) -> Chart:
    """One indicator's monthly p-chart (dashboard/spc_charts.py)."""
    from dashboard import spc_charts

    return draw(spc_charts.p_chart(series).configure_legend(labelFontSize=14, symbolSize=120), width, height)


def forest(data: pd.DataFrame, reference: str, measure: str, width: int, ratio_name: str = "Rate ratio") -> Chart:
    """Rate ratios by ethnic group (dashboard/compare_charts.py)."""
    from dashboard import compare_charts

    return draw(compare_charts.forest(data, reference, measure, ratio_name), width, 32 * max(len(data), 2))


def rates(frame: pd.DataFrame, category: str, width: int) -> Chart:
    """Rates with 95% intervals and the national tick (dashboard/charts.py)."""
    from dashboard import charts

    return draw(charts.rate_bars(frame, category).configure_bar(color=PRINT_BAR), width, 34 * max(len(frame), 2))

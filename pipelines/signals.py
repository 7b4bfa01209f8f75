"""Monthly SPC series for the catalogue's indicators, read from the same cells every page shows.

The months come from metrics.compute, so default output charts only what the protected release
publishes (a hidden month is a gap), and internal use charts the exact counts.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import duckdb

from . import metrics, spc
from .catalogue import Indicator, by_id, catalogue

VARIATION_TEXT = {
    "improvement": "Improving: a real change for the better (special cause)",
    "concern": "Concern: a real change for the worse (special cause)",
    "neither": "Changed: a real shift on a measure where neither direction is better (special cause)",
    "common_cause": "No significant change: month-to-month variation is noise (common cause)",
    "none": "Too few months to judge",
}


@dataclass
class Series:
    indicator: Indicator
    by: str | None
    group: str | None
    points: list[spc.Point]

    @property
    def variation(self) -> str:
        return spc.variation(self.points, self.indicator.direction)

    @property
    def assurance(self) -> str | None:
        return spc.assurance(self.points, self.indicator.target, self.indicator.direction)

    @property
    def trial(self) -> bool:
        return spc.trial(self.points)

    @property
    def limits_from(self) -> int:
        return max((p.limits_from for p in self.points), default=0)

    def rows(self) -> list[dict]:
        """One `spc --json` element per month (data contract §4)."""
        return [{"indicator": self.indicator.id, "by": self.by, "group": self.group, **p.as_contract()}
                for p in self.points]


def monthly(con: duckdb.DuckDBPyConnection, indicator_ids: tuple[str, ...] = (), by: str | None = None,
            filters: metrics.Filters = metrics.Filters(), threshold: int = 5, protected: bool = True,
            rules: spc.Rules = spc.Rules(), withheld: list[str] | None = None) -> list[Series]:
    """A p-chart per indicator (and group of `by`) over the months each has."""
    chosen = [by_id(i) for i in indicator_ids] if indicator_ids else list(catalogue())
    chosen = [i for i in chosen if "month" in i.fact.dims and (by is None or by in i.fact.dims)]
    table = ("month",) + ((by,) if by else ())
    cells = metrics.compute(con, table, filters, chosen, threshold, protected=protected,
                            withheld=[] if withheld is None else withheld) if chosen else []
    grouped: dict[tuple[str, str | None], list[metrics.Cell]] = defaultdict(list)
    for cell in cells:
        values = dict(zip(cell.by, cell.group))
        grouped[(cell.indicator, values.get(by) if by else None)].append(cell)
    out = []
    for (indicator_id, group), members in sorted(grouped.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
        members.sort(key=lambda c: dict(zip(c.by, c.group))["month"])
        hide = [c.suppressed and protected for c in members]
        points = [spc.Point(dict(zip(c.by, c.group))["month"], None if h else c.numerator, None if h else c.denominator)
                  for c, h in zip(members, hide) if h or c.denominator]
        out.append(Series(by_id(indicator_id), by, group, spc.p_chart(points, rules)))
    return out


def latest_signal(series: Series) -> str:
    """A sentence on what the monthly series says, for a tile or a caption."""
    text = VARIATION_TEXT[series.variation]
    if series.variation != "none" and series.trial:
        text += f" (trial limits: {series.limits_from} months)"
    return text


def point_status(point: spc.Point, direction: str) -> str:
    """Making Data Count colour of one point: improvement, concern, neither or common cause."""
    if not point.signals:
        return "common_cause"
    if direction == "neutral":
        return "neither"
    return "improvement" if (point.toward > 0) == (direction == "up") else "concern"


def frame(series: list[Series]):
    """Every point of every series as one table, for charts and downloads."""
    import pandas as pd

    rows = [{"indicator": s.indicator.id, "short_label": s.indicator.short_label, "by": s.by, "group": s.group,
             "period": p.period, "numerator": p.numerator, "denominator": p.denominator, "value": p.value,
             "centre": p.centre, "lower": p.lower, "upper": p.upper, "signals": ", ".join(p.signals),
             "status": "hidden" if p.hidden else point_status(p, s.indicator.direction),
             "variation": s.variation, "assurance": s.assurance, "trial": s.trial, "limits_from": s.limits_from}
            for s in series for p in s.points]
    return pd.DataFrame(rows)


DIRECTION_TEXT = {"up": "higher is better", "down": "lower is better", "neutral": "neither higher nor lower is better"}
STATUS_TEXT = {"improvement": "improvement", "concern": "concern", "neither": "change (neither better nor worse)",
               "common_cause": "", "hidden": "c: hidden"}


def display(points):
    """The SPC table a page shows and exports: months hidden as 'c', rates as percentages."""
    import pandas as pd

    def pct(v):
        return "c" if pd.isna(v) else f"{v:.1%}"

    return pd.DataFrame({
        "Indicator": points["short_label"], "Month": points["period"],
        "Numerator": points["numerator"].map(lambda v: "c" if pd.isna(v) else f"{int(v):,}"),
        "Denominator": points["denominator"].map(lambda v: "c" if pd.isna(v) else f"{int(v):,}"),
        "Rate": points["value"].map(pct), "Centre": points["centre"].map(pct),
        "Lower limit": points["lower"].map(pct), "Upper limit": points["upper"].map(pct),
        "Signal": points["status"].map(STATUS_TEXT), "Rules": points["signals"]})


# The report's 54 reviews were all of children in these groups. No comma: `group` joins values with one.
SAMPLE_GROUP = "Black or Asian or Mixed"


def like_for_like(by_sample_group, indicator_id: str) -> tuple[int, int] | None:
    """(numerator, denominator) for our reviews of Black, Asian and Mixed Heritage children, from the
    published `sample_group` breakdown (protected like every cell); None when it is hidden."""
    rows = by_sample_group[(by_sample_group["indicator"] == indicator_id) & (by_sample_group["group"] == SAMPLE_GROUP)]
    if rows.empty or rows["numerator"].isna().any() or not rows["denominator"].iloc[0]:  # hidden: no counts
        return None
    return int(rows["numerator"].iloc[0]), int(rows["denominator"].iloc[0])


def national_comparisons(by_sample_group, indicators) -> dict[str, tuple[tuple[int, int] | None, str | None]]:
    """Per indicator with a national figure: (our like-for-like counts, the verdict), None where hidden.
    The overview's tiles and the board pack both read these."""
    out = {}
    for ind in indicators:
        ours = like_for_like(by_sample_group, ind.id) if not by_sample_group.empty else None
        out[ind.id] = ours, national_verdict(*ours, ind.national_value) if ours else None
    return out


def national_line(ind, ours: tuple[int, int] | None, verdict: str | None) -> str:
    """A tile's national comparison, like for like (the national sample was reviews of Black, Asian and
    Mixed Heritage children); **bold** marks the verdict. Shared by the overview and the board pack."""
    from .report import format_value

    if not ind.national:
        return "No national figure."
    # the Panel's own counts are public, but a pack or page prints no "n of d" with n of 1 to 5 whatever it counts
    national = f"National {format_value(ind.national_value, ind.scale)} (of {ind.national[1]} reviews)"
    if ours is None:
        return (f"{national}. Like for like (our reviews of Black, Asian and Mixed Heritage children): "
                "too few to show without revealing a small number, so no comparison.")
    n, d = ours
    return (f"Reviews of Black, Asian and Mixed Heritage children (as nationally): "
            f"{format_value(n / d, ind.scale)} ({n:,} of {d:,}). {national}: **{verdict}**.")


def series_line(ind, series) -> str:
    """What a tile says of its monthly series: its SPC verdict, or why it has none."""
    if series.empty:
        return ("No monthly series: reviews are too few a month for a control chart." if ind.page == "reviews"
                else "No monthly series: these records are not dated." if "month" not in ind.fact.dims
                else "No monthly series published for this selection.")
    head, _, rest = VARIATION_TEXT[series["variation"].iloc[0]].partition(": ")
    return f"**{head}**" + (f": {rest}." if rest else ".")


def national_verdict(numerator: int, denominator: int, national: float) -> str:
    """Higher or lower than national only when the national figure lies outside our 95% interval."""
    from .stats import wilson

    interval = wilson(numerator, denominator)
    if interval is None:
        return "too few to compare"
    low, high = interval
    return "higher than national" if national < low else "lower than national" if national > high \
        else "no clear difference from national"


def summary_sentence(points) -> str:
    """One plain-English sentence on what the monthly series say, from their latest signals only."""
    if points.empty:
        return ""
    latest = points.groupby("indicator", sort=False).first()
    words = {"improvement": "improving", "concern": "getting worse", "neither": "changing"}
    special = [f"{row['short_label']} is {words[row['variation']]}" for _, row in latest.iterrows()
               if row["variation"] in words]
    calm = int((latest["variation"] == "common_cause").sum())
    every = {1: "the one monthly indicator shows", 2: "both monthly indicators show"}.get(
        calm, f"all {calm} monthly indicators show")
    quiet = (f"the other {calm} monthly indicator{'s show' if calm != 1 else ' shows'} only month-to-month noise"
             if special else f"{every} only month-to-month noise") if calm else ""
    parts = ["; ".join(special) + (" (a special cause on the control chart)" if special else ""), quiet]
    sentence = "; ".join(p for p in parts if p)
    return sentence[:1].upper() + sentence[1:] + "." if sentence else ""


def national_sentence(verdicts: list[tuple[str, str | None]]) -> str:
    """One sentence on the like-for-like national comparisons: (figure, verdict or None when hidden)."""
    if not verdicts:
        return ""
    parts = []
    for verdict in ("higher than national", "lower than national", "no clear difference from national"):
        names = [name for name, v in verdicts if v == verdict]
        if names:
            parts.append(f"{', '.join(names)}: {verdict}")
    hidden = sum(v is None or v == "too few to compare" for _, v in verdicts)
    if hidden:
        parts.append(f"{'all' if hidden == len(verdicts) else hidden} "
                     f"{'figures' if hidden != 1 else 'figure'} too few to compare without revealing a small number")
    return "Like for like with the national figures (reviews of Black, Asian and Mixed Heritage children): " \
        + "; ".join(parts) + "."

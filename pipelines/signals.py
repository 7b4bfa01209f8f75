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

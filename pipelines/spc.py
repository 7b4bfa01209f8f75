"""Statistical process control, as NHS England's *Making Data Count* draws it.

A p-chart for a monthly proportion (limits p̄ ± 3√(p̄(1−p̄)/nᵢ), clamped to [0, 1]) and an
XmR chart for a monthly count (mean ± 2.66 × mean moving range). Four special-cause rules:
a point outside the limits; a run of points on one side of the mean (a shift); a run of
points each strictly above, or each strictly below, the one before (a trend); two of three
points beyond 2σ on the same side. Pure functions over (period, numerator, denominator):
a hidden month (suppressed) is a gap, never a zero. It has no signals, takes no part in the
limits, and breaks any run: we cannot say seven months in a row when one is unknown. A point
exactly on the mean is on neither side, so it breaks a shift; a tie breaks a trend.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

SIGNALS = ("outside_limits", "shift", "trend", "two_of_three")
TRIAL_POINTS = 12  # fewer points than this: the limits are trial limits


@dataclass(frozen=True)
class Rules:
    shift: int = 7  # points in a row on one side of the mean
    trend: int = 7  # points each strictly above (or below) the one before
    baseline: int | None = None  # fix the limits on the first N shown points (None: every point shown)
    rebase: str | None = None  # a change date (YYYY-MM): limits computed afresh from that month on


@dataclass
class Point:
    period: str  # YYYY-MM
    numerator: int | None  # None: hidden (suppressed)
    denominator: int | None
    value: float | None = None
    centre: float | None = None
    lower: float | None = None
    upper: float | None = None
    signals: list[str] = field(default_factory=list)
    side: int = 0  # +1 above the centre, -1 below, 0 on it
    toward: int = 0  # the direction of the special cause the point is part of: +1 up, -1 down
    sigma: float | None = None
    limits_from: int = 0  # how many months the limits rest on

    @property
    def hidden(self) -> bool:
        return self.numerator is None or self.denominator is None

    def as_contract(self) -> dict:
        """The `spc --json` element (data contract §4)."""
        return {k: getattr(self, k) for k in ("period", "numerator", "denominator", "value", "centre", "lower",
                                               "upper", "signals")}


def p_chart(points: list[Point], rules: Rules = Rules()) -> list[Point]:
    """Proportions: centre p̄ = Σ numerators / Σ denominators over the baseline."""
    for segment in _segments(points, rules):
        base = _baseline([p for p in segment if not p.hidden and p.denominator], rules)
        total = sum(p.denominator for p in base)
        if not total:
            continue
        centre = sum(p.numerator for p in base) / total
        for p in segment:
            if p.hidden or not p.denominator:
                continue
            p.value = p.numerator / p.denominator
            p.sigma = math.sqrt(centre * (1 - centre) / p.denominator)
            p.centre, p.limits_from = centre, len(base)
            p.lower, p.upper = max(0.0, centre - 3 * p.sigma), min(1.0, centre + 3 * p.sigma)
    return _signals(points, rules)


def xmr(points: list[Point], rules: Rules = Rules()) -> list[Point]:
    """Counts (the numerator): centre the mean, limits ± 2.66 × the mean moving range between
    consecutive shown months; σ = mean moving range / 1.128. The lower limit is at least 0."""
    for segment in _segments(points, rules):
        base = _baseline([p for p in segment if not p.hidden], rules)
        if not base:
            continue
        values = [float(p.numerator) for p in base]
        centre = sum(values) / len(values)
        ranges = [abs(b - a) for a, b in zip(values, values[1:])]
        moving = sum(ranges) / len(ranges) if ranges else 0.0
        for p in segment:
            if p.hidden:
                continue
            p.value, p.centre, p.sigma, p.limits_from = float(p.numerator), centre, moving / 1.128, len(base)
            p.lower, p.upper = max(0.0, centre - 2.66 * moving), centre + 2.66 * moving
    return _signals(points, rules)


def _segments(points: list[Point], rules: Rules) -> list[list[Point]]:
    if rules.rebase is None:
        return [points]
    return [[p for p in points if p.period < rules.rebase], [p for p in points if p.period >= rules.rebase]]


def _baseline(shown: list[Point], rules: Rules) -> list[Point]:
    return shown[:rules.baseline] if rules.baseline else shown


def _signals(points: list[Point], rules: Rules) -> list[Point]:
    for p in points:
        p.signals, p.toward = [], 0
        if p.centre is not None:
            p.side = (p.value > p.centre) - (p.value < p.centre)
            if p.value > p.upper or p.value < p.lower:
                _mark([p], "outside_limits", p.side)
    runs = [run for segment in _segments(points, rules) for run in _runs(segment)]
    rules_in_order = (("shift", lambda run, side: _same_side(run, rules.shift, side)),
                      ("two_of_three", _two_of_three),
                      ("trend", lambda run, side: _monotone(run, rules.trend, side)))
    for signal, rule in rules_in_order:  # a point in several signals takes the direction of the first
        for run in runs:
            for side in (1, -1):
                _mark(rule(run, side), signal, side)
    for p in points:
        p.signals.sort(key=SIGNALS.index)
    return points


def _runs(points: list[Point]) -> list[list[Point]]:
    """Consecutive charted months; a hidden month ends a run."""
    runs, current = [], []
    for p in points:
        if p.centre is None:
            runs, current = runs + [current], []
        else:
            current.append(p)
    return [r for r in runs + [current] if r]


def _mark(points: list[Point], signal: str, side: int) -> None:
    for p in points:
        if signal not in p.signals:
            p.signals.append(signal)
        p.toward = p.toward or side


def _same_side(run: list[Point], length: int, side: int) -> list[Point]:
    """`length` or more points in a row on `side` of the mean (a point on the mean ends the run)."""
    out, streak = [], []
    for p in run:
        streak = streak + [p] if p.side == side else []
        if len(streak) == length:
            out += streak
        elif len(streak) > length:
            out.append(p)
    return out


def _monotone(run: list[Point], length: int, side: int) -> list[Point]:
    """`length` or more points each strictly above (side +1) or below (-1) the one before."""
    out, streak = [], []
    for p in run:
        streak = streak + [p] if streak and (p.value - streak[-1].value) * side > 0 else [p]
        if len(streak) == length:
            out += streak
        elif len(streak) > length:
            out.append(p)
    return out


def _two_of_three(run: list[Point], side: int) -> list[Point]:
    """Two of three consecutive points beyond 2σ on `side` of the mean."""
    out = []
    for i in range(len(run) - 2):
        beyond = [p for p in run[i:i + 3] if (p.value - p.centre) * side > 2 * p.sigma]
        if len(beyond) >= 2:
            out += [p for p in beyond if p not in out]
    return out


def variation(points: list[Point], direction: str) -> str:
    """The Making Data Count variation icon for a series, from its latest charted point:
    improvement, concern, neither (special cause on a neutral measure) or common_cause."""
    latest = next((p for p in reversed(points) if p.centre is not None), None)
    if latest is None or not latest.signals:
        return "common_cause" if latest is not None else "none"
    if direction == "neutral":
        return "neither"
    return "improvement" if (latest.toward > 0) == (direction == "up") else "concern"


def trial(points: list[Point]) -> bool:
    """Fewer than TRIAL_POINTS months under the limits: trial limits."""
    return max((p.limits_from for p in points), default=0) < TRIAL_POINTS


def assurance(points: list[Point], target: float | None, direction: str) -> str | None:
    """The Making Data Count assurance icon, where a target is set: whether the process, as its latest
    limits stand, will meet the target every month (pass), never (fail), or sometimes (hit and miss)."""
    latest = next((p for p in reversed(points) if p.centre is not None), None)
    if target is None or latest is None or direction == "neutral":
        return None
    if latest.lower <= target <= latest.upper:
        return "hit_and_miss"
    above = target < latest.lower  # every month lies above the target
    return "pass" if above == (direction == "up") else "fail"

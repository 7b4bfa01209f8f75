"""One plain-English sentence about a comparison between groups, saying only what the statistics support.

Pure: no data access, no Streamlit. A group is called higher or lower only where its whole 95%
interval is above or below 1; a point estimate alone never makes a statement. Where the interval
includes 1 the sentence says the difference may be chance; where there is no ratio (a hidden cell,
a zero count) it says too few to compare. Better or worse is said only for an indicator whose
direction is up or down, never for a neutral one.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

TOO_FEW = "too few to compare"
MAY_BE_CHANCE = "the difference may be chance"
# Group labels that read badly as "<label> children".
PHRASES = {"Not known": "children whose ethnic group is not known", "Other": "children of other ethnic groups"}
JUDGEMENT = {("higher", "up"): "better", ("higher", "down"): "worse",
             ("lower", "up"): "worse", ("lower", "down"): "better"}


@dataclass(frozen=True)
class Ratio:
    """One group's rate ratio against the comparison group; ratio None when it cannot be compared."""
    group: str
    ratio: float | None = None
    low: float | None = None
    high: float | None = None

    @property
    def comparable(self) -> bool:
        return not any(v is None or (isinstance(v, float) and math.isnan(v)) for v in (self.ratio, self.low, self.high))

    @property
    def finding(self) -> str:
        """higher or lower only when the whole 95% interval is on one side of 1."""
        if not self.comparable:
            return TOO_FEW
        if self.low > 1:
            return "higher"
        if self.high < 1:
            return "lower"
        return MAY_BE_CHANCE


def comparison_sentence(ratios: Iterable[Ratio], measure: str, reference: str = "White children",
                        direction: str = "neutral") -> str:
    """E.g. 'Compared with White children, the rate for "Informal interpreting" was higher (worse) for
    Black children (rate ratio 1.6, 95% CI 1.1 to 2.3); for Asian and Mixed children the difference may
    be chance; too few to compare for children of other ethnic groups.'

    `measure` is what is compared, as it reads mid-sentence; `reference` the comparison group in words;
    `direction` the catalogue's (up: higher is better, down: lower is better, neutral: neither)."""
    ratios = list(ratios)
    if not ratios:
        return ""
    by = {kind: [r for r in ratios if r.finding == kind] for kind in ("higher", "lower", MAY_BE_CHANCE, TOO_FEW)}
    clear = [f"{kind}{_judgement(kind, direction)} for " + _and([f"{_children(r.group)} ({_figures(r)})" for r in by[kind]])
             for kind in ("higher", "lower") if by[kind]]
    rest = []
    if by[MAY_BE_CHANCE]:
        rest.append(f"for {_who([r.group for r in by[MAY_BE_CHANCE]])} {MAY_BE_CHANCE}")
    if by[TOO_FEW]:
        rest.append(f"{TOO_FEW} for {_who([r.group for r in by[TOO_FEW]])}")
    if clear:
        sentence = f"Compared with {reference}, {measure} was {' and '.join(clear)}"
        return "; ".join([sentence, *rest]) + "."
    if by[MAY_BE_CHANCE]:
        lead = (f"Compared with {reference}, no group's {_strip_article(measure)} was clearly different: "
                f"{rest[0]} (each 95% interval includes 1)")
        return "; ".join([lead, *rest[1:]]) + "."
    return f"Too few to compare any group with {reference}: every group's figure is hidden or zero."


def _judgement(kind: str, direction: str) -> str:
    word = JUDGEMENT.get((kind, direction))
    return f" ({word})" if word else ""


def _figures(r: Ratio) -> str:
    """Rate ratio and interval to one decimal place, or more where one would blur the finding
    (a lower bound of 1.04 shown as 1.0 would read as including 1; 0.8 to 0.8 as no interval)."""
    for places in (1, 2, 3):
        shown = [round(v, places) for v in (r.ratio, r.low, r.high)]
        blurred = (r.low > 1 and shown[1] <= 1) or (r.high < 1 and shown[2] >= 1) or min(shown) <= 0 \
            or (shown[0] in (shown[1], shown[2]) and r.low < r.ratio < r.high)
        if not blurred:
            break
    return f"rate ratio {r.ratio:.{places}f}, 95% CI {r.low:.{places}f} to {r.high:.{places}f}"


def _children(group: str) -> str:
    return PHRASES.get(group, f"{group} children")


def _who(groups: list[str]) -> str:
    """'Asian and Mixed children', 'Black children and children whose ethnic group is not known'."""
    plain = [g for g in groups if g not in PHRASES]
    phrases = ([_and(plain) + " children"] if plain else []) + [PHRASES[g] for g in groups if g in PHRASES]
    return _and(phrases)


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _strip_article(measure: str) -> str:
    return measure.removeprefix("the ")

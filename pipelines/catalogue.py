"""The indicator catalogue (catalogue.toml), parsed and checked.

`parse` is pure and returns problems as data, so a test can show every
mistake in the catalogue at once instead of failing on the first.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from .reference import national_baseline

CATALOGUE_PATH = Path(__file__).resolve().parent / "catalogue.toml"
DIMENSIONS = ("ethnic_group", "ethnicity", "sex", "age_band", "review_type", "reporting_year", "agency", "month",
              "sample_group")  # sample_group: reviews of Black, Asian or Mixed Heritage children, as nationally, or not
# distinct_period: like period, for facts that count each child once over the whole period (see fct_cin)
FILTERS = ("partnership", "period", "distinct_period", "agency")
REQUIRED = ("id", "label", "short_label", "definition", "numerator_text", "denominator_text", "fact",
            "numerator_sql", "denominator_sql", "direction", "page", "question", "why", "source")


@dataclass(frozen=True)
class Fact:
    name: str
    dims: tuple[str, ...]
    filters: tuple[str, ...]
    cube: bool = False  # pre-aggregated (see cubes.py); only for additive counts


@dataclass(frozen=True)
class Indicator:
    id: str
    label: str
    short_label: str
    definition: str
    numerator_text: str
    denominator_text: str
    fact: Fact
    numerator_sql: str
    denominator_sql: str
    direction: str  # up | down | neutral
    page: str  # reviews | practice
    question: str
    why: str
    source: str
    family: str = ""
    family_kind: str = "nested"  # nested | partition
    share: bool = False  # denominator is the whole scope in every group
    scale: int = 1  # 10000 for a rate per 10,000
    board: bool = False  # a tile on the board overview
    target: float | None = None  # a partnership's target for the rate, if it sets one (SPC assurance icon)
    national: tuple[int, int] | None = field(default=None)  # (numerator, denominator) from the report

    @property
    def family_key(self) -> str:
        return self.family or self.id

    @property
    def national_value(self) -> float | None:
        return None if not self.national else self.national[0] / self.national[1] * self.scale


def parse(doc: dict, baseline: list[dict]) -> tuple[list[Indicator], list[str]]:
    """Indicators and a list of problems (empty when the catalogue is sound)."""
    problems: list[str] = []
    facts = {}
    for name, spec in doc.get("facts", {}).items():
        bad = [d for d in spec.get("dims", []) if d not in DIMENSIONS] + [f for f in spec.get("filters", []) if f not in FILTERS]
        problems += [f"fact {name}: unknown dimension or filter {b!r}" for b in bad]
        facts[name] = Fact(name, tuple(spec.get("dims", [])), tuple(spec.get("filters", [])),
                           bool(spec.get("cube", False)))
    overall = {r["indicator"]: (r["numerator"], r["denominator"]) for r in baseline if not r["breakdown"]}
    indicators, seen = [], set()
    for n, raw in enumerate(doc.get("indicators", []), start=1):
        where = raw.get("id", f"indicator #{n}")
        problems += [f"{where}: missing {k}" for k in REQUIRED if not raw.get(k)]
        if raw.get("id") in seen:
            problems.append(f"{where}: duplicate id")
        seen.add(raw.get("id"))
        if raw.get("fact") not in facts:
            problems.append(f"{where}: unknown fact {raw.get('fact')!r}")
            continue
        if raw.get("direction") not in ("up", "down", "neutral"):
            problems.append(f"{where}: direction must be up, down or neutral")
        if any(k not in raw for k in REQUIRED):
            continue
        if facts[raw["fact"]].cube and "DISTINCT" in (raw.get("numerator_sql", "") + raw.get("denominator_sql", "")).upper():
            problems.append(f"{where}: a distinct count cannot be summed from a cube; use a fact without one")
        fields = {k: v for k, v in raw.items() if k != "fact"}
        indicators.append(Indicator(fact=facts[raw["fact"]], national=overall.get(raw["id"]), **fields))
    return indicators, problems


@cache
def catalogue() -> tuple[Indicator, ...]:
    with open(CATALOGUE_PATH, "rb") as f:
        indicators, problems = parse(tomllib.load(f), national_baseline())
    if problems:
        raise ValueError("indicator catalogue is broken:\n" + "\n".join(problems))
    return tuple(indicators)


def by_id(indicator_id: str) -> Indicator:
    return next(i for i in catalogue() if i.id == indicator_id)


def national_breakdown(indicator_id: str, by: str) -> dict[str, tuple[int, int]]:
    """The report's figures for one breakdown, e.g. review.count by ethnic_group."""
    return {r["group"]: (r["numerator"], r["denominator"]) for r in national_baseline()
            if r["indicator"] == indicator_id and r["breakdown"] == by}

"""An attacker holding every default output: what small counts can they see or work out?

Built only from what the CLI and the pages publish (and the public catalogue's definitions),
never from the release's own tables, so it checks the release as a reader receives it:
1. every default output is collected: each breakdown (none, one, every ordered pair) for every
   filter the default mode offers, plus the data-quality shares;
2. counts shown outright (numerator, denominator, their difference, linked indicators' differences);
3. linear differencing: any equation with one unknown left is solved, again and again;
4. the interval audit: linear programming bounds every hidden count from all of the above.
"""
from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd

from pipelines import audit as aud
from pipelines import metrics, quality, release
from pipelines.catalogue import DIMENSIONS, by_id
from pipelines.reference import NOT_KNOWN, ethnicity_codes

ORDER = (*DIMENSIONS, "partnership", "period")
UNITS = "count(*)"


@dataclass(frozen=True)
class Query:
    by: tuple[str, ...]
    period: str | None = None
    agency: str | None = None
    partnership: str | None = None

    def filters(self) -> metrics.Filters:
        start, end = release.year_bounds(self.period) if self.period else (None, None)
        return metrics.Filters(self.partnership, start, end, (self.agency,) if self.agency else ())


def every_query(scopes: dict) -> list[Query]:
    """Every breakdown, in either order, for every filter the default mode offers."""
    tables = [(), *[(d,) for d in DIMENSIONS], *itertools.permutations(DIMENSIONS, 2)]
    return [Query(by, p, a, s) for p in [None, *scopes["period"]] for a in [None, *scopes["agency"]]
            for s in [None, *scopes["partnership"]] for by in tables]


def collect(con, queries: list[Query], threshold: int) -> tuple[list, list]:
    """(default output, the same exact) for every query: what the CLI prints, as contract elements."""
    shown, truth = [], []
    for q in queries:
        cells = metrics.compute(con, q.by, q.filters(), threshold=threshold, withheld=[])
        shown += [(q, c.as_contract()) for c in cells]
        chosen = [by_id(i) for i in dict.fromkeys(c.indicator for c in cells)]
        exact = metrics.compute(con, q.by, q.filters(), chosen, threshold, protected=False) if chosen else []
        truth += [(q, c.as_contract(show_small=True)) for c in exact]
    for kind in quality.COMPLETENESS_KINDS:  # the data quality page
        for published, exact in zip(quality.completeness(con, kind).to_dict("records"),
                                    quality.completeness(con, kind, show_small=True).to_dict("records")):
            shown.append((kind, published))
            truth.append((kind, exact))
    return shown, truth


def parent_of(dim: str, value: str) -> tuple[str, str]:
    if dim == "ethnic_group":
        return "sample_group", "Black or Asian or Mixed" if value in ("Black", "Asian", "Mixed") else "Other groups"
    if dim == "ethnicity":
        return "ethnic_group", ethnicity_codes().get(value, ("", NOT_KNOWN))[1] if value not in ("NOBT", "REFU") else NOT_KNOWN
    return "reporting_year", f"{value[:4]}-{(int(value[:4]) + 1) % 100:02d}" if int(value[5:]) >= 4 else \
        f"{int(value[:4]) - 1}-{value[2:4]}"


def cell(q: Query, element: dict) -> tuple[str, aud.Key, aud.Key]:
    """(fact, the element's cell, its scope's overall cell) as conditions, filters included."""
    ind = by_id(element["indicator"])
    fact = ind.fact
    scope = {}
    if q.period and "period" in fact.filters and "reporting_year" in fact.dims:
        scope["reporting_year"] = q.period
    elif q.period and "distinct_period" in fact.filters:
        scope["period"] = q.period
    if q.agency and "agency" in fact.filters:
        scope["agency"] = q.agency
    if q.partnership and "partnership" in fact.filters:
        scope["partnership"] = q.partnership
    conditions = dict(scope)
    for dim, value in zip(q.by, (element["group"] or "").split(",") if q.by else []):
        conditions[dim] = value
        while dim in ("ethnicity", "ethnic_group", "month"):  # a child implies its parents, up the chain
            dim, value = parent_of(dim, value)
            if dim not in fact.dims:
                break
            conditions[dim] = value
    order = lambda c: sorted(c.items(), key=lambda p: ORDER.index(p[0]))  # noqa: E731
    return fact.name, tuple(order(conditions)), tuple(order(scope))


@dataclass
class Findings:
    shown: list = field(default_factory=list)
    differenced: list = field(default_factory=list)
    audit: list = field(default_factory=list)
    hidden_counts: int = 0
    published_counts: int = 0

    @property
    def total(self) -> int:
        return len(self.shown) + len(self.differenced) + len(self.audit)


def attack(shown: list, truth: list, threshold: int) -> Findings:
    values: dict[aud.Var, int] = {}
    published: set[aud.Var] = set()
    listed: set[aud.Var] = set()
    pairs: dict[aud.Var, list] = defaultdict(list)  # (fact, key) -> [(indicator, n var, d var)]
    for (q, e), (_, t) in zip(shown, truth):
        if isinstance(q, str):  # a completeness row: shares times records
            _quality(q, e, t, values, published)
            continue
        ind = by_id(e["indicator"])
        fact, key, scope = cell(q, e)
        n, d = ((fact, ind.numerator_sql), key), ((fact, UNITS if ind.share else ind.denominator_sql), scope if ind.share else key)
        values[n], values[d] = t["numerator"], t["denominator"]
        if not e["suppressed"]:
            published |= {n, d}
            assert (e["numerator"], e["denominator"]) == (t["numerator"], t["denominator"])
        if "distinct_period" not in ind.fact.filters and (e["numerator"] or e["denominator"] or e["suppressed"]):
            listed.add(((fact, UNITS), key))  # a group in the output has at least one row
        if all(i.id != ind.id for i, _, _ in pairs[(fact, key)]):
            pairs[(fact, key)].append((ind, n, d))
    model = aud.Model(values, published, at_least_one=listed & set(values))
    _relations(model)
    quantities: dict[frozenset, tuple[str, aud.Expr]] = {}
    for (fact, key), members in pairs.items():
        for ind, n, d in members:
            quantities.setdefault(frozenset({(n, 1)}), (f"{ind.id} numerator @ {key}", {n: 1}))
            quantities.setdefault(frozenset({(d, 1)}), (f"{ind.id} denominator @ {key}", {d: 1}))
            if d != n and "population" not in ind.denominator_sql:
                expr = {d: 1, n: -1}
                model.inequalities.append(expr)
                quantities.setdefault(frozenset(expr.items()), (f"{ind.id} d - n @ {key}", expr))
            if (unit := ((fact, UNITS), key)) in values and unit != n and "population" not in ind.numerator_sql:
                model.inequalities.append({unit: 1, n: -1})
        _families(members, model, quantities)
    model.quantities = list(quantities.values())
    found = Findings(hidden_counts=sum(v not in published for v in values), published_counts=len(published))
    small = lambda expr: 1 <= model.value(expr) <= threshold  # noqa: E731
    found.shown = [label for label, expr in model.quantities if small(expr) and all(v in published for v in expr)]
    known = _difference(model)
    found.differenced = [label for label, expr in model.quantities
                         if small(expr) and not all(v in published for v in expr) and all(v in known for v in expr)]
    found.audit = [p for p in aud.audit(model, threshold).problems if p.kind != "shown"]
    return found


def _quality(kind: str, e: dict, t: dict, values: dict, published: set) -> None:
    fact = release.QUALITY_FACTS[kind]
    by_source = t.get("source", "All sources") != "All sources"  # one agency's records from one source
    key = (("agency", t["agency"]),) + ((("source", t["source"]),) if by_source else ())
    units = ((fact, UNITS), key)
    values[units] = t["records"]
    if e["records"] != "c":
        published.add(units)
    for col, share in t.items():
        if col in ("agency", "source", "records") or pd.isna(share):
            continue
        var = ((fact, f"filled:{col}"), key)
        values[var] = round(share * t["records"])
        if not pd.isna(e[col]):  # a hidden share is blank (NaN) on the page
            published |= {var, units}


def _relations(model: aud.Model) -> None:
    """Tables add up to their margins, children to parents: for every measure, over its cells."""
    keys: dict[tuple, list[aud.Key]] = defaultdict(list)
    for measure, key in model.values:
        keys[measure].append(key)
    additive = set(DIMENSIONS) | {"partnership", "source"}  # an agency's records are the sum of its sources'
    for measure, ks in keys.items():
        present = set(ks)
        for parent, children in aud.relations(ks, additive):
            if parent in present:
                model.equalities.append(((measure, parent), [(measure, c) for c in children]))


def _families(members: list, model: aud.Model, quantities: dict) -> None:
    """Linked indicators: nested numerators are ordered, partitions add to at most their denominator."""
    families = defaultdict(list)
    for ind, n, d in members:
        if ind.family:
            families[ind.family].append((ind, n, d))
    for name, group in families.items():
        if group[0][0].family_kind == "nested":
            order = sorted(group, key=lambda m: -model.values[m[1]])
            for (_, big, _), (_, little, _) in zip(order, order[1:]):
                expr = {big: 1, little: -1}
                model.inequalities.append(expr)
                quantities.setdefault(frozenset(expr.items()), (f"{name} difference", expr))
        else:
            expr: dict = defaultdict(int, {group[0][2]: 1})
            for _, n, _ in group:
                expr[n] -= 1
            model.inequalities.append(dict(expr))
            quantities.setdefault(frozenset(expr.items()), (f"{name} remainder", dict(expr)))


def _difference(model: aud.Model) -> set[aud.Var]:
    """Linear differencing: solve every equation left with a single unknown, until none is."""
    known = set(model.published)
    changed = True
    while changed:
        changed = False
        for parent, children in model.equalities:
            unknown = [v for v in [parent, *children] if v not in known]
            if len(unknown) == 1:
                known.add(unknown[0])
                changed = True
    return known

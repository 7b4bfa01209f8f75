"""Protecting one fact's release: which cells to hide so that nothing small can be worked out.

1. Primary: a group of figures sharing a denominator hides a cell where any count its figures
   reveal is small.
2. Secondary, along every additivity line: no single hidden cell under a shown total, hidden
   cells adding to at least threshold + their number (each listed group has a row), and no
   hidden total left as the sum of shown cells.
3. The audit (audit.py) over everything the fact publishes, and fixes guided by the LP's binding
   constraints, until it passes. See docs/disclosure-control.md.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from . import audit as aud
from .release import (ALWAYS, PUBLIC_MEASURES, SCOPE_KEYS, SPARSE, UNITS, FactRelease, Figure, _has_units, _value,
                      closure, is_quality_key, is_source_key, key_text, leave_out, tables_of)
from .suppression import is_small, revealed_counts


def _groups(fr: FactRelease) -> dict[str, list[Figure]]:
    out: dict[str, list[Figure]] = defaultdict(list)
    for fig in fr.figures:
        out[fig.group].append(fig)
    return out


def _primary(fr: FactRelease, threshold: int) -> None:
    """Hide a group's cell when any count its figures reveal there is small."""
    for group, figs in _groups(fr).items():
        hidden = fr.hidden[group]
        for key in fr.figure_keys(figs[0]):
            families: dict[str, list[Figure]] = defaultdict(list)
            for fig in figs:
                families[fig.family or fig.id].append(fig)
            for members in families.values():
                for den_key in fr.denominator_keys(members[0], key):
                    counts = [(_value(fr, f.numerator, key), _value(fr, f.denominator, den_key)) for f in members]
                    if any(is_small(c, threshold) for c in revealed_counts(counts, members[0].family_kind)):
                        hidden.add(key)


def _drop_mostly_hidden(fr: FactRelease) -> None:
    """A breakdown within one year, agency or partnership more than a quarter of whose figures primary
    suppression hides is left out like a sparse table: it would show little but 'c', and at a
    partnership's size such tables are most of what the audit has to bound (ethnicity codes by agency
    and year: 14 s of a 16 s release on the sample). Whole-period breakdowns, ethnic groups and
    months are always kept."""
    scoped = {"reporting_year", "agency", "partnership"}
    figures = [f for f in fr.figures if not f.quality]
    for table, keys in tables_of(fr).items():
        if (not table & scoped or "month" in table or "source" in table
                or table - set(SCOPE_KEYS) <= closure(ALWAYS, fr.fact)):
            continue
        hidden = sum(k in fr.hidden[f.group] for f in figures for k in keys)
        if hidden > SPARSE * len(figures) * len(keys):
            leave_out(fr, table, keys)


def _lines(fr: FactRelease) -> dict[str, list[tuple[aud.Key, list[aud.Key]]]]:
    """Additivity lines for the main tables and for the data-quality tables."""
    additive = set(fr.fact.dims) | {"reporting_year", "agency", "partnership"}
    main = aud.relations([k for k in fr.cells if not is_source_key(k)], additive)
    quality = aud.relations([k for k in fr.cells if is_quality_key(k)], additive | {"source"})
    by_source = [(p, kids) for p, kids in quality if any(is_source_key(k) for k in kids)]
    return {"main": main, "quality": quality, "units": main + by_source}


def _line_set(lines: dict, measure_name: str) -> list:
    """Completeness counts add up along the quality lines; record counts also across sources."""
    return lines["quality" if measure_name.startswith("filled:") else "units" if measure_name == UNITS else "main"]


def _secondary(fr: FactRelease, lines: dict, threshold: int) -> None:
    """Along every line: never one hidden cell under a shown total, hidden cells adding to more than
    the threshold, and a hidden total never left as the sum of shown cells."""
    for group, figs in _groups(fr).items():
        hidden, den, num = fr.hidden[group], figs[0].denominator, figs[0].numerator
        keys = set(fr.figure_keys(figs[0]))
        line_set = lines["quality" if figs[0].quality else "main"]

        def size(k: aud.Key) -> tuple:
            return (_value(fr, den, k), _value(fr, num, k), k)

        changed = True
        while changed:
            changed = False
            for parent, children in line_set:
                if parent not in keys:
                    continue
                kids = [c for c in children if c in keys]
                gone = [c for c in kids if c in hidden]
                if parent in hidden:
                    need = not gone and _value(fr, den, parent) > 0
                else:  # each hidden cell has at least one row, so hidden cells adding to under
                    # threshold + their number would pin each one inside 1..threshold
                    need = len(gone) == 1 or (gone and sum(_value(fr, den, c) for c in gone) < threshold + len(gone))
                if need:
                    before = len(hidden)
                    candidates = sorted((c for c in kids if c not in hidden and _value(fr, den, c) > 0), key=size)
                    helpful = [c for c in candidates if _value(fr, den, c) > 1 or parent in hidden or len(gone) == 1]
                    if helpful:
                        hidden.add(helpful[0])
                    elif not _is_headline(parent):
                        hidden.add(parent)  # nothing beside them would help: hide the total
                    changed = changed or len(hidden) > before


def _is_headline(key: aud.Key) -> bool:
    """The overall figure, a year's or an agency's (the board's tiles and trends): hidden to protect
    another cell only as a last resort, when nothing finer would do."""
    return len(key) <= 1 and all(d in SCOPE_KEYS for d, _ in key)


def model(fr: FactRelease, lines: dict, published: set[aud.Var] | None = None) -> aud.Model:
    """What the release tells an attacker about one fact, and the truth to judge it by."""
    published = fr.published() if published is None else published
    public = {m for m in PUBLIC_MEASURES if any(m in c for c in fr.cells.values())}
    known = {m for m, _ in published} | public
    values = {(m, k): v for k, ms in fr.cells.items() for m, v in ms.items() if m in known}
    published = published | {v for v in values if v[0] in public}
    units = _has_units(fr.fact) and UNITS in known
    m = aud.Model(values, published, at_least_one={(UNITS, k) for k in fr.cells} if units else set())
    for name in sorted(known):
        for parent, children in _line_set(lines, name):
            if (name, parent) in values:
                m.equalities.append(((name, parent), [(name, c) for c in children if (name, c) in values]))
    quantities: dict[frozenset, tuple[str, aud.Expr]] = {}

    def protect(label: str, expr: aud.Expr) -> None:
        if all(v in values for v in expr):
            quantities.setdefault(frozenset(expr.items()), (label, expr))

    for key, ms in fr.cells.items():
        where = key_text(key) or "overall"
        for name in ms:
            if name in known and name not in public:
                protect(f"{name} @ {where}", {(name, key): 1})
            if units and name != UNITS and name in known and name not in public:
                m.inequalities.append({(UNITS, key): 1, (name, key): -1})
        for fig in fr.figures:
            if fig.denominator in public:
                continue  # a census count is not a count of these children
            for den_key in fr.denominator_keys(fig, key):
                expr = _expr(((fig.denominator, den_key), 1), ((fig.numerator, key), -1))
                if expr and all(v in values for v in expr):
                    m.inequalities.append(expr)
                    protect(f"{fig.id} denominator - numerator @ {where}", expr)
        _family_relations(fr, key, values, m, protect)
    if "distinct_period" in fr.fact.filters:
        _period_relations(fr, values, m)
    m.quantities = list(quantities.values())
    return m


def _expr(*terms: tuple[aud.Var, int]) -> aud.Expr:
    """A linear expression with like terms combined and zeros dropped."""
    out: dict[aud.Var, int] = defaultdict(int)
    for var, coef in terms:
        out[var] += coef
    return {v: c for v, c in out.items() if c}


def _family_relations(fr: FactRelease, key: aud.Key, values: dict, m: aud.Model, protect) -> None:
    """Nested numerators are ordered; a partition's members add to at most their denominator."""
    families: dict[str, list[Figure]] = defaultdict(list)
    for fig in fr.figures:
        if fig.family_kind != "single":
            families[fig.family].append(fig)
    where = key_text(key) or "overall"
    for name, members in families.items():
        if members[0].family_kind == "nested":
            order = sorted(members, key=lambda f: -_value(fr, f.numerator, ()))
            for big, small in zip(order, order[1:]):
                expr = {(big.numerator, key): 1, (small.numerator, key): -1}
                if all(v in values for v in expr):
                    m.inequalities.append(expr)
                    protect(f"{big.id} - {small.id} @ {where}", expr)
        else:
            expr = defaultdict(int, {(members[0].denominator, key): 1})
            for f in members:
                expr[(f.numerator, key)] -= 1
            if all(v in values for v in expr):
                m.inequalities.append(dict(expr))
                protect(f"{name} remainder @ {where}", dict(expr))


def _period_relations(fr: FactRelease, values: dict, m: aud.Model) -> None:
    """Children counted once per period: the whole period has at least each year's, at most their sum."""
    years: dict[aud.Key, list[aud.Key]] = defaultdict(list)
    for key in fr.cells:
        if "period" in dict(key):
            years[tuple(p for p in key if p[0] != "period")].append(key)
    for whole, parts in years.items():
        for name in sorted({n for n, _ in values}):
            if (name, whole) not in values or name in PUBLIC_MEASURES:
                continue
            for part in parts:
                m.inequalities.append({(name, whole): 1, (name, part): -1})
            m.inequalities.append({**{(name, p): 1 for p in parts}, (name, whole): -1})


def _fix(fr: FactRelease, problem: aud.Problem, lines: dict, published: set[aud.Var], times: int) -> bool:
    """Hide more so that a count the audit could bound gains an unknown. Where the LP says which
    published counts hold its range, those are hidden: one at first, more each time the same count
    comes back (1, 4, then all), first for the figures publishing them, then for the whole cell
    (a review's coded answers are almost all its reviews, so they bound each other). Otherwise
    the cell itself, then the smallest shown cell on a line through it; a count bounded again
    also loses the totals of its lines."""
    again = times > 1
    groups = list(fr.hidden)

    def shown_anywhere(key: aud.Key) -> bool:
        return any(key not in fr.hidden[g] for g in groups)

    def hide(key: aud.Key) -> None:
        for g in groups:
            fr.hidden[g].add(key)

    before = sum(len(h) for h in fr.hidden.values())
    # A year's or an agency's figure only when nothing finer holds the count, and the overall figure
    # only when nothing else does: in a tiny extract (15 disclosures) the alternative is no release.
    usable = [(m, k) for m, k in problem.binding if shown_anywhere(k) and k in fr.cells]
    for binding in ([v for v in usable if not _is_headline(v[1])], [v for v in usable if v[1] != ()], usable):
        if not binding or problem.kind == "shown":
            continue
        ranked = sorted(binding, key=lambda v: (-len(v[1]), _value(fr, UNITS, v[1]), v))
        for name, key in ranked[:{1: 1, 2: 4}.get(times, len(ranked))]:
            if times < 3:  # first only the figures publishing that count; then the whole cell
                for g in {f.group for f in fr.figures if name in (f.numerator, f.denominator)}:
                    fr.hidden[g].add(key)
            else:
                hide(key)
        if sum(len(h) for h in fr.hidden.values()) > before:
            return True
    for (name, key), _ in problem.expr:
        if problem.kind == "shown" or shown_anywhere(key):
            hide(key)
            continue
        line_set = _line_set(lines, name)
        if again:
            for parent in [p for p, kids in line_set if key in kids and shown_anywhere(p) and not _is_headline(p)]:
                hide(parent)
            continue
        candidates = [c for parent, kids in line_set if key in kids and shown_anywhere(parent)
                      for c in kids if c != key and shown_anywhere(c) and _value(fr, name, c) > 0]
        candidates = candidates or [c for parent, kids in line_set if parent == key
                                    for c in kids if shown_anywhere(c) and _value(fr, name, c) > 0]
        candidates = candidates or [p for p, kids in line_set if key in kids and shown_anywhere(p) and not _is_headline(p)]
        if candidates:
            hide(min(candidates, key=lambda c: (_value(fr, name, c), c)))
    return sum(len(h) for h in fr.hidden.values()) > before


def _fix_some(fr: FactRelease, problems: list[aud.Problem], lines: dict, published: set[aud.Var],
              seen: dict[str, int]) -> bool:
    """Fix problems one at a time, skipping any whose binding constraints a fix this round has
    already relaxed: one hidden cell often frees many counts, and hiding more costs the board."""
    touched: set[aud.Key] = set()
    progress = False
    for p in problems:
        keys = {k for _, k in p.binding} | {k for (_, k), _ in p.expr}
        if keys & touched:
            continue
        before = {g: set(h) for g, h in fr.hidden.items()}
        if _fix(fr, p, lines, published, seen[p.label]):
            progress = True
            touched |= {k for g, h in fr.hidden.items() for k in h - before[g]}
    return progress


@dataclass
class FactSummary:
    fact: str
    cells: int  # figure cells in the release
    hidden_primary: int
    hidden: int
    rounds: int
    audit: aud.AuditResult
    sparse: list[list[str]]
    seconds: float = 0.0  # counting, protecting and auditing this fact
    digest: str = ""  # release.publish: what this protection was a function of


def protect(fr: FactRelease, threshold: int, max_rounds: int = 60) -> FactSummary:
    """Primary suppression, then secondary until the audit passes (or the fact is withheld)."""
    fr.hidden = {f.group: set() for f in fr.figures}
    _primary(fr, threshold)
    _drop_mostly_hidden(fr)
    primary = _figure_cells_hidden(fr)
    lines = _lines(fr)
    result, rounds, seen, safe, checked, lps, seconds = None, 0, defaultdict(int), set(), 0, 0, 0.0
    for rounds in range(1, max_rounds + 1):
        _secondary(fr, lines, threshold)
        published = fr.published()
        result = aud.audit(model(fr, lines, published), threshold, known_safe=safe)
        safe.update(result.proved_safe)
        checked, lps, seconds = checked + result.checked, lps + result.lps, seconds + result.seconds
        for p in result.problems:
            seen[p.label] += 1
        if result.passed or not _fix_some(fr, result.problems, lines, published, seen):
            break
    result = aud.AuditResult(result.problems, checked, lps, seconds, sorted(safe))  # totals over the rounds
    total = sum(len(fr.figure_keys(f)) for f in fr.figures)
    return FactSummary(fr.fact.name, total, primary, _figure_cells_hidden(fr), rounds, result, fr.sparse)


def _figure_cells_hidden(fr: FactRelease) -> int:
    return sum(sum(not fr.shown(f, k) for k in fr.figure_keys(f)) for f in fr.figures)

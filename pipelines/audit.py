"""The disclosure audit: what could someone holding every published figure work out?

Every count in a release is a variable: a *measure* (a count such as "episodes where the
child was seen") in a *cell* (a set of conditions such as agency = police, ethnic group =
Asian, year = 2023-24). Published figures fix some variables; the rest are unknown, but an
attacker knows how they relate: a table adds up to its margins and children to their parent
group (equalities), a numerator is at most its denominator, nested and partitioned numerators
are ordered (inequalities), counts are never negative and a listed group has at least one row.

For every protected quantity (a count, or a difference such as denominator minus numerator)
whose true value is 1 to the threshold, linear programming gives the range of values consistent
with all of that. The release is safe when no such quantity is published, and none has a range
inside 1 to the threshold (which includes being determined exactly). Ranges come from the LP
relaxation, as in tau-argus audits.
"""
from __future__ import annotations

import os
import random
import sys
import time
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

import highspy
import numpy as np

Key = tuple[tuple[str, str], ...]  # a cell: (dimension, value) pairs in canonical order
Var = tuple[Hashable, Key]  # (measure, cell)
Expr = dict[Var, int]  # a linear combination of variables
EPS = 1e-6
BIG = 1e8  # a finite upper bound keeps every LP bounded; far above any count that matters
FAR_COLUMNS = 1000  # below this many unknowns, simplex from scratch beats interior point's set-up


@dataclass
class Model:
    """Everything the attacker knows, and the truth to judge by."""
    values: dict[Var, int]  # the true value of every variable
    published: set[Var]
    at_least_one: set[Var] = field(default_factory=set)  # unit counts of listed cells
    equalities: list[tuple[Var, list[Var]]] = field(default_factory=list)  # parent = sum(children)
    inequalities: list[Expr] = field(default_factory=list)  # expression >= 0
    quantities: list[tuple[str, Expr]] = field(default_factory=list)  # the counts to protect

    def value(self, expr: Expr) -> int:
        return sum(c * self.values[v] for v, c in expr.items())

    def broken(self) -> list:
        """Constraints the truth does not satisfy: a model of what an attacker knows must have none."""
        out = [(p, kids) for p, kids in self.equalities if self.values[p] != sum(self.values[k] for k in kids)]
        out += [e for e in self.inequalities if self.value(e) < 0]
        return out + [v for v in self.at_least_one if v in self.values and self.values[v] < 1]


@dataclass(frozen=True)
class Problem:
    kind: str  # shown | exact | bounded
    label: str
    value: int
    low: float
    high: float
    expr: tuple = ()
    binding: tuple = ()  # published variables in the constraints that stop the count going higher


@dataclass
class AuditResult:
    problems: list[Problem]
    checked: int  # small hidden quantities whose range was computed
    lps: int
    seconds: float
    proved_safe: list[str]  # quantities whose range this audit showed leaves 1..threshold

    @property
    def passed(self) -> bool:
        return not self.problems


def relations(keys: Iterable[Key], additive: set[str]) -> list[tuple[Key, list[Key]]]:
    """(parent, children) for every cell that is the sum of a finer table's cells.

    Tables are the sets of dimensions cells are keyed by. A finer table adds additive
    dimensions to a coarser one; only the nearest pairs are needed, since sums chain."""
    by_table: dict[frozenset, list[Key]] = defaultdict(list)
    for key in keys:
        by_table[frozenset(d for d, _ in key)].append(key)
    tables = list(by_table)
    lines = []
    for fine in tables:
        for coarse in tables:
            if not (coarse < fine and fine - coarse <= additive):
                continue
            if any(coarse < mid < fine for mid in tables):
                continue
            present = set(by_table[coarse])
            groups: dict[Key, list[Key]] = defaultdict(list)
            for key in by_table[fine]:
                groups[tuple((d, v) for d, v in key if d in coarse)].append(key)
            lines += [(parent, children) for parent, children in groups.items() if parent in present]
    return lines


Row = tuple[list[int], list[float], float, float, list[Var]]  # unknowns, coefficients, lower, upper, published terms


def _rows(model: Model, index: dict[Var, int]) -> list[Row]:
    """The constraints on unknown variables, with what is published moved to the bounds."""
    rows = []

    def add(expr: Expr, equal: bool) -> None:
        known = sum(c * model.values[v] for v, c in expr.items() if v not in index)
        terms = [(index[v], float(c)) for v, c in expr.items() if v in index]
        if terms:
            rows.append(([i for i, _ in terms], [c for _, c in terms], -known, -known if equal else highspy.kHighsInf,
                         [v for v in expr if v not in index]))

    for parent, children in model.equalities:
        expr: Expr = defaultdict(int)
        expr[parent] -= 1
        for child in children:
            expr[child] += 1
        add(expr, True)
    for expr in model.inequalities:
        add(expr, False)
    return rows


def _components(n: int, rows: list[Row], quantities: list[list[int]]) -> list[int]:
    """Which independent part of the problem each unknown variable belongs to (union-find)."""
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for group in [r[0] for r in rows] + quantities:
        for i in group[1:]:
            a, b = find(group[0]), find(i)
            if a != b:
                parent[a] = b
    return [find(i) for i in range(n)]


def _quiet_highs() -> highspy.Highs:
    """A solver that prints nothing: HiGHS writes its banner to standard output, which would
    corrupt the CLI's JSON, so standard output is closed while it is made."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    h.setOptionValue("output_flag", False)
    return h


class _LP:
    """One independent part of the problem, solved repeatedly with HiGHS (warm-started)."""

    def __init__(self, model: Model, unknown: list[Var], rows: list[Row], lower: list[float]):
        self.model, self.index, self.rows = model, {v: i for i, v in enumerate(unknown)}, rows
        n = self.n = len(unknown)
        self.h = _quiet_highs()
        self.h.setOptionValue("simplex_strategy", 4)  # primal: each new objective starts from a feasible basis (25x faster)
        self.h.addCols(n, np.zeros(n), np.array(lower), np.full(n, BIG), 0, np.array([], np.int32),
                       np.array([], np.int32), np.array([], np.float64))
        if rows:
            starts = np.cumsum([0] + [len(r[0]) for r in rows[:-1]]).astype(np.int32)
            indices = np.array([i for r in rows for i in r[0]], np.int32)
            coefs = np.array([c for r in rows for c in r[1]])
            self.h.addRows(len(rows), np.array([r[2] for r in rows]), np.array([r[3] for r in rows]),
                           len(indices), starts, indices, coefs)
        self.solves = 0

    def optimum(self, expr: Expr, maximise: bool, far: bool = False) -> tuple[float, np.ndarray]:
        """Best value of a linear expression over everything consistent with the release. `far`: the
        optimum is likely far from the last one (a new weighted sum), where interior point with
        crossover beats walking the simplex (measured 2-3x on an episode release); the vertex it
        ends on is the next simplex solve's warm start."""
        cost = np.zeros(self.n)
        known = 0.0
        for v, c in expr.items():
            if v in self.index:
                cost[self.index[v]] += c
            else:
                known += c * self.model.values[v]
        self.h.changeColsCost(self.n, np.arange(self.n, dtype=np.int32), cost)
        self.h.changeObjectiveSense(highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize)
        far = (far or not self.solves) and self.n >= FAR_COLUMNS
        self.h.setOptionValue("solver", "ipm" if far else "simplex")
        self.h.run()
        self.solves += 1
        status = self.h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"audit LP did not solve: {self.h.modelStatusToString(status)}")
        x = np.array(self.h.getSolution().col_value)
        return float(cost @ x) + known, x

    def binding(self) -> tuple[Var, ...]:
        """Published variables in the constraints that hold the last optimum where it is."""
        duals = self.h.getSolution().row_dual
        return tuple(dict.fromkeys(v for r, d in zip(self.rows, duals) if abs(d) > EPS for v in r[4]))


def audit(model: Model, threshold: int, seed: int = 0, known_safe: set[str] = frozenset()) -> AuditResult:
    """Every small protected quantity: published, determined, or bounded inside 1..threshold?

    `known_safe` names quantities an earlier audit of a release that published more proved safe:
    hiding more only widens ranges, so they need no new LP."""
    start = time.perf_counter()
    problems, pending = [], []
    for label, expr in model.quantities:
        value = model.value(expr)
        if not 1 <= value <= threshold:
            continue
        if all(v in model.published for v in expr):
            problems.append(Problem("shown", label, value, value, value, tuple(expr.items())))
        elif label not in known_safe:
            pending.append((label, expr, value))
    if not pending:
        return AuditResult(problems, 0, 0, time.perf_counter() - start, [])
    unknown = sorted({v for v in model.values if v not in model.published}, key=repr)
    index = {v: i for i, v in enumerate(unknown)}
    rows = _rows(model, index)
    part = _components(len(unknown), rows, [[index[v] for v in q[1] if v in index] for q in pending])
    by_part: dict[int, list] = defaultdict(list)
    for q in pending:
        by_part[part[index[next(v for v in q[1] if v in index)]]].append(q)
    members: dict[int, list[int]] = defaultdict(list)
    for i, p in enumerate(part):
        members[p].append(i)
    row_part: dict[int, list[Row]] = defaultdict(list)
    for r in rows:
        row_part[part[r[0][0]]].append(r)
    solves = 0
    for p, quantities in by_part.items():
        local = {g: k for k, g in enumerate(members[p])}
        lp = _LP(model, [unknown[g] for g in members[p]],
                 [([local[i] for i in r[0]], r[1], r[2], r[3], r[4]) for r in row_part[p]],
                 [1.0 if unknown[g] in model.at_least_one else 0.0 for g in members[p]])
        problems += _bound(lp, quantities, threshold, random.Random(seed))
        solves += lp.solves
    failed = {p.label for p in problems}
    return AuditResult(problems, len(pending), solves, time.perf_counter() - start,
                       [q[0] for q in pending if q[0] not in failed])


def _bound(lp: _LP, pending: list, threshold: int, rng: random.Random) -> list[Problem]:
    """Problems among one part's small quantities: ranges inside 1..threshold. Every point an LP
    finds is feasible, so each one also proves safe every other quantity it puts above the
    threshold or at zero: most quantities never need an LP of their own."""
    problems, safe = [], set()
    check = _Evaluator(lp, [q[1] for q in pending], threshold)
    if len(pending) >= 8:
        _certify_in_batches(lp, pending, check, safe, rng)
    for n, (label, expr, value) in enumerate(pending):
        if n in safe:
            continue
        high, x = lp.optimum(expr, maximise=True)
        safe |= check.safe_at(x)
        if high >= threshold + 1 - EPS:
            continue
        binding = lp.binding()
        low, x = lp.optimum(expr, maximise=False)
        safe |= check.safe_at(x)
        if low <= EPS:
            continue
        kind = "exact" if high - low < 0.5 else "bounded"
        problems.append(Problem(kind, label, value, round(low, 3), round(high, 3), tuple(expr.items()), binding))
    return problems


class _Evaluator:
    """Every pending quantity's value at a point, at once (one sparse product)."""

    def __init__(self, lp: _LP, exprs: list[Expr], threshold: int):
        rows, cols, coefs, known = [], [], [], np.zeros(len(exprs))
        for n, expr in enumerate(exprs):
            for v, c in expr.items():
                if v in lp.index:
                    rows.append(n), cols.append(lp.index[v]), coefs.append(float(c))
                else:
                    known[n] += c * lp.model.values[v]
        self.rows, self.cols = np.array(rows, np.int64), np.array(cols, np.int64)
        self.coefs, self.known, self.threshold = np.array(coefs), known, threshold

    def safe_at(self, x: np.ndarray) -> set[int]:
        """Quantities this feasible point puts above the threshold or at zero."""
        q = np.bincount(self.rows, weights=self.coefs * x[self.cols], minlength=len(self.known)) + self.known
        return set(np.flatnonzero((q >= self.threshold + 1 - EPS) | (q <= EPS)).tolist())


def _certify_in_batches(lp: _LP, pending: list, check: _Evaluator, safe: set[int], rng: random.Random) -> None:
    """One LP over a weighted sum finds a point where many quantities are at once above the
    threshold or zero; any feasible point proves those ranges leave 1..threshold."""
    for maximise in (True, False, True, False):
        todo = [n for n in range(len(pending)) if n not in safe]
        if len(todo) < 8:
            break
        combined: Expr = defaultdict(float)
        for n in todo:
            weight = rng.uniform(1, 2)
            for v, c in pending[n][1].items():
                combined[v] += weight * c
        _, x = lp.optimum(combined, maximise, far=True)
        newly = check.safe_at(x) - safe
        safe |= newly
        if len(newly) < len(todo) // 20:
            break

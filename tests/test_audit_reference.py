"""The fast audit against a plain one, on generated partnerships of several sizes.

audit.audit takes shortcuts for speed: independent parts solved apart, one-unknown constraints as
bounds, interior point for far solves, and every LP point certifying whatever it proves safe. The
reference below takes none: every constraint a row, every small quantity maximised and minimised
on its own. On the first round of each fact's protection (where there are problems to find) both
must name the same problems with the same ranges, and the protected release each fact ends with
must pass the reference too: whatever cells the fast audit led protection to hide, nothing small
can be pinned.
"""
from __future__ import annotations

import highspy
import numpy as np
import pytest

from pipelines import audit as aud
from pipelines import protect, release
from pipelines.catalogue import catalogue
from pipelines.generate import generate
from pipelines.loader import load_files
from pipelines.store import read_connection

from conftest import settings_in

THRESHOLD = 5
pytestmark = pytest.mark.slow  # the plain audit solves every small quantity twice: minutes


def reference(model: aud.Model, threshold: int) -> dict[str, tuple[float, float]]:
    """label -> (low, high) of every small quantity the release does not protect: published, or
    with a range inside 1..threshold. One plain LP, every objective solved to optimality."""
    unknown = sorted({v for v in model.values if v not in model.published}, key=repr)
    index = {v: i for i, v in enumerate(unknown)}
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    n = len(unknown)
    lower = np.array([1.0 if v in model.at_least_one else 0.0 for v in unknown])
    h.addCols(n, np.zeros(n), lower, np.full(n, aud.BIG), 0, np.array([], np.int32), np.array([], np.int32),
              np.array([], np.float64))
    constraints = [({p: -1, **{c: 1 for c in kids}}, True) for p, kids in model.equalities]
    constraints += [(e, False) for e in model.inequalities]
    for expr, equal in constraints:
        known = sum(c * model.values[v] for v, c in expr.items() if v not in index)
        terms = [(index[v], float(c)) for v, c in expr.items() if v in index]
        if terms:
            h.addRow(-known, -known if equal else highspy.kHighsInf, len(terms),
                     np.array([i for i, _ in terms], np.int32), np.array([c for _, c in terms]))
    found = {}
    for label, expr in model.quantities:
        value = model.value(expr)
        if not 1 <= value <= threshold:
            continue
        if all(v in model.published for v in expr):
            found[label] = (value, value)
            continue
        known = sum(c * model.values[v] for v, c in expr.items() if v not in index)
        cost = np.zeros(n)
        for v, c in expr.items():
            if v in index:
                cost[index[v]] += c
        h.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
        ends = []
        for sense in (highspy.ObjSense.kMaximize, highspy.ObjSense.kMinimize):
            h.changeObjectiveSense(sense)
            h.run()
            assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
            ends.append(h.getInfo().objective_function_value + known)
        high, low = ends
        if high < threshold + 1 - aud.EPS and low > aud.EPS:
            found[label] = (low, high)
    return found


@pytest.fixture(scope="module", params=[(3, 0.005), (21, 0.01)], ids=["scale0.005", "scale0.01"])
def partnership(request, tmp_path_factory):
    seed, scale = request.param
    folder = tmp_path_factory.mktemp(f"partnership{scale}")
    generate(folder / "in", seed=seed, scale=scale)
    cfg = settings_in(folder)
    assert {r.status for r in load_files(sorted((folder / "in").glob("*.csv")), cfg)} == {"loaded"}
    return cfg


def first_round(fr: release.FactRelease) -> aud.Model:
    """The model the audit sees in the first round: primary and secondary suppression only."""
    fr.hidden = {f.group: set() for f in fr.figures}
    protect._primary(fr, THRESHOLD)
    lines = protect._lines(fr)
    protect._secondary(fr, lines, THRESHOLD)
    return protect.model(fr, lines)


def releases(cfg) -> list[release.FactRelease]:
    facts = {i.fact.name: i.fact for i in catalogue()}
    with read_connection(cfg.db_path) as con:
        scopes = release.offered(con)
        out = []
        for name, figs in release.figures().items():
            fr = release.FactRelease(facts[name], figs, release.release_tables(facts[name], bool(scopes["partnership"])))
            release._count(con, fr, scopes["period"])
            release._drop_sparse_tables(fr, THRESHOLD)
            out.append(fr)
    return out


def test_the_fast_audit_finds_exactly_what_the_plain_one_finds(partnership):
    compared = 0
    for fr in releases(partnership):
        model = first_round(fr)
        fast = {p.label: (p.low, p.high) for p in aud.audit(model, THRESHOLD).problems}
        plain = reference(model, THRESHOLD)
        assert set(fast) == set(plain), (fr.fact.name, sorted(set(fast) ^ set(plain))[:5])
        for label, (low, high) in plain.items():
            assert fast[label] == pytest.approx((low, high), abs=1e-3), label
        compared += len(plain)
    assert compared > 0  # the first rounds had problems to find, so the comparison says something


def test_every_protected_release_passes_the_plain_audit(partnership):
    for fr in releases(partnership):
        summary = protect.protect(fr, THRESHOLD)
        assert summary.audit.passed, fr.fact.name
        leaks = reference(protect.model(fr, protect._lines(fr)), THRESHOLD)
        assert leaks == {}, (fr.fact.name, list(leaks.items())[:5])

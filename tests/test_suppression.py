"""Disclosure control: the primary rule, the audit on hand-made tables, and the release's structure."""
from __future__ import annotations

import pytest

from pipelines import audit as aud
from pipelines import metrics, protect, release
from pipelines.catalogue import by_id
from pipelines.store import read_connection
from pipelines.suppression import is_small, revealed_counts

from conftest import cli_json, run_cli


@pytest.mark.parametrize("count,threshold,small", [(0, 5, False), (1, 5, True), (5, 5, True), (6, 5, False),
                                                   (4, 3, False), (3, 3, True), (-1, 5, False)])
def test_is_small(count, threshold, small):
    assert is_small(count, threshold) is small


def test_revealed_counts():
    assert sorted(revealed_counts([(3, 10)], "single")) == [3, 7, 10]
    assert 3 in revealed_counts([(10, 12), (7, 12)], "nested")  # 10 - 7: the difference is a count
    assert 5 in revealed_counts([(2, 10), (3, 10)], "partition")  # 10 - 2 - 3: what the partition leaves


def line_model(total: int, cells: dict[str, int], hidden: set[str], listed: bool = True) -> aud.Model:
    """One table: a total and its cells, some hidden; every cell protected."""
    top = ("n", ())
    var = {g: ("n", (("g", g),)) for g in cells}
    values = {top: total, **{var[g]: v for g, v in cells.items()}}
    published = {top} | {var[g] for g in cells if g not in hidden}
    return aud.Model(values, published, at_least_one=set(var.values()) if listed else set(),
                     equalities=[(top, list(var.values()))],
                     quantities=[(g, {var[g]: 1}) for g in cells])


def kinds(model: aud.Model) -> dict[str, str]:
    return {p.label: p.kind for p in aud.audit(model, 5).problems}


def test_audit_finds_a_cell_recovered_by_subtraction():
    assert kinds(line_model(30, {"a": 3, "b": 12, "c": 15}, {"a"})) == {"a": "exact"}


def test_audit_finds_hidden_cells_that_add_to_little():
    # 3 + 2 = 5 hidden, each at least 1 because it is listed: both are 1..4
    assert kinds(line_model(30, {"a": 3, "b": 2, "c": 25}, {"a", "b"})) == {"a": "bounded", "b": "bounded"}
    # not listed (a group could be empty): each could be 0
    assert kinds(line_model(30, {"a": 3, "b": 2, "c": 25}, {"a", "b"}, listed=False)) == {}


def test_audit_passes_hidden_cells_with_room():
    assert kinds(line_model(40, {"a": 3, "b": 12, "c": 25}, {"a", "b"})) == {}


def test_audit_shown_small_and_bounds_through_inequalities():
    assert kinds(line_model(30, {"a": 3, "b": 27}, set())) == {"a": "shown"}
    # n hidden, d = 4 shown: n <= d pins n inside 1..4 only with a lower bound; a numerator can be 0
    n, d = ("n", ()), ("d", ())
    model = aud.Model({n: 2, d: 4}, {d}, inequalities=[{d: 1, n: -1}], quantities=[("n", {n: 1})])
    assert kinds(model) == {}
    model.at_least_one = {n}
    assert kinds(model) == {"n": "bounded"}


def test_audit_two_way_table_needs_a_rectangle():
    """Rows r1, r2 and columns c1, c2 with margins shown: hiding one cell per row is not enough."""
    cells = {("r1", "c1"): 3, ("r1", "c2"): 20, ("r2", "c1"): 30, ("r2", "c2"): 40}
    var = {k: ("n", (("col", k[1]), ("row", k[0]))) for k in cells}
    values = {var[k]: v for k, v in cells.items()}
    rows = {r: ("n", (("row", r),)) for r in ("r1", "r2")}
    cols = {c: ("n", (("col", c),)) for c in ("c1", "c2")}
    values |= {rows[r]: sum(v for k, v in cells.items() if k[0] == r) for r in rows}
    values |= {cols[c]: sum(v for k, v in cells.items() if k[1] == c) for c in cols}
    keys = [v[1] for v in values]
    equalities = [((("n", p)), [("n", c) for c in kids]) for p, kids in aud.relations(keys, {"row", "col"})]
    assert len(equalities) == 4
    quantity = [("r1c1", {var[("r1", "c1")]: 1})]
    one = aud.Model(values, set(values) - {var[("r1", "c1")], var[("r1", "c2")]}, set(), equalities, [], quantity)
    assert kinds(one) == {"r1c1": "exact"}  # the column margin gives it back
    square = aud.Model(values, set(values) - set(var.values()), set(), equalities, [], quantity)
    assert kinds(square) == {}


def test_relations_follow_the_hierarchy():
    keys = [(), (("ethnic_group", "Asian"),), (("ethnic_group", "Asian"), ("ethnicity", "AIND")),
            (("ethnic_group", "Asian"), ("ethnicity", "APKN"))]
    lines = dict(aud.relations(keys, {"ethnic_group", "ethnicity"}))
    assert lines[()] == [(("ethnic_group", "Asian"),)]  # the nearest finer table only
    assert sorted(lines[(("ethnic_group", "Asian"),)]) == keys[2:]


def test_release_tables():
    episode = by_id("practice.child_seen").fact
    tables = release.release_tables(episode, partnerships=False)
    assert frozenset({"ethnic_group", "sex"}) in tables  # a pair, whole period and all agencies
    assert frozenset({"ethnic_group", "reporting_year", "agency"}) in tables  # one breakdown in any scope
    assert frozenset({"ethnic_group", "sex", "agency"}) not in tables  # a pair is not filtered
    assert frozenset({"ethnic_group", "month", "reporting_year"}) not in tables  # month only alone
    assert release.closure({"ethnicity", "ethnic_group"}, episode) == release.closure({"ethnicity"}, episode)


def test_any_order_and_parent_with_child_give_the_same_cells(sample_db):
    def pattern(by):
        cells = cli_json("indicators", "--db", sample_db.db_path, "--by", by)
        return {(c["indicator"], frozenset(zip(by.split(","), c["group"].split(",")))): c["suppressed"] for c in cells}

    assert pattern("sex,ethnic_group") == pattern("ethnic_group,sex")
    child = {(i, frozenset((d, v) for d, v in g if d == "ethnicity")): s
             for (i, g), s in pattern("ethnic_group,ethnicity").items()}
    assert child == {(i, g): s for (i, g), s in pattern("ethnicity").items()}


def test_shared_denominators_hide_the_same_cells(sample_db):
    cells = cli_json("indicators", "--db", sample_db.db_path, "--by", "ethnicity")
    shared = ("practice.interpreter_professional", "practice.interpreter_informal", "practice.interpreter_not_provided")
    patterns = [{c["group"]: c["suppressed"] for c in cells if c["indicator"] == i} for i in shared]
    assert patterns[0] == patterns[1] == patterns[2]
    assert any(patterns[0].values())


def test_filters_outside_the_release_are_internal_only(sample_db):
    code, _, err = run_cli("indicators", "--json", "--db", sample_db.db_path, "--agency", "police,health")
    assert code == 2 and "internal use only" in err
    code, _, err = run_cli("indicators", "--json", "--db", sample_db.db_path, "--period", "2022-23:2023-24")
    assert code == 2 and "internal use only" in err
    code, out, err = run_cli("indicators", "--json", "--db", sample_db.db_path, "--by", "ethnic_group,month")
    assert code == 0 and "not published" in err and "month" in err
    code, _, _ = run_cli("indicators", "--json", "--db", sample_db.db_path, "--agency", "police,health",
                         "--unsuppressed")
    assert code == 0


def test_a_release_that_fails_its_audit_is_not_served(tmp_path, monkeypatch):
    from pipelines.generate import generate
    from conftest import settings_in
    from pipelines.loader import load_file

    generate(tmp_path / "in", seed=3, scale=0.02)
    cfg = settings_in(tmp_path)
    monkeypatch.setattr(protect, "_fix_some", lambda *a: False)  # no secondary suppression beyond the heuristics
    monkeypatch.setattr(protect, "_secondary", lambda *a: None)
    for name in ("children", "episodes"):
        assert load_file(tmp_path / "in" / f"{name}.csv", cfg).status == "loaded"
    with read_connection(cfg.db_path) as con:
        stored = release.status(con)
        failed = [f["fact"] for f in stored["facts"] if not f["passed"]]
        assert "fct_episode" in failed
        with pytest.raises(release.NotInRelease, match="failed its disclosure audit"):
            metrics.compute(con, ("ethnic_group",), indicators=[by_id("practice.child_seen")])
    code, out, _ = run_cli("release", "--db", cfg.db_path)
    assert code == 1 and "FAILED" in out


def test_headline_figures_are_hidden_only_when_themselves_small(sample_db):
    """On a partnership-sized extract the board's tiles are hidden only when themselves small."""
    shown = cli_json("indicators", "--db", sample_db.db_path)
    exact = {c["indicator"]: c for c in cli_json("indicators", "--db", sample_db.db_path, "--unsuppressed")}
    family = {i: by_id(i).family or i for i in exact}
    small = {family[i] for i, c in exact.items()
             if any(1 <= x <= 5 for x in (c["numerator"], c["denominator"], c["denominator"] - c["numerator"]))}
    assert all(family[c["indicator"]] in small for c in shown if c["suppressed"])
    for by in ("reporting_year", "agency"):
        practice = [c for c in cli_json("indicators", "--db", sample_db.db_path, "--by", by)
                    if c["indicator"].startswith("practice.")]
        assert sum(c["suppressed"] for c in practice) < len(practice) / 4, by

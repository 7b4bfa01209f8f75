"""The attack: every default output of several extracts, attacked as an adversary would.

Each extract is loaded through the real loader; every default output (each breakdown in
either order, every filter the default mode offers, the data-quality shares) is collected
through the library the CLI prints from, and attacked (tests/attack.py): counts of 1 to 5
shown, worked out by differencing, or bounded inside 1 to 5 by linear programming. None may be.
Switching off a protection must make the same attack succeed.
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from pipelines import protect, release
from pipelines.generate import generate
from pipelines.loader import load_file, load_files
from pipelines.store import read_connection

from attack import Query, attack, collect, every_query
from conftest import run_cli, settings_in, write_csv

THRESHOLD = 5


def load_generated(folder: Path, seed: int, scale: float):
    generate(folder / "in", seed=seed, scale=scale)
    cfg = settings_in(folder)
    assert {r.status for r in load_files(sorted((folder / "in").glob("*.csv")), cfg)} == {"loaded"}
    return cfg


def attack_all(cfg, queries=None):
    with read_connection(cfg.db_path) as con:
        stored = release.status(con)
        assert stored["passed"], stored
        shown, truth = collect(con, queries or every_query(stored["scopes"]), THRESHOLD)
    return attack(shown, truth, THRESHOLD), shown


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """About 700 children and 2,500 episodes: most cells are small, so suppression is hardest."""
    return load_generated(tmp_path_factory.mktemp("small"), seed=21, scale=0.05)


def check(found) -> None:
    assert found.shown == [], found.shown[:10]
    assert found.differenced == [], found.differenced[:10]
    assert found.audit == [], [(p.label, p.value, p.low, p.high) for p in found.audit[:10]]
    assert found.published_counts > 100 and found.hidden_counts > 100  # the release publishes, and hides


def test_small_extract_survives_the_attack(small):
    found, shown = attack_all(small)
    check(found)
    assert sum(1 for q, _ in shown if isinstance(q, Query)) > 20_000  # every breakdown, every filter


@pytest.mark.slow  # the small extract's attack (above) stays in the fast tier
@pytest.mark.parametrize("seed,scale", [(21, 0.3), (8, 0.01)])
def test_other_extracts_survive_the_attack(tmp_path, seed, scale):
    check(attack_all(load_generated(tmp_path, seed, scale))[0])


@pytest.mark.slow
def test_sample_data_survives_the_attack(sample_db):
    check(attack_all(sample_db)[0])


def test_cli_prints_what_the_attack_collected(small):
    """The attack reads the library the CLI prints from: check the two agree, filters included."""
    with read_connection(small.db_path) as con:
        scopes = release.status(con)["scopes"]
        for q in (Query(("ethnic_group", "sex")), Query(("month",), agency=scopes["agency"][0]),
                  Query(("ethnicity",), period=scopes["period"][-1])):
            shown, _ = collect(con, [q], THRESHOLD)
            args = ["indicators", "--json", "--db", small.db_path, "--by", ",".join(q.by)]
            args += ["--agency", q.agency] if q.agency else []
            args += ["--period", q.period] if q.period else []
            code, out, _ = run_cli(*args)
            assert code == 0 and json.loads(out) == [e for qq, e in shown if qq == q]


def without(monkeypatch, protections: set[str]) -> None:
    """Switch protections off for the next load; the release then claims to pass whatever its audit says."""
    if "primary" in protections:
        monkeypatch.setattr(protect, "_primary", lambda fr, threshold: None)
    if "secondary" in protections:
        monkeypatch.setattr(protect, "_secondary", lambda *a: None)
    if "audit" in protections:  # the audit still runs, but nothing it finds is fixed
        monkeypatch.setattr(protect, "_fix_some", lambda *a: False)
        real = release._fact_summary
        monkeypatch.setattr(release, "_fact_summary", lambda s: {**real(s), "passed": True})


@pytest.mark.parametrize("protections,finds", [
    ({"audit"}, "worked out"),  # the heuristics alone leave counts that can be differenced or bounded
    ({"audit", "secondary"}, "worked out"),
    ({"audit", "primary"}, "shown"),
])
def test_switching_off_protection_lets_the_attack_through(tmp_path, monkeypatch, protections, finds):
    """The audit's fixes are the backstop for every other layer (with only primary switched off they
    hide the small cells themselves), so each layer is switched off together with them."""
    without(monkeypatch, protections)
    cfg = load_generated(tmp_path, seed=21, scale=0.05)
    found, _ = attack_all(cfg, every_query({"period": [], "agency": [], "partnership": []}))
    if finds == "shown":
        assert found.shown
    else:
        assert found.differenced or found.audit


def test_the_audit_alone_protects_without_primary_suppression(tmp_path, monkeypatch):
    without(monkeypatch, {"primary"})
    cfg = load_generated(tmp_path, seed=21, scale=0.02)
    found, _ = attack_all(cfg, every_query({"period": [], "agency": [], "partnership": []}))
    assert found.total == 0


reviews = st.lists(st.fixed_dictionaries({
    "review_type": st.sampled_from(["RR", "LCSPR"]),
    "notification_date": st.sampled_from(["2022-05-01", "2023-05-01", "2024-05-01"]),
    "child_ethnicity": st.sampled_from(["WBRI", "WIRI", "MWBC", "AIND", "APKN", "BAFR", "BCRB", "OOTH", "REFU", ""]),
    "child_sex": st.sampled_from(["M", "F", "U", ""]),
    "child_age_years": st.sampled_from(["0", "3", "8", "14", "17", ""]),
    "racism_named": st.sampled_from(["Y", "N", ""]),
    "race_considered": st.sampled_from(["none", "partial", "consistent", ""]),
    "tor_race_focus": st.sampled_from(["yes", "no", "unclear", ""]),
    "interpreter_type": st.sampled_from(["not_needed", "professional", "family_member", "child", ""]),
}), min_size=1, max_size=120)


@settings(max_examples=6, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=reviews)
def test_random_review_extracts_survive_the_attack(rows):
    with tempfile.TemporaryDirectory() as folder:
        cfg = settings_in(Path(folder))
        data = [dict(r, review_id=f"R{i}", partnership="P") for i, r in enumerate(rows)]
        assert load_file(write_csv(Path(folder) / "reviews.csv", data), cfg).rows_loaded == len(data)
        found, _ = attack_all(cfg)
        assert (found.shown, found.differenced, found.audit) == ([], [], [])

"""The indicator catalogue: sound, complete against the design, and runnable against real data."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from pipelines.__main__ import build_parser
from pipelines.catalogue import CATALOGUE_PATH, DIMENSIONS, catalogue, parse
from pipelines.reference import national_baseline
from pipelines.store import read_connection

README = Path(__file__).parent.parent / "README.md"

# Copied from design/indicators.md (tests must not read the shared design folder).
DESIGN_IDS = [
    "review.count", "review.ethnicity_reported", "review.tor_race_focus", "review.kloe_race_focus",
    "review.race_considered_any", "review.race_considered_consistent", "review.inequity_considered",
    "review.racism_named", "review.adultification_identified", "review.intersectionality_applied",
    "review.child_voice_not_considered", "review.child_seen_alone", "review.interpreter_informal",
    "review.disclosure_not_followed_up", "review.risk_recognised_not_acted", "review.race_learning_points",
    "review.racism_recommendation", "review.panel_letter_race",
    "practice.ethnicity_recorded", "practice.ethnicity_known", "practice.ethnicity_discordant",
    "practice.child_seen", "practice.voice_captured", "practice.seen_alone", "practice.identity_explored",
    "practice.interpreter_professional", "practice.interpreter_informal", "practice.interpreter_not_provided",
    "practice.disclosure_not_followed_up", "practice.cin_rate_per_10k",
]
# Counts and rates with no better direction (the design's "higher is better" default does not fit them).
NEUTRAL = {"review.count", "practice.cin_rate_per_10k"}
# Marked ↓ (lower is better) in the design.
DOWN = {"review.child_voice_not_considered", "review.interpreter_informal", "review.disclosure_not_followed_up",
        "review.risk_recognised_not_acted", "practice.ethnicity_discordant", "practice.interpreter_informal",
        "practice.interpreter_not_provided", "practice.disclosure_not_followed_up"}


def good_indicator(**changes) -> dict:
    base = {"id": "x.one", "label": "One", "short_label": "One", "definition": "d", "numerator_text": "n",
            "denominator_text": "d", "fact": "fct_x", "numerator_sql": "count(*)", "denominator_sql": "count(*)",
            "direction": "up", "page": "reviews", "question": "q", "why": "w", "source": "s"}
    return {k: v for k, v in {**base, **changes}.items() if v is not None}


def doc(*indicators: dict, dims=("sex",)) -> dict:
    return {"facts": {"fct_x": {"dims": list(dims), "filters": []}}, "indicators": list(indicators)}


def test_parse_sound_catalogue():
    indicators, problems = parse(doc(good_indicator()), [])
    assert problems == [] and [i.id for i in indicators] == ["x.one"]


@pytest.mark.parametrize("document,expected", [
    (doc(good_indicator(definition=None)), "x.one: missing definition"),
    (doc(good_indicator(question="")), "x.one: missing question"),
    (doc(good_indicator(fact="fct_nowhere")), "x.one: unknown fact 'fct_nowhere'"),
    (doc(good_indicator(), good_indicator()), "x.one: duplicate id"),
    (doc(good_indicator(direction="sideways")), "x.one: direction must be up, down or neutral"),
    (doc(good_indicator(), dims=("shoe_size",)), "fact fct_x: unknown dimension or filter 'shoe_size'"),
    (doc(good_indicator(id=None)), "indicator #1: missing id"),
])
def test_parse_returns_problems_as_data(document, expected):
    _, problems = parse(document, [])
    assert expected in problems


def test_parse_reports_every_problem_at_once():
    _, problems = parse(doc(good_indicator(definition=None), good_indicator(id="x.two", fact="nope"),
                            good_indicator(id="x.two")), [])
    assert len(problems) >= 3


def test_shipped_catalogue_is_sound():
    with open(CATALOGUE_PATH, "rb") as f:
        _, problems = parse(tomllib.load(f), national_baseline())
    assert problems == []


def test_every_indicator_is_documented():
    for ind in catalogue():
        for text in (ind.label, ind.definition, ind.numerator_text, ind.denominator_text, ind.question, ind.why):
            assert text.strip(), ind.id
        assert ind.page in ("reviews", "practice") and ind.id.startswith(ind.page[:6])


def test_design_ids_are_all_in_catalogue():
    ids = [i.id for i in catalogue()]
    assert len(ids) == len(set(ids))
    assert set(DESIGN_IDS) <= set(ids)
    assert len(DESIGN_IDS) == 30 and len(set(DESIGN_IDS)) == 30


def test_directions_match_design():
    for ind in catalogue():
        if ind.id in DOWN:
            assert ind.direction == "down", ind.id
        elif ind.id in DESIGN_IDS and ind.id not in NEUTRAL:
            assert ind.direction == "up", ind.id


def test_facts_use_known_dimensions_only():
    for ind in catalogue():
        assert set(ind.fact.dims) <= set(DIMENSIONS)


def test_national_baseline_ids_exist():
    ids = {i.id for i in catalogue()}
    assert {r["indicator"] for r in national_baseline()} <= ids


@pytest.fixture(scope="module")
def sample_figures(sample_db):
    out = {}
    with read_connection(sample_db.db_path) as con:
        for ind in catalogue():
            n, d = con.execute(f"SELECT {ind.numerator_sql}, {ind.denominator_sql} FROM {ind.fact.name}").fetchone()
            population = None
            if ind.scale > 1:
                population = con.execute("SELECT sum(children) FROM stg_population").fetchone()[0]
            out[ind.id] = (n, d, population, ind.scale)
    return out


@pytest.mark.parametrize("indicator_id", DESIGN_IDS)
def test_indicator_sql_runs_on_sample_and_numerator_fits(sample_figures, indicator_id):
    n, d, population, scale = sample_figures[indicator_id]
    assert n is not None and d is not None
    assert d > 0, "the sample data should exercise every indicator"
    if scale == 1:
        assert 0 <= n <= d
    else:
        assert 0 <= n <= population


def test_sample_database_through_the_cli_has_every_indicator(sample_db):
    from conftest import cli_json
    cells = cli_json("indicators", "--db", sample_db.db_path)
    assert {c["indicator"] for c in cells} >= set(DESIGN_IDS)


def test_every_cli_subcommand_is_in_readme():
    assert README.exists(), "README.md is missing"
    text = README.read_text()
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    commands = list(sub.choices)
    assert {"load", "indicators", "loads", "quarantine"} <= set(commands)
    for command in commands:
        assert re.search(rf"python -m pipelines {command}\b", text), f"`{command}` is not in README.md"


def test_no_group_value_holds_the_contracts_separator(sample_db):
    """`group` joins two dimensions' values with a comma (data contract §4), so no value may hold one."""
    from conftest import cli_json

    for dim in ("sample_group", "review_type", "age_band", "sex", "ethnic_group"):
        cells = cli_json("indicators", "--db", sample_db.db_path, "--by", dim, "--unsuppressed")
        assert cells and all("," not in c["group"] for c in cells), dim

"""The synthetic Northbridge extracts: reproducible, and valid under the data contract."""
from __future__ import annotations

import pathlib

import polars as pl
import pytest

from pipelines.generate import generate
from pipelines.normalise import normalise_column
from pipelines.schema import KINDS

FILES = ("reviews", "children", "episodes", "disclosures", "population", "referrals")
# Column order as written in design/data-contract.md sections 1-2.
CONTRACT_HEADERS = {
    "reviews": "review_id,partnership,review_type,notification_date,incident_date,child_ethnicity,"
    "ethnicity_source,child_sex,child_age_years,outcome,harm_cause,primary_suspect,disability,neurodiverse,"
    "mental_health,sole_carer,missing_education,neet,progressed_to_lcspr,kloe_race_focus,tor_race_focus,"
    "race_considered,inequity_considered,racism_named,adultification_identified,intersectionality,"
    "other_protected_characteristics,faith_recorded,faith_significant,harmful_practice,immigration_issue,"
    "child_voice_review,child_voice_heard_practice,child_seen_alone,interpreter_type,disclosure_followed_up,"
    "risk_recognition,race_learning_points,racism_recommendation,panel_letter_race",
    "children": "child_id,agency,ethnicity,sex,date_of_birth,first_language,interpreter_needed,disability",
    "episodes": "episode_id,child_id,agency,episode_type,episode_date,child_seen,seen_alone,voice_recorded,"
    "identity_explored,interpreter_type",
    "disclosures": "disclosure_id,child_id,agency,disclosure_date,harm_type,action,action_date",
    "population": "area,ethnic_group,children",
    "referrals": "child_id,agency,referral_date,referral_nfa,primary_need,closure_date",
}


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> tuple[pathlib.Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("sample")
    return out, generate(out, seed=42, scale=1.0)


def _read(out: pathlib.Path, kind: str) -> pl.DataFrame:
    return pl.read_csv(out / f"{kind}.csv", infer_schema=False)


def test_same_seed_gives_identical_bytes(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    assert generate(first, seed=7, scale=0.2) == generate(second, seed=7, scale=0.2)
    for kind in FILES:
        assert (first / f"{kind}.csv").read_bytes() == (second / f"{kind}.csv").read_bytes(), kind


def test_other_seed_gives_other_data(tmp_path):
    generate(tmp_path / "a", seed=1, scale=0.1)
    generate(tmp_path / "b", seed=2, scale=0.1)
    assert (tmp_path / "a" / "episodes.csv").read_bytes() != (tmp_path / "b" / "episodes.csv").read_bytes()


@pytest.mark.parametrize("kind", FILES)
def test_header_is_the_contract(sample, kind):
    out, _ = sample
    header = (out / f"{kind}.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == CONTRACT_HEADERS[kind]
    assert header.split(",") == [c.name for c in KINDS[kind].columns]


@pytest.mark.parametrize("kind", FILES)
def test_row_counts_returned_match_files(sample, kind):
    out, rows = sample
    assert rows[f"{kind}.csv"] == _read(out, kind).height


@pytest.mark.parametrize("kind", FILES)
def test_keys_are_unique(sample, kind):
    out, _ = sample
    frame = _read(out, kind)
    assert frame.select(KINDS[kind].key).is_duplicated().sum() == 0


@pytest.mark.parametrize("kind", FILES)
def test_enum_values_are_canonical(sample, kind):
    out, _ = sample
    frame = _read(out, kind)
    for col in KINDS[kind].columns:
        if col.type == "enum":
            found = set(frame[col.name].drop_nulls().unique())
            assert found <= set(col.values), (col.name, found - set(col.values))


@pytest.mark.parametrize("kind", FILES)
def test_every_value_passes_the_contract(sample, kind):
    out, _ = sample
    frame = _read(out, kind)
    reasons = frame.select([normalise_column(col)[1] for col in KINDS[kind].columns])
    problems = {c: reasons[c].drop_nulls().unique().to_list() for c in reasons.columns
                if reasons[c].null_count() < frame.height}
    assert problems == {}


def test_sample_size_and_shape(sample):
    out, rows = sample
    assert 4_500 <= _read(out, "children").filter(pl.col("agency") == "social_care").height <= 5_500
    assert 40_000 <= rows["episodes.csv"] <= 60_000
    assert 1_300 <= rows["disclosures.csv"] <= 1_700
    assert 50 <= rows["reviews.csv"] <= 70
    assert sum(f.stat().st_size for f in out.iterdir()) < 10_000_000


def test_ethnicity_mix_includes_labels_gaps_and_minorities(sample):
    out, _ = sample
    ethnicity = _read(out, "children")["ethnicity"]
    assert ethnicity.null_count() > 0
    assert {"NOBT", "REFU", "WBRI", "MWBC", "BAFR", "APKN"} <= set(ethnicity.drop_nulls())
    assert ethnicity.drop_nulls().str.contains(" ").any()  # some labels instead of codes
    reviews = _read(out, "reviews")
    assert reviews["child_ethnicity"].is_in(["WBRI", "WOTH", "WIRI", "WIRT", "WROM"]).any()


def test_cross_file_links_and_rules(sample):
    out, _ = sample
    children = _read(out, "children").select("agency", "child_id")
    for kind in ("episodes", "disclosures"):
        orphans = _read(out, kind).join(children, on=["agency", "child_id"], how="anti")
        assert orphans.height == 0, kind
    disclosures = _read(out, "disclosures")
    no_action = disclosures.filter(pl.col("action").is_null() | (pl.col("action") == "none"))
    assert no_action["action_date"].null_count() == no_action.height
    reviews = _read(out, "reviews")
    assert (reviews["incident_date"] <= reviews["notification_date"]).all()
    rr = reviews.filter(pl.col("review_type") == "RR")
    assert rr.filter(pl.col("progressed_to_lcspr") != "Y")["kloe_race_focus"].null_count() == rr.filter(
        pl.col("progressed_to_lcspr") != "Y").height
    assert reviews.filter(pl.col("review_type") == "LCSPR")["progressed_to_lcspr"].null_count() == (
        reviews["review_type"] == "LCSPR").sum()
    dates = _read(out, "episodes")["episode_date"]
    assert dates.min() >= "2022-04-01" and dates.max() <= "2025-03-31"


def test_counts_scale_linearly(sample, tmp_path):
    _, full = sample
    tenth = generate(tmp_path, seed=42, scale=0.1)
    for name in ("children.csv", "episodes.csv", "disclosures.csv"):
        assert 0.08 <= tenth[name] / full[name] <= 0.12, name
    population = _read(tmp_path, "population")["children"].cast(pl.Int64).sum()
    assert 11_000 <= population <= 13_000

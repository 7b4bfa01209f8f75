"""Verdicts a board reads: the national comparison from the interval, the like-for-like figure, the SPC badge."""
from __future__ import annotations

import pandas as pd
import pytest

from pipelines import signals
from conftest import cli_json


@pytest.mark.parametrize("national, verdict", [
    (0.40, "lower than national"),  # 81 of 263 is 30.8%, 95% CI 25.5% to 36.6%
    (0.20, "higher than national"),
    (0.30, "no clear difference from national"),
    (0.36, "no clear difference from national"),  # inside the interval, though the point estimate is lower
])
def test_the_verdict_follows_the_interval_not_the_point_estimate(national, verdict):
    assert signals.national_verdict(81, 263, national) == verdict


def test_no_verdict_without_a_denominator():
    assert signals.national_verdict(0, 0, 0.5) == "too few to compare"


def frame(rows):
    return pd.DataFrame(rows, columns=["indicator", "group", "numerator", "denominator", "suppressed"])


def test_like_for_like_uses_the_published_sample_group_cell_only():
    shown = frame([("review.x", "Black or Asian or Mixed", 20, 40, False), ("review.x", "Other groups", 10, 20, False)])
    assert signals.like_for_like(shown, "review.x") == (20, 40)
    hidden = frame([("review.x", "Black or Asian or Mixed", None, None, True), ("review.x", "Other groups", 9, 20, False)])
    assert signals.like_for_like(hidden, "review.x") is None
    internal = frame([("review.x", "Black or Asian or Mixed", 3, 40, True)])  # internal use shows exact counts
    assert signals.like_for_like(internal, "review.x") == (3, 40)
    assert signals.like_for_like(shown, "review.y") is None


def test_sample_group_is_a_protected_breakdown_of_reviews(sample_db):
    cells = cli_json("indicators", "--db", sample_db.db_path, "--by", "sample_group", "--unsuppressed")
    by_group = {(c["indicator"], c["group"]): c for c in cells}
    ethnic = cli_json("indicators", "--db", sample_db.db_path, "--by", "ethnic_group", "--unsuppressed")
    total = sum(c["denominator"] for c in ethnic if c["indicator"] == "review.ethnicity_reported"
                and c["group"] in ("Black", "Asian", "Mixed"))
    assert by_group[("review.ethnicity_reported", "Black or Asian or Mixed")]["denominator"] == total
    published = cli_json("indicators", "--db", sample_db.db_path, "--by", "sample_group")
    for c in published:  # never a small count, and a hidden cell hides its partner (two cells add to the total)
        assert c["suppressed"] or not (1 <= c["numerator"] <= 5 or 1 <= c["denominator"] - c["numerator"] <= 5)
    pairs = {}
    for c in published:
        pairs.setdefault(c["indicator"], []).append(c["suppressed"])
    assert all(flags.count(True) != 1 for flags in pairs.values())


def test_spc_badge_text_for_every_variation():
    from dashboard import spc_charts

    assert set(spc_charts.VARIATION_BADGE) == set(signals.VARIATION_TEXT)


def test_summary_sentence_names_only_real_changes():
    rows = [("practice.a", "Voice recorded", "improvement"), ("practice.b", "Child seen", "common_cause"),
            ("practice.c", "Seen alone", "common_cause"), ("practice.d", "Referrals: NFA", "neither")]
    points = pd.DataFrame([{"indicator": i, "short_label": s, "variation": v} for i, s, v in rows])
    assert signals.summary_sentence(points) == (
        "Voice recorded is improving; Referrals: NFA is changing (a special cause on the control chart); "
        "the other 2 monthly indicators show only month-to-month noise.")
    calm = points.assign(variation="common_cause")
    assert signals.summary_sentence(calm) == "All 4 monthly indicators show only month-to-month noise."
    assert signals.summary_sentence(points.iloc[:0]) == ""


def test_national_sentence():
    text = signals.national_sentence([("Racism named", "lower than national"), ("Voice missing", None),
                                      ("Terms of reference", "no clear difference from national")])
    assert text == ("Like for like with the national figures (reviews of Black, Asian and Mixed Heritage children): "
                    "Racism named: lower than national; Terms of reference: no clear difference from national; "
                    "1 figure too few to compare without revealing a small number.")
    assert signals.national_sentence([("A", None), ("B", None)]).endswith(
        "all figures too few to compare without revealing a small number.")


def test_a_target_gives_an_assurance_icon():
    import dataclasses

    from pipelines import spc
    from pipelines.catalogue import by_id

    points = spc.p_chart([spc.Point(f"2024-{m:02d}", 60, 100) for m in range(1, 13)])
    voice = by_id("practice.voice_captured")
    assert signals.Series(voice, None, None, points).assurance is None  # no target in the shipped catalogue
    with_target = dataclasses.replace(voice, target=0.9)
    assert signals.Series(with_target, None, None, points).assurance == "fail"
    row = signals.frame([signals.Series(with_target, None, None, points)]).iloc[0]
    assert row["assurance"] == "fail" and row["variation"] == "common_cause"


def test_summary_sentence_counts_in_words():
    one = pd.DataFrame([{"indicator": "a", "short_label": "A", "variation": "common_cause"}])
    assert signals.summary_sentence(one) == "The one monthly indicator shows only month-to-month noise."
    two = pd.concat([one, one.assign(indicator="b")])
    assert signals.summary_sentence(two) == "Both monthly indicators show only month-to-month noise."

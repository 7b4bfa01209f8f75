"""SPC formulas and special-cause rules against worked examples; the rate ratio against a published one."""
from __future__ import annotations

import math

import pytest

from pipelines import spc, stats
from pipelines.spc import Point, Rules


def months(n: int, start: int = 2023) -> list[str]:
    return [f"{start + (m // 12)}-{m % 12 + 1:02d}" for m in range(n)]


def proportions(pairs: list[tuple[int | None, int | None]]) -> list[Point]:
    return [Point(m, n, d) for m, (n, d) in zip(months(len(pairs)), pairs)]


def counts(values: list[int | None]) -> list[Point]:
    return [Point(m, v, None if v is None else 1) for m, v in zip(months(len(values)), values)]


def signalled(points: list[Point], signal: str) -> list[int]:
    return [i for i, p in enumerate(points) if signal in p.signals]


def test_p_chart_limits_follow_each_months_denominator():
    points = spc.p_chart(proportions([(30, 100), (10, 25), (60, 200), (25, 100)]))
    p_bar = 125 / 425
    for p in points:
        sigma = math.sqrt(p_bar * (1 - p_bar) / p.denominator)
        assert p.centre == pytest.approx(p_bar)
        assert (p.lower, p.upper) == pytest.approx((max(0, p_bar - 3 * sigma), min(1, p_bar + 3 * sigma)))
        assert p.limits_from == 4
    assert points[1].upper - points[1].lower > points[2].upper - points[2].lower  # fewer cases, wider limits
    assert spc.trial(points)


def test_p_chart_limits_are_clamped_to_zero_and_one():
    points = spc.p_chart(proportions([(1, 4), (0, 3), (1, 5), (0, 4)]))
    assert all(p.lower == 0.0 for p in points)
    points = spc.p_chart(proportions([(3, 4), (3, 3), (4, 5), (4, 4)]))
    assert all(p.upper == 1.0 for p in points)


def test_stable_noise_gives_no_signal():
    pairs = [(50 + d, 100) for d in (1, -2, 3, -1, 0, 2, -3, 1, -1, 2, -2, 1, 0, -1, 3, -2, 1, -1, 2, -3, 1, 0, -2, 2)]
    points = spc.p_chart(proportions(pairs))
    assert all(not p.signals for p in points)
    assert spc.variation(points, "up") == "common_cause"
    assert not spc.trial(points)


def test_a_point_outside_the_limits():
    pairs = [(50, 100)] * 5 + [(90, 100)] + [(50, 100)] * 4
    points = spc.p_chart(proportions(pairs))
    assert signalled(points, "outside_limits") == [5]
    assert points[5].value > points[5].upper


@pytest.mark.parametrize("length, fires", [(7, True), (6, False)])
def test_a_shift_needs_the_run_length(length, fires):
    pairs = [(45, 100)] * 7 + [(55, 100)] * length + [(45, 100)] * (7 - length)
    points = spc.p_chart(proportions(pairs))
    above = [i for i, p in enumerate(points) if p.side > 0]
    assert above == list(range(7, 7 + length))
    assert (set(above) <= set(signalled(points, "shift"))) is fires
    assert not fires or all(points[i].toward == 1 for i in above)


def test_a_point_on_the_mean_breaks_a_shift():
    # mean is exactly 0.5: the 0.5 point sits on it, splitting 7 high points into 3 and 4
    pairs = [(40, 100)] * 7 + [(60, 100)] * 3 + [(50, 100)] + [(60, 100)] * 4
    points = spc.p_chart(proportions(pairs))
    assert points[10].side == 0 and points[10].value == points[10].centre
    assert not any(points[i].side > 0 and "shift" in points[i].signals for i in range(len(points)))
    assert signalled(points, "shift") == list(range(7))  # the seven low points are a shift


def test_a_rule_can_be_configured():
    pairs = [(45, 100)] * 6 + [(55, 100)] * 6
    assert not signalled(spc.p_chart(proportions(pairs)), "shift")
    assert signalled(spc.p_chart(proportions(pairs), Rules(shift=6)), "shift") == list(range(12))


def test_a_trend_of_seven_strictly_rising_points_and_a_tie_breaks_it():
    values = [50, 20, 80, 21, 22, 23, 24, 25, 26, 27, 10, 40]
    points = spc.xmr(counts(values))
    assert signalled(points, "trend") == list(range(3, 10))
    assert signalled(points, "shift") == list(range(3, 11))  # 21 to 27 and 10 are also 8 in a row below the mean
    assert {p.toward for p in points[3:10]} == {-1}  # the shift's direction comes first
    tied = spc.xmr(counts([50, 20, 80, 21, 22, 23, 23, 24, 25, 26, 10, 40]))
    assert not signalled(tied, "trend")


def test_a_falling_trend():
    points = spc.xmr(counts([30, 31, 29, 30, 40, 38, 36, 34, 32, 30, 28, 30]))
    assert signalled(points, "trend") == list(range(4, 11))
    assert all(points[i].toward == -1 for i in range(4, 11) if points[i].signals == ["trend"])
    assert spc.variation(points[:11], "up") == "concern" and spc.variation(points[:11], "down") == "improvement"


def test_two_of_three_beyond_two_sigma():
    # p = 0.5, n = 100: sigma 0.05, 2 sigma above is 0.6, the upper limit 0.65
    base = [(50, 100), (48, 100), (52, 100), (49, 100), (51, 100), (50, 100)]
    pairs = base + [(62, 100), (50, 100), (63, 100)] + [(47, 100), (49, 100), (45, 100)]
    points = spc.p_chart(proportions(pairs))
    assert points[6].centre == pytest.approx(616 / 1200)
    assert signalled(points, "two_of_three") == [6, 8]
    assert not signalled(points, "outside_limits")
    one_only = spc.p_chart(proportions(base + [(62, 100), (50, 100), (51, 100)] + base))
    assert not signalled(one_only, "two_of_three")


def test_hidden_months_are_gaps_not_zeros_and_break_runs():
    pairs = [(45, 100)] * 7 + [(55, 100)] * 4 + [(None, None)] + [(55, 100)] * 3 + [(45, 100)]
    points = spc.p_chart(proportions(pairs))
    hidden = points[11]
    assert hidden.hidden and hidden.value is None and hidden.centre is None and hidden.signals == []
    assert hidden.as_contract() == {"period": hidden.period, "numerator": None, "denominator": None, "value": None,
                                    "centre": None, "lower": None, "upper": None, "signals": []}
    assert points[0].limits_from == 15  # the hidden month is not one of them
    assert points[0].centre == pytest.approx((7 * 45 + 7 * 55 + 45) / 1500)
    high = [i for i, p in enumerate(points) if p.side > 0]
    assert not set(high) & set(signalled(points, "shift"))  # 4 + 3 across a gap is not 7 in a row


def test_xmr_formula():
    values = [12, 15, 11, 14, 13, 16]
    points = spc.xmr(counts(values))
    mean, mr = sum(values) / 6, (3 + 4 + 3 + 1 + 3) / 5
    assert points[0].centre == pytest.approx(mean)
    assert (points[0].lower, points[0].upper) == pytest.approx((mean - 2.66 * mr, mean + 2.66 * mr))
    assert spc.xmr(counts([1, 9, 1, 9]))[0].lower == 0.0  # a count's lower limit is never below zero


def test_a_fixed_baseline_and_a_rebase():
    pairs = [(40, 100)] * 12 + [(60, 100)] * 12
    fixed = spc.p_chart(proportions(pairs), Rules(baseline=12))
    assert fixed[-1].centre == pytest.approx(0.4) and fixed[-1].limits_from == 12
    assert signalled(fixed, "outside_limits") == list(range(12, 24))
    assert spc.variation(fixed, "up") == "improvement" and spc.variation(fixed, "down") == "concern"
    rebased = spc.p_chart(proportions(pairs), Rules(rebase=months(24)[12]))
    assert rebased[0].centre == pytest.approx(0.4) and rebased[-1].centre == pytest.approx(0.6)
    assert not any(p.signals for p in rebased)


def test_variation_on_a_neutral_measure():
    points = spc.p_chart(proportions([(50, 100)] * 9 + [(90, 100)]))
    assert spc.variation(points, "neutral") == "neither"
    assert spc.variation([], "up") == "none"


def test_rate_ratio_matches_the_published_worked_example():
    """scipy.stats.contingency.relative_risk(10, 75, 12, 225): 2.5, 95% CI 1.126 to 5.550."""
    ratio, low, high = stats.rate_ratio(10, 75, 12, 225)
    assert ratio == pytest.approx(2.5)
    assert (round(low, 3), round(high, 3)) == (1.126, 5.550)
    assert stats.rate_ratio(0, 75, 12, 225) is None  # too few to compare: never a ratio of zero


def test_wilson_interval_worked_example():
    low, high = stats.wilson(81, 263)
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)


SPC_FIELDS = {"indicator", "by", "group", "period", "numerator", "denominator", "value", "centre", "lower", "upper",
              "signals"}


def test_spc_cli_rows_follow_the_contract_and_never_show_a_small_count(sample_db):
    from conftest import cli_json

    rows = cli_json("spc", "--db", sample_db.db_path)
    assert rows and all(set(r) == SPC_FIELDS for r in rows)
    assert {r["indicator"] for r in rows} >= {"practice.voice_captured", "practice.referral_nfa"}
    for r in rows:
        assert len(r["period"]) == 7 and r["period"][4] == "-"
        assert set(r["signals"]) <= set(spc.SIGNALS)
        if r["numerator"] is None:  # a hidden month: a gap with no signal
            assert r["denominator"] is None and r["value"] is None and r["signals"] == []
        else:
            assert not 1 <= r["numerator"] <= 5 and not 1 <= r["denominator"] - r["numerator"] <= 5
            assert r["lower"] <= r["centre"] <= r["upper"]
    exact = cli_json("spc", "--db", sample_db.db_path, "--unsuppressed")
    assert len(exact) >= len(rows)
    # voice recording improves in the synthetic partnership (planted): the series says so
    voice = [r for r in rows if r["indicator"] == "practice.voice_captured"]
    assert any(r["signals"] for r in voice)


def test_spc_by_group_is_internal_use_only(sample_db):
    from conftest import cli_json, run_cli

    code, out, err = run_cli("spc", "--json", "--db", sample_db.db_path, "--by", "ethnic_group")
    assert code == 0 and json_list(out) == [] and "not published" in err
    rows = cli_json("spc", "--db", sample_db.db_path, "--by", "ethnic_group", "--unsuppressed",
                    "--indicator", "practice.voice_captured")
    assert {r["group"] for r in rows} >= {"White", "Black", "Asian", "Mixed"}
    assert all(r["by"] == "ethnic_group" for r in rows)


def json_list(text: str) -> list:
    import json

    return json.loads(text)


def test_only_the_planted_change_signals_in_the_sample(sample_db):
    """The synthetic partnership improves voice recording from January 2024 and keeps every other rate
    stable. Noise alone must not make a run (shift, trend, two of three) anywhere else; a single point
    outside 3-sigma limits happens by chance about once in 370 points (the sample charts about 300), so
    at most one such point per series is allowed, and no series' latest signal may be anything but noise."""
    from conftest import cli_json

    rows = cli_json("spc", "--db", sample_db.db_path)
    by_indicator: dict[str, list[dict]] = {}
    for r in rows:
        by_indicator.setdefault(r["indicator"], []).append(r)
    voice = by_indicator.pop("practice.voice_captured")
    before = [r for r in voice if r["period"] < "2024-01" and r["value"] is not None]
    after = [r for r in voice if r["period"] >= "2024-01" and r["value"] is not None]
    assert sum(r["value"] for r in after) / len(after) > sum(r["value"] for r in before) / len(before) + 0.05
    assert sum("shift" in r["signals"] for r in after) >= 7  # the change is found as a shift after it
    for indicator, series in by_indicator.items():
        runs = [r for r in series if set(r["signals"]) - {"outside_limits"}]
        assert not runs, (indicator, runs)
        assert sum("outside_limits" in r["signals"] for r in series) <= 1, indicator
        assert not series[-1]["signals"], indicator


@pytest.mark.parametrize("target, direction, icon", [
    (0.30, "up", "pass"),  # limits 0.35 to 0.65: every month above a 30% floor
    (0.70, "up", "fail"),
    (0.50, "up", "hit_and_miss"),
    (0.30, "down", "fail"),  # lower is better: every month above a 30% ceiling fails it
    (0.70, "down", "pass"),
    (0.50, "neutral", None),
    (None, "up", None),
])
def test_assurance_icon(target, direction, icon):
    points = spc.p_chart(proportions([(50, 100)] * 12))
    assert spc.assurance(points, target, direction) == icon

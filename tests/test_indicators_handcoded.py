"""Indicators over tiny extracts whose every figure was worked out by hand (see the comments)."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from pipelines.loader import load_file

from conftest import cli_json, overall, settings_in, write_csv

N = 30


def column(*runs: tuple[str, int]) -> list[str]:
    """('Y', 12), ('N', 14), ('', 4) -> 30 values, in row order."""
    values = [v for v, n in runs for _ in range(n)]
    assert len(values) == N
    return values


# Rows 0-17 are rapid reviews (RR), rows 18-29 LCSPRs. Only the first three columns depend on that.
REVIEW_COLUMNS = {
    "review_type": column(("RR", 17), ("rr", 1), ("LCSPR", 11), ("lcspr", 1)),
    # RRs 0-9 progressed (10), 10-15 did not, 16-17 blank; LCSPR rows 18-19 say Y too (must not count)
    "progressed_to_lcspr": column(("Y", 8), ("yes", 1), ("TRUE", 1), ("N", 6), ("", 2), ("Y", 2), ("", 10)),
    # kloe Y on rows 0-2 (3), N on 3-9 (7); Y on row 10 (not progressed) and rows 18-19 (LCSPRs): excluded
    "kloe_race_focus": column(("Y", 3), ("N", 7), ("Y", 1), ("", 7), ("Y", 2), ("", 10)),
    # yes on RR rows 0-1 (excluded); LCSPRs: yes 18-24 (7), no 25-27 (3), unclear 28 (1), no_tor 29
    "tor_race_focus": column(("yes", 2), ("", 16), ("yes", 6), ("YES", 1), ("no", 3), ("unclear", 1), ("no_tor", 1)),
    "ethnicity_source": column(("review", 22), ("sin", 3), ("not_recorded", 3), ("", 2)),
    "race_considered": column(("none", 8), ("partial", 9), ("Consistent", 7), ("", 6)),
    "inequity_considered": column(("Y", 12), ("N", 14), ("", 4)),
    "racism_named": column(("Y", 2), ("N", 20), ("", 8)),
    "adultification_identified": column(("y", 6), ("n", 6), ("", 18)),
    "intersectionality": column(("none", 10), ("in_isolation", 8), ("applied", 6), ("", 6)),
    "child_voice_review": column(("considered", 9), ("partial", 7), ("not_considered", 6), ("under_3", 5), ("", 3)),
    "child_seen_alone": column(("Y", 10), ("N", 8), ("not_applicable", 7), ("", 5)),
    "interpreter_type": column(("not_needed", 11), ("professional", 5), ("Family member", 3), ("child", 2),
                               ("community_member", 2), ("needed_not_provided", 1), ("unknown", 3), ("", 3)),
    "disclosure_followed_up": column(("Y", 9), ("N", 6), ("no_disclosure", 10), ("", 5)),
    "risk_recognition": column(("recognised_not_acted", 8), ("recognised_acted", 7), ("no_prior_concerns", 6),
                               ("not_recognised", 4), ("unclear", 3), ("", 2)),
    "race_learning_points": column(("Y", 5), ("N", 20), ("", 5)),
    "racism_recommendation": column(("Y", 7), ("N", 9), ("", 14)),
    "panel_letter_race": column(("Y", 4), ("N", 8), ("no_letter", 15), ("", 3)),
}

# (numerator, denominator), by hand from the columns above
EXPECTED_REVIEWS = {
    "review.count": (30, 30),
    "review.ethnicity_reported": (22, 30),  # review 22; sin, not_recorded and blank still count below
    "review.tor_race_focus": (7, 11),  # LCSPR yes 7; + no 3 + unclear 1; no_tor and RR 'yes' excluded
    "review.kloe_race_focus": (3, 10),  # RRs progressed = rows 0-9; Y on 0-2
    "review.race_considered_any": (16, 24),  # partial 9 + consistent 7; coded = 30 - 6 blank
    "review.race_considered_consistent": (7, 24),
    "review.inequity_considered": (12, 26),
    "review.racism_named": (2, 22),
    "review.adultification_identified": (6, 12),
    "review.intersectionality_applied": (6, 24),
    "review.child_voice_not_considered": (6, 22),  # 9 + 7 + 6; under_3 (5) and blank (3) excluded
    "review.child_seen_alone": (10, 18),  # Y 10 + N 8; not_applicable and blank excluded
    "review.interpreter_informal": (7, 13),  # family 3 + child 2 + community 2 over those + professional 5 + nnp 1
    "review.disclosure_not_followed_up": (6, 15),  # N 6 over Y 9 + N 6
    "review.risk_recognised_not_acted": (8, 30),  # over all reviews, blank included
    "review.race_learning_points": (5, 25),
    "review.racism_recommendation": (7, 16),
    "review.panel_letter_race": (4, 12),  # Y 4 + N 8; no_letter excluded
}
# In the default run a count of 1-5 hides the figure: a numerator (kloe 3, racism 2, learning 5, letter 4)
# or denominator - numerator (tor: 11 - 7 = 4). Every other figure above has all three counts 0 or >= 6.
HIDDEN_BY_DEFAULT = {"review.tor_race_focus", "review.kloe_race_focus", "review.racism_named",
                     "review.race_learning_points", "review.panel_letter_race"}


def review_rows() -> list[dict]:
    rows = []
    for i in range(N):
        notified = dt.date(2023, 5, 1) + dt.timedelta(days=i) if i < 15 else dt.date(2024, 6, 1) + dt.timedelta(days=i)
        rows.append({"review_id": f"R{i:02d}", "partnership": "Northbridge", "notification_date": notified.isoformat(),
                     **{name: values[i] for name, values in REVIEW_COLUMNS.items()}})
    return rows


@pytest.fixture(scope="module")
def reviews_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("handcoded_reviews")
    cfg = settings_in(folder)
    result = load_file(write_csv(folder / "reviews.csv", review_rows()), cfg)
    assert (result.status, result.rows_loaded, result.rows_quarantined) == ("loaded", N, 0)
    return cfg


def figures(cfg, *args) -> dict[str, tuple]:
    return {k: (c["numerator"], c["denominator"]) for k, c in overall(cli_json("indicators", "--db", cfg.db_path, *args)).items()}


def test_every_review_indicator_is_hand_checked(reviews_db):
    got = {k: v for k, v in figures(reviews_db, "--unsuppressed").items() if k.startswith("review.")}
    assert got == EXPECTED_REVIEWS


def test_values_are_numerator_over_denominator(reviews_db):
    cells = overall(cli_json("indicators", "--db", reviews_db.db_path, "--unsuppressed"))
    assert cells["review.tor_race_focus"]["value"] == pytest.approx(7 / 11, abs=1e-4)
    assert cells["review.interpreter_informal"]["value"] == pytest.approx(7 / 13, abs=1e-4)
    assert cells["review.count"]["value"] == 1.0


def test_default_run_hides_small_counts(reviews_db):
    cells = overall(cli_json("indicators", "--db", reviews_db.db_path))
    hidden = {k for k, c in cells.items() if c["suppressed"]}
    assert hidden == HIDDEN_BY_DEFAULT
    for k in HIDDEN_BY_DEFAULT:
        assert (cells[k]["numerator"], cells[k]["denominator"], cells[k]["value"]) == (None, None, None)
    shown = {k: (c["numerator"], c["denominator"]) for k, c in cells.items() if not c["suppressed"]}
    assert shown == {k: v for k, v in EXPECTED_REVIEWS.items() if k not in HIDDEN_BY_DEFAULT}


@pytest.mark.parametrize("by,expected", [
    ("review_type", {"RR": (18, 30), "LCSPR": (12, 30)}),  # a share: every group over all 30
    ("reporting_year", {"2023-24": (15, 30), "2024-25": (15, 30)}),  # rows 0-14 notified May 2023, 15-29 June 2024
])
def test_review_count_breakdowns(reviews_db, by, expected):
    cells = cli_json("indicators", "--db", reviews_db.db_path, "--by", by, "--unsuppressed")
    got = {c["group"]: (c["numerator"], c["denominator"]) for c in cells if c["indicator"] == "review.count"}
    assert got == expected


# Practice: children A-G on several agencies' records, H only in an episode.
CHILD_FILES = [  # loaded in this order: "most recently loaded" means later in this list
    ("children_sc.csv", [("A", "social_care", "BAFR"), ("B", "social_care", "REFU"), ("C", "social_care", "WBRI"),
                         ("E", "social_care", "NOBT"), ("F", "social_care", ""), ("C", "education", "WIRI")]),
    ("children_police1.csv", [("B", "police", "AIND"), ("F", "police", "white - irish")]),
    ("children_health.csv", [("A", "health", "WBRI"), ("B", "health", "MWBC"), ("D", "health", "Chinese"),
                             ("G", "health", "BCRB")]),
    ("children_police2.csv", [("G", "police", "OOTH")]),
]
# Resolved: A BAFR (social care wins over health WBRI); B MWBC (social care REFU is not known; health was
# loaded after police); C WBRI (social care); D CHNE; E NOBT; F WIRI (police; social care blank);
# G OOTH (police2 loaded after health); H NOBT (no record).
EPISODES = [  # id, child, agency, type, child_seen, seen_alone, voice, identity, interpreter
    ("E1", "A", "social_care", "referral", "Y", "Y", "Y", "N", "not_needed"),
    ("E2", "A", "social_care", "assessment", "Y", "N", "Y", "Y", "professional"),
    ("E3", "B", "social_care", "referral", "Y", "not_applicable", "N", "N", "Family member"),
    ("E4", "C", "social_care", "referral", "N", "", "N", "N", ""),
    ("E5", "E", "social_care", "s47", "Y", "Y", "Y", "Y", "needed_not_provided"),
    ("E6", "D", "health", "health_contact", "N", "N", "N", "N", "unknown"),
    ("E7", "F", "police", "police_contact", "Y", "Y", "N", "Y", "child"),
    ("E8", "G", "police", "police_contact", "yes", "no", "yes", "no", "professional"),
    ("E9", "H", "police", "police_contact", "N", "not_applicable", "N", "N", "community_member"),
]
DISCLOSED = "2023-06-10"
DISCLOSURES = [  # id, child, action, action date
    ("X1", "A", "referral", "2023-06-10"),  # same day: followed up
    ("X2", "B", "s47", "2023-06-11"),  # next day: followed up (followup_days = 1)
    ("X3", "C", "referral", "2023-06-12"),  # 2 days later: not
    ("X4", "D", "none", ""),  # not
    ("X5", "E", "none", "2023-06-10"),  # action none: not, whatever the date
    ("X6", "F", "", ""),  # no action: not
    ("X7", "G", "early_help", "2023-06-11"),  # followed up
]
POPULATION = [("White", "10,000"), ("Black", "5000"), ("Mixed", "2000"), ("Asian", "4000"), ("Other", "1000")]


def load_practice(folder, cfg):
    for name, records in CHILD_FILES:
        path = write_csv(folder / name, [{"child_id": f"CHILD-{c}", "agency": a, "ethnicity": e, "sex": "F"}
                                         for c, a, e in records])
        assert load_file(path, cfg).rows_loaded == len(records)
    keys = ["episode_id", "child_id", "agency", "episode_type", "child_seen", "seen_alone", "voice_recorded",
            "identity_explored", "interpreter_type"]
    episodes = [dict(zip(keys, (e[0], f"CHILD-{e[1]}", *e[2:])), episode_date="2023-05-01") for e in EPISODES]
    disclosures = [{"disclosure_id": d, "child_id": f"CHILD-{c}", "agency": "social_care", "disclosure_date": DISCLOSED,
                    "harm_type": "physical", "action": a, "action_date": when} for d, c, a, when in DISCLOSURES]
    population = [{"area": "Northbridge", "ethnic_group": g, "children": n} for g, n in POPULATION]
    for name, rows in (("episodes.csv", episodes), ("disclosures.csv", disclosures), ("population.csv", population)):
        result = load_file(write_csv(folder / name, rows), cfg)
        assert (result.rows_loaded, result.rows_quarantined) == (len(rows), 0)
    return cfg


@pytest.fixture(scope="module")
def practice_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("handcoded_practice")
    return load_practice(folder, settings_in(folder))


EXPECTED_PRACTICE = {
    "practice.ethnicity_recorded": (11, 13),  # 13 records; E NOBT and F blank (social care) not recorded
    "practice.ethnicity_known": (10, 13),  # and B's social care REFU is recorded but not known
    "practice.ethnicity_discordant": (3, 4),  # A Black/White, B Asian/Mixed, G Black/Other; C White/White
    "practice.child_seen": (6, 9),  # E1 E2 E3 E5 E7 E8
    "practice.voice_captured": (4, 9),  # E1 E2 E5 E8
    "practice.seen_alone": (3, 6),  # Y: E1 E5 E7; N: E2 E6 E8
    "practice.identity_explored": (3, 9),  # E2 E5 E7
    "practice.interpreter_professional": (2, 6),  # needed: E2 E3 E5 E7 E8 E9; professional E2 E8
    "practice.interpreter_informal": (3, 6),  # E3 family, E7 child, E9 community
    "practice.interpreter_not_provided": (1, 6),  # E5
    "practice.disclosure_not_followed_up": (4, 7),  # X3 X4 X5 X6
    "practice.cin_rate_per_10k": (4, 22000),  # A B C E have social care episodes; population 22,000
}


def test_every_practice_indicator_is_hand_checked(practice_db):
    got = {k: v for k, v in figures(practice_db, "--unsuppressed").items() if k.startswith("practice.")}
    assert got == EXPECTED_PRACTICE


def test_ethnicity_resolution(practice_db):
    cells = cli_json("indicators", "--db", practice_db.db_path, "--by", "ethnicity", "--unsuppressed")
    seen = {c["group"]: (c["numerator"], c["denominator"]) for c in cells if c["indicator"] == "practice.child_seen"}
    # A: E1 E2 (BAFR); B: E3 (MWBC); C: E4 (WBRI); E: E5 and H: E9 (NOBT); D: E6 (CHNE); F: E7 (WIRI); G: E8 (OOTH)
    assert seen == {"BAFR": (2, 2), "MWBC": (1, 1), "WBRI": (0, 1), "NOBT": (1, 2), "CHNE": (0, 1),
                    "WIRI": (1, 1), "OOTH": (1, 1)}


def test_cin_rate_per_10k(practice_db):
    cells = cli_json("indicators", "--db", practice_db.db_path, "--by", "ethnic_group", "--unsuppressed")
    rate = {c["group"]: (c["numerator"], c["denominator"], c["value"]) for c in cells
            if c["indicator"] == "practice.cin_rate_per_10k"}
    assert rate == {"White": (1, 10000, 1.0), "Black": (1, 5000, 2.0), "Mixed": (1, 2000, 5.0),
                    "Asian": (0, 4000, 0.0), "Other": (0, 1000, 0.0), "Not known": (1, 0, None)}
    total = overall(cli_json("indicators", "--db", practice_db.db_path, "--unsuppressed"))["practice.cin_rate_per_10k"]
    assert total["value"] == pytest.approx(4 / 22000 * 10000, abs=1e-4)


@pytest.mark.parametrize("days,expected", [(0, (6, 7)), (2, (3, 7))])  # 0: X2 and X7 late too; 2: X3 in time
def test_followup_days_setting(tmp_path, days, expected):
    cfg = dataclasses.replace(settings_in(tmp_path), followup_days=days)
    load_practice(tmp_path, cfg)
    assert figures(cfg, "--unsuppressed")["practice.disclosure_not_followed_up"] == expected


def test_practice_default_run_hides_every_small_figure(practice_db):
    cells = overall(cli_json("indicators", "--db", practice_db.db_path))
    # every hand-computed practice figure above has a count of 1-5 (a numerator or denominator - numerator)
    assert {k for k, c in cells.items() if k.startswith("practice.") and c["suppressed"]} == set(EXPECTED_PRACTICE)
    by_agency = cli_json("indicators", "--db", practice_db.db_path, "--by", "agency")
    health = next(c for c in by_agency if c["indicator"] == "practice.seen_alone" and c["group"] == "health")
    assert health["suppressed"]  # E6 alone: numerator 0, denominator 1 -- hidden by the denominator
    unsuppressed = cli_json("indicators", "--db", practice_db.db_path, "--by", "agency", "--unsuppressed")
    assert next((c["numerator"], c["denominator"]) for c in unsuppressed
                if c["indicator"] == "practice.seen_alone" and c["group"] == "health") == (0, 1)

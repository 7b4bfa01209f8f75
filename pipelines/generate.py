"""Synthetic extracts for the fictional Northbridge Safeguarding Children Partnership.

Writes the five files of the data contract (design/data-contract.md, sections 1-3),
shaped loosely like the Panel's "It's Silent" report. Every value is invented:
no real child, name or identifier. Output is byte-identical for a given (seed, scale).
"""

from __future__ import annotations

import pathlib

import numpy as np
import polars as pl

from .reference import ethnicity_codes
from .schema import KINDS

PARTNERSHIP = "Northbridge Safeguarding Children Partnership"
AREA = "Northbridge"
START, END = np.datetime64("2022-04-01"), np.datetime64("2025-03-31")
AGE_REF = np.datetime64("2024-04-01")
MONTHS = np.arange(np.datetime64("2022-04"), np.datetime64("2025-04"))
CHUNK_RECORDS = 100_000  # child-agency rows per episodes chunk, bounds memory

COLUMNS = {f"{name}.csv": [c.name for c in kind.columns] for name, kind in KINDS.items()}

GROUPS = ["White", "Mixed", "Asian", "Black", "Other"]
WHITE, MIXED, ASIAN, BLACK, OTHER = range(5)
# DfE code: (weight within its major group among children, among reviewed children)
CODE_WEIGHTS = {
    "WBRI": (80, 85), "WIRI": (3, 2), "WIRT": (1, 2), "WOTH": (14, 8), "WROM": (2, 3),
    "MWBC": (35, 48), "MWBA": (20, 16), "MWAS": (25, 20), "MOTH": (20, 16),
    "AIND": (25, 15), "APKN": (38, 35), "ABAN": (20, 28), "AOTH": (12, 8), "CHNE": (5, 14),
    "BCRB": (25, 34), "BAFR": (60, 33), "BOTH": (15, 33), "OOTH": (1, 1),
}
CODE_GROUP = np.array([GROUPS.index(ethnicity_codes()[c][1]) for c in CODE_WEIGHTS])
REFU, NOBT, BLANK = len(CODE_WEIGHTS), len(CODE_WEIGHTS) + 1, len(CODE_WEIGHTS) + 2
_CODES = [*CODE_WEIGHTS, "REFU", "NOBT", None]
_LABELS = [ethnicity_codes()[c][0] for c in _CODES[:-1]] + [None]
# Ethnicity as written: code, label, label in lower case, label in upper case.
ETHNICITY_TEXT = _CODES + _LABELS + [s and s.lower() for s in _LABELS] + [s and s.upper() for s in _LABELS]

AGENCIES = ["social_care", "police", "health", "education", "other"]
PREFIX = ["SC", "PO", "HE", "ED", "OT"]
NOT_RECORDED = np.array([0.02, 0.15, 0.10, 0.03, 0.08])  # blank or NOBT, by agency
EPISODES_PER_RECORD = np.array([5.0, 2.5, 3.0, 3.0, 2.0])
EPISODE_TYPES = ["referral", "assessment", "s47", "cp_visit", "cin_visit",
                 "health_contact", "police_contact", "school_contact", "other"]
AGENCY_EPISODE_TYPE = np.array([0, 6, 5, 7, 8])  # social care's type is drawn from SOCIAL_CARE_W
SOCIAL_CARE_W = [15, 15, 8, 30, 32]
LANGUAGES = ["English", "Polish", "Urdu", "Bengali", "Punjabi", "Somali",
             "Romanian", "Arabic", "Portuguese", "Tigrinya"]
LANGUAGE_W = [[93, 4, 0, 0, 0, 0, 2, 0, 1, 0], [96, 1, 0, 0, 0, 0, 0, 1, 2, 0],
              [68, 0, 12, 9, 8, 0, 0, 2, 0, 1], [75, 0, 0, 0, 0, 12, 0, 4, 3, 6],
              [50, 0, 0, 0, 0, 0, 0, 30, 10, 10]]
INTERPRETERS = ["not_needed", "professional", "family_member", "child",
                "community_member", "needed_not_provided", "unknown", None]
# interpreting when needed, by group: more informal for Asian, Black and Other children
INTERPRETER_W = [[0, 58, 14, 6, 4, 10, 8, 0], [0, 55, 16, 7, 4, 10, 8, 0],
                 [0, 40, 26, 12, 7, 9, 6, 0], [0, 38, 26, 13, 8, 10, 5, 0],
                 [0, 42, 24, 12, 7, 10, 5, 0]]
IDENTITY_FACTOR = np.array([1.0, 0.65, 0.85, 0.7, 0.85])  # identity explored less for some groups
# A planted real change, for the signals to find: voice recording improves from this month, in every
# agency. Every other rate is stable over time, so a signal anywhere else would be noise mistaken.
VOICE_SHIFT = np.datetime64("2024-01-01")
SEASON = np.array([1.0, 1.0, 1.05, 0.95, 1.0, 1.05, 1.0, 0.85, 1.0, 1.08, 1.08, 0.88])  # Jan..Dec
YN = ["Y", "N", None]


def _pick(rng: np.random.Generator, n: int, weights) -> np.ndarray:
    """Indices 0..k-1 drawn with the given (unnormalised) weights."""
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def _shares(rng: np.random.Generator, n: int, weights) -> np.ndarray:
    """Like _pick, but with counts as close to the weights as rounding allows (small samples)."""
    p = np.asarray(weights, dtype=float) / np.sum(weights)
    counts = np.floor(n * p).astype(int)
    counts[np.argsort(counts - n * p, kind="stable")[: n - counts.sum()]] += 1
    return rng.permutation(np.repeat(np.arange(len(p)), counts))


def _pick_by(rng: np.random.Generator, group: np.ndarray, table) -> np.ndarray:
    """Like _pick, but row i uses the weights table[group[i]]."""
    out = np.zeros(len(group), dtype=np.int64)
    for g, weights in enumerate(table):
        rows = np.flatnonzero(group == g)
        out[rows] = _pick(rng, len(rows), weights)
    return out


def _text(values: list, idx: np.ndarray) -> pl.Series:
    """Strings (None = blank) looked up by index."""
    return pl.Series(values, dtype=pl.String).gather(idx)


def _flag(rng: np.random.Generator, p_yes, n: int, blank: float = 0.03) -> pl.Series:
    """Y with probability p_yes (scalar or per row), else N; a share left blank."""
    idx = np.where(rng.random(n) < p_yes, 0, 1)
    idx[rng.random(n) < blank] = 2
    return _text(YN, idx)


def _code_in_group(rng: np.random.Generator, group: np.ndarray, column: int) -> np.ndarray:
    """An ethnicity code index within each row's major group (column 0 children, 1 reviews)."""
    weights = np.array([w[column] for w in CODE_WEIGHTS.values()], dtype=float)
    out = np.zeros(len(group), dtype=np.int64)
    for g in range(len(GROUPS)):
        rows = np.flatnonzero(group == g)
        codes = np.flatnonzero(CODE_GROUP == g)
        out[rows] = codes[_pick(rng, len(rows), weights[codes])]
    return out


def _activity_dates(rng: np.random.Generator, n: int, dob: np.ndarray | None = None) -> np.ndarray:
    """Dates over the 36 months with mild seasonality and growth, never before dob."""
    weights = SEASON[MONTHS.astype(int) % 12] * (1 + 0.03 * np.arange(len(MONTHS)) / 12)
    month = MONTHS[_pick(rng, n, weights)]
    first = month.astype("datetime64[D]")
    length = ((month + 1).astype("datetime64[D]") - first).astype(int)
    dates = first + (rng.random(n) * length).astype("timedelta64[D]")
    if dob is not None:
        early = dates < dob
        span = (END - dob[early]).astype(int) + 1
        dates[early] = dob[early] + (rng.random(early.sum()) * span).astype("timedelta64[D]")
    return dates


def _people(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """One entry per child: identifier, true ethnicity, age, language and needs."""
    group = _pick(rng, n, [66, 11, 12, 8, 3])
    age = _pick(rng, n, [9, 6, 6, 6, 6] + [5] * 5 + [5.5] * 4 + [7] * 4)
    days = np.floor((age + rng.random(n) * 0.995) * 365.25).astype("timedelta64[D]")
    language = _pick_by(rng, group, LANGUAGE_W)
    interpreter = np.where((language > 0) & (rng.random(n) < 0.75), 0, 1)
    interpreter[rng.random(n) < 0.02] = 2
    return {
        "id": 1_000_000 + rng.choice(9_000_000, size=n, replace=False),
        "group": group,
        "code": _code_in_group(rng, group, 0),
        "age": age,
        "dob": AGE_REF - days,
        "sex": _pick(rng, n, [52, 47, 1]),
        "language": language,
        "interpreter": interpreter,  # index into YN
    }


def _records(rng: np.random.Generator, people: dict) -> tuple[np.ndarray, np.ndarray]:
    """(child index, agency index) for each child-agency record; every child is in social care."""
    age, n = people["age"], len(people["age"])
    p_member = [np.ones(n), np.where(age >= 10, 0.35, 0.08), np.full(n, 0.75),
                np.where(age >= 4, 0.85, 0.10), np.full(n, 0.10)]
    children = [np.flatnonzero(rng.random(n) < p) for p in p_member]
    agency = np.concatenate([np.full(len(c), a) for a, c in enumerate(children)])
    return np.concatenate(children), agency


def _recorded_ethnicity(rng: np.random.Generator, people: dict, child, agency) -> pl.Series:
    """Ethnicity as each agency wrote it: gaps, refusals, discordance, labels."""
    group, code, m = people["group"][child], people["code"][child].copy(), len(child)
    discordant = rng.random(m) < np.where(group == MIXED, 0.12, 0.03) * (agency != 0)
    other_group = _pick_by(rng, group[discordant], [[0, 3, 4, 4, 1], [35, 0, 20, 45, 0],
                                                    [6, 2, 0, 1, 1], [2, 5, 1, 0, 1], [4, 2, 3, 1, 0]])
    code[discordant] = _code_in_group(rng, other_group, 0)
    u = rng.random(m)
    missing = u < NOT_RECORDED[agency]
    code[missing] = np.where(rng.random(missing.sum()) < 0.5, BLANK, NOBT)
    code[(u > 0.99) & ~missing] = REFU
    style = _pick(rng, m, [96, 1.5, 2, 0.5])
    return _text(ETHNICITY_TEXT, style * len(_CODES) + code)


def _children_frame(rng: np.random.Generator, people: dict, child, agency) -> pl.DataFrame:
    """children.csv rows: one per child per agency."""
    dob = pl.Series(people["dob"][child])
    fmt = _pick(rng, len(child), [85, 10, 5])
    dob_text = (pl.when(pl.Series(fmt) == 0).then(dob.dt.strftime("%Y-%m-%d"))
                .when(pl.Series(fmt) == 1).then(dob.dt.strftime("%d/%m/%Y"))
                .otherwise(dob.dt.strftime("%Y-%m")))
    return pl.DataFrame({
        "child_id": people["id_text"].gather(child),
        "agency": _text(AGENCIES, agency),
        "ethnicity": _recorded_ethnicity(rng, people, child, agency),
        "sex": _text(["M", "F", "U"], people["sex"][child]),
    }).with_columns(
        date_of_birth=dob_text,
        first_language=_text(LANGUAGES, people["language"][child]),
        interpreter_needed=_text(YN, people["interpreter"][child]),
        disability=_flag(rng, 0.08, len(child), blank=0.05),
    )


def _numbered(prefix: str, agency: np.ndarray, counters: np.ndarray, width: int) -> pl.Series:
    """Identifiers like SC-0000001, numbered per agency; rows must be sorted by agency."""
    number = np.zeros(len(agency), dtype=np.int64)
    for a in range(len(AGENCIES)):
        rows = np.flatnonzero(agency == a)
        number[rows] = counters[a] + 1 + np.arange(len(rows))
        counters[a] += len(rows)
    frame = pl.DataFrame({"a": _text(PREFIX, agency), "n": number})
    return frame.select(pl.concat_str(pl.col("a"), pl.lit(f"{prefix}-"),
                                      pl.col("n").cast(pl.String).str.zfill(width))).to_series()


def _episode_chunk(rng, people: dict, child, agency, counters) -> pl.DataFrame:
    """episodes.csv rows for a chunk of child-agency records."""
    count = 1 + rng.poisson(EPISODES_PER_RECORD[agency] - 1)
    child, agency = np.repeat(child, count), np.repeat(agency, count)
    date = _activity_dates(rng, len(child), people["dob"][child])
    order = np.lexsort((child, date, agency))
    child, agency, date, m = child[order], agency[order], date[order], len(child)
    group, dob = people["group"][child], people["dob"][child]
    kind = AGENCY_EPISODE_TYPE[agency]
    kind[agency == 0] = _pick(rng, int((agency == 0).sum()), SOCIAL_CARE_W)
    improved = date >= VOICE_SHIFT
    seen_p = np.where(kind == 0, 0.65, np.where(agency == 0, 0.92, 0.86))
    seen = np.where(rng.random(m) < seen_p, 0, 1)
    seen[rng.random(m) < 0.01] = 2
    alone = np.where((seen == 0) & (rng.random(m) < 0.6), 0, 1)
    alone[(date - dob).astype(int) < 5 * 365.25] = 2
    alone[rng.random(m) < 0.02] = 3
    voice_p = np.array([0.66, 0.35, 0.45, 0.55, 0.40])[agency] + 0.08 * improved
    identity_p = np.where(agency == 0, 0.27, 0.17) * IDENTITY_FACTOR[group]
    need = people["interpreter"][child]
    interpreter = _pick_by(rng, group, INTERPRETER_W)
    interpreter[need == 1] = 0
    interpreter[need == 2] = np.where(rng.random((need == 2).sum()) < 0.5, 0, 6)
    interpreter[rng.random(m) < 0.01] = 7
    return pl.DataFrame({
        "episode_id": _numbered("", agency, counters, 7),
        "child_id": people["id_text"].gather(child),
        "agency": _text(AGENCIES, agency),
        "episode_type": _text(EPISODE_TYPES, kind),
        "episode_date": date,
        "child_seen": _text(YN, seen),
        "seen_alone": _text(["Y", "N", "not_applicable", None], alone),
        "voice_recorded": _flag(rng, voice_p, m, blank=0.01),
        "identity_explored": _flag(rng, identity_p, m, blank=0.01),
        "interpreter_type": _text(INTERPRETERS, interpreter),
        "_group": group,  # not written: the referrals drawn from this chunk's social care referrals need it
    })


NFA_BY_GROUP = np.array([0.10, 0.13, 0.16, 0.12, 0.12])  # referrals closed with no further action, by GROUPS
NEED_W = [45, 2, 3, 20, 5, 1, 1, 3, 15, 5]  # primary need N0..N9, roughly as the CIN census reports


def _referrals(rng: np.random.Generator, referrals: pl.DataFrame) -> pl.DataFrame:
    """referrals.csv: one per social care referral episode (child and date), with its outcome."""
    referrals = referrals.unique(["child_id", "episode_date"], keep="first", maintain_order=True)
    m, group = referrals.height, referrals["_group"].to_numpy()
    nfa = np.where(rng.random(m) < NFA_BY_GROUP[group], 0, 1)
    nfa[rng.random(m) < 0.02] = 2
    days = np.where(nfa == 0, rng.integers(0, 10, m), rng.integers(20, 400, m)).astype("timedelta64[D]")
    closed = referrals["episode_date"].to_numpy() + days
    closed = np.where(closed <= END, closed, np.datetime64("NaT"))
    return pl.DataFrame({
        "child_id": referrals["child_id"], "agency": "social_care", "referral_date": referrals["episode_date"],
        "referral_nfa": _text(YN, nfa), "primary_need": _text([f"N{i}" for i in range(10)], _pick(rng, m, NEED_W)),
        "closure_date": pl.Series(closed).cast(pl.Date)})


def _disclosures(rng, people: dict, child, agency, n: int) -> pl.DataFrame:
    """disclosures.csv: slower or absent follow-up more often for Black and Mixed children."""
    weight = np.array([3.0, 2.0, 1.0, 2.0, 1.0])[agency] * np.where(people["age"][child] >= 4, 1, 0.1)
    pick = rng.choice(len(child), size=n, p=weight / weight.sum())
    child, agency = child[pick], agency[pick]
    date = _activity_dates(rng, n, people["dob"][child])
    order = np.lexsort((child, date, agency))
    child, agency, date = child[order], agency[order], date[order]
    slower = np.isin(people["group"][child], [BLACK, MIXED]).astype(int)
    action = _pick_by(rng, slower, [[35, 15, 10, 10, 22, 6, 2], [33, 14, 9, 9, 20, 12, 3]])
    delay = _pick_by(rng, slower, [[65, 27] + [1] * 8, [55, 27] + [2.25] * 8])
    acted = action < 5
    return pl.DataFrame({
        "disclosure_id": _numbered("-D", agency, np.zeros(len(AGENCIES), np.int64), 6),
        "child_id": people["id_text"].gather(child),
        "agency": _text(AGENCIES, agency),
        "disclosure_date": date,
        "harm_type": _text(["physical", "sexual", "emotional", "neglect", "exploitation",
                            "domestic_abuse", "other"], _pick(rng, n, [25, 15, 12, 13, 10, 18, 7])),
        "action": _text(["referral", "strategy_discussion", "s47", "police_investigation",
                         "early_help", "none", None], action),
        "action_date": pl.Series(np.where(acted, date + delay.astype("timedelta64[D]"),
                                          np.datetime64("NaT"))),
    })


def _reviews(rng: np.random.Generator, n: int) -> pl.DataFrame:
    """reviews.csv: rapid reviews and LCSPRs coded with the Panel's framework."""
    notified = np.sort(START + rng.integers(0, (END - START).astype(int) + 1, n).astype("timedelta64[D]"))
    lcspr = _shares(rng, n, [70, 30]) == 1
    group = _shares(rng, n, [40, 22, 15, 17, 3])
    source = _shares(rng, n, [85, 10, 5])
    code = np.where(source == 2, BLANK, _code_in_group(rng, group, 1))
    age = np.concatenate([[0], np.arange(1, 6), np.arange(6, 11), np.arange(11, 16), [16, 17]])[
        _shares(rng, n, [31] + [3.4] * 5 + [1.4] * 5 + [4] * 5 + [12.5] * 2)]
    young, teen, minority = age < 6, age >= 10, group != WHITE
    death = rng.random(n) < np.where(age == 0, 0.6, 0.45)
    causes = [["Non-fatal assault – Extrafamilial", "Child criminal exploitation", "Self-harm"],
              ["Fatal assault – Extrafamilial", "Suicide", "Fatal assault – Intrafamilial"],
              ["Non-fatal assault – Intrafamilial", "Neglect", "Sexual abuse – Intrafamilial"],
              ["Fatal assault – Intrafamilial", "Sudden unexpected death in infancy", "Neglect"]]
    cause = _text(sum(causes, []), (2 * young + death) * 3 + rng.integers(0, 3, n))
    suspects = ["Stranger", "Peer", "Known adult", "Not applicable", "Mother", "Father",
                "Mother's partner", "Both parents"]
    progressed = np.where(lcspr, 2, np.where(rng.random(n) < 0.25, 0, 1))
    kloe = np.where(progressed == 0, np.where(rng.random(n) < 0.3, 0, 1), 2)
    year = notified.astype("datetime64[Y]").astype(int) + 1970
    frame = pl.DataFrame({"t": np.where(lcspr, "LCSPR", "RR"), "y": year})
    review_id = frame.select(pl.concat_str(
        pl.lit("NB-"), "t", pl.lit("-"), pl.col("y").cast(pl.String), pl.lit("-"),
        (pl.int_range(pl.len()).over("t", "y") + 1).cast(pl.String).str.zfill(3))).to_series()
    voice = np.where(age < 3, 3, _pick(rng, n, [50, 32, 18]))
    alone = np.where(age < 5, 2, _pick(rng, n, [45, 50, 0, 5]))
    faith = _flag(rng, 0.4, n)
    return pl.DataFrame({
        "review_id": review_id,
        "partnership": [PARTNERSHIP] * n,
        "review_type": frame["t"],
        "notification_date": notified,
        "incident_date": notified - rng.integers(2, 50, n).astype("timedelta64[D]"),
        "child_ethnicity": _text(_CODES, code),
        "ethnicity_source": _text(["review", "sin", "not_recorded"], source),
        "child_sex": _text(["M", "F", "U"], _pick(rng, n, [58, 41, 1])),
        "child_age_years": age,
        "outcome": np.where(death, "death", "serious_harm"),
        "harm_cause": cause,
        "primary_suspect": _text(suspects, np.where(young, 4, 0) + rng.integers(0, 4, n)),
        "disability": _flag(rng, 0.15, n),
        "neurodiverse": _flag(rng, np.where(young, 0.08, 0.3), n),
        "mental_health": _flag(rng, np.where(teen, 0.4, 0.03), n),
        "sole_carer": _flag(rng, 0.3, n),
        "missing_education": _flag(rng, np.where(teen, 0.35, 0.02), n),
        "neet": _flag(rng, np.where(age >= 16, 0.4, 0.0), n),
        "progressed_to_lcspr": _text(YN, progressed),
        "kloe_race_focus": _text(YN, kloe),
        "tor_race_focus": _text(["yes", "no", "unclear", "no_tor", None],
                                np.where(lcspr, _pick(rng, n, [40, 35, 10, 15]), 4)),
        "race_considered": _text(["none", "partial", "consistent", None],
                                 _pick_by(rng, minority.astype(int), [[70, 20, 7, 3], [40, 33, 25, 2]])),
        "inequity_considered": _flag(rng, np.where(minority, 0.3, 0.15), n),
        "racism_named": _flag(rng, 0.02, n),
        "adultification_identified": _flag(rng, np.where(teen & np.isin(group, [BLACK, MIXED]), 0.2, 0.02), n),
        "intersectionality": _text(["none", "in_isolation", "applied", None], _pick(rng, n, [55, 28, 15, 2])),
        "other_protected_characteristics": _flag(rng, 0.2, n),
        "faith_recorded": faith,
        "faith_significant": _flag(rng, np.where((faith == "Y").fill_null(False), 0.25, 0.0), n),
        "harmful_practice": _flag(rng, 0.03, n),
        "immigration_issue": _flag(rng, np.where(minority, 0.14, 0.03), n),
        "child_voice_review": _text(["considered", "partial", "not_considered", "under_3"], voice),
        "child_voice_heard_practice": _flag(rng, np.where(age < 3, 0.3, 0.5), n),
        "child_seen_alone": _text(["Y", "N", "not_applicable", None], alone),
        "interpreter_type": _text(INTERPRETERS, np.where(rng.random(n) < np.where(minority, 0.7, 0.95), 0,
                                                        _pick_by(rng, group, INTERPRETER_W))),
        "disclosure_followed_up": _text(["Y", "N", "no_disclosure"],
                                        _pick_by(rng, young.astype(int), [[28, 14, 58], [5, 3, 92]])),
        "risk_recognition": _text(["no_prior_concerns", "recognised_not_acted", "recognised_acted",
                                   "not_recognised", "unclear"], _pick(rng, n, [15, 35, 25, 15, 10])),
        "race_learning_points": _flag(rng, np.where(minority, 0.3, 0.05), n),
        "racism_recommendation": _flag(rng, 0.02, n),
        "panel_letter_race": _text(["Y", "N", "no_letter"], _pick(rng, n, [40, 52, 8])),
    })


def _population(scale: float) -> pl.DataFrame:
    """population.csv: resident children aged 0-17 by major group."""
    shares = [0.65, 0.10, 0.13, 0.09, 0.03]
    return pl.DataFrame({"area": [AREA] * 5, "ethnic_group": GROUPS,
                         "children": [round(120_000 * scale * s) for s in shares]})


def generate(out_dir: pathlib.Path, seed: int = 42, scale: float = 1.0) -> dict[str, int]:
    """Write one CSV per contract kind (reviews.csv, children.csv, ...) to out_dir; return rows per file name."""
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}

    def stream(*key: int) -> np.random.Generator:
        """An independent, reproducible random stream per file (and chunk)."""
        return np.random.default_rng([seed, *key])

    def write(name: str, frame: pl.DataFrame) -> None:
        frame.select(COLUMNS[name]).write_csv(out_dir / name)
        rows[name] = frame.height

    write("reviews.csv", _reviews(stream(1), round(60 * max(1.0, scale))))
    people = _people(stream(2), max(1, round(5_000 * scale)))
    people["id_text"] = pl.select(pl.lit("NB") + pl.Series(people["id"]).cast(pl.String)).to_series()
    child, agency = _records(stream(3), people)
    write("children.csv", _children_frame(stream(4), people, child, agency))
    counters = np.zeros(len(AGENCIES), dtype=np.int64)
    rows["episodes.csv"] = 0
    referrals = []
    with open(out_dir / "episodes.csv", "wb") as handle:
        for i, start in enumerate(range(0, len(child), CHUNK_RECORDS)):
            part = slice(start, start + CHUNK_RECORDS)
            chunk = _episode_chunk(stream(5, i), people, child[part], agency[part], counters)
            chunk.select(COLUMNS["episodes.csv"]).write_csv(handle, include_header=(i == 0))
            rows["episodes.csv"] += chunk.height
            referrals.append(chunk.filter((pl.col("agency") == "social_care") & (pl.col("episode_type") == "referral")))
    write("disclosures.csv", _disclosures(stream(6), people, child, agency, round(1_500 * scale)))
    write("population.csv", _population(scale))
    write("referrals.csv", _referrals(stream(7), pl.concat(referrals)))
    return rows

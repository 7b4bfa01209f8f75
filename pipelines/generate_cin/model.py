"""Code lists and their weights, the shares that drive the story, the records of a return and its ids."""
from __future__ import annotations

import bisect
import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path

LA = 999

# Weights are rough national shares (England, CIN census 2022-24, rounded), not any LA's figures.
ETHNICITY = {
    "WBRI": 60.0, "WIRI": 0.4, "WIRT": 0.4, "WOTH": 5.5, "WROM": 0.9,
    "MWBC": 2.8, "MWBA": 1.2, "MWAS": 1.6, "MOTH": 3.2,
    "AIND": 1.3, "APKN": 3.0, "ABAN": 1.3, "AOTH": 1.6, "CHNE": 0.2,
    "BCRB": 1.3, "BAFR": 4.2, "BOTH": 1.6, "OOTH": 2.5, "REFU": 0.6, "NOBT": 4.0,
}
REFERRAL_SOURCE = {
    "1A": 4.0, "1B": 0.5, "1C": 1.0, "1D": 0.5,  # individuals: family, acquaintance, self, other
    "2A": 20.0, "2B": 1.0,  # schools, other education services
    "3A": 2.0, "3B": 2.0, "3C": 0.5, "3D": 1.0, "3E": 3.0, "3F": 6.0,  # health
    "4": 1.5,  # housing
    "5A": 6.0, "5B": 4.0, "5C": 1.5, "5D": 3.0,  # LA services: social care, other internal, external, early help
    "6": 29.0, "7": 3.0, "8": 5.0, "9": 1.5, "10": 2.0,  # police, other legal agency, other, anonymous, unknown
}
PRIMARY_NEED = {"N1": 54, "N2": 7, "N3": 3, "N4": 9, "N5": 15, "N6": 3, "N7": 0.5, "N8": 4, "N9": 2, "N0": 2.5}
DISABILITY = {"AUT": 30, "LD": 18, "BEH": 14, "COMM": 12, "CON": 6, "MOB": 5, "HAND": 3, "PC": 3, "INC": 2,
              "HEAR": 2, "VIS": 2, "DDA": 3}
FACTORS = {"4B": 18, "3A": 14, "3B": 13, "19B": 10, "18B": 9, "4A": 8, "2B": 7, "1B": 6, "16A": 4, "10A": 3,
           "14A": 3, "22A": 3, "11A": 2, "5B": 2, "6A": 2, "7A": 1, "2A": 1, "1A": 1, "8F": 1, "21": 1,
           "9A": 0.5, "24A": 0.5, "20": 0.3}
ABUSE = {"NEG": 50, "EMO": 38, "PHY": 6, "SAB": 4, "MUL": 2}
CLOSURE_AFTER_WORK = {"RC7": 84, "RC5": 6, "RC3": 3, "RC4": 3, "RC1": 1, "RC9": 3}  # after services
CLOSURE_AFTER_ASSESSMENT = {"RC8": 62, "RC9": 38}  # no further action, referred to early help
UPN_UNKNOWN_BY_AGE = ((5, "UN4"), (16, "UN2"), (99, "UN1"))  # under 6 not at school, never at a state school, over age
# Age at the reference date in whole years, for children born: 0, 1-4, 5-9, 10-15, 16-17.
AGE_BANDS = ((0, 1, 6.0), (1, 5, 16.0), (5, 10, 23.0), (10, 16, 37.0), (16, 18, 16.5))
UNBORN = 0.015

NFA = 0.10  # referrals closed with no further action
ASSESSED = 0.97  # of the rest, an assessment starts
S47_SHARE = 0.30  # a section 47 enquiry
ICPC_HELD = 0.38  # of s47s, an initial child protection conference
CPP_AT_ICPC = 0.88  # of conferences, a plan
PLAN_AFTER_ASSESSMENT = 0.45  # a CIN plan when there is no conference
STEP_DOWN = 0.5  # a CIN plan after a child protection plan ends
OPENING_CASELOAD = 0.45  # first year only: children whose episode began before the census year
REREFERRAL_SAME_YEAR = 0.15  # a closed episode followed by a new referral in the same year
REREFERRAL_FROM_PREVIOUS = 0.15  # a child whose episodes all closed last year, referred again
EMPTY_ELEMENTS = 0.10  # children written by a system that writes blank optional elements as <X/>
PRE_PROCEEDINGS = 0.25  # 2026 era: share of episodes with a child protection plan that go to pre-proceedings


def _table(weights: dict) -> tuple[list[str], list[float], float]:
    codes, cum, total = [], [], 0.0
    for code, w in weights.items():
        total += w
        codes.append(code)
        cum.append(total)
    return codes, cum, total


T_ETHNICITY, T_SOURCE, T_NEED, T_DISABILITY, T_FACTORS, T_ABUSE, T_CLOSE_WORK, T_CLOSE_ASSESS = map(
    _table, (ETHNICITY, REFERRAL_SOURCE, PRIMARY_NEED, DISABILITY, FACTORS, ABUSE, CLOSURE_AFTER_WORK,
             CLOSURE_AFTER_ASSESSMENT))
T_AGE = _table({i: w for i, (_, _, w) in enumerate(AGE_BANDS)})


def _pick(rng: random.Random, table) -> str:
    codes, cum, total = table
    return codes[bisect.bisect(cum, rng.random() * total)]


def _tri(rng: random.Random, low: float, high: float, mode: float) -> int:
    return int(rng.triangular(low, high, mode))


_ISO: dict[int, str] = {}


def iso(day: int) -> str:
    """An ordinal day as YYYY-MM-DD (cached: a return uses a few thousand distinct dates)."""
    s = _ISO.get(day)
    if s is None:
        s = _ISO[day] = dt.date.fromordinal(day).isoformat()
    return s


def _add_working_days(day: int, n: int) -> int:
    while n:
        day += 1
        if dt.date.fromordinal(day).weekday() < 5:
            n -= 1
    return day


def _eighteenth(birth: int) -> int:
    b = dt.date.fromordinal(birth)
    return (dt.date(b.year + 18, 3, 1) if (b.month, b.day) == (2, 29) else b.replace(year=b.year + 18)).toordinal()


@dataclass(slots=True)
class Assessment:
    start: int
    review: int | None = None
    auth: int | None = None
    factors: tuple[str, ...] = ()


@dataclass(slots=True)
class Plan:  # a CIN plan
    start: int
    end: int | None = None


@dataclass(slots=True)
class S47:
    start: int
    target: int
    icpc: int | None = None
    not_required: bool | None = None  # None: outcome not known yet
    decided: int | None = None  # when the enquiry ended (not in the return)


@dataclass(slots=True)
class CPP:
    start: int
    end: int | None
    initial: str
    latest: str
    previous: int
    reviews: list[int] = field(default_factory=list)


@dataclass(slots=True)
class PreProceedings:  # a 2026-era module unknown to older parsers
    start: int
    end: int | None = None


@dataclass(slots=True)
class Episode:
    referral: int
    source: str
    need: str
    close: int | None = None
    reason: str | None = None
    nfa: bool = False
    icpc: int | None = None
    assessments: list[Assessment] = field(default_factory=list)
    plans: list[Plan] = field(default_factory=list)
    s47s: list[S47] = field(default_factory=list)
    cpps: list[CPP] = field(default_factory=list)
    pre: list[PreProceedings] = field(default_factory=list)


@dataclass(slots=True)
class Child:
    number: int
    upn: str | None
    upn_unknown: str | None
    former_upn: str | None
    birth: int | None
    expected: int | None
    sex: str  # M, F, U (not known) or N (not specified: GenderCurrent 9)
    ethnicity: str
    disabilities: tuple[str, ...] | None  # None: no Disabilities element
    episodes: list[Episode]
    death: int | None = None


@dataclass
class Summary:
    """What a call wrote, for tests and the benchmark."""
    path: Path
    year: int
    children: int = 0
    carried: int = 0  # from overlap_from with an episode open at its reference date
    rereferred: int = 0  # from overlap_from, closed there and referred again
    episodes: int = 0
    nfa: int = 0
    open_at_reference: int = 0  # episodes with no CINclosureDate
    assessments: int = 0
    plans: int = 0
    s47s: int = 0
    cpps: int = 0
    reviews: int = 0
    pre_proceedings: int = 0
    last_number: int = 0  # the highest LAchildID number written
    bytes: int = 0


def child_id(number: int) -> str:
    return f"SYN-{number:06d}"


def upn_for(number: int, la: int = LA) -> str:
    """UPN-shaped (a letter and twelve digits) but plainly fake: 'Z', the fictional LA, a serial."""
    return f"Z{la:03d}{number % 10**9:09d}"

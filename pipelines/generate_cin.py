"""Synthetic DfE Children in Need census returns for a fictional local authority (LA 999).

A return covers the census year 1 April (year - 1) to 31 March (year): every child in need at
any point in it, with each CIN episode (`CINdetails`) open during the year and the assessments,
CIN plans, section 47 enquiries and child protection plans of that episode that were open at some
point in the year. Dates after the reference date have not happened yet, so open items carry no end.

Consecutive years overlap as real returns do: `overlap_from` names last year's return, read as a
stream; every child with an episode still open at its reference date is carried into this year
(same LAchildID, UPN and birth date, the same CINreferralDate, source and need) and the episode's
story goes on: it may close, its plans end, its reviews continue. Some children whose episodes had
closed are referred again. Then new children are added up to `children`, numbered after the
highest LAchildID seen.

The schema era follows `year`: `GenderCurrent` (1/2/0/9) up to 2024, `Sex` (M/F/U) from 2025;
from 2026 some episodes carry a `PreProceedings` module that older parsers do not know (a reader
must ignore unknown elements). Booleans (ReferralNFA, ICPCnotRequired) are 0/1 or false/true, as
the authority's case-management system writes them (drawn from the seed unless given).

Everything is invented: LAchildIDs are `SYN-000123`, UPNs start with `Z` and the fictional LA code
999 (UPN-shaped, never a real pupil's). The file is written child by child, so memory stays flat
whatever the size; the same arguments give the same bytes.
"""
from __future__ import annotations

import argparse
import bisect
import datetime as dt
import os
import random
import sys
from collections.abc import Iterator
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


# ---------------------------------------------------------------- the story of an episode

def _closure(rng: random.Random, ep: Episode, after: int, table) -> None:
    ep.close = after + rng.randint(0, 21)
    ep.reason = _pick(rng, table)


def _cpp(rng: random.Random, ep: Episode, start: int, remaining: int | None = None) -> int:
    """A child protection plan from `start`; returns its end (possibly far in the future)."""
    days = remaining if remaining is not None else (
        _tri(rng, 30, 900, 220) if rng.random() < 0.9 else _tri(rng, 300, 1500, 600))
    end = start + days
    initial = _pick(rng, T_ABUSE)
    latest = initial if rng.random() < 0.9 else _pick(rng, T_ABUSE)
    r = rng.random()
    previous = 0 if r < 0.76 else 1 if r < 0.94 else rng.randint(2, 4)
    plan = CPP(start, end, initial, latest, previous)
    review = start + rng.randint(80, 95)  # first review within three months, then every six
    while review < end:
        plan.reviews.append(review)
        review += rng.randint(170, 185)
    ep.cpps.append(plan)
    if rng.random() < STEP_DOWN:
        ep.plans.append(Plan(end + rng.randint(0, 7)))
        ep.plans[-1].end = ep.plans[-1].start + _tri(rng, 40, 400, 150)
        return ep.plans[-1].end
    return end


def _plan_days(rng: random.Random, need: str) -> int:
    if need == "N2" or rng.random() < 0.2:  # disabled children's plans and some others run for years
        return _tri(rng, 180, 2200, 600)
    return _tri(rng, 30, 540, 150)


def _factors(rng: random.Random) -> tuple[str, ...]:
    k = 1 + (rng.random() < 0.55) + (rng.random() < 0.35) + (rng.random() < 0.2)
    out: list[str] = []
    while len(out) < k:
        f = _pick(rng, T_FACTORS)
        if f not in out:
            out.append(f)
    return tuple(out)


def _episode(rng: random.Random, referral: int, pre: float = 0.0) -> Episode:
    """An episode's whole story from its referral, with dates possibly beyond the reference date."""
    ep = Episode(referral, _pick(rng, T_SOURCE), _pick(rng, T_NEED))
    if rng.random() < NFA:
        ep.nfa = True
        ep.close = referral + (0 if rng.random() < 0.8 else rng.randint(1, 3))
        ep.reason = "RC8"
        return ep
    if rng.random() > ASSESSED:  # closed without an assessment (e.g. moved away)
        _closure(rng, ep, referral + rng.randint(1, 20), T_CLOSE_WORK)
        return ep
    a = Assessment(referral + (0 if rng.random() < 0.4 else rng.randint(1, 10)))
    a.auth = a.start + (_tri(rng, 3, 70, 22) if rng.random() < 0.92 else _tri(rng, 45, 120, 60))
    a.factors = _factors(rng)
    if rng.random() < 0.25 and a.auth - a.start > 20:
        a.review = a.start + rng.randint(10, a.auth - a.start - 5)
    ep.assessments.append(a)
    work_end = None
    if rng.random() < S47_SHARE:
        s = S47(referral + (0 if rng.random() < 0.5 else rng.randint(1, 14)), 0)
        s.target = _add_working_days(s.start, 15)
        if rng.random() < ICPC_HELD:
            s.icpc = s.start + (_tri(rng, 5, 40, 16))
            s.decided, s.not_required, ep.icpc = s.icpc, False, s.icpc
            if rng.random() < CPP_AT_ICPC:
                work_end = _cpp(rng, ep, s.icpc)
        else:
            s.decided, s.not_required = s.start + rng.randint(3, 20), True
        ep.s47s.append(s)
    if work_end is None and rng.random() < PLAN_AFTER_ASSESSMENT:
        p = Plan(a.auth + rng.randint(0, 14))
        p.end = p.start + _plan_days(rng, ep.need)
        ep.plans.append(p)
        work_end = p.end
    if work_end is None:
        after_s47 = max([a.auth] + [s.decided for s in ep.s47s])
        _closure(rng, ep, after_s47, T_CLOSE_ASSESS)
    else:
        _closure(rng, ep, work_end, T_CLOSE_WORK)
    if rng.random() < pre and ep.cpps:
        start = ep.cpps[0].start + rng.randint(30, 200)
        if start < ep.close:
            ep.pre.append(PreProceedings(start, min(ep.close, start + _tri(rng, 30, 250, 110))))
    return ep


def _go_on(rng: random.Random, ep: Episode, since: int) -> None:
    """Continue an episode read from last year's return, open at its reference date `since`: what
    was open there gets an outcome or an end in the future, and the episode a closure."""
    if ep.close is not None:
        return
    ends = []
    for a in ep.assessments:
        if a.auth is None:
            a.auth = max(a.start + 3, since + rng.randint(1, 40))
            a.factors = a.factors or _factors(rng)
        ends.append(a.auth)
    for s in ep.s47s:
        if s.not_required is None and s.icpc is None:
            if rng.random() < ICPC_HELD:
                s.icpc = max(s.start + 3, since + rng.randint(1, 20))
                s.not_required, ep.icpc = False, s.icpc
                if rng.random() < CPP_AT_ICPC:
                    ends.append(_cpp(rng, ep, s.icpc))
            else:
                s.not_required = True
                ends.append(since + rng.randint(1, 15))
    for c in list(ep.cpps):
        if c.end is None:
            c.end = since + _tri(rng, 1, 700, 120)
            review = (c.reviews[-1] + rng.randint(170, 185)) if c.reviews else c.start + rng.randint(80, 95)
            while review < c.end:
                if review > since:
                    c.reviews.append(review)
                review += rng.randint(170, 185)
            ends.append(c.end)
            if rng.random() < STEP_DOWN:
                p = Plan(c.end + rng.randint(0, 7))
                p.end = p.start + _tri(rng, 40, 400, 150)
                ep.plans.append(p)
                ends.append(p.end)
    for p in ep.plans:
        if p.end is None:
            p.end = since + _tri(rng, 1, 900, 160)
        ends.append(p.end)
    for pp in ep.pre:
        if pp.end is None:
            pp.end = since + _tri(rng, 1, 200, 60)
    if not ends:
        ends.append(since + _tri(rng, 1, 300, 60))
    # open at `since`, so it closes after it; with no plan of either kind, as an assessment's outcome
    _closure(rng, ep, max(max(ends), since + 1), T_CLOSE_WORK if ep.plans or ep.cpps else T_CLOSE_ASSESS)


def _last_day(child: Child) -> int:
    """The last day children's services can see the child: the day before their 18th birthday."""
    return _eighteenth(child.birth) - 1 if child.birth is not None else 10**7


def _cap_at_eighteen(rng: random.Random, ep: Episode, birth: int | None) -> None:
    """Children's services end by the 18th birthday: close the episode and everything in it there."""
    if birth is None:
        return
    last = _eighteenth(birth) - 1
    if ep.close is not None and ep.close <= last:
        return
    ep.close = last - rng.randint(0, 20)
    ep.close = max(ep.close, ep.referral)
    ep.reason = "RC6" if rng.random() < 0.3 else "RC7"
    for items in (ep.assessments, ep.plans, ep.s47s, ep.cpps, ep.pre):
        items[:] = [i for i in items if i.start <= ep.close]
    for a in ep.assessments:
        if a.auth is not None and a.auth > ep.close:
            a.auth = ep.close
        if a.review is not None and a.review > ep.close:
            a.review = None
    for p in (*ep.plans, *ep.pre):
        if p.end is None or p.end > ep.close:
            p.end = ep.close
    for c in ep.cpps:
        if c.end is None or c.end > ep.close:
            c.end = ep.close
        c.reviews = [r for r in c.reviews if r <= c.end]
    for s in ep.s47s:
        if s.icpc is not None and s.icpc > ep.close:
            s.icpc, s.not_required = None, True
        if s.not_required is None:
            s.not_required = True
    if ep.icpc is not None and ep.icpc > ep.close:
        ep.icpc = None


def _clip(ep: Episode, start: int, ref: int) -> Episode | None:
    """The episode as a return for [start, ref] shows it: items open at some point in the year, dates
    after the reference date not yet known. None if the episode is not open in the year at all."""
    if ep.referral > ref or (ep.close is not None and ep.close < start):
        return None
    out = Episode(ep.referral, ep.source, ep.need, ep.close, ep.reason, ep.nfa,
                  ep.icpc if ep.icpc is not None and start <= ep.icpc <= ref else None)
    if out.close is not None and out.close > ref:
        out.close = out.reason = None
        out.nfa = False  # the decision comes after the reference date
    for a in ep.assessments:
        if a.start <= ref and (a.auth is None or a.auth >= start):
            done = a.auth is not None and a.auth <= ref
            out.assessments.append(Assessment(a.start, a.review if a.review is not None and a.review <= ref else None,
                                              a.auth if done else None, a.factors if done else ()))
    for p in ep.plans:
        if p.start <= ref and (p.end is None or p.end >= start):
            out.plans.append(Plan(p.start, p.end if p.end is not None and p.end <= ref else None))
    for s in ep.s47s:
        end = s.decided if s.decided is not None else s.icpc
        if s.start <= ref and (end is None or end >= start):
            known = end is not None and end <= ref
            out.s47s.append(S47(s.start, s.target, s.icpc if known else None, s.not_required if known else None,
                                s.decided if known else None))
    for c in ep.cpps:
        if c.start <= ref and (c.end is None or c.end >= start):
            out.cpps.append(CPP(c.start, c.end if c.end is not None and c.end <= ref else None, c.initial,
                                c.latest, c.previous, [r for r in c.reviews if start <= r <= ref]))
    for pp in ep.pre:
        if pp.start <= ref and (pp.end is None or pp.end >= start):
            out.pre.append(PreProceedings(pp.start, pp.end if pp.end is not None and pp.end <= ref else None))
    return out


# ---------------------------------------------------------------- children

class _Year:
    def __init__(self, year: int, pre: float):
        self.year, self.pre = year, pre  # pre: the share of episodes with a PreProceedings module
        self.start = dt.date(year - 1, 4, 1).toordinal()
        self.ref = dt.date(year, 3, 31).toordinal()


def _upn(rng: random.Random, child: Child, y: _Year) -> None:
    age = None if child.birth is None else (y.ref - child.birth) // 365
    if child.birth is None:
        child.upn, child.upn_unknown = None, "UN4"
        return
    missing = 0.9 if age < 4 else 0.45 if age < 5 else 0.04 if age < 16 else 0.15
    if rng.random() < missing:
        child.upn = None
        child.upn_unknown = next(code for limit, code in UPN_UNKNOWN_BY_AGE if age <= limit)
    else:
        child.upn, child.upn_unknown = upn_for(child.number), None
        if rng.random() < 0.01:
            child.former_upn = upn_for(child.number + 500_000_000)


def _new_child(rng: random.Random, number: int, y: _Year) -> Child:
    if rng.random() < UNBORN:
        birth, expected, sex = None, y.ref + rng.randint(1, 150), "U"
        ethnicity = "NOBT" if rng.random() < 0.5 else _pick(rng, T_ETHNICITY)
    else:
        low, high, _ = AGE_BANDS[_pick(rng, T_AGE)]
        birth, expected = y.ref - int(rng.uniform(low, high) * 365.25), None
        r = rng.random()
        sex = "M" if r < 0.515 else "F" if r < 0.99 else "U" if r < 0.996 else "N"
        ethnicity = _pick(rng, T_ETHNICITY)
    if rng.random() < 0.12 and birth is not None:
        disabilities = tuple(dict.fromkeys(_pick(rng, T_DISABILITY) for _ in range(1 + (rng.random() < 0.3))))
    else:
        disabilities = ("NONE",) if rng.random() < 0.95 else None
    child = Child(number, None, None, None, birth, expected, sex, ethnicity, disabilities, [])
    _upn(rng, child, y)
    return child


def _first_referral(rng: random.Random, child: Child, y: _Year, opening: bool) -> int:
    if child.birth is None:  # a pre-birth referral, in the months before the expected date
        return rng.randint(max(y.start, child.expected - 240), y.ref)
    earliest = max(y.start, child.birth)
    if opening and child.birth < y.start - 30:
        r = rng.random()
        back = rng.randint(1, 365) if r < 0.6 else rng.randint(366, 730) if r < 0.85 else rng.randint(731, 1800)
        return max(child.birth, y.start - back)
    return rng.randint(earliest, y.ref)


def _episodes_for(rng: random.Random, child: Child, y: _Year, first: int | None, opening: bool) -> list[Episode]:
    """The child's episodes in the year: a first one (or `first`'s date), perhaps a re-referral after it."""
    out: list[Episode] = []
    shown = None
    for _ in range(20 if opening else 1):  # an opening-caseload episode must still be open on 1 April
        referral = first if first is not None else _first_referral(rng, child, y, opening)
        ep = _episode(rng, referral, y.pre)
        _cap_at_eighteen(rng, ep, child.birth)
        shown = _clip(ep, y.start, y.ref)
        if shown is not None:
            break
    if shown is None:  # nothing long enough: a referral in the year instead
        ep = _episode(rng, _first_referral(rng, child, y, False), y.pre)
        _cap_at_eighteen(rng, ep, child.birth)
        shown = _clip(ep, y.start, y.ref)
    if shown is None:
        return out
    out.append(shown)
    if shown.close is not None and shown.close < y.ref - 14 and rng.random() < REREFERRAL_SAME_YEAR:
        latest = min(y.ref, shown.close + 365, _last_day(child))
        if shown.close + 1 <= latest:
            again = _episode(rng, rng.randint(shown.close + 1, latest), y.pre)
            _cap_at_eighteen(rng, again, child.birth)
            second = _clip(again, y.start, y.ref)
            if second is not None:
                out.append(second)
    return out


# ---------------------------------------------------------------- last year's return, read as a stream

def _day(text: str | None) -> int | None:
    text = (text or "").strip()
    return dt.date.fromisoformat(text[:10]).toordinal() if text else None


def _flag(text: str | None) -> bool | None:
    text = (text or "").strip().lower()
    return None if not text else text in ("1", "true")


GENDER_CURRENT = {"M": "1", "F": "2", "U": "0", "N": "9"}  # schema years up to 2024
_SEX_IN = {"1": "M", "2": "F", "0": "U", "9": "N", "M": "M", "F": "F", "U": "U"}


def _read_child(el) -> Child:
    ids = el.find("ChildIdentifiers")
    ch = el.find("ChildCharacteristics")
    t = ids.findtext
    sex = t("Sex") or t("GenderCurrent") or "0"
    number = int((t("LAchildID") or "0").rsplit("-", 1)[-1])
    dis = ch.find("Disabilities") if ch is not None else None
    child = Child(number, t("UPN") or None, t("UPNunknown") or None, t("FormerUPN") or None,
                  _day(t("PersonBirthDate")), _day(t("ExpectedPersonBirthDate")), _SEX_IN.get(sex.strip(), "U"),
                  (ch.findtext("Ethnicity") if ch is not None else None) or "NOBT",
                  None if dis is None else tuple(d.text for d in dis.iter("Disability") if d.text), [],
                  _day(t("PersonDeathDate")))
    for d in el.iterfind("CINdetails"):
        ep = Episode(_day(d.findtext("CINreferralDate")), d.findtext("ReferralSource") or "10",
                     d.findtext("PrimaryNeedCode") or "N0", _day(d.findtext("CINclosureDate")),
                     d.findtext("ReasonForClosure") or None, bool(_flag(d.findtext("ReferralNFA"))),
                     _day(d.findtext("DateOfInitialCPC")))
        for a in d.iterfind("Assessments"):
            ep.assessments.append(Assessment(
                _day(a.findtext("AssessmentActualStartDate")), _day(a.findtext("AssessmentInternalReviewDate")),
                _day(a.findtext("AssessmentAuthorisationDate")),
                tuple(f.text for f in a.iter("AssessmentFactors") if f.text)))
        for p in d.iterfind("CINPlanDates"):
            ep.plans.append(Plan(_day(p.findtext("CINPlanStartDate")), _day(p.findtext("CINPlanEndDate"))))
        for s in d.iterfind("Section47"):
            start, icpc = _day(s.findtext("S47ActualStartDate")), _day(s.findtext("DateOfInitialCPC"))
            nr = _flag(s.findtext("ICPCnotRequired"))
            nr = nr if icpc is None else False  # decided before that return's reference date, if at all:
            ep.s47s.append(S47(start, _day(s.findtext("InitialCPCtarget")), icpc, nr,
                               icpc if icpc is not None else start if nr is not None else None))
        for c in d.iterfind("ChildProtectionPlans"):
            ep.cpps.append(CPP(_day(c.findtext("CPPstartDate")), _day(c.findtext("CPPendDate")),
                               c.findtext("InitialCategoryOfAbuse") or "NEG", c.findtext("LatestCategoryOfAbuse") or "NEG",
                               int(c.findtext("NumberOfPreviousCPP") or 0),
                               [_day(r.text) for r in c.iter("CPPreviewDate") if r.text]))
        for pp in d.iterfind("PreProceedings"):
            ep.pre.append(PreProceedings(_day(pp.findtext("PreProceedingsStartDate")),
                                         _day(pp.findtext("PreProceedingsEndDate"))))
        child.episodes.append(ep)
    return child


def read_children(path: Path) -> Iterator[Child]:
    """Children of a return written by this module, one at a time (memory flat)."""
    from lxml import etree

    for _, el in etree.iterparse(str(path), tag="Child", resolve_entities=False, no_network=True):
        yield _read_child(el)
        el.clear()
        while el.getprevious() is not None:
            del el.getparent()[0]


def _carry(rng: random.Random, child: Child, y: _Year) -> tuple[str, Child] | None:
    """Last year's child as this year's return shows them: ('carried', child) if an episode was open at
    last year's reference date, ('rereferred', child) for some of the others, else None."""
    if child.death is not None:
        return None
    since = y.start - 1
    if child.birth is None and child.expected is not None:  # born since
        child.birth, child.expected = child.expected + rng.randint(-14, 14), None
        child.sex = "M" if rng.random() < 0.51 else "F"
    if child.birth is not None and _eighteenth(child.birth) <= y.start:
        return None
    open_eps = [ep for ep in child.episodes if ep.close is None]
    kept: list[Episode] = []
    for ep in open_eps:
        _go_on(rng, ep, since)
        _cap_at_eighteen(rng, ep, child.birth)
        shown = _clip(ep, y.start, y.ref)
        if shown is not None:
            kept.append(shown)
    kind = "carried"
    if not kept:
        if open_eps or rng.random() >= REREFERRAL_FROM_PREVIOUS:
            return None
        last_close = max((ep.close or since) for ep in child.episodes) if child.episodes else since
        earliest, latest = max(y.start, last_close + 1, child.birth or 0), min(y.ref, _last_day(child))
        if earliest > latest:
            return None
        kind = "rereferred"
        kept = _episodes_for(rng, child, y, rng.randint(earliest, latest), False)
        if not kept:
            return None
    elif kept[-1].close is not None and kept[-1].close < y.ref - 14 and rng.random() < REREFERRAL_SAME_YEAR:
        latest = min(y.ref, kept[-1].close + 365, _last_day(child))
        if kept[-1].close + 1 <= latest:
            again = _episode(rng, rng.randint(kept[-1].close + 1, latest), y.pre)
            _cap_at_eighteen(rng, again, child.birth)
            if (second := _clip(again, y.start, y.ref)) is not None:
                kept.append(second)
    child.episodes = kept
    if child.upn is None and child.birth is not None and rng.random() < 0.3:
        _upn(rng, child, y)  # some children get a UPN on starting school
    return kind, child


# ---------------------------------------------------------------- writing

class _Writer:
    def __init__(self, gender_current: bool, words: bool, rng: random.Random):
        self.gender_current = gender_current
        self.true, self.false = ("true", "false") if words else ("1", "0")
        self.rng = rng

    def child(self, c: Child, out: list[str]) -> None:
        empty = self.rng.random() < EMPTY_ELEMENTS
        w = out.append

        def opt(tag: str, value: str | None, indent: str) -> None:
            if value is not None:
                w(f"{indent}<{tag}>{value}</{tag}>\n")
            elif empty:
                w(f"{indent}<{tag}/>\n")

        i3, i4, i5, i6, i7 = " " * 6, " " * 8, " " * 10, " " * 12, " " * 14
        w("    <Child>\n" f"{i3}<ChildIdentifiers>\n{i4}<LAchildID>{child_id(c.number)}</LAchildID>\n")
        opt("UPN", c.upn, i4)
        opt("FormerUPN", c.former_upn, i4)
        opt("UPNunknown", c.upn_unknown, i4)
        opt("PersonBirthDate", iso(c.birth) if c.birth is not None else None, i4)
        opt("ExpectedPersonBirthDate", iso(c.expected) if c.expected is not None else None, i4)
        if self.gender_current:
            w(f"{i4}<GenderCurrent>{GENDER_CURRENT[c.sex]}</GenderCurrent>\n")
        else:
            w(f"{i4}<Sex>{'U' if c.sex == 'N' else c.sex}</Sex>\n")
        opt("PersonDeathDate", iso(c.death) if c.death is not None else None, i4)
        w(f"{i3}</ChildIdentifiers>\n{i3}<ChildCharacteristics>\n{i4}<Ethnicity>{c.ethnicity}</Ethnicity>\n")
        if c.disabilities is not None:
            w(f"{i4}<Disabilities>\n")
            for d in c.disabilities:
                w(f"{i5}<Disability>{d}</Disability>\n")
            w(f"{i4}</Disabilities>\n")
        w(f"{i3}</ChildCharacteristics>\n")
        for ep in c.episodes:
            w(f"{i3}<CINdetails>\n{i4}<CINreferralDate>{iso(ep.referral)}</CINreferralDate>\n"
              f"{i4}<ReferralSource>{ep.source}</ReferralSource>\n{i4}<PrimaryNeedCode>{ep.need}</PrimaryNeedCode>\n")
            opt("CINclosureDate", iso(ep.close) if ep.close is not None else None, i4)
            opt("ReasonForClosure", ep.reason, i4)
            opt("DateOfInitialCPC", iso(ep.icpc) if ep.icpc is not None else None, i4)
            w(f"{i4}<ReferralNFA>{self.true if ep.nfa else self.false}</ReferralNFA>\n")
            for a in ep.assessments:
                w(f"{i4}<Assessments>\n{i5}<AssessmentActualStartDate>{iso(a.start)}</AssessmentActualStartDate>\n")
                opt("AssessmentInternalReviewDate", iso(a.review) if a.review is not None else None, i5)
                opt("AssessmentAuthorisationDate", iso(a.auth) if a.auth is not None else None, i5)
                if a.factors:
                    w(f"{i5}<FactorsIdentifiedAtAssessment>\n")
                    for f in a.factors:
                        w(f"{i6}<AssessmentFactors>{f}</AssessmentFactors>\n")
                    w(f"{i5}</FactorsIdentifiedAtAssessment>\n")
                w(f"{i4}</Assessments>\n")
            for p in ep.plans:
                w(f"{i4}<CINPlanDates>\n{i5}<CINPlanStartDate>{iso(p.start)}</CINPlanStartDate>\n")
                opt("CINPlanEndDate", iso(p.end) if p.end is not None else None, i5)
                w(f"{i4}</CINPlanDates>\n")
            for s in ep.s47s:
                w(f"{i4}<Section47>\n{i5}<S47ActualStartDate>{iso(s.start)}</S47ActualStartDate>\n"
                  f"{i5}<InitialCPCtarget>{iso(s.target)}</InitialCPCtarget>\n")
                opt("DateOfInitialCPC", iso(s.icpc) if s.icpc is not None else None, i5)
                nr = None if s.not_required is None else self.true if s.not_required else self.false
                opt("ICPCnotRequired", nr, i5)
                w(f"{i4}</Section47>\n")
            for cp in ep.cpps:
                w(f"{i4}<ChildProtectionPlans>\n{i5}<CPPstartDate>{iso(cp.start)}</CPPstartDate>\n")
                opt("CPPendDate", iso(cp.end) if cp.end is not None else None, i5)
                w(f"{i5}<InitialCategoryOfAbuse>{cp.initial}</InitialCategoryOfAbuse>\n"
                  f"{i5}<LatestCategoryOfAbuse>{cp.latest}</LatestCategoryOfAbuse>\n"
                  f"{i5}<NumberOfPreviousCPP>{cp.previous}</NumberOfPreviousCPP>\n")
                if cp.reviews:
                    w(f"{i5}<Reviews>\n")
                    for r in cp.reviews:
                        w(f"{i6}<CPPreviewDate>{iso(r)}</CPPreviewDate>\n")
                    w(f"{i5}</Reviews>\n")
                w(f"{i4}</ChildProtectionPlans>\n")
            for pp in ep.pre:  # unknown to parsers of earlier specifications
                w(f"{i4}<PreProceedings>\n{i5}<PreProceedingsStartDate>{iso(pp.start)}</PreProceedingsStartDate>\n")
                opt("PreProceedingsEndDate", iso(pp.end) if pp.end is not None else None, i5)
                w(f"{i5}<Meetings>\n{i6}<Meeting>\n{i7}<MeetingDate>{iso(pp.start)}</MeetingDate>\n"
                  f"{i6}</Meeting>\n{i5}</Meetings>\n{i4}</PreProceedings>\n")
            w(f"{i3}</CINdetails>\n")
        w("    </Child>\n")


def _count(s: Summary, c: Child) -> None:
    s.children += 1
    s.last_number = max(s.last_number, c.number)
    for ep in c.episodes:
        s.episodes += 1
        s.nfa += ep.nfa
        s.open_at_reference += ep.close is None
        s.assessments += len(ep.assessments)
        s.plans += len(ep.plans)
        s.s47s += len(ep.s47s)
        s.cpps += len(ep.cpps)
        s.reviews += sum(len(c.reviews) for c in ep.cpps)
        s.pre_proceedings += len(ep.pre)


def write_cin_return(path: Path | str, *, children: int, year: int, seed: int, id_offset: int = 0,
                     overlap_from: Path | str | None = None, la: int = LA, booleans: str | None = None,
                     unknown_modules: bool | None = None) -> Summary:
    """Write a CIN census return for `year` (reference date 31 March `year`) with `children` children.

    `overlap_from`: last year's return (written by this function): its children open at its
    reference date come first, then some re-referred, then new children numbered after
    max(id_offset, the highest number there); without it new children start at id_offset + 1 and
    about 45% of them have an episode that began before the census year. `booleans`: "digits"
    (0/1) or "words" (false/true); None draws one from the seed. `unknown_modules`: write the
    PreProceedings module (default: from 2026). Returns counts of what was written."""
    if children < 0:
        raise ValueError("children must be >= 0")
    path = Path(path)
    if overlap_from is not None and Path(overlap_from).resolve() == path.resolve():
        raise ValueError("overlap_from must be another file than the one written")
    rng = random.Random(f"cin-{seed}-{year}")
    words = (rng.random() < 0.5) if booleans is None else {"digits": False, "words": True}[booleans]
    pre = (year >= 2026) if unknown_modules is None else unknown_modules
    y = _Year(year, PRE_PROCEEDINGS if pre else 0.0)
    writer = _Writer(year <= 2024, words, random.Random(f"cin-layout-{seed}-{year}"))
    summary = Summary(path, year)
    part = path.with_name(path.name + ".part")
    number = id_offset
    try:
        with part.open("w", encoding="utf-8", newline="\n", buffering=1 << 20) as f:
            f.write(_header(year, seed, la, words))
            buf: list[str] = []

            def emit(c: Child) -> None:
                writer.child(c, buf)
                _count(summary, c)
                if len(buf) > 20_000:
                    f.write("".join(buf))
                    buf.clear()

            if overlap_from is not None:
                for old in read_children(Path(overlap_from)):
                    number = max(number, old.number)
                    if summary.children >= children:
                        break
                    if (got := _carry(rng, old, y)) is not None:
                        kind, c = got
                        setattr(summary, kind, getattr(summary, kind) + 1)
                        emit(c)
            while summary.children < children:
                number += 1
                c = _new_child(rng, number, y)
                c.episodes = _episodes_for(rng, c, y, None, overlap_from is None and rng.random() < OPENING_CASELOAD)
                if c.episodes:
                    emit(c)
            f.write("".join(buf))
            f.write("  </Children>\n</Message>\n")
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)
    summary.bytes = path.stat().st_size
    return summary


def _header(year: int, seed: int, la: int, words: bool) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Message>\n  <Header>\n    <CollectionDetails>\n'
        f"      <Collection>CIN</Collection>\n      <Year>{year}</Year>\n"
        f"      <ReferenceDate>{year}-03-31</ReferenceDate>\n    </CollectionDetails>\n    <Source>\n"
        f"      <SourceLevel>L</SourceLevel>\n      <LEA>{la:03d}</LEA>\n"
        f"      <SoftwareCode>SYNTHETIC-CIN-{'W' if words else 'D'}</SoftwareCode>\n"
        f"      <Release>pm-generate-cin 1</Release>\n      <SerialNo>{seed % 1000:03d}</SerialNo>\n"
        f"      <DateTime>{year}-04-20T09:00:00</DateTime>\n    </Source>\n  </Header>\n  <Children>\n")


def write_cin_series(folder: Path | str, *, years: range | list[int], children: int, seed: int) -> list[Summary]:
    """Consecutive years' returns in `folder` (cin_<year>.xml), each overlapping the one before."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out, previous = [], None
    for year in years:
        s = write_cin_return(folder / f"cin_{year}.xml", children=children, year=year, seed=seed,
                             overlap_from=previous)
        out.append(s)
        previous = s.path
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--children", type=int, default=10_000)
    parser.add_argument("--year", type=int, default=2025, help="census year: reference date 31 March YEAR")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--id-offset", type=int, default=0)
    parser.add_argument("--overlap-from", type=Path, help="last year's return: carry its open children over")
    parser.add_argument("--booleans", choices=("digits", "words"))
    args = parser.parse_args(argv)
    s = write_cin_return(args.out, children=args.children, year=args.year, seed=args.seed, id_offset=args.id_offset,
                         overlap_from=args.overlap_from, booleans=args.booleans)
    print(f"wrote {s.path}: {s.children:,} children ({s.carried:,} carried, {s.rereferred:,} re-referred), "
          f"{s.episodes:,} episodes, {s.bytes / 1e6:.1f} MB", file=sys.stderr)


if __name__ == "__main__":
    main()

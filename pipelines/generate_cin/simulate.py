"""An episode's story from referral to closure, new children, and last year's children carried on."""
from __future__ import annotations

import datetime as dt
import random

from .model import (AGE_BANDS, ASSESSED, CPP, CPP_AT_ICPC, ICPC_HELD, NFA, PLAN_AFTER_ASSESSMENT,
                    REREFERRAL_FROM_PREVIOUS, REREFERRAL_SAME_YEAR, S47, S47_SHARE, STEP_DOWN, T_ABUSE, T_AGE,
                    T_CLOSE_ASSESS, T_CLOSE_WORK, T_DISABILITY, T_ETHNICITY, T_FACTORS, T_NEED, T_SOURCE, UNBORN,
                    UPN_UNKNOWN_BY_AGE, Assessment, Child, Episode, Plan, PreProceedings, _add_working_days,
                    _eighteenth, _pick, _tri, upn_for)


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


# ---------------------------------------------------------------- last year's children

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

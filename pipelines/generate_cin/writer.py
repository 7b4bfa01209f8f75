"""Writing a return: the XML of each child, the header, and the year-by-year series."""
from __future__ import annotations

import os
import random
from pathlib import Path

from .model import EMPTY_ELEMENTS, LA, OPENING_CASELOAD, PRE_PROCEEDINGS, Child, Summary, child_id, iso
from .reader import read_children
from .simulate import _carry, _episodes_for, _new_child, _Year

GENDER_CURRENT = {"M": "1", "F": "2", "U": "0", "N": "9"}  # schema years up to 2024


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

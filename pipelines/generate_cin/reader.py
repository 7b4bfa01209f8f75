"""Reading a return back, one child at a time: last year's return for `overlap_from`."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from .model import CPP, S47, Assessment, Child, Episode, Plan, PreProceedings


def _day(text: str | None) -> int | None:
    text = (text or "").strip()
    return dt.date.fromisoformat(text[:10]).toordinal() if text else None


def _flag(text: str | None) -> bool | None:
    text = (text or "").strip().lower()
    return None if not text else text in ("1", "true")


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
    """Children of a return written by write_cin_return, one at a time (memory flat)."""
    from lxml import etree

    for _, el in etree.iterparse(str(path), tag="Child", resolve_entities=False, no_network=True):
        yield _read_child(el)
        el.clear()
        while el.getprevious() is not None:
            del el.getparent()[0]

"""DfE Children in Need census returns (XML), schema years 2017 to 2026.

Stream-parsed child by child (memory flat in the file's size). Each `Child` is one unit:
it yields a `children` row (agency social_care), one `referrals` row per `CINdetails`
and an `episodes` row per referral, assessment, section 47 enquiry, CIN plan and child
protection plan start. Episodes have no id in the return, so theirs is built from type
and date and qualified by the child's pseudonym (Part.per_child): the same referral in
two years' returns is the same row. `LAchildID` becomes the pseudonym; `UPN`,
`FormerUPN`, names and every other element not read here never leave this module.
Rows carry the return's `ReferenceDate` (Batch.as_of), so where returns overlap the
latest-dated one wins, whatever order they are loaded in (loader._replace_older).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import polars as pl
from lxml import etree

from ..readers import LINE, FileProblem, RawTable
from ..schema import KINDS
from . import Batch, Context, Part, Source
from .xml_safety import iterparse, syntax_problem

BATCH_CHILDREN = 20_000  # children per batch: bounds memory whatever the file's size
AGENCY = "social_care"
GENDER_CURRENT = {"1": "M", "2": "F", "0": "U", "9": "U"}  # schema years up to 2024; Sex (M/F/U) from 2025
EPISODE_DATES = {  # element holding a start date -> episode_type (each inside its own repeating group)
    "CINreferralDate": "referral", "AssessmentActualStartDate": "assessment", "S47ActualStartDate": "s47",
    "CINPlanStartDate": "cin_plan", "CPPstartDate": "cp_plan",
}
LABELS = {
    "children": {"child_id": "LAchildID", "ethnicity": "Ethnicity", "sex": "GenderCurrent/Sex",
                 "date_of_birth": "PersonBirthDate", "disability": "Disabilities"},
    "referrals": {"child_id": "LAchildID", "referral_date": "CINreferralDate", "referral_nfa": "ReferralNFA",
                  "primary_need": "PrimaryNeedCode", "closure_date": "CINclosureDate"},
    "episodes": {"child_id": "LAchildID", "episode_date": "|".join(EPISODE_DATES)},  # which one: the value says
}
COLUMNS = {
    "children": ("child_id", "agency", "ethnicity", "sex", "date_of_birth", "disability"),
    "referrals": ("child_id", "agency", "referral_date", "referral_nfa", "primary_need", "closure_date"),
    "episodes": ("episode_id", "child_id", "agency", "episode_type", "episode_date"),
}


def _clean(text: str | None) -> str | None:
    """An element's text, trimmed; empty is not recorded."""
    return (text.strip() or None) if text else None


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


class _Rows:
    """Rows per kind for one batch, filled child by child. Elements are found by lxml in C
    (find, findtext, iter with tag names), with the return's namespace, if any, prefixed once."""

    def __init__(self, namespace: str):
        self.rows: dict[str, list[tuple]] = {kind: [] for kind in COLUMNS}
        self.children, self.namespace = 0, namespace
        ns = namespace
        self.tag = {name: ns + name for name in (
            "ChildIdentifiers", "LAchildID", "PersonBirthDate", "GenderCurrent", "Sex", "ChildCharacteristics",
            "Ethnicity", "Disabilities", "Disability", "CINdetails", "CINreferralDate", "ReferralNFA",
            "PrimaryNeedCode", "CINclosureDate")}
        self.episode_tags = {ns + name: kind for name, kind in EPISODE_DATES.items()}
        self.person_tags = [ns + name for name in (
            "LAchildID", "PersonBirthDate", "GenderCurrent", "Sex", "Ethnicity", "Disabilities")]
        self.referral_tags = {ns + name for name in ("CINreferralDate", "ReferralNFA", "PrimaryNeedCode", "CINclosureDate")}

    def child(self, element) -> None:
        """One `Child` element's rows, all with the element's line. Children are walked with
        iterchildren and matched by full tag (lxml's find and findtext parse a path on every call)."""
        tag, line = self.tag, element.sourceline
        person: dict[str, str | None] = {}
        details = []
        for section in element.iterchildren():  # tag filters run in C: only wanted elements become Python objects
            name = section.tag
            if name == tag["ChildIdentifiers"] or name == tag["ChildCharacteristics"]:
                for item in section.iterchildren(*self.person_tags):
                    person[item.tag] = item.text
            elif name == tag["CINdetails"]:
                details.append(section)
        child_id, dob = _clean(person.get(tag["LAchildID"])), _clean(person.get(tag["PersonBirthDate"]))
        gender = _clean(person.get(tag["Sex"])) or _clean(person.get(tag["GenderCurrent"]))
        sex = GENDER_CURRENT.get(gender, gender.upper()) if gender else None
        ethnicity = _clean(person.get(tag["Ethnicity"]))
        disability = None
        if tag["Disabilities"] in person:
            codes = {(_clean(d.text) or "").upper() for d in element.iter(tag["Disability"])}
            disability = None if not codes else "N" if codes <= {"NONE", ""} else "Y"
        rows = self.rows
        rows["children"].append((child_id, AGENCY, ethnicity.upper() if ethnicity else None, sex, dob, disability, line))
        referrals, episodes, wanted = set(), set(), self.referral_tags
        for cin in details:
            for item in cin.iter(*self.episode_tags):
                kind, date = self.episode_tags[item.tag], _clean(item.text)
                if (kind, date) not in episodes:
                    episodes.add((kind, date))
                    rows["episodes"].append((f"cin-{kind}-{date}", child_id, AGENCY, kind, date, line))
            fields = {item.tag: item.text for item in cin.iterchildren(*wanted)}
            referral = _clean(fields.get(tag["CINreferralDate"]))
            if referral is None or referral not in referrals:  # a missing date still goes on to be quarantined
                referrals.add(referral)
                need = _clean(fields.get(tag["PrimaryNeedCode"]))
                rows["referrals"].append((child_id, AGENCY, referral, _clean(fields.get(tag["ReferralNFA"])),
                                          need.upper() if need else None, _clean(fields.get(tag["CINclosureDate"])),
                                          line))
        self.children += 1

    def batch(self, as_of: dt.date) -> Batch:
        parts = []
        for kind, rows in self.rows.items():
            schema = {**{c: pl.String for c in COLUMNS[kind]}, LINE: pl.Int64}
            frame = pl.DataFrame(rows, schema=schema, orient="row")
            parts.append(Part(KINDS[kind], RawTable(frame, excel=False, bad_rows=[]), labels=LABELS[kind],
                              per_child=("episode_id",) if kind == "episodes" else ()))
        return Batch(parts, as_of=as_of)


def reference_date(header, name: str) -> dt.date:
    """The return's ReferenceDate (31 March of its Year when absent). Refuses a return of
    another collection (the school census has the same <Message> root)."""
    found = {_local(e.tag): _clean(e.text) for e in header.iter() if _local(e.tag) in ("Collection", "Year", "ReferenceDate")}
    if found.get("Collection") and found["Collection"].upper() != "CIN":
        raise FileProblem(name, f"is a {found['Collection']!r} collection return, not a CIN census return",
                          line=header.sourceline)
    text, year = found.get("ReferenceDate"), found.get("Year")
    try:
        if text:
            return dt.date.fromisoformat(text[:10])
        if year and year.isdigit():
            return dt.date(int(year), 3, 31)
    except ValueError:
        raise FileProblem(name, "Header ReferenceDate is not a date (expected YYYY-MM-DD)", line=header.sourceline,
                          column="ReferenceDate") from None
    raise FileProblem(name, "the Header has neither a ReferenceDate nor a Year, so the return cannot be dated",
                      line=header.sourceline)


def batches(path: Path, context: Context) -> Iterator[Batch]:
    name, as_of, rows = context.name, None, None
    try:
        for _, element in iterparse(path, name, events=("end",), tag=("{*}Header", "{*}Child")):
            if rows is None:  # the first element tells the return's namespace, if it has one
                rows = _Rows(element.tag[:element.tag.index("}") + 1] if element.tag.startswith("{") else "")
            if _local(element.tag) == "Header":
                as_of = reference_date(element, name)
            else:
                if as_of is None:
                    raise FileProblem(name, "a Child comes before the Header, so the return cannot be dated",
                                      line=element.sourceline)
                rows.child(element)
                if rows.children >= BATCH_CHILDREN:
                    yield rows.batch(as_of)
                    rows = _Rows(rows.namespace)
            element.clear(keep_tail=False)
            parent = element.getparent()
            while parent is not None and element.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as exc:
        raise syntax_problem(name, exc) from None
    if as_of is None:
        raise FileProblem(name, "has no Header, so the return cannot be dated (is it a CIN census return?)", line=1)
    yield rows.batch(as_of)


SOURCE = Source("cin_census", "DfE Children in Need census return (XML)", "xml", lambda root: root == "Message",
                batches, ("children", "episodes", "referrals"), priority=10)

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


def _text(element) -> str | None:
    text = element.text
    return text.strip() if text is not None else None


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


class _Rows:
    """Column lists per kind for one batch, filled child by child."""

    def __init__(self):
        self.rows = {kind: {c: [] for c in (*columns, LINE)} for kind, columns in COLUMNS.items()}
        self.children = 0

    def add(self, kind: str, line: int, **values) -> None:
        table = self.rows[kind]
        for column in COLUMNS[kind]:
            table[column].append(values.get(column))
        table[LINE].append(line)

    def child(self, element) -> None:
        """One `Child` element's rows, all with the element's line."""
        line, child_id = element.sourceline, None
        person: dict[str, str | None] = {}
        details = []
        for section in element.iterchildren():
            name = _local(section.tag)
            if name == "ChildIdentifiers":
                for item in section.iterchildren():
                    person[_local(item.tag)] = _text(item)
            elif name == "ChildCharacteristics":
                for item in section.iterchildren():
                    item_name = _local(item.tag)
                    if item_name == "Ethnicity":
                        person["Ethnicity"] = _text(item)
                    elif item_name == "Disabilities":
                        codes = [(_text(d) or "").upper() for d in item.iterchildren()]
                        person["Disabilities"] = None if not codes else "N" if set(codes) <= {"NONE", ""} else "Y"
            elif name == "CINdetails":
                details.append(section)
        child_id = person.get("LAchildID")
        gender = person.get("Sex") or person.get("GenderCurrent")
        sex = GENDER_CURRENT.get(gender, gender) if gender is not None else None
        self.add("children", line, child_id=child_id, agency=AGENCY, ethnicity=(person.get("Ethnicity") or "").upper(),
                 sex=sex.upper() if sex else sex, date_of_birth=person.get("PersonBirthDate"),
                 disability=person.get("Disabilities"))
        referrals, episodes = set(), set()
        for cin in details:
            fields: dict[str, str | None] = {}
            for item in cin.iter():
                name = _local(item.tag)
                if name in EPISODE_DATES:
                    date = _text(item)
                    if (EPISODE_DATES[name], date) not in episodes:
                        episodes.add((EPISODE_DATES[name], date))
                        self.add("episodes", line, episode_id=f"cin-{EPISODE_DATES[name]}-{date}", child_id=child_id,
                                 agency=AGENCY, episode_type=EPISODE_DATES[name], episode_date=date)
                if item.getparent() is cin:
                    fields[name] = _text(item)
            referral = fields.get("CINreferralDate")
            if referral is None or referral not in referrals:  # a missing date still goes on to be quarantined
                referrals.add(referral)
                self.add("referrals", line, child_id=child_id, agency=AGENCY, referral_date=referral,
                         referral_nfa=fields.get("ReferralNFA"), primary_need=(fields.get("PrimaryNeedCode") or "").upper(),
                         closure_date=fields.get("CINclosureDate"))
        self.children += 1

    def batch(self, as_of: dt.date) -> Batch:
        parts = []
        for kind, table in self.rows.items():
            frame = pl.DataFrame({c: pl.Series(c, v, dtype=pl.Int64 if c == LINE else pl.String)
                                  for c, v in table.items()})
            parts.append(Part(KINDS[kind], RawTable(frame, excel=False, bad_rows=[]), labels=LABELS[kind],
                              per_child=("episode_id",) if kind == "episodes" else ()))
        return Batch(parts, as_of=as_of)


def reference_date(header, name: str) -> dt.date:
    """The return's ReferenceDate (31 March of its Year when absent). Refuses a return of
    another collection (the school census has the same <Message> root)."""
    found = {_local(e.tag): _text(e) for e in header.iter() if _local(e.tag) in ("Collection", "Year", "ReferenceDate")}
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
    name, as_of, rows = context.name, None, _Rows()
    try:
        for _, element in iterparse(path, name, events=("end",), tag=("{*}Header", "{*}Child")):
            if _local(element.tag) == "Header":
                as_of = reference_date(element, name)
            else:
                if as_of is None:
                    raise FileProblem(name, "a Child comes before the Header, so the return cannot be dated",
                                      line=element.sourceline)
                rows.child(element)
                if rows.children >= BATCH_CHILDREN:
                    yield rows.batch(as_of)
                    rows = _Rows()
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

"""The synthetic CIN census return writer: well-formed, counted, era-true, overlapping, reproducible, streamed."""
from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from pipelines.generate_cin import write_cin_return, write_cin_series

REPO = Path(__file__).resolve().parent.parent


def parse(path: Path) -> etree._Element:
    return etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()


def children_of(root) -> dict[str, etree._Element]:
    return {c.findtext("ChildIdentifiers/LAchildID"): c for c in root.iterfind("Children/Child")}


def day(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


@pytest.fixture(scope="module")
def pair(tmp_path_factory) -> tuple:
    """Two consecutive years, the second carried on from the first."""
    out = tmp_path_factory.mktemp("cin")
    first, second = write_cin_series(out, years=[2024, 2025], children=3000, seed=5)
    return first, second, parse(first.path), parse(second.path)


def test_well_formed_with_the_counts_asked_for(tmp_path):
    s = write_cin_return(tmp_path / "r.xml", children=1234, year=2025, seed=2)
    root = parse(s.path)
    assert root.tag == "Message"
    assert root.findtext("Header/CollectionDetails/Collection") == "CIN"
    assert root.findtext("Header/CollectionDetails/Year") == "2025"
    assert root.findtext("Header/CollectionDetails/ReferenceDate") == "2025-03-31"
    assert root.findtext("Header/Source/LEA") == "999"
    kids = root.findall("Children/Child")
    assert len(kids) == s.children == 1234
    assert len({k.findtext("ChildIdentifiers/LAchildID") for k in kids}) == 1234
    assert all(k.find("CINdetails") is not None for k in kids)  # every child is in need in the year
    for tag, counted in (("CINdetails", s.episodes), ("Assessments", s.assessments), ("CINPlanDates", s.plans),
                         ("Section47", s.s47s), ("ChildProtectionPlans", s.cpps), ("CPPreviewDate", s.reviews)):
        assert len(root.findall(f".//{tag}")) == counted > 0, tag
    assert sum(d.find("CINclosureDate") is None or not d.findtext("CINclosureDate")
               for d in root.iter("CINdetails")) == s.open_at_reference
    assert s.bytes == s.path.stat().st_size


def test_zero_children_is_still_a_return(tmp_path):
    root = parse(write_cin_return(tmp_path / "r.xml", children=0, year=2024, seed=1).path)
    assert root.find("Children") is not None and len(root.find("Children")) == 0


@pytest.mark.parametrize("year", [2023, 2024, 2025, 2026])
def test_schema_era_follows_the_year(tmp_path, year):
    root = parse(write_cin_return(tmp_path / "r.xml", children=600, year=year, seed=year).path)
    ids = root.findall("Children/Child/ChildIdentifiers")
    if year <= 2024:
        assert all(i.find("Sex") is None for i in ids)
        assert {i.findtext("GenderCurrent") for i in ids} <= {"0", "1", "2", "9"}
        assert {"1", "2"} <= {i.findtext("GenderCurrent") for i in ids}
    else:
        assert all(i.find("GenderCurrent") is None for i in ids)
        assert {i.findtext("Sex") for i in ids} <= {"M", "F", "U"}
        assert {"M", "F"} <= {i.findtext("Sex") for i in ids}
    # the 2026-era module older parsers do not know; never before 2026 unless asked for
    assert (len(root.findall(".//CINdetails/PreProceedings")) > 0) == (year >= 2026)


def test_booleans_as_digits_or_words(tmp_path):
    for style, values in (("digits", {"0", "1"}), ("words", {"false", "true"})):
        root = parse(write_cin_return(tmp_path / f"{style}.xml", children=500, year=2024, seed=1, booleans=style).path)
        assert {e.text for e in root.iter("ReferralNFA")} == values
        assert {e.text for e in root.iter("ICPCnotRequired")} <= values
    drawn = {parse(write_cin_return(tmp_path / "d.xml", children=1, year=2024, seed=seed).path)
             .findtext(".//ReferralNFA") for seed in range(12)}
    assert drawn & {"0", "1"} and drawn & {"true", "false"}  # the seed picks the system's style


def test_same_arguments_same_bytes_other_seed_other_data(tmp_path):
    a = write_cin_return(tmp_path / "a.xml", children=800, year=2024, seed=9)
    b = write_cin_return(tmp_path / "b.xml", children=800, year=2024, seed=9)
    c = write_cin_return(tmp_path / "c.xml", children=800, year=2024, seed=10)
    assert a.path.read_bytes() == b.path.read_bytes()
    assert a.path.read_bytes() != c.path.read_bytes()
    # a carried-on year is reproducible too
    d = write_cin_return(tmp_path / "d.xml", children=800, year=2025, seed=9, overlap_from=a.path)
    e = write_cin_return(tmp_path / "e.xml", children=800, year=2025, seed=9, overlap_from=b.path)
    assert d.path.read_bytes() == e.path.read_bytes()
    assert not list(tmp_path.glob("*.part"))


def test_consecutive_years_overlap(pair):
    first, second, root1, root2 = pair
    kids1, kids2 = children_of(root1), children_of(root2)
    ref1, start2 = dt.date(first.year, 3, 31), dt.date(first.year, 4, 1)
    open1 = {cid: k for cid, k in kids1.items()
             if any(not d.findtext("CINclosureDate") for d in k.iterfind("CINdetails"))}
    assert 0.3 < len(open1) / len(kids1) < 0.6
    both = set(kids1) & set(kids2)
    assert second.carried + second.rereferred == len(both)
    assert 0.3 < second.carried / len(kids2) < 0.6 and second.rereferred > 0
    grown_up = {cid for cid, k in open1.items()  # 18 early in the new year: their episode closed before it began
                if (day(k.findtext("ChildIdentifiers/PersonBirthDate")) or start2) < dt.date(first.year - 18, 5, 1)}
    assert set(open1) - grown_up <= both  # every child open at 31 March is in next year's return (unless 18)
    for cid in both:
        old, new = kids1[cid], kids2[cid]
        assert old.findtext("ChildIdentifiers/UPN") == new.findtext("ChildIdentifiers/UPN") or \
            not old.findtext("ChildIdentifiers/UPN")
        assert old.findtext("ChildCharacteristics/Ethnicity") == new.findtext("ChildCharacteristics/Ethnicity")
        if old.findtext("ChildIdentifiers/PersonBirthDate"):
            assert old.findtext("ChildIdentifiers/PersonBirthDate") == new.findtext("ChildIdentifiers/PersonBirthDate")
        gender = old.findtext("ChildIdentifiers/GenderCurrent")
        if gender in ("1", "2") and old.findtext("ChildIdentifiers/PersonBirthDate"):
            assert new.findtext("ChildIdentifiers/Sex") == {"1": "M", "2": "F"}[gender]
        old_open = {(d.findtext("CINreferralDate"), d.findtext("ReferralSource"), d.findtext("PrimaryNeedCode"))
                    for d in old.iterfind("CINdetails") if not d.findtext("CINclosureDate")}
        new_all = {(d.findtext("CINreferralDate"), d.findtext("ReferralSource"), d.findtext("PrimaryNeedCode"))
                   for d in new.iterfind("CINdetails")}
        if cid not in grown_up:
            assert old_open <= new_all, cid  # the same referral, open across 31 March, in both returns
        for d in new.iterfind("CINdetails"):  # a referral from before the year can only be a carried one
            if day(d.findtext("CINreferralDate")) < start2:
                assert day(d.findtext("CINreferralDate")) <= ref1
                assert d.findtext("CINreferralDate") in {r for r, _, _ in old_open}
    new_only = set(kids2) - set(kids1)
    assert min(int(c[4:]) for c in new_only) > max(int(c[4:]) for c in kids1)
    for cid in new_only:  # brand-new children were referred in the year
        assert all(day(d.findtext("CINreferralDate")) >= start2 for d in kids2[cid].iterfind("CINdetails"))


def test_id_offset(tmp_path):
    root = parse(write_cin_return(tmp_path / "r.xml", children=5, year=2025, seed=1, id_offset=41_000).path)
    assert list(children_of(root)) == [f"SYN-{n:06d}" for n in range(41_001, 41_006)]


def test_dates_are_consistent(pair):
    for s, root in ((pair[0], pair[2]), (pair[1], pair[3])):
        ref, start = dt.date(s.year, 3, 31), dt.date(s.year - 1, 4, 1)
        for child in root.iterfind("Children/Child"):
            birth = day(child.findtext("ChildIdentifiers/PersonBirthDate"))
            expected = day(child.findtext("ChildIdentifiers/ExpectedPersonBirthDate"))
            assert (birth is None) != (expected is None)
            assert birth is None or birth <= ref
            adult = None if birth is None else (dt.date(birth.year + 18, 3, 1) if (birth.month, birth.day) == (2, 29)
                                                else birth.replace(year=birth.year + 18))
            for d in child.iterfind("CINdetails"):
                referral, closure = day(d.findtext("CINreferralDate")), day(d.findtext("CINclosureDate"))
                assert referral <= ref and (closure is None or start <= closure <= ref)
                assert closure is None or closure >= referral
                assert adult is None or (closure or ref) < adult  # children's services end at 18
                assert (closure is None) == (not d.findtext("ReasonForClosure"))
                if d.findtext("ReferralNFA") in ("1", "true"):
                    assert closure is not None and (closure - referral).days <= 3
                    assert not any(d.find(t) is not None for t in ("Assessments", "Section47", "ChildProtectionPlans"))
                dates = [day(e.text) for e in d.iter() if e.tag != "InitialCPCtarget" and e.text
                         and re.fullmatch(r"\d{4}-\d\d-\d\d", e.text)]
                assert all(referral <= x <= ref for x in dates)
                for cpp in d.iterfind("ChildProtectionPlans"):
                    begin, end = day(cpp.findtext("CPPstartDate")), day(cpp.findtext("CPPendDate"))
                    assert end is None or end >= max(begin, start)
                    assert all(begin < day(r.text) <= (end or ref) for r in cpp.iter("CPPreviewDate"))
                for a in d.iterfind("Assessments"):
                    auth = day(a.findtext("AssessmentAuthorisationDate"))
                    assert auth is None or auth >= day(a.findtext("AssessmentActualStartDate"))
                    assert (auth is None) == (a.find("FactorsIdentifiedAtAssessment") is None)


def test_distributions_look_like_england(pair):
    root = pair[3]
    kids = root.findall("Children/Child")
    ethnicity = Counter(k.findtext("ChildCharacteristics/Ethnicity") for k in kids)
    assert 0.52 < ethnicity["WBRI"] / len(kids) < 0.68
    assert len(ethnicity) >= 15  # nearly every DfE code appears
    start = dt.date(pair[1].year - 1, 4, 1)
    in_year = [d for d in root.iter("CINdetails") if day(d.findtext("CINreferralDate")) >= start]
    nfa = sum(d.findtext("ReferralNFA") in ("1", "true") for d in in_year) / len(in_year)
    assert 0.07 < nfa < 0.13
    sources = Counter(d.findtext("ReferralSource") for d in in_year)
    assert [s for s, _ in sources.most_common(2)] == ["6", "2A"]  # police, then schools
    assert Counter(d.findtext("PrimaryNeedCode") for d in in_year).most_common(1)[0][0] == "N1"
    rereferred = 0
    for k in kids:
        dates = sorted(day(d.findtext("CINreferralDate")) for d in k.iterfind("CINdetails"))
        rereferred += any((b - a).days <= 365 for a, b in zip(dates, dates[1:]))
    assert rereferred > 0.02 * len(kids)
    # obviously synthetic identifiers
    assert all(re.fullmatch(r"SYN-\d{6}", k.findtext("ChildIdentifiers/LAchildID")) for k in kids)
    upns = [u.text for u in root.iter("UPN", "FormerUPN") if u.text]  # empty elements: "not recorded"
    assert upns and all(re.fullmatch(r"Z999\d{9}", u) for u in upns)
    assert all(not u.text or re.fullmatch(r"UN\d", u.text) for u in root.iter("UPNunknown"))


def test_loads_into_the_tool_with_nothing_quarantined(tmp_path, cfg):
    from pipelines.loader import load_file

    for summary in write_cin_series(tmp_path, years=[2025, 2026], children=300, seed=3):
        result = load_file(summary.path, cfg)
        assert result.status == "loaded", result.message
        assert result.rows_quarantined == 0 and result.rows_read == 300


def test_streams_with_flat_memory(tmp_path):
    """20,000 children (about 23 MB of XML) and the next year carried on from them, in a fresh process:
    the peak resident memory grows by far less than the files' size."""
    code = f"""
import resource
from pipelines.generate_cin import write_cin_return
d = {str(tmp_path)!r}
write_cin_return(d + "/w0.xml", children=300, year=2024, seed=4)
write_cin_return(d + "/w1.xml", children=300, year=2025, seed=4, overlap_from=d + "/w0.xml")
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
a = write_cin_return(d + "/a.xml", children=20_000, year=2024, seed=4)
b = write_cin_return(d + "/b.xml", children=20_000, year=2025, seed=4, overlap_from=d + "/a.xml")
print(base, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, a.bytes, b.bytes, b.carried)
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120, check=True)
    base_kb, peak_kb, size_a, size_b, carried = map(int, out.stdout.split())
    assert size_a > 15e6 and carried > 5000
    assert (peak_kb - base_kb) * 1024 < min(size_a, size_b) / 3


def test_command_line(tmp_path):
    out = tmp_path / "x.xml"
    subprocess.run([sys.executable, "-m", "pipelines.generate_cin", "--out", str(out), "--children", "50",
                    "--year", "2024", "--seed", "1"], cwd=REPO, check=True, capture_output=True, timeout=60)
    assert len(parse(out).findall("Children/Child")) == 50

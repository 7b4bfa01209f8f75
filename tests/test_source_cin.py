"""DfE CIN census returns: every schema era, overlapping returns in any order, broken XML, no identifier stored."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.loader import load_file
from pipelines.store import read_connection

from conftest import cli_json, run_cli

UPN, FORMER_UPN = "Z820000000017", "Z820000000099"


def child(la_id: str, *, year: int, ethnicity: str = "WBRI", gender: str = "1", dob: str = "2015-06-01",
          details: str = "", extra: str = "") -> str:
    """One <Child>; the gender element follows the schema year (GenderCurrent to 2024, Sex from 2025)."""
    sex = f"<Sex>{gender}</Sex>" if year >= 2025 else f"<GenderCurrent>{gender}</GenderCurrent>"
    return (f"<Child><ChildIdentifiers><LAchildID>{la_id}</LAchildID><UPN>{UPN}</UPN><FormerUPN>{FORMER_UPN}</FormerUPN>"
            f"<UPNunknown/><PersonBirthDate>{dob}</PersonBirthDate>{sex}</ChildIdentifiers>"
            f"<ChildCharacteristics><Ethnicity>{ethnicity}</Ethnicity><Disabilities><Disability>NONE</Disability>"
            f"</Disabilities></ChildCharacteristics>{details}{extra}</Child>\n")


def cin(referral: str, nfa: str = "0", *, closure: str = "", need: str = "N1", inner: str = "") -> str:
    closed = f"<CINclosureDate>{closure}</CINclosureDate>" if closure else ""
    return (f"<CINdetails><CINreferralDate>{referral}</CINreferralDate><ReferralSource>1A</ReferralSource>"
            f"<PrimaryNeedCode>{need}</PrimaryNeedCode>{closed}<ReferralNFA>{nfa}</ReferralNFA>{inner}</CINdetails>")


def message(children: list[str], *, year: int, reference: str | None = None, root: str = "Message",
            namespace: str = "") -> str:
    reference = reference or f"{year}-03-31"
    xmlns = f' xmlns="{namespace}"' if namespace else ""
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<{root}{xmlns}>\n<Header><CollectionDetails><Collection>CIN'
            f"</Collection><Year>{year}</Year><ReferenceDate>{reference}</ReferenceDate></CollectionDetails>"
            "<Source><SourceLevel>L</SourceLevel><LEA>999</LEA></Source></Header>\n<Children>\n"
            + "".join(children) + f"</Children>\n</{root}>\n")


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return folder / name


def rows(cfg, sql: str) -> list[tuple]:
    with read_connection(cfg.db_path) as con:
        return con.execute(sql).fetchall()


def stored(cfg) -> dict[str, list[tuple]]:
    """Every landing table's rows without load bookkeeping, in a stable order."""
    out = {}
    for table in ("children", "episodes", "referrals"):
        out[table] = rows(cfg, f"SELECT * EXCLUDE (load_id, source_line) FROM landing_{table} ORDER BY ALL")
    return out


FULL = [
    child("SYN-1", year=2024, ethnicity=" wbri ", details=cin(
        "2023-05-02", "0", need="n1", inner="<Assessments><AssessmentActualStartDate>2023-05-03</AssessmentActualStartDate>"
        "<AssessmentFactors>2A</AssessmentFactors></Assessments><Assessments><AssessmentActualStartDate>2023-05-03"
        "</AssessmentActualStartDate></Assessments><CINPlanDates><CINPlanStartDate>2023-06-01</CINPlanStartDate>"
        "</CINPlanDates><Section47><S47ActualStartDate>2023-05-04</S47ActualStartDate><DateOfInitialCPC>2023-05-20"
        "</DateOfInitialCPC></Section47><ChildProtectionPlans><CPPstartDate>2023-05-20</CPPstartDate><Reviews>"
        "<CPPreviewDate>2023-08-01</CPPreviewDate></Reviews></ChildProtectionPlans>"
        "<PreProceedings><MeetingDate>2023-06-10</MeetingDate></PreProceedings>")),
    child("SYN-2", year=2024, ethnicity="BAFR", gender="2", details=cin("2023-09-02", "true", closure="2023-09-03")
          + cin("2024-01-02", "false")),
    child("SYN-3", year=2024, ethnicity="APKN", gender="9", details=cin("2023-11-11", " 1 ", closure="2023-11-12")),
]


def test_a_return_maps_to_children_referrals_and_episodes(tmp_path, cfg):
    result = load_file(write(tmp_path, "cin2024.xml", message(FULL, year=2024)), cfg)
    assert (result.status, result.kind, result.source) == ("loaded", "children,episodes,referrals", "cin_census")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 3, 0)
    assert rows(cfg, "SELECT agency, ethnicity, sex, date_of_birth, disability FROM landing_children "
                     "ORDER BY ethnicity") == [("social_care", "APKN", "U", "2015-06", "N"),
                                               ("social_care", "BAFR", "F", "2015-06", "N"),
                                               ("social_care", "WBRI", "M", "2015-06", "N")]
    assert rows(cfg, "SELECT episode_type, count(*) FROM landing_episodes GROUP BY 1 ORDER BY 1") == [
        ("assessment", 1), ("cin_plan", 1), ("cp_plan", 1), ("referral", 4), ("s47", 1)]  # the repeated assessment once
    assert rows(cfg, "SELECT referral_date::VARCHAR, referral_nfa, primary_need, closure_date::VARCHAR "
                     "FROM landing_referrals ORDER BY 1") == [
        ("2023-05-02", "N", "N1", None), ("2023-09-02", "Y", "N1", "2023-09-03"),
        ("2023-11-11", "Y", "N1", "2023-11-12"), ("2024-01-02", "N", "N1", None)]
    assert rows(cfg, "SELECT DISTINCT as_of::VARCHAR FROM landing_referrals") == [("2024-03-31",)]


@pytest.mark.parametrize("year, genders, expected", [
    (2017, ("1", "2", "0"), ["F", "M", "U"]),
    (2024, ("9", "2", "1"), ["F", "M", "U"]),
    (2025, ("M", "f ", "U"), ["F", "M", "U"]),
    (2026, ("m", "F", "u"), ["F", "M", "U"]),
])
def test_every_schema_era_gives_the_same_characteristics(tmp_path, cfg, year, genders, expected):
    children = [child(f"SYN-{i}", year=year, gender=g, details=cin(f"{year - 1}-0{i + 4}-01", "1" if i else "true"))
                for i, g in enumerate(genders)]
    result = load_file(write(tmp_path, f"cin{year}.xml", message(children, year=year)), cfg)
    assert (result.status, result.rows_loaded, result.rows_quarantined) == ("loaded", 3, 0), result.summary()
    assert [r[0] for r in rows(cfg, "SELECT sex FROM landing_children ORDER BY sex")] == expected
    assert rows(cfg, "SELECT count(*) FROM landing_referrals WHERE referral_nfa = 'Y'") == [(3,)]


def test_a_namespaced_return_loads(tmp_path, cfg):
    text = message(FULL[:1], year=2024, namespace="http://www.dfe.gov.uk/CIN")
    result = load_file(write(tmp_path, "ns.xml", text), cfg)
    assert (result.status, result.rows_loaded) == ("loaded", 1), result.summary()
    assert rows(cfg, "SELECT count(*) FROM landing_episodes") == [(5,)]


def test_a_bad_child_is_quarantined_whole_and_the_rest_loads(tmp_path, cfg):
    bad = child("SYN-9", year=2024, gender="7", details=cin("2023-13-02") + cin("2023-10-01"))
    no_id = child("", year=2024, details=cin("2023-10-05"))
    text = message([FULL[0], bad, FULL[1], no_id], year=2024)
    result = load_file(write(tmp_path, "mixed.xml", text), cfg)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 2, 2)
    lines = text.splitlines()
    bad_line = next(i for i, line in enumerate(lines, 1) if "SYN-9" in line)
    problems = cli_json("quarantine")
    by_line = {}
    for p in problems:
        by_line.setdefault(p["line"], []).append((p["column"], p["value"], p["reason"]))
    assert set(by_line) == {bad_line, bad_line + 2}
    assert ("GenderCurrent/Sex", "7", "not one of: M, F, U") in by_line[bad_line]
    assert any(c == "CINreferralDate" and v == "2023-13-02" for c, v, _ in by_line[bad_line])
    assert any(c == "LAchildID" and r == "required value is missing" for c, _, r in by_line[bad_line + 2])
    # nothing of the bad child is stored, not even its good referral
    assert rows(cfg, "SELECT count(*) FROM landing_referrals WHERE referral_date = DATE '2023-10-01'") == [(0,)]
    assert rows(cfg, "SELECT count(DISTINCT child_key) FROM landing_episodes") == [(2,)]


def _overlapping(tmp_path: Path) -> tuple[Path, Path]:
    """2024 and 2025 returns sharing SYN-2's open referral; SYN-2's ethnicity corrected in 2025."""
    earlier = message(FULL, year=2024)
    later = message([
        child("SYN-2", year=2025, ethnicity="BCRB", gender="F", details=cin("2024-01-02", "0", closure="2024-06-01")
              + cin("2024-09-01", "0")),
        child("SYN-4", year=2025, ethnicity="MWBC", gender="M", details=cin("2024-04-10", "1", closure="2024-04-11")),
    ], year=2025)
    return write(tmp_path / "in", "cin2024.xml", earlier), write(tmp_path / "in", "cin2025.xml", later)


@pytest.mark.parametrize("order", ["oldest first", "newest first"])
def test_overlapping_returns_count_once_and_the_latest_return_wins(tmp_path, cfg, order):
    earlier, later = _overlapping(tmp_path)
    files = [earlier, later] if order == "oldest first" else [later, earlier]
    results = [load_file(f, cfg) for f in files]
    assert all(r.status == "loaded" for r in results)
    # SYN-2's referral of 2024-01-02 is in both returns: once, with the 2025 return's closure date
    assert rows(cfg, "SELECT referral_date::VARCHAR, closure_date::VARCHAR, as_of::VARCHAR FROM landing_referrals "
                     "WHERE referral_date = DATE '2024-01-02'") == [("2024-01-02", "2024-06-01", "2025-03-31")]
    assert rows(cfg, "SELECT count(*) FROM landing_referrals") == [(6,)]
    assert rows(cfg, "SELECT count(*) FROM landing_episodes WHERE episode_type = 'referral'") == [(6,)]
    # characteristics from the 2025 return
    assert rows(cfg, "SELECT count(*) FROM landing_children WHERE ethnicity = 'BCRB'") == [(1,)]
    assert rows(cfg, "SELECT count(*) FROM landing_children WHERE ethnicity = 'BAFR'") == [(0,)]
    assert rows(cfg, "SELECT count(*) FROM dim_child WHERE ethnicity = 'BCRB' AND ethnic_group = 'Black'") == [(1,)]
    if order == "newest first":
        assert "not replaced: a source dated later already holds them" in results[1].message


def test_load_order_does_not_change_what_is_stored(tmp_path, cfg, monkeypatch):
    earlier, later = _overlapping(tmp_path)
    for f in (earlier, later):
        load_file(f, cfg)
    oldest_first = stored(cfg)
    monkeypatch.setenv("PM_DATA_DIR", str(tmp_path / "other"))
    from pipelines.config import settings
    other = settings()
    other.key_path.parent.mkdir(parents=True, exist_ok=True)
    other.key_path.write_bytes(cfg.key_path.read_bytes())
    other.key_path.chmod(0o600)
    for f in (later, earlier):
        load_file(f, other)
    assert stored(other) == oldest_first


def test_the_same_return_twice_changes_nothing(tmp_path, cfg):
    earlier, later = _overlapping(tmp_path)
    load_file(earlier, cfg)
    load_file(later, cfg)
    before = stored(cfg)
    again = load_file(later, cfg)
    assert again.status == "unchanged"
    older_again = load_file(earlier, cfg)  # not the latest load: read again, and loses wherever 2025 holds the key
    assert older_again.status == "loaded"
    assert stored(cfg) == before


def test_new_indicators_by_hand(tmp_path, cfg):
    """Referrals: SYN-1 2023-05-02 (N); SYN-2 2023-09-02 (Y), 2024-01-02 (N, 122 days later: a re-referral);
    SYN-3 2023-11-11 (Y); SYN-5 2023-04-01 and 2024-03-31 (365 days: a re-referral), NFA not recorded;
    SYN-6 2022-01-10 (N), the first referral in the data: with no year before it, it cannot be judged
    a re-referral or not, and every other referral can (it is at least 365 days later)."""
    extra = [child("SYN-5", year=2024, details=cin("2023-04-01", "") + cin("2024-03-31", "")),
             child("SYN-6", year=2024, details=cin("2022-01-10", "0"))]
    load_file(write(tmp_path, "c.xml", message([*FULL, *extra], year=2024)), cfg)
    cells = {c["indicator"]: c for c in cli_json("indicators", "--unsuppressed") if c["by"] is None}
    nfa, again = cells["practice.referral_nfa"], cells["practice.rereferral_12m"]
    assert (nfa["numerator"], nfa["denominator"]) == (2, 5)
    assert (again["numerator"], again["denominator"]) == (2, 6)
    seen = cells["practice.child_seen"]
    assert seen["denominator"] == 0 and seen["value"] is None  # the CIN census has no child-seen flag: not "not seen"
    assert cli_json("indicators", "--unsuppressed", "--by", "ethnic_group")  # and every breakdown answers


def test_no_identifier_reaches_the_database_quarantine_or_output(tmp_path, cfg):
    bad = child("SYN-SECRET-77", year=2024, gender="7", details=cin("2023-10-01"))
    text = message([*FULL, bad], year=2024)
    code, out, err = run_cli("load", write(tmp_path, "ids.xml", text))
    assert code == 0, err
    run_cli("release")
    blob = cfg.db_path.read_bytes()
    for secret in ("SYN-SECRET-77", "SYN-1", UPN, FORMER_UPN):
        assert secret.encode() not in blob, secret
        assert secret not in out + err
    quarantine = cli_json("quarantine")
    assert quarantine and all("SYN-" not in str(q["value"]) and UPN not in str(q["value"]) for q in quarantine)


@pytest.mark.parametrize("name, text, message_part", [
    ("truncated.xml", message(FULL, year=2024)[:-200], "not well-formed XML"),
    ("school.xml", message(FULL, year=2024).replace("<Collection>CIN", "<Collection>SC"), "not a CIN census return"),
    ("other_root.xml", message(FULL, year=2024, root="Return"), "root element <Return>"),
    ("undated.xml", message(FULL, year=2024).replace("<Year>2024</Year><ReferenceDate>2024-03-31</ReferenceDate>", ""),
     "cannot be dated"),
    ("bad_reference.xml", message(FULL, year=2024, reference="31/13/2024"), "ReferenceDate is not a date"),
    ("entities.xml", '<?xml version="1.0"?><!DOCTYPE Message [<!ENTITY a "aaaa">]><Message>&a;</Message>',
     "DOCTYPE or ENTITY"),
])
def test_broken_returns_fail_whole_and_change_nothing(tmp_path, cfg, name, text, message_part):
    load_file(write(tmp_path, "good.xml", message(FULL[:1], year=2023)), cfg)
    before = stored(cfg)
    result = load_file(write(tmp_path, name, text), cfg)
    assert result.status == "failed" and message_part in result.message and name in result.message, result.message
    assert stored(cfg) == before
    assert cli_json("loads")[-1]["status"] == "failed"

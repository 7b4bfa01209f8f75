"""The Standard Safeguarding Dataset (SSD) source: each table recognised and mapped, bad values
quarantined under the SSD column's name, any load order giving the same figures, and no name,
UPN, NHS number or person id ever stored, echoed or exported.

Every value is synthetic: person ids QZP…, names no one has, UPNs and NHS numbers from
ranges never issued (NHS numbers starting 999 are reserved for testing).
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines import exports, quality
from pipelines.loader import WITHHELD, load_file
from pipelines.readers import LINE
from pipelines.schema import KINDS
from pipelines.sources import Context, open_file, registry
from pipelines.sources import ssd
from pipelines.store import read_connection

from conftest import cli_json, overall, run_cli, settings_in
from test_identifiers import sql_hits

FORENAME, SURNAME = "Zephyrine", "Quillbottom"
UPN, NHS, LEGACY = "X99000000", "999000482", "LEGACY-QZ-"  # each row adds a digit or two
DOBS = ("2012-05-02", "2015-11-20", "2017-03-09", "2019-01-15", "2014-08-30", "2012-13-45")

PERSON_HEADER = ["pers_legacy_id", "pers_person_id", "pers_upn", "pers_forename", "pers_surname", "pers_sex",
                 "pers_gender", "pers_ethnicity", "pers_dob", "pers_single_unique_id", "pers_upn_unknown",
                 "pers_send_flag", "pers_expected_dob", "pers_death_date", "pers_is_mother", "pers_nationality"]
# (person id, pers_sex, pers_gender, pers_ethnicity as the extract sends it)
PEOPLE = [("QZP1001", "M", "M", "wbri "),      # line 2: White; code in lower case with padding
          ("QZP1002", "F", "F", " BAFR"),      # 3: Black
          ("QZP1003", "NULL", "I", "a pkn"),   # 4: Asian; sex from gender, I = indeterminate = U
          ("QZP1004", "F", "F", "REFU"),       # 5: refused: Not known
          ("QZP1005", "M", "M", "ZZZZ"),       # 6: quarantined: not an ethnicity code
          ("QZP1006", "F", "F", "WBRI")]       # 7: quarantined: date of birth 2012-13-45
PEOPLE_ROWS = [[f"{LEGACY}{n}", pid, f"{UPN}{n:04d}", f"{FORENAME}{n}", f"{SURNAME}{n}", sex, gender, eth,
                f"{DOBS[n - 1]} 00:00:00.000", f"{NHS}{n}", "NULL", "N", "NULL", "NULL", "NULL", "British"]
               for n, (pid, sex, gender, eth) in enumerate(PEOPLE, start=1)]

CIN_VISIT_HEADER = ["cinv_cin_visit_id", "cinv_person_id", "cinv_cin_visit_date", "cinv_cin_visit_seen",
                    "cinv_cin_visit_seen_alone", "cinv_cin_visit_bedroom"]
CIN_VISITS = [["5001", "QZP1001", "2024-05-02 14:30:00.000", "Y", "N", "Y"],     # line 2
              ["5002", "QZP1001", "2024-06-10 09:00:00.000", "1", "1", "0"],     # 3: 1/0 flags
              ["5003", "QZP1002", "2024-07-01 10:15:00.000", "Y", "Y", "N"],     # 4
              ["5004", "QZP1003", "2024-07-03 11:00:00.000", "N", "N", "N"],     # 5
              ["5005", "QZP1004", "2024-08-01 16:00:00.000", "true", "false", ""],  # 6: true/false
              ["5006", "QZP1002", "2024-08-02 00:00:00.000", "NULL", "NULL", "NULL"],  # 7: not recorded
              ["5007", "QZP1001", "2024-02-30 10:00:00.000", "Y", "Y", "Y"],     # 8: no 30 February
              ["5008", "QZP1003", "2024-09-01 10:00:00.000", "X", "N", "N"]]     # 9: X is no flag
CP_VISIT_HEADER = ["cppv_cp_visit_id", "cppv_person_id", "cppv_cp_plan_id", "cppv_cp_visit_date",
                   "cppv_cp_visit_seen", "cppv_cp_visit_seen_alone", "cppv_cp_visit_bedroom"]
CP_VISITS = [["7001", "QZP1002", "900", "2024-05-20 13:00:00.000", "Y", "Y", "Y"],
             ["7002", "QZP1002", "900", "2024-06-20 13:00:00.000", "Y", "N", "Y"],
             ["7003", "QZP1004", "901", "2024-06-21 13:00:00.000", "N", "N", "N"],
             ["5001", "QZP1001", "902", "2024-05-02 14:30:00.000", "Y", "Y", "Y"]]  # same number as a CIN visit

# Worked by hand from the rows above. Episodes loaded: CIN visits 5001-5006 and CP visits 7001-7003, 5001
# (5007 and 5008 are quarantined; 5006 records neither flag).
#   White (QZP1001): cinv-5001 Y/N, cinv-5002 Y/Y, cppv-5001 Y/Y   -> seen 3/3, alone 2/3
#   Black (QZP1002): cinv-5003 Y/Y, cppv-7001 Y/Y, cppv-7002 Y/N   -> seen 3/3, alone 2/3 (cinv-5006 blank)
#   Asian (QZP1003): cinv-5004 N/N                                 -> seen 0/1, alone 0/1
#   Not known (QZP1004, REFU): cinv-5005 Y/N, cppv-7003 N/N        -> seen 1/2, alone 0/2
EXPECTED = {
    "practice.child_seen": {None: (7, 9), "White": (3, 3), "Black": (3, 3), "Asian": (0, 1), "Not known": (1, 2)},
    "practice.seen_alone": {None: (4, 9), "White": (2, 3), "Black": (2, 3), "Asian": (0, 1), "Not known": (0, 2)},
}
# Visits load before people: until ssd_person lands every child is 'Not known'.
VISITS_ONLY = {"practice.child_seen": {None: (7, 9), "Not known": (7, 9)},
               "practice.seen_alone": {None: (4, 9), "Not known": (4, 9)}}

PERSON_IDS = [p[0] for p in PEOPLE]
MARKERS = ([f"{FORENAME}{n}" for n in range(1, 7)] + [f"{SURNAME}{n}" for n in range(1, 7)]
           + [f"{UPN}{n:04d}" for n in range(1, 7)] + [f"{NHS}{n}" for n in range(1, 7)]
           + [f"{LEGACY}{n}" for n in range(1, 7)] + PERSON_IDS + list(DOBS))
IDENTIFYING_COLUMNS = "pers_forename,pers_surname,pers_upn,pers_single_unique_id,pers_legacy_id,pers_dob"


def write(folder: Path, name: str, header: list[str], rows: list[list[str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / name, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return folder / name


@pytest.fixture
def extract(tmp_path) -> dict[str, Path]:
    folder = tmp_path / "ssd"
    return {"person": write(folder, "ssd_person.csv", PERSON_HEADER, PEOPLE_ROWS),
            "cin_visits": write(folder, "ssd_cin_visits.csv", CIN_VISIT_HEADER, CIN_VISITS),
            "cp_visits": write(folder, "ssd_cp_visits.csv", CP_VISIT_HEADER, CP_VISITS)}


def rows(db: Path, sql: str) -> list[tuple]:
    with read_connection(db) as con:
        return con.execute(sql).fetchall()


def figures(db: Path) -> dict[str, dict]:
    """(numerator, denominator) of child_seen and seen_alone, overall and by ethnic group, unsuppressed."""
    cells = (list(overall(cli_json("indicators", "--unsuppressed", "--db", db)).values())
             + cli_json("indicators", "--unsuppressed", "--by", "ethnic_group", "--db", db))
    return {i: {c["group"]: (c["numerator"], c["denominator"]) for c in cells if c["indicator"] == i} for i in EXPECTED}


def every_indicator(db: Path) -> list[dict]:
    return (cli_json("indicators", "--unsuppressed", "--db", db)
            + cli_json("indicators", "--unsuppressed", "--by", "ethnic_group", "--db", db))


# --- recognition ---------------------------------------------------------------------------------

@pytest.mark.parametrize("header, table", [
    (PERSON_HEADER, "ssd_person"), (CIN_VISIT_HEADER, "ssd_cin_visits"), (CP_VISIT_HEADER, "ssd_cp_visits"),
    (["cine_referral_id", "cine_person_id", "cine_referral_date"], "ssd_cin_episodes"),
    (["cina_assessment_id", "cina_person_id"], "ssd_cin_assessments"),
    (["s47e_s47_enquiry_id", "s47e_person_id"], "ssd_s47_enquiry"),
    (["cin_plan_id", "cinp_person_id", "cinp_cin_plan_start_date"], "ssd_cin_plans"),  # Mosaic's plan id
    (["cppl_cp_plan_id", "cppl_person_id"], "ssd_cp_plans"),
    (["pers_person_id", "child_id", "agency"], "ssd_person"),  # its record id alone is enough
    (["cinv_cin_visit_id"], "ssd_cin_visits"),
])
def test_each_table_is_recognised_by_its_columns(header, table):
    assert ssd.recognise(header).name == table
    assert ssd.claims(header + [LINE])


def test_contract_files_are_left_to_the_contract_source():
    for kind in KINDS.values():
        assert not ssd.claims([c.name for c in kind.columns] + [LINE]), kind.name
    assert not ssd.claims(["child_id", "agency", "pers_note"])  # one SSD-like name is not an SSD table
    assert not ssd.claims([c.name for c in KINDS["episodes"].columns] + ["cin_plan_id"])  # a name anyone may use
    names = [s.name for s in registry()]
    assert names.index("ssd") < names.index("contract")


def test_the_ssd_source_reads_an_ssd_file(extract, cfg):
    opened = open_file(extract["person"], Context("ssd_person.csv"))
    assert opened.source.name == "ssd"
    assert load_file(extract["cin_visits"], cfg).source == "ssd"


def test_parts_hold_only_contract_columns(extract, tmp_path):
    """Names, UPN, NHS number and legacy id never leave the source, whatever the loader does next."""
    for path in extract.values():
        for batch in open_file(path, Context(path.name)).batches:
            for part in batch.parts:
                contract = {c.name for c in part.kind.columns}
                assert set(part.table.frame.columns) <= contract | {LINE}, path.name
                assert all(part.table.frame[c].dtype == pl.String for c in part.table.frame.columns if c != LINE)
                assert part.table.frame[LINE].dtype == pl.Int64
                text = part.table.frame.write_csv()
                assert [m for m in MARKERS[:30] if m in text] == [], path.name


@pytest.mark.parametrize("sent, stored", [
    ("2024-05-02 14:30:00.000", "2024-05-02"), ("2024-05-02T14:30:00", "2024-05-02"), ("2024-05-02", "2024-05-02"),
    ("2024-05-02 09:05", "2024-05-02"), ("02/05/2024 14:30", "02/05/2024"), ("02/05/2024", "02/05/2024"),
    (" 2024-05-02 00:00:00.000 ", "2024-05-02"), ("NULL", None), ("", None),
    ("2024-02-30 10:00:00.000", "2024-02-30 10:00:00.000"),  # no such day: kept whole for the quarantine
    ("2024-05-02 14:30:00.000 BST", "2024-05-02 14:30:00.000 BST"), ("May 2024", "May 2024"),
])
def test_sql_server_timestamps_become_dates(sent, stored):
    field = ssd.Field(("d",), ssd._date)
    assert pl.DataFrame({"d": [sent]}).select(field.expr(["d"], "d"))["d"][0] == stored


# --- mapping -------------------------------------------------------------------------------------

def test_person_maps_to_children(extract, cfg):
    result = load_file(extract["person"], cfg)
    assert (result.status, result.kind, result.rows_read, result.rows_loaded, result.rows_quarantined) == (
        "loaded", "children", 6, 4, 2)
    stored = rows(cfg.db_path, "SELECT agency, ethnicity, sex, date_of_birth, source_line FROM landing_children "
                               "ORDER BY source_line")
    assert stored == [("social_care", "WBRI", "M", "2012-05", 2), ("social_care", "BAFR", "F", "2015-11", 3),
                      ("social_care", "APKN", "U", "2017-03", 4), ("social_care", "REFU", "F", "2019-01", 5)]
    quarantined = [(q["file"], q["line"], q["column"], q["value"]) for q in cli_json("quarantine")]
    assert quarantined == [("ssd_person.csv", 6, "pers_ethnicity", "ZZZZ"),
                           ("ssd_person.csv", 7, "pers_dob", WITHHELD)]  # a date of birth is never shown


@pytest.mark.parametrize("sex, gender, stored", [
    ("M", "F", "M"), ("", "F", "F"), ("NULL", "I", "U"), ("Female", "", "F"), ("male", "", "M"),
    ("Unknown", "", "U"), ("", "", None), ("I", "", "U"), ("U", "M", "U"),
])
def test_sex_from_pers_sex_then_pers_gender(tmp_path, cfg, sex, gender, stored):
    row = PEOPLE_ROWS[0][:5] + [sex, gender] + PEOPLE_ROWS[0][7:]
    load_file(write(tmp_path, "people.csv", PERSON_HEADER, [row]), cfg)
    assert rows(cfg.db_path, "SELECT sex FROM landing_children") == [(stored,)]


def test_an_unknown_sex_is_quarantined_under_the_ssd_columns(tmp_path, cfg):
    row = PEOPLE_ROWS[0][:5] + ["", "Non-binary"] + PEOPLE_ROWS[0][7:]
    result = load_file(write(tmp_path, "people.csv", PERSON_HEADER, [row]), cfg)
    assert (result.rows_loaded, result.rows_quarantined) == (0, 1)
    assert [(q["line"], q["column"], q["value"]) for q in cli_json("quarantine")] == [
        (2, "pers_sex/pers_gender", "Non-binary")]


@pytest.mark.parametrize("sent, stored", [
    ("WBRI", "WBRI"), ("wbri", "WBRI"), ("  W BRI  ", "WBRI"), ("bafr\t", "BAFR"), ("White - British", "WBRI"),
    ("Indian", "AIND"), ("NULL", None), ("", None),
])
def test_ethnicity_codes_with_spaces_or_lower_case(tmp_path, cfg, sent, stored):
    row = PEOPLE_ROWS[0][:7] + [sent] + PEOPLE_ROWS[0][8:]
    load_file(write(tmp_path, "people.csv", PERSON_HEADER, [row]), cfg)
    assert rows(cfg.db_path, "SELECT ethnicity FROM landing_children") == [(stored,)]


def test_cin_visits_map_to_episodes(extract, cfg):
    result = load_file(extract["cin_visits"], cfg)
    assert (result.status, result.kind, result.rows_read, result.rows_loaded, result.rows_quarantined) == (
        "loaded", "episodes", 8, 6, 2)
    stored = rows(cfg.db_path, "SELECT episode_id, agency, episode_type, CAST(episode_date AS VARCHAR), child_seen, "
                               "seen_alone, source_line FROM landing_episodes ORDER BY source_line")
    assert stored == [("cinv-5001", "social_care", "cin_visit", "2024-05-02", "Y", "N", 2),
                      ("cinv-5002", "social_care", "cin_visit", "2024-06-10", "Y", "Y", 3),
                      ("cinv-5003", "social_care", "cin_visit", "2024-07-01", "Y", "Y", 4),
                      ("cinv-5004", "social_care", "cin_visit", "2024-07-03", "N", "N", 5),
                      ("cinv-5005", "social_care", "cin_visit", "2024-08-01", "Y", "N", 6),
                      ("cinv-5006", "social_care", "cin_visit", "2024-08-02", None, None, 7)]
    quarantined = [(q["line"], q["column"], q["value"], q["reason"]) for q in cli_json("quarantine")]
    assert quarantined == [
        (8, "cinv_cin_visit_date", "2024-02-30 10:00:00.000", "not a valid date (expected YYYY-MM-DD or DD/MM/YYYY)"),
        (9, "cinv_cin_visit_seen", "X", "not one of: Y, N")]


def test_cp_visits_map_to_episodes_without_colliding_with_cin_visits(extract, cfg):
    load_file(extract["cin_visits"], cfg)
    result = load_file(extract["cp_visits"], cfg)
    assert (result.kind, result.rows_loaded, result.rows_quarantined) == ("episodes", 4, 0)
    stored = rows(cfg.db_path, "SELECT episode_id, episode_type, CAST(episode_date AS VARCHAR), child_seen, seen_alone "
                               "FROM landing_episodes WHERE episode_type = 'cp_visit' ORDER BY source_line")
    assert stored == [("cppv-7001", "cp_visit", "2024-05-20", "Y", "Y"), ("cppv-7002", "cp_visit", "2024-06-20", "Y", "N"),
                      ("cppv-7003", "cp_visit", "2024-06-21", "N", "N"), ("cppv-5001", "cp_visit", "2024-05-02", "Y", "Y")]
    assert rows(cfg.db_path, "SELECT count(*) FROM landing_episodes WHERE episode_id LIKE '%-5001'") == [(2,)]


def test_visits_of_a_person_map_to_the_same_pseudonym(extract, cfg):
    for path in extract.values():
        load_file(path, cfg)
    linked = rows(cfg.db_path, "SELECT c.ethnicity, count(*) FROM landing_episodes e "
                               "JOIN landing_children c USING (child_key) GROUP BY ALL ORDER BY 1")
    assert linked == [("APKN", 1), ("BAFR", 4), ("REFU", 2), ("WBRI", 3)]


def test_cin_episodes_map_to_referrals_and_referral_episodes(tmp_path, cfg):
    header = ["cine_referral_id", "cine_person_id", "cine_referral_date", "cine_cin_primary_need_code",
              "cine_referral_source_code", "cine_referral_source_desc", "cine_referral_outcome_json",
              "cine_referral_nfa", "cine_close_reason", "cine_close_date", "cine_referral_team",
              "cine_referral_worker_id"]
    outcome = json.dumps({"COMMENTS": f"{FORENAME}1 was seen"})
    path = write(tmp_path, "ssd_cin_episodes.csv", header, [
        ["801", "QZP1001", "2024-04-03 09:12:00.000", "n1", "1A", "Police", outcome, "N", "RC8",
         "2024-10-01 00:00:00.000", "Team A", "W1"],
        ["802", "QZP1002", "2024-05-04 10:00:00.000", "N4", "1B", "School", outcome, "Y", "RC7", "NULL", "Team A", "W1"],
        ["803", "QZP1003", "2024-06-05 10:00:00.000", "N4", "1B", "School", outcome, "1", "RC7",
         "2024-06-01 00:00:00.000", "Team A", "W1"],  # closed before it was made
        ["804", "QZP1004", "2024-06-05 10:00:00.000", "N12", "1B", "School", outcome, "0", "", "", "Team A", "W1"]])
    result = load_file(path, cfg)
    assert (result.status, result.kind, result.rows_read, result.rows_loaded, result.rows_quarantined) == (
        "loaded", "episodes,referrals", 4, 2, 2)
    assert rows(cfg.db_path, "SELECT agency, CAST(referral_date AS VARCHAR), referral_nfa, primary_need, "
                             "CAST(closure_date AS VARCHAR) FROM landing_referrals ORDER BY source_line") == [
        ("social_care", "2024-04-03", "N", "N1", "2024-10-01"), ("social_care", "2024-05-04", "Y", "N4", None)]
    assert rows(cfg.db_path, "SELECT episode_id, episode_type, CAST(episode_date AS VARCHAR), source_line "
                             "FROM landing_episodes ORDER BY source_line") == [
        ("cine-801", "referral", "2024-04-03", 2), ("cine-802", "referral", "2024-05-04", 3)]
    quarantined = [(q["line"], q["column"], q["value"]) for q in cli_json("quarantine")]
    assert quarantined == [(4, "cine_close_date", "2024-06-01"), (5, "cine_cin_primary_need_code", "N12")]
    assert rows(cfg.db_path, "SELECT count(*) FROM landing_episodes WHERE source_line IN (4, 5)") == [(0,)]
    assert FORENAME.encode() not in cfg.db_path.read_bytes()  # the outcome JSON's comments are never read


@pytest.mark.parametrize("name, header, row, expected", [
    ("ssd_cin_assessments.csv",
     ["cina_assessment_id", "cina_person_id", "cina_referral_id", "cina_assessment_start_date",
      "cina_assessment_child_seen", "cina_assessment_auth_date", "cina_assessment_outcome_json",
      "cina_assessment_outcome_nfa", "cina_assessment_team", "cina_assessment_worker_id"],
     ["61", "QZP1001", "801", "2024-04-05 00:00:00.000", "Y", "2024-05-01 00:00:00.000", "{}", "N", "T", "W"],
     ("cina-61", "assessment", "2024-04-05", "Y")),
    ("ssd_s47_enquiry.csv",
     ["s47e_s47_enquiry_id", "s47e_referral_id", "s47e_person_id", "s47e_s47_start_date", "s47e_s47_end_date",
      "s47e_s47_nfa", "s47e_s47_outcome_json", "s47e_s47_completed_by_team", "s47e_s47_completed_by_worker_id"],
     ["71", "801", "QZP1001", "2024-04-06 11:00:00.000", "NULL", "N", "{}", "T", "W"],
     ("s47e-71", "s47", "2024-04-06", None)),
    ("ssd_cin_plans.csv",  # Mosaic names the plan id cin_plan_id
     ["cin_plan_id", "cinp_referral_id", "cinp_person_id", "cinp_cin_plan_start_date", "cinp_cin_plan_end_date",
      "cinp_cin_plan_team", "cinp_cin_plan_worker_id"],
     ["81", "801", "QZP1001", "2024-04-20 00:00:00.000", "NULL", "T", "W"],
     ("cinp-81", "cin_plan", "2024-04-20", None)),
    ("ssd_cp_plans.csv",
     ["cppl_cp_plan_id", "cppl_referral_id", "cppl_icpc_id", "cppl_person_id", "cppl_cp_plan_start_date",
      "cppl_cp_plan_end_date", "cppl_cp_plan_ola", "cppl_cp_plan_initial_category", "cppl_cp_plan_latest_category"],
     ["91", "801", "55", "QZP1001", "2024-05-01 00:00:00.000", "NULL", "N", "NEG", "NEG"],
     ("cppl-91", "cp_plan", "2024-05-01", None)),
])
def test_assessments_enquiries_and_plans_map_to_episodes(tmp_path, cfg, name, header, row, expected):
    result = load_file(write(tmp_path, name, header, [row]), cfg)
    assert (result.status, result.kind, result.rows_loaded, result.rows_quarantined) == ("loaded", "episodes", 1, 0)
    assert rows(cfg.db_path, "SELECT episode_id, episode_type, CAST(episode_date AS VARCHAR), child_seen "
                             "FROM landing_episodes") == [expected]


# --- refusals ------------------------------------------------------------------------------------

@pytest.mark.parametrize("header, missing", [
    ([c for c in PERSON_HEADER if c != "pers_ethnicity"], "pers_ethnicity"),
    ([c for c in PERSON_HEADER if c not in ("pers_sex", "pers_gender")], "pers_sex"),
    ([c for c in CIN_VISIT_HEADER if c != "cinv_person_id"], "cinv_person_id"),  # as some Mosaic versions
    ([c for c in CP_VISIT_HEADER if c != "cppv_cp_visit_seen_alone"], "cppv_cp_visit_seen_alone"),
    ([c for c in CP_VISIT_HEADER if c != "cppv_cp_visit_id"], "cppv_cp_visit_id"),
])
def test_an_ssd_table_missing_a_column_is_refused_naming_it(tmp_path, cfg, header, missing):
    path = write(tmp_path, "extract.csv", header, [["1"] * len(header)])
    result = load_file(path, cfg)
    assert result.status == "failed"
    assert result.message.startswith(f"extract.csv: line 1, column '{missing}': looks like the SSD table"), result.message
    assert rows(cfg.db_path, "SELECT (SELECT count(*) FROM landing_children) + "
                             "(SELECT count(*) FROM landing_episodes)") == [(0,)]


def test_an_ssd_table_this_tool_does_not_load_is_refused_by_name(tmp_path, cfg):
    path = write(tmp_path, "contacts.csv", ["cont_contact_id", "cont_person_id", "cont_contact_date"],
                 [["1", "QZP1001", "2024-01-01 00:00:00.000"]])
    result = load_file(path, cfg)
    assert result.status == "failed" and "SSD table ssd_contacts" in result.message and "line 1" in result.message


def test_a_kind_the_table_cannot_give_is_refused(extract, cfg):
    result = load_file(extract["cin_visits"], cfg, kind_name="children")
    assert result.status == "failed" and "ssd_cin_visits" in result.message and "episodes" in result.message
    assert load_file(extract["cin_visits"], cfg, kind_name="episodes").status == "loaded"


# --- load order ----------------------------------------------------------------------------------

def test_any_load_order_gives_the_hand_worked_figures(extract, tmp_path):
    one_by_one = settings_in(tmp_path / "one_by_one")
    for name in ("cin_visits", "cp_visits"):
        assert load_file(extract[name], one_by_one).status == "loaded"
    assert figures(one_by_one.db_path) == VISITS_ONLY
    assert load_file(extract["person"], one_by_one).status == "loaded"  # people last, in a load of its own
    assert figures(one_by_one.db_path) == EXPECTED

    together = tmp_path / "together" / "partnership.duckdb"
    code, out, err = run_cli("load", extract["person"], extract["cin_visits"], extract["cp_visits"], "--db", together)
    assert code == 0, out + err
    assert [line.split()[0] for line in out.strip().splitlines()] == ["loaded"] * 3
    assert figures(together) == EXPECTED
    assert every_indicator(together) == every_indicator(one_by_one.db_path)


def test_reloading_an_extract_changes_nothing(extract, cfg):
    for path in extract.values():
        load_file(path, cfg)
    before = every_indicator(cfg.db_path)
    with read_connection(cfg.db_path) as con:
        stored = {k: sorted(con.execute(f"SELECT * EXCLUDE (load_id, as_of) FROM landing_{k}").fetchall())
                  for k in ("children", "episodes")}
    # 'unchanged' means the latest load of its kinds: CIN visits share episodes with the CP visits loaded
    # after them, so they load again, replacing their own rows with the same ones.
    assert [load_file(p, cfg).status for p in extract.values()] == ["unchanged", "loaded", "loaded"]
    assert load_file(extract["cp_visits"], cfg).status == "unchanged"
    assert every_indicator(cfg.db_path) == before
    with read_connection(cfg.db_path) as con:
        assert {k: sorted(con.execute(f"SELECT * EXCLUDE (load_id, as_of) FROM landing_{k}").fetchall())
                for k in ("children", "episodes")} == stored


# --- identifiers ---------------------------------------------------------------------------------

def hits(data: str | bytes) -> list[str]:
    if isinstance(data, bytes):
        return [m for m in MARKERS if m.encode() in data or m.encode("utf-16-le") in data]
    return [m for m in MARKERS if m in data]


def test_no_name_upn_nhs_number_or_person_id_is_stored_echoed_or_exported(extract, cfg, monkeypatch):
    # Even when PM_KEEP_COLUMNS asks to keep them: they must never reach the loader at all.
    monkeypatch.setenv("PM_KEEP_COLUMNS", IDENTIFYING_COLUMNS)
    code, out, err = run_cli("load", extract["cin_visits"], extract["cp_visits"], extract["person"])
    assert code == 0 and hits(out + err) == [], out + err

    def files() -> list[Path]:
        return [p for p in cfg.db_path.parent.iterdir() if p.is_file() and p != cfg.key_path]

    for path in files():
        assert hits(path.read_bytes()) == [], path.name
    assert b"cppv-7003" in cfg.db_path.read_bytes()  # control: stored text is findable in the file's bytes
    assert sql_hits(cfg.db_path, list(MARKERS)) == []
    con = duckdb.connect(str(cfg.db_path))  # a checkpoint of our own, after the loader's
    con.execute("CHECKPOINT")
    con.close()
    for path in files():
        assert hits(path.read_bytes()) == [], path.name

    for argv in (("quarantine", "--json"), ("quarantine",), ("loads", "--json"), ("loads",)):
        code, out, err = run_cli(*argv)
        assert code == 0 and hits(out + err) == [], argv
    assert {(q["file"], q["line"], q["column"]) for q in cli_json("quarantine")} >= {
        ("ssd_person.csv", 6, "pers_ethnicity"), ("ssd_person.csv", 7, "pers_dob")}

    with read_connection(cfg.db_path) as con:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        frames = {t: quality.query(con, f'SELECT * FROM "{t}"') for t in tables}
        frames["quarantine view"] = quality.quarantine(con)
        assert con.execute("SELECT count(*) FROM landing_children WHERE extra IS NOT NULL").fetchone() == (0,)
    assert len(frames["landing_children"]) == 4
    for name, frame in frames.items():
        assert hits(exports.to_csv(frame, internal=True).decode("utf-8-sig")) == [], name
        assert hits(exports.to_xlsx(frame, internal=True)) == [], name


def test_a_large_ssd_file_read_in_slices_maps_every_slice(tmp_path, cfg, monkeypatch):
    from pipelines import readers

    monkeypatch.setattr(readers, "CHUNK_BYTES", 512)
    visits = [[str(9000 + n), f"QZP{n % 7}", "2024-03-01 10:00:00.000", "Y" if n % 3 else "N", "N", "N"]
              for n in range(80)]
    path = write(tmp_path, "ssd_cin_visits.csv", CIN_VISIT_HEADER, visits)
    assert path.stat().st_size > 4 * readers.CHUNK_BYTES
    result = load_file(path, cfg)
    assert (result.status, result.rows_read, result.rows_loaded) == ("loaded", 80, 80)
    assert rows(cfg.db_path, "SELECT count(*) FILTER (WHERE child_seen = 'N'), min(source_line), max(source_line) "
                             "FROM landing_episodes") == [(27, 2, 81)]


def test_a_misaligned_row_is_quarantined_once_keeping_none_of_its_fields(tmp_path, cfg):
    path = tmp_path / "ssd_cin_episodes.csv"
    header = ("cine_referral_id,cine_person_id,cine_referral_date,cine_cin_primary_need_code,cine_referral_nfa,"
              "cine_close_date")
    path.write_text(f'{header}\n801,QZP1001,2024-04-03 00:00:00.000,N1,N,\n"802,{FORENAME}1,QZP1002\n')
    result = load_file(path, cfg)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 1, 1)
    assert [(q["line"], q["column"], q["value"]) for q in cli_json("quarantine")] == [(3, None, None)]
    assert hits(cfg.db_path.read_bytes()) == []

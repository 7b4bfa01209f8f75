"""Agency mapping files (pipelines/sources/mapped.py, docs/sources/mapping.md): an agency's own
export loaded through a YAML mapping, the shipped examples, every mapping error, the quarantine."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipelines.loader import load_file
from pipelines.store import read_connection

from conftest import SAMPLE_DATA, cli_json, overall, run_cli, write_csv

EXAMPLES = SAMPLE_DATA / "mappings"
POLICE_MAP, POLICE_CSV = EXAMPLES / "northshire_police.yaml", EXAMPLES / "northshire_police_contacts.csv"
HEALTH_MAP, HEALTH_CSV = EXAMPLES / "riverside_health.yaml", EXAMPLES / "riverside_health_children.csv"

# A small police-style export and its mapping, varied by the tests below.
CONTACTS_HEADER = ["Occurrence Ref", "Contact Date", "Subject Ref", "Child Seen", "Interpreter Used", "Officer Notes"]
CONTACTS = [
    ["OC-1", "06.04.2023", "K1", "Seen", "Yes - Language Line", "note one"],        # line 2
    ["OC-2", "07.04.2023 22:15", "K2", "Not Seen", "No", "note two"],               # line 3
    ["OC-3", "2023-04-08", "K3", "  SEEN ", "yes - family", "note three"],          # line 4: ISO; case and spaces
    ["OC-4", "09.04.2023", "K4", "Seen", "", "note four"],                          # line 5: blank stays blank
]
POLICE_YAML = """\
kind: episodes
columns:
  episode_id: Occurrence Ref
  episode_date: contact-date
  child_id: SUBJECT REF
  child_seen: Child Seen
  interpreter_type: Interpreter Used
fixed:
  agency: police
  episode_type: police_contact
date_formats: ['%d.%m.%Y', '%d.%m.%Y %H:%M']
values:
  child_seen:
    Seen: Y
    Not Seen: N
  interpreter_type:
    Yes - Language Line: professional
    Yes - Family: family_member
    No: not_needed
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def contacts(tmp_path: Path, rows: list[list[str]] = CONTACTS, name: str = "contacts.csv") -> Path:
    return write_csv(tmp_path / "in" / name, rows, header=CONTACTS_HEADER)


def snapshot(cfg) -> dict[str, list]:
    with read_connection(cfg.db_path) as con:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        return {t: sorted(map(repr, con.execute(f"SELECT * FROM {t}").fetchall())) for t in tables}


def query(cfg, sql: str, params: list | None = None) -> list[tuple]:
    with read_connection(cfg.db_path) as con:
        return con.execute(sql, params or []).fetchall()


def stored_bytes(cfg) -> bytes:
    """Every byte the tool keeps: the database folder (database, any copy or WAL)."""
    return b"".join(p.read_bytes() for p in sorted(cfg.db_path.parent.rglob("*")) if p.is_file())


# ---------------------------------------------------------------- the shipped examples


def test_police_example_loads_through_the_cli(cfg):
    code, out, err = run_cli("load", "--mapping", POLICE_MAP, POLICE_CSV)
    assert code == 0, out + err
    assert out.startswith("loaded    northshire_police_contacts.csv as episodes: 30 read, 29 loaded, 1 quarantined")

    rows = {r[0]: r[1:] for r in query(cfg, "SELECT episode_id, agency, episode_type, episode_date, child_seen, "
                                            "seen_alone, voice_recorded, interpreter_type FROM landing_episodes")}
    assert len(rows) == 29
    # "06.04.2023 09:41", Seen Alone, Yes, Not Required
    assert rows["NSP/23/77947"] == ("police", "police_contact", dt.date(2023, 4, 6), "Y", "Y", "Y", "not_needed")
    # "20.04.2023", Not Seen, blank views, Yes - Family Member
    assert rows["NSP/23/75889"] == ("police", "police_contact", dt.date(2023, 4, 20), "N", "not_applicable", None,
                                    "family_member")
    # Seen With Carer: seen, not alone; Yes - Language Line
    assert rows["NSP/24/98601"][2:] == (dt.date(2024, 4, 14), "Y", "N", "Y", "professional")
    assert rows["NSP/24/21018"][2] == dt.date(2024, 4, 10)  # "10.04.2024 16:04"
    counts = dict(query(cfg, "SELECT interpreter_type, count(*) FROM landing_episodes GROUP BY 1"))
    # Not Required 21, Yes - Family Member 3, Language Line 2 + Face to Face 1, Required - Not Available 1,
    # Yes - Child Interpreted 1 (and Yes - Other, quarantined)
    assert counts == {"not_needed": 21, "family_member": 3, "professional": 3, "needed_not_provided": 1, "child": 1}
    assert "NSP/23/15531" not in rows  # the "Yes - Other" contact

    (q,) = cli_json("quarantine")
    assert (q["file"], q["line"], q["column"], q["value"]) == ("northshire_police_contacts.csv", 19, None, None)
    assert q["reason"] == "no mapping for 'Yes - Other' in northshire_police.yaml (column 'Interpreter Used')"
    assert query(cfg, "SELECT source FROM loads") == [("mapping",)]

    cells = overall(cli_json("indicators", "--unsuppressed"))
    assert (cells["practice.child_seen"]["numerator"], cells["practice.child_seen"]["denominator"]) == (17, 29)


def test_health_example_loads_through_the_cli(cfg):
    code, out, err = run_cli("load", "--mapping", HEALTH_MAP, HEALTH_CSV)
    assert code == 0, out + err
    assert out.startswith("loaded    riverside_health_children.csv as children: 24 read, 24 loaded, 0 quarantined")
    rows = query(cfg, "SELECT agency, ethnicity, sex, date_of_birth, first_language, interpreter_needed "
                      "FROM landing_children ORDER BY source_line")
    assert rows[0] == ("health", "WBRI", "F", "2010-10", "English", "N")  # 11/10/2010 00:00, gender 2, A
    assert rows[2] == ("health", "NOBT", "M", "2020-10", None, None)  # 20/10/2020 (no time), 99 = not known
    assert rows[14] == ("health", "AIND", "F", "2016-07", "Gujarati", "Y")  # H, Yes
    assert rows[-1] == ("health", "REFU", "U", "2019-07", None, None)  # Z = not stated, gender 9
    assert rows[22][1:3] == ("OOTH", "U")  # S, gender 0
    assert {r[1] for r in rows} >= {"MWBC", "BCRB", "BAFR", "CHNE", "APKN", "ABAN"}
    cells = overall(cli_json("indicators", "--unsuppressed"))
    assert (cells["practice.ethnicity_recorded"]["numerator"], cells["practice.ethnicity_recorded"]["denominator"]) \
        == (23, 24)  # NOBT is not recorded

    kept = stored_bytes(cfg)
    header, first = (line.split(",") for line in HEALTH_CSV.read_text().splitlines()[:2])
    for column in ("NHS Number", "Registered GP Practice", "Home Postcode", "Partnership Child No"):
        value = first[header.index(column)]
        assert value.encode() not in kept, column  # unmapped columns never stored; the child id only pseudonymised



def test_both_examples_link_children_across_agencies(cfg):
    assert run_cli("load", "--mapping", HEALTH_MAP, HEALTH_CSV)[0] == 0
    assert run_cli("load", "--mapping", POLICE_MAP, POLICE_CSV)[0] == 0
    (linked,) = query(cfg, "SELECT count(*) FROM landing_episodes e JOIN landing_children c USING (child_key)")[0]
    assert linked == 29  # every police contact's child is in the health trust's list


# ---------------------------------------------------------------- aliases, values, dates, fixed values


def test_header_aliases_value_maps_date_formats_and_fixed_values(tmp_path, cfg):
    mapping = write(tmp_path / "police.yaml", POLICE_YAML)
    result = load_file(contacts(tmp_path), cfg, mapping=mapping)
    assert (result.status, result.kind, result.rows_loaded, result.rows_quarantined) == ("loaded", "episodes", 4, 0)
    rows = query(cfg, "SELECT source_line, episode_id, agency, episode_type, episode_date, child_seen, interpreter_type "
                      "FROM landing_episodes ORDER BY source_line")
    assert rows == [
        (2, "OC-1", "police", "police_contact", dt.date(2023, 4, 6), "Y", "professional"),
        (3, "OC-2", "police", "police_contact", dt.date(2023, 4, 7), "N", "not_needed"),
        (4, "OC-3", "police", "police_contact", dt.date(2023, 4, 8), "Y", "family_member"),
        (5, "OC-4", "police", "police_contact", dt.date(2023, 4, 9), "Y", None),
    ]


def test_blank_can_be_mapped_and_yaml_words_stay_text(tmp_path, cfg):
    """`Yes:` and `1:` are read as the text written (plain YAML would make them true and 1)."""
    mapping = write(tmp_path / "m.yaml", POLICE_YAML.replace("    No: not_needed\n", "    No: not_needed\n    '': unknown\n"
                                                                                   "    Not Recorded: ~\n")
                    .replace("    Seen: Y\n", "    Seen: Y\n    Yes: Y\n    1: Y\n"))
    rows = CONTACTS + [["OC-5", "10.04.2023", "K5", "yes", "No", ""], ["OC-6", "10.04.2023", "K6", "1", "Not Recorded", ""]]
    result = load_file(contacts(tmp_path, rows), cfg, mapping=mapping)
    assert (result.rows_loaded, result.rows_quarantined) == (6, 0), result.message
    got = dict(query(cfg, "SELECT episode_id, interpreter_type FROM landing_episodes"))
    assert got["OC-4"] == "unknown" and got["OC-6"] is None  # '' maps blanks; ~ maps a value to blank
    assert dict(query(cfg, "SELECT episode_id, child_seen FROM landing_episodes WHERE episode_id IN ('OC-5', 'OC-6')")) \
        == {"OC-5": "Y", "OC-6": "Y"}


def test_without_date_formats_the_contract_date_rules_apply(tmp_path, cfg):
    mapping = write(tmp_path / "m.yaml", POLICE_YAML.replace("date_formats: ['%d.%m.%Y', '%d.%m.%Y %H:%M']\n", ""))
    rows = [["OC-1", "06/04/2023", "K1", "Seen", "No", ""], ["OC-2", "06.04.2023", "K2", "Seen", "No", ""]]
    result = load_file(contacts(tmp_path, rows), cfg, mapping=mapping)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    (q,) = cli_json("quarantine")
    assert (q["line"], q["column"], q["value"]) == (3, "contact-date", "06.04.2023")  # named as the mapping names it
    assert "not a valid date" in q["reason"]


def test_untranslated_values_still_meet_the_contract(tmp_path, cfg):
    """A mapped column without a value map passes its text to the contract's own rules."""
    mapping = write(tmp_path / "m.yaml", POLICE_YAML.replace("  child_seen: Child Seen\n", "  voice_recorded: Child Seen\n")
                    .replace("  child_seen:\n    Seen: Y\n    Not Seen: N\n", ""))
    rows = [["OC-1", "06.04.2023", "K1", "yes", "No", ""], ["OC-2", "06.04.2023", "K2", "Seen", "No", ""]]
    result = load_file(contacts(tmp_path, rows), cfg, mapping=mapping)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    assert query(cfg, "SELECT voice_recorded FROM landing_episodes") == [("Y",)]
    (q,) = cli_json("quarantine")
    assert (q["line"], q["column"], q["value"]) == (3, "Child Seen", "Seen") and q["reason"].startswith("not one of")


# ---------------------------------------------------------------- values and dates the mapping cannot translate


def test_value_with_no_mapping_is_quarantined_naming_the_mapping(tmp_path, cfg):
    rows = CONTACTS + [["OC-5", "10.04.2023", "K5", "Seen", "Yes - BSL", "x"],           # line 6
                       ["OC-6", "31.02.2023", "K6", "Seen", "No", "x"],                  # line 7: no such date
                       ["OC-7", "11.04.2023", "K7", "Glimpsed", "Yes - Other", "x"]]     # line 8: two problems
    mapping = write(tmp_path / "police.yaml", POLICE_YAML)
    result = load_file(contacts(tmp_path, rows), cfg, mapping=mapping)
    assert (result.status, result.rows_read, result.rows_loaded, result.rows_quarantined) == ("loaded", 7, 4, 3)
    got = [(q["line"], q["column"], q["value"], q["reason"]) for q in cli_json("quarantine")]
    assert got == [
        (6, None, None, "no mapping for 'Yes - BSL' in police.yaml (column 'Interpreter Used')"),
        (7, None, None, "'31.02.2023' is not a date written as '%d.%m.%Y' or '%d.%m.%Y %H:%M', "
                        "the date_formats in police.yaml (column 'contact-date')"),
        (8, None, None, "no mapping for 'Glimpsed' in police.yaml (column 'Child Seen')"),
        (8, None, None, "no mapping for 'Yes - Other' in police.yaml (column 'Interpreter Used')"),
    ]
    assert {r[0] for r in query(cfg, "SELECT episode_id FROM landing_episodes")} == {"OC-1", "OC-2", "OC-3", "OC-4"}


def test_unmapped_identifying_value_is_not_echoed(tmp_path, cfg):
    """first_language is free text: a value with no mapping is withheld, as the quarantine withholds text."""
    text = ("kind: children\ncolumns:\n  child_id: Ref\n  first_language: Language\nfixed:\n  agency: health\n"
            "values:\n  first_language:\n    ENG: English\n")
    mapping = write(tmp_path / "lang.yaml", text)
    data = write(tmp_path / "kids.csv", "Ref,Language\nK1,ENG\nK2,Mrs Smith's note\n")
    result = load_file(data, cfg, mapping=mapping)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    (q,) = cli_json("quarantine")
    assert q["reason"] == "no mapping for this value in lang.yaml (column 'Language')"
    assert b"Mrs Smith" not in stored_bytes(cfg)


# ---------------------------------------------------------------- broken mappings


BROKEN = {
    "unknown contract column": (POLICE_YAML.replace("  child_seen: Child Seen", "  child_sen: Child Seen"),
                                ["police.yaml", "line 6", "columns", "'child_sen' is not a column of kind 'episodes'"]),
    "column absent from the file": (POLICE_YAML.replace("Interpreter Used", "Interpreter Type"),
                                    ["contacts.csv", "line 1", "column 'Interpreter Type'", "police.yaml",
                                     "columns: interpreter_type: Interpreter Type"]),
    "required column neither mapped nor fixed": (POLICE_YAML.replace("  episode_type: police_contact\n", ""),
                                                 ["police.yaml", "column 'episode_type'", "requires episode_type",
                                                  "columns:", "fixed:"]),
    "bad YAML": (POLICE_YAML.replace("date_formats: ['%d.%m.%Y', '%d.%m.%Y %H:%M']", "date_formats: %d.%m.%Y"),
                 ["police.yaml", "line 11", "is not valid YAML", "in quotes"]),
    "bad YAML indentation": (POLICE_YAML.replace("  child_id: SUBJECT REF", " child_id: SUBJECT REF"),
                             ["police.yaml", "is not valid YAML"]),
    "unknown kind": (POLICE_YAML.replace("kind: episodes", "kind: contacts"),
                     ["police.yaml", "line 1", "kind: 'contacts' is not a kind", "episodes"]),
    "unknown key": (POLICE_YAML.replace("values:", "value_maps:"),
                    ["police.yaml", "line 12", "unknown key 'value_maps'", "values"]),
    "no kind": (POLICE_YAML.replace("kind: episodes\n", ""), ["police.yaml", "no kind"]),
    "value mapped to a value the contract refuses": (
        POLICE_YAML.replace("No: not_needed", "No: none"),
        ["police.yaml", "line 19", "column 'interpreter_type'", "'No' maps to 'none'", "not one of"]),
    "fixed value the contract refuses": (POLICE_YAML.replace("agency: police", "agency: Northshire Police"),
                                         ["police.yaml", "fixed: agency", "not one of"]),
    "one value given twice": (POLICE_YAML.replace("    Not Seen: N\n", "    Not Seen: N\n    not  seen: Y\n"),
                              ["police.yaml", "'not  seen' is given twice"]),
    "values for an unmapped column": (POLICE_YAML + "  seen_alone:\n    Seen: Y\n",
                                      ["police.yaml", "values: seen_alone is not mapped under columns"]),
    "a date format without a year": (POLICE_YAML.replace("['%d.%m.%Y', '%d.%m.%Y %H:%M']", "['%d.%m']"),
                                     ["police.yaml", "date_formats: '%d.%m' does not read a whole date"]),
    "a column both mapped and fixed": (POLICE_YAML.replace("  agency: police", "  child_seen: Y"),
                                       ["police.yaml", "fixed: child_seen is also under columns"]),
    "a key given twice": (POLICE_YAML + "kind: children\n", ["police.yaml", "key 'kind' appears twice"]),
    "not a mapping at all": ("- episodes\n- police\n", ["police.yaml", "should be a YAML mapping"]),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_mapping_fails_the_load_and_changes_nothing(tmp_path, cfg, case):
    good = write(tmp_path / "good.yaml", POLICE_YAML)
    assert load_file(contacts(tmp_path, name="first.csv"), cfg, mapping=good).status == "loaded"
    before = snapshot(cfg)

    text, expected = BROKEN[case]
    mapping = write(tmp_path / "police.yaml", text)
    code, out, err = run_cli("load", "--mapping", mapping, contacts(tmp_path, CONTACTS[:2]))
    assert code == 1, out + err
    assert out.startswith("FAILED")
    for part in expected:
        assert part in out, (part, out)

    after = snapshot(cfg)
    assert {t: v for t, v in after.items() if t != "loads"} == {t: v for t, v in before.items() if t != "loads"}
    assert len(after["loads"]) == len(before["loads"]) + 1
    assert cli_json("loads")[-1]["status"] == "failed"


def test_missing_mapping_file_is_an_error(tmp_path, cfg):
    code, out, err = run_cli("load", "--mapping", tmp_path / "absent.yaml", contacts(tmp_path))
    assert code == 2 and "absent.yaml" in err and "not found" in err
    assert not cfg.db_path.exists()


def test_kind_option_must_agree_with_the_mapping(tmp_path, cfg):
    mapping = write(tmp_path / "police.yaml", POLICE_YAML)
    code, out, _ = run_cli("load", "--kind", "children", "--mapping", mapping, contacts(tmp_path))
    assert code == 1 and "kind 'children'" in out and "police.yaml" in out and "'episodes'" in out
    code, out, _ = run_cli("load", "--kind", "episodes", "--mapping", mapping, contacts(tmp_path))
    assert code == 0 and "4 loaded" in out


def test_mapping_applies_to_every_file_of_the_command(tmp_path, cfg):
    mapping = write(tmp_path / "police.yaml", POLICE_YAML)
    second = [["OC-9", "01.05.2023", "K9", "Not Seen", "No", ""]]
    code, out, _ = run_cli("load", "--mapping", mapping, contacts(tmp_path), contacts(tmp_path, second, "more.csv"))
    assert code == 0
    assert [line.split()[0] for line in out.strip().splitlines()] == ["loaded", "loaded"]
    assert len(query(cfg, "SELECT * FROM landing_episodes")) == 5


# ---------------------------------------------------------------- what is stored, and reloading


def test_extra_agency_columns_are_never_stored(tmp_path, cfg, monkeypatch):
    planted = "PLANTED-7f3a9c-Officer-Note"
    rows = [r[:-1] + [planted] for r in CONTACTS]
    mapping = write(tmp_path / "police.yaml", POLICE_YAML)
    monkeypatch.setenv("PM_KEEP_COLUMNS", "officer_notes,Officer Notes")  # even when named to be kept
    from pipelines.config import settings
    result = load_file(contacts(tmp_path, rows), settings(), mapping=mapping)
    assert result.status == "loaded" and result.rows_loaded == 4
    assert query(cfg, "SELECT count(*) FROM landing_episodes WHERE extra IS NOT NULL") == [(0,)]
    assert planted.encode() not in stored_bytes(cfg)
    assert query(cfg, "SELECT count(*) FROM landing_episodes WHERE child_key IS NULL") == [(0,)]


def test_same_file_with_a_changed_mapping_is_reloaded(tmp_path, cfg):
    data = contacts(tmp_path)
    mapping = write(tmp_path / "police.yaml", POLICE_YAML)
    assert load_file(data, cfg, mapping=mapping).status == "loaded"
    again = load_file(data, cfg, mapping=mapping)
    assert again.status == "unchanged"

    write(mapping, POLICE_YAML.replace("Yes - Language Line: professional", "Yes - Language Line: community_member"))
    changed = load_file(data, cfg, mapping=mapping)
    assert (changed.status, changed.rows_loaded) == ("loaded", 4)
    assert query(cfg, "SELECT interpreter_type, load_id FROM landing_episodes WHERE episode_id = 'OC-1'") \
        == [("community_member", changed.load_id)]
    assert load_file(data, cfg, mapping=mapping).status == "unchanged"


def test_agency_workbook_with_a_title_block(tmp_path, cfg):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Summary"
    sheet = book.create_sheet("Contacts")
    sheet.append(["Northshire Police - child contacts export"])
    sheet.append([])
    sheet.append(CONTACTS_HEADER)
    sheet.append(["OC-1", dt.datetime(2023, 4, 6, 9, 30), "K1", "Seen", "No", "n"])  # a real date cell
    sheet.append(["OC-2", "07.04.2023", "K2", "Not Seen", "No", "n"])
    path = tmp_path / "contacts.xlsx"
    book.save(path)
    mapping = write(tmp_path / "police.yaml", POLICE_YAML + "sheet: contacts\n")
    result = load_file(path, cfg, mapping=mapping)
    assert (result.status, result.rows_loaded, result.rows_quarantined) == ("loaded", 2, 0), result.message
    assert query(cfg, "SELECT source_line, episode_date FROM landing_episodes ORDER BY 1") == [
        (4, dt.date(2023, 4, 6)), (5, dt.date(2023, 4, 7))]

    write(mapping, POLICE_YAML + "sheet: Visits\n")
    result = load_file(path, cfg, mapping=mapping)
    assert result.status == "failed" and "no sheet 'Visits'" in result.message


# ---------------------------------------------------------------- the Load data page


def test_upload_page_loads_an_agency_export_with_its_mapping(cfg, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from pipelines.sources import registry

    monkeypatch.setenv("PM_DB", str(cfg.db_path))
    monkeypatch.setenv("PM_KEY_FILE", str(cfg.key_path))
    at = AppTest.from_file(str(Path(__file__).parent.parent / "dashboard" / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("views/upload.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert set(at.file_uploader(key="upload_files").allowed_type) >= {".csv", ".xlsx", ".xml"}
    assert set(at.file_uploader(key="upload_mapping").allowed_type) == {".yaml", ".yml"}
    shown = " ".join(m.value for m in at.markdown)
    for source in registry():
        assert source.title in shown and f"`{source.name}`" in shown
    assert "**episodes**" in shown

    at.file_uploader(key="upload_files").set_value((POLICE_CSV.name, POLICE_CSV.read_bytes(), "text/csv"))
    at.file_uploader(key="upload_mapping").set_value((POLICE_MAP.name, POLICE_MAP.read_bytes(), "application/yaml"))
    at.run()
    at.button(key="upload_go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert any("30 read, 29 loaded, 1 quarantined" in s.value for s in at.success)
    assert any("northshire_police.yaml" in str(df.value.to_dict()) for df in at.dataframe)
    assert query(cfg, "SELECT count(*), min(agency), max(agency) FROM landing_episodes") == [(29, "police", "police")]


def test_big_export_read_in_slices_and_again_whole_when_a_late_slice_needs_quoting(tmp_path, cfg, monkeypatch):
    import pipelines.readers as readers

    monkeypatch.setattr(readers, "CHUNK_BYTES", 300)  # a few rows per slice
    rows = [[f"OC-{i}", "06.04.2023", f"K{i}", "Seen" if i % 2 else "Not Seen", "No", "n"] for i in range(40)]
    rows[3][4] = "Yes - Other"  # no mapping: quarantined from an early slice
    mapping = write(tmp_path / "police.yaml", POLICE_YAML)
    plain = load_file(contacts(tmp_path, rows), cfg, mapping=mapping)
    assert (plain.rows_read, plain.rows_loaded, plain.rows_quarantined) == (40, 39, 1)

    rows[35][5] = "a note, with a comma"  # quoted: this late slice needs the full CSV reader
    rows[36][4] = "Yes - BSL"
    quoted = load_file(contacts(tmp_path, rows, "quoted.csv"), cfg, mapping=mapping)
    assert (quoted.rows_read, quoted.rows_loaded, quoted.rows_quarantined) == (40, 38, 2)
    got = [(q["line"], q["reason"]) for q in cli_json("quarantine", "--load-id", str(quoted.load_id))]
    assert got == [(5, "no mapping for 'Yes - Other' in police.yaml (column 'Interpreter Used')"),
                   (38, "no mapping for 'Yes - BSL' in police.yaml (column 'Interpreter Used')")]

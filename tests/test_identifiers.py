"""No identifier is ever stored, echoed or exported; a purged load leaves nothing behind.

Names, NHS numbers, UPNs, child identifiers, full dates of birth and free text are seeded
into unknown columns, misaligned rows and invalid values of every kind, with distinctive
markers; then the database file's bytes, every text column (by SQL), the CLI's output,
the load summaries, logs and exports are searched for them.
"""
from __future__ import annotations

import dataclasses
import io
import json
import logging
from pathlib import Path

import openpyxl
import pytest

from pipelines import exports, quality, readers, store
from pipelines.config import settings
from pipelines.loader import WITHHELD, load_file
from pipelines.purge import purge_load
from pipelines.store import read_connection

from conftest import cli_json, run_cli, write_csv

CHILD = "ZZQ7781"  # in every raw child identifier
NHS = "9434765919"
UPN = "A123456789012"
DOB_ISO, DOB_UK = "2014-07-23", "23/07/2014"
NAME = "Quibblethwaite"
TEXT = "uncle hit them"
MARKERS = [CHILD, NHS, UPN, DOB_ISO, DOB_UK, NAME, TEXT]

# Unknown columns a partnership might well send, none of them named in PM_KEEP_COLUMNS.
EXTRAS = {"ChildID": f"{CHILD}-X", "identifier": NHS, "sibling": f"Zebedee {NAME}", "Pupil No": UPN,
          "Mosaic": f"MOSAIC-{CHILD}", "born": DOB_UK, "D.O.B": DOB_ISO, "notes": f"ZZQ said {TEXT}"}
LONG = " ".join([f"ZZQ said {TEXT}, {NAME}, NHS {NHS}"] * 40)  # over 1,000 characters: quarantined
CONTROL = "Ctrl-Partnership-Qx5"  # a non-identifying value that is stored: the byte search can find text

GOOD = {
    "reviews": [dict(review_id=f"R-{i}", partnership=CONTROL, review_type="RR", notification_date="2024-01-05",
                     harm_cause="Physical abuse", primary_suspect="Stranger") for i in range(1, 4)],
    "children": [dict(child_id=f"{CHILD}-{i:04d}", agency="health", ethnicity="WBRI", sex="F",
                      date_of_birth=DOB_ISO if i % 2 else DOB_UK, first_language="English") for i in range(1, 4)],
    "episodes": [dict(episode_id=f"E-{i}", child_id=f"{CHILD}-{i:04d}", agency="health", episode_type="health_contact",
                      episode_date="2024-02-01", child_seen="Y") for i in range(1, 4)],
    "disclosures": [dict(disclosure_id=f"D-{i}", child_id=f"{CHILD}-{i:04d}", agency="police",
                         disclosure_date="2024-02-01", harm_type="physical", action="s47", action_date="2024-02-02")
                    for i in range(1, 4)],
}
# Invalid values in identifying columns (text, references, child_id, date of birth): quarantined, withheld.
BAD = {
    "reviews": [dict(GOOD["reviews"][0], review_id="R-8", harm_cause=LONG),
                dict(GOOD["reviews"][0], review_id="R-9", primary_suspect=LONG),
                dict(GOOD["reviews"][0], review_id=f"R-{CHILD}-" + LONG)],
    "children": [dict(GOOD["children"][0], child_id=f"{CHILD}-" + "9" * 70),
                 dict(GOOD["children"][0], child_id=f"{CHILD}-0008", first_language=LONG),
                 dict(GOOD["children"][0], child_id=f"{CHILD}-0009", date_of_birth=f"{DOB_UK} approx")],
    "episodes": [dict(GOOD["episodes"][0], episode_id=f"E-{CHILD}-" + LONG),
                 dict(GOOD["episodes"][0], episode_id="E-9", child_id=f"{CHILD}-" + LONG)],
    "disclosures": [dict(GOOD["disclosures"][0], disclosure_id=f"D-{CHILD}-" + LONG),
                    dict(GOOD["disclosures"][0], disclosure_id="D-9", child_id=""),
                    dict(GOOD["disclosures"][0], disclosure_id="D-1")],  # duplicate key (agency, D-1)
}
BAD_COLUMNS = {"reviews": ["harm_cause", "primary_suspect", "review_id"],
               "children": ["child_id", "first_language", "date_of_birth"],
               "episodes": ["episode_id", "child_id"],
               "disclosures": ["disclosure_id", "child_id", "agency,disclosure_id"]}


def extract(folder: Path, kind: str) -> Path:
    """Good rows, bad values, a row with too many fields and one with too few, all with identifiers."""
    contract = list(GOOD[kind][0])
    header = contract + list(EXTRAS)
    rows = [[r[c] for c in contract] + list(EXTRAS.values()) for r in GOOD[kind] + BAD[kind]]
    rows.append(rows[0] + [f"{CHILD}-SPARE", NHS, DOB_ISO, f"ZZQ said {TEXT}"])  # too many fields
    rows.append([f"{CHILD}-0042", DOB_UK, f"{NAME} said {TEXT}", UPN])  # too few
    return write_csv(folder / f"{kind}_extract.csv", rows, header=header)


def hits(text: str | bytes) -> list[str]:
    if isinstance(text, bytes):
        return [m for m in MARKERS if m.encode() in text or m.encode("utf-16-le") in text]
    return [m for m in MARKERS if m in text]


def sql_hits(db: Path, markers: list[str]) -> list[tuple[str, str, str]]:
    """(table or view, column, marker) for every text column of every table and view holding a marker."""
    found = []
    with read_connection(db) as con:
        columns = con.execute("SELECT table_name, column_name FROM information_schema.columns "
                              "WHERE data_type = 'VARCHAR' AND table_schema = 'main'").fetchall()
        for table, column in columns:
            for marker in markers:
                if con.execute(f'SELECT count(*) FROM "{table}" WHERE "{column}" LIKE ?', [f"%{marker}%"]).fetchone()[0]:
                    found.append((table, column, marker))
    return found


def every_table(db: Path) -> dict[str, object]:
    with read_connection(db) as con:
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        frames = {t: quality.query(con, f'SELECT * FROM "{t}"') for t in names}
        frames |= {"quality.quarantine": quality.quarantine(con), "quality.loads": quality.loads(con)}
        frames |= {f"quality.completeness.{k}": quality.completeness(con, k) for k in quality.COMPLETENESS_KINDS}
    return frames


def xlsx_text(blob: bytes) -> str:
    book = openpyxl.load_workbook(io.BytesIO(blob))
    return " ".join(str(c.value) for s in book for row in s.iter_rows() for c in row)


def database_files(cfg) -> list[Path]:
    return [p for p in cfg.db_path.parent.iterdir() if p.is_file() and p != cfg.key_path]


@pytest.fixture
def loaded(tmp_path, cfg, capfd, caplog):
    """Every kind's extract loaded through the CLI, with output and logs captured."""
    caplog.set_level(logging.DEBUG)
    paths = [extract(tmp_path / "in", kind) for kind in GOOD]
    code, out, err = run_cli("load", *paths)
    assert code == 0, out + err
    captured = capfd.readouterr()
    return cfg, out + err + captured.out + captured.err + caplog.text


def test_load_accounts_for_every_row_and_summary_names_no_identifier(loaded):
    cfg, output = loaded
    assert hits(output) == [], output
    lines = output.strip().splitlines()
    assert len(lines) == 4 and all("8 extra column(s) ignored, not stored" in line for line in lines), lines
    loads = cli_json("loads")
    assert [(l["kind"], l["status"]) for l in loads] == [(k, "loaded") for k in GOOD]
    for load, kind in zip(loads, GOOD):
        assert load["rows_read"] == len(GOOD[kind]) + len(BAD[kind]) + 2
        assert (load["rows_loaded"], load["rows_quarantined"]) == (len(GOOD[kind]), len(BAD[kind]) + 2), load


def test_no_identifier_in_the_database_file_or_any_text_column(loaded):
    cfg, _ = loaded
    for path in database_files(cfg):
        assert hits(path.read_bytes()) == [], path.name
    assert CONTROL.encode() in cfg.db_path.read_bytes()  # control: plain text is findable in the bytes
    assert sql_hits(cfg.db_path, MARKERS) == []
    assert sql_hits(cfg.db_path, [CONTROL])  # control: and by SQL
    with read_connection(cfg.db_path) as con:
        for kind in GOOD:
            assert con.execute(f"SELECT count(*) FROM landing_{kind} WHERE extra IS NOT NULL").fetchone() == (0,)


def test_quarantine_withholds_identifying_values_and_keeps_no_field_of_misaligned_rows(loaded):
    cfg, _ = loaded
    for argv in (("quarantine", "--json"), ("loads", "--json"), ("quarantine",), ("loads",)):
        code, out, err = run_cli(*argv)
        assert code == 0 and hits(out + err) == [], argv
    rows = cli_json("quarantine")
    for load_id, kind in enumerate(GOOD, start=1):
        mine = [r for r in rows if r["load_id"] == load_id]
        by_column = {r["column"]: r for r in mine}
        for column in BAD_COLUMNS[kind]:
            assert by_column[column]["value"] == WITHHELD, by_column[column]
        split = [r for r in mine if r["column"] is None]
        assert [r["reason"] for r in split] == [f"has {len(GOOD[kind][0]) + 12} fields, the header has "
                                                f"{len(GOOD[kind][0]) + 8}",
                                                f"has 4 fields, the header has {len(GOOD[kind][0]) + 8}"]
        assert all(r["value"] is None for r in split)


def test_no_identifier_in_any_export(loaded):
    cfg, _ = loaded
    for name, frame in every_table(cfg.db_path).items():
        csv_blob = exports.to_csv(frame, internal=True)
        assert hits(csv_blob.decode("utf-8-sig")) == [], name
        assert hits(xlsx_text(exports.to_xlsx(frame, internal=True))) == [], name


def test_misaligned_rows_in_a_big_csv_read_in_slices(tmp_path, cfg, monkeypatch):
    """A long line and a short one together have the right number of delimiters for the
    slice check: the loader must still quarantine both, keeping none of their fields."""
    monkeypatch.setattr(readers, "CHUNK_BYTES", 512)
    header = list(GOOD["episodes"][0])
    rows = [[f"E-{n}", f"C-{n}", "health", "health_contact", "2024-02-01", "Y"] for n in range(60)]
    rows.insert(40, ["E-X", f"{CHILD}-1", "health", "health_contact", "2024-02-01", "Y", NHS])
    rows.insert(41, ["E-Y", f"{CHILD}-2", DOB_ISO, "health_contact", "2024-02-01"])
    path = write_csv(tmp_path / "episodes_big.csv", rows, header=header)
    assert path.stat().st_size > 4 * readers.CHUNK_BYTES
    result = load_file(path, cfg)
    assert (result.status, result.rows_read, result.rows_loaded, result.rows_quarantined) == ("loaded", 62, 60, 2)
    assert hits(result.summary()) == []
    assert [(q["line"], q["value"]) for q in cli_json("quarantine")] == [(42, None), (43, None)]
    assert hits(cfg.db_path.read_bytes()) == [] and sql_hits(cfg.db_path, MARKERS) == []


def test_xlsx_cells_beyond_the_header_are_not_stored(tmp_path, cfg):
    book = openpyxl.Workbook()
    sheet = book.active
    header = list(GOOD["children"][0])
    sheet.append(header)
    sheet.append(list(GOOD["children"][0].values()) + [NHS, f"Zebedee {NAME}", DOB_UK])  # beyond the header
    sheet.append([f"{CHILD}-0002", "health"])  # a short row: blank cells, loaded
    book.save(path := tmp_path / "children.xlsx")
    result = load_file(path, cfg)  # the row with values past the header is quarantined, never silently cut
    assert (result.status, result.rows_loaded, result.rows_quarantined) == ("loaded", 1, 1)
    assert [(q["line"], q["column"], q["value"]) for q in cli_json("quarantine")] == [(2, None, None)]
    assert hits(cfg.db_path.read_bytes()) == [] and sql_hits(cfg.db_path, MARKERS) == []


def test_invalid_values_in_coded_columns_are_still_shown(tmp_path, cfg):
    rows = [dict(GOOD["reviews"][0], review_type="XX", child_age_years="18", notification_date="31/02/2024")]
    load_file(write_csv(tmp_path / "reviews.csv", rows), cfg)
    values = {q["column"]: q["value"] for q in cli_json("quarantine")}
    assert values == {"review_type": "XX", "child_age_years": "18", "notification_date": "31/02/2024"}


def test_population_duplicate_key_is_shown(tmp_path, cfg):
    """Area and ethnic group identify nobody: a repeated population key is shown."""
    rows = [dict(area="Northbridge", ethnic_group="White", children="100")] * 2
    load_file(write_csv(tmp_path / "population.csv", rows), cfg)
    assert [q["value"] for q in cli_json("quarantine")] == ["Northbridge,White"]


# --- PM_KEEP_COLUMNS -------------------------------------------------------------------------

def test_a_named_column_is_kept_but_not_one_repeating_child_id(tmp_path, cfg, monkeypatch):
    monkeypatch.setenv("PM_KEEP_COLUMNS", "Team, Buddy ,date_of_birth")
    keep = settings()
    assert keep.keep_columns == ("team", "buddy", "date_of_birth")
    rows = [dict(GOOD["episodes"][0], episode_id=f"E-{n}", child_id=f"{CHILD}-{n}", Team="North-Team-Q1",
                 Buddy=f"B-{n}", date_of_birth=DOB_ISO, notes=TEXT) for n in range(5)]
    rows[3]["Buddy"] = f" {CHILD}-3 "  # repeats the row's own child_id (spacing aside): the column is refused
    result = load_file(write_csv(tmp_path / "episodes.csv", rows), keep)
    assert result.status == "loaded" and result.rows_loaded == 5
    assert result.message == "3 extra column(s) ignored, not stored; 1 kept (PM_KEEP_COLUMNS)"
    with read_connection(cfg.db_path) as con:
        extras = {json.loads(e)["team"] for (e,) in con.execute("SELECT extra FROM landing_episodes").fetchall()}
        assert extras == {"North-Team-Q1"}
        assert con.execute("SELECT extra FROM landing_episodes LIMIT 1").fetchone()[0] == '{"team":"North-Team-Q1"}'
    assert b"North-Team-Q1" in cfg.db_path.read_bytes()
    assert hits(cfg.db_path.read_bytes()) == [] and sql_hits(cfg.db_path, MARKERS) == []


def test_a_column_refused_in_a_later_slice_is_removed_from_the_whole_load(tmp_path, cfg, monkeypatch):
    monkeypatch.setattr(readers, "CHUNK_BYTES", 512)
    keep = dataclasses.replace(cfg, keep_columns=("buddy",))
    rows = [dict(GOOD["episodes"][0], episode_id=f"E-{n}", child_id=f"C-{n}", buddy=f"B-{n}") for n in range(60)]
    rows[50]["buddy"] = "C-50"
    result = load_file(write_csv(tmp_path / "episodes.csv", rows), keep)
    assert (result.status, result.rows_loaded) == ("loaded", 60)
    assert result.message == "1 extra column(s) ignored, not stored"
    with read_connection(cfg.db_path) as con:
        assert con.execute("SELECT count(*) FROM landing_episodes WHERE extra IS NOT NULL").fetchone() == (0,)


# --- purge ---------------------------------------------------------------------------------------

GONE = "PURGE-ME-4417"  # a review reference and a kept column's value: allowed, but must vanish on purge
STAYS = "STAYS-5528"


@pytest.fixture
def three_loads(tmp_path, cfg, monkeypatch):
    monkeypatch.setenv("PM_KEEP_COLUMNS", "team")
    keep = settings()
    doomed = [dict(GOOD["reviews"][0], review_id=f"{GONE}-{n}", team=f"{GONE}-team") for n in range(8)]
    doomed.append(dict(doomed[0], review_id=f"{GONE}-bad", review_type="XX"))  # one quarantined row
    others = [dict(GOOD["reviews"][0], review_id=f"{STAYS}-{n}", team=f"{STAYS}-team") for n in range(8)]
    files = [write_csv(tmp_path / "doomed.csv", doomed), write_csv(tmp_path / "others.csv", others),
             write_csv(tmp_path / "children.csv", GOOD["children"])]
    assert [load_file(f, keep).status for f in files] == ["loaded"] * 3
    assert GONE.encode() in cfg.db_path.read_bytes() and sql_hits(cfg.db_path, [GONE])  # control
    return keep, files


def test_purge_removes_every_trace_of_a_load(three_loads):
    cfg, _ = three_loads
    before = {l["load_id"]: l for l in cli_json("loads")}
    indicators_before = cli_json("indicators")
    code, out, err = run_cli("purge", "--load-id", "1")
    assert code == 0, err
    assert out.count("\n") == 1 and out.startswith("purged") and "8 stored row(s) and 1 quarantine record(s)" in out

    for path in database_files(cfg):
        assert GONE.encode() not in path.read_bytes(), path.name
    assert sql_hits(cfg.db_path, [GONE]) == []
    assert STAYS.encode() in cfg.db_path.read_bytes() and sql_hits(cfg.db_path, [STAYS])
    assert cli_json("quarantine") == []
    with read_connection(cfg.db_path) as con:
        assert con.execute("SELECT count(*) FROM landing_reviews").fetchone() == (8,)
        assert con.execute("SELECT count(*) FROM landing_children").fetchone() == (3,)

    loads = {l["load_id"]: l for l in cli_json("loads")}
    assert loads[1]["status"] == "purged"
    assert {k: v for k, v in loads[1].items() if k != "status"} == {k: v for k, v in before[1].items() if k != "status"}
    assert loads[2] == before[2] and loads[3] == before[3]
    with read_connection(cfg.db_path) as con:
        assert con.execute("SELECT message FROM loads WHERE load_id = 1").fetchone()[0].startswith("purged on ")

    review_count = {c["indicator"]: c for c in cli_json("indicators") if c["by"] is None}["review.count"]
    assert review_count["numerator"] == 8
    assert {c["indicator"] for c in indicators_before} == {c["indicator"] for c in cli_json("indicators")}


def test_purge_then_reload_brings_the_rows_back(three_loads):
    cfg, files = three_loads
    assert run_cli("purge", "--load-id", "1")[0] == 0
    result = load_file(files[0], cfg)  # the same bytes: not 'unchanged', the purge removed their rows
    assert (result.status, result.rows_loaded) == ("loaded", 8)


def test_purge_of_a_load_that_stored_nothing(three_loads, tmp_path):
    cfg, files = three_loads
    assert load_file(files[1], cfg).status == "unchanged"  # load 4
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really")
    assert load_file(broken, cfg).status == "failed"  # load 5
    data = cfg.db_path.read_bytes()
    code, out, _ = run_cli("purge", "--load-id", "4")
    assert code == 0 and out.startswith("nothing") and "load 2" in out
    code, out, _ = run_cli("purge", "--load-id", "5")
    assert code == 0 and out.startswith("nothing") and "failed" in out
    assert cfg.db_path.read_bytes() == data  # nothing was written

    assert run_cli("purge", "--load-id", "1")[0] == 0
    code, out, _ = run_cli("purge", "--load-id", "1")
    assert code == 0 and "already purged" in out


def test_purge_of_an_unknown_load(three_loads):
    code, out, err = run_cli("purge", "--load-id", "99")
    assert code == 2 and out == "" and "no load 99" in err


def test_purge_that_fails_while_compacting_leaves_the_file_untouched(three_loads, monkeypatch):
    cfg, _ = three_loads
    data = cfg.db_path.read_bytes()

    def broken(con, target):
        target.write_bytes(b"half a file")
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(store, "_copy_database", broken)
    with pytest.raises(OSError):
        purge_load(cfg, 1)
    assert cfg.db_path.read_bytes() == data
    assert [p.name for p in cfg.db_path.parent.iterdir() if p.name.startswith(".")] == []
    assert cli_json("loads")[0]["status"] == "loaded"

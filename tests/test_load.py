"""Loading one file: every row accounted for, problems quarantined, all or nothing."""
from __future__ import annotations

import duckdb
import pytest

import pipelines.loader as loader
from pipelines.loader import WITHHELD, load_file
from pipelines.store import read_connection

from conftest import cli_json, overall, run_cli

HEADER = "review_id,partnership,review_type,notification_date,incident_date,child_age_years,race_considered"
BAD_FILE = "\n".join([
    HEADER,                                           # line 1
    "R1,P,RR,2024-01-05,2024-01-01,3,none",           # 2 good
    "R2,P,XX,2024-01-05,,4,partial",                  # 3 review_type outside its enum
    "R3,P,LCSPR,31/02/2024,,18,",                     # 4 two problems in one row
    "R4,P,RR,2024-01-05,2024-02-01,,",                # 5 incident after notification
    "R1,P,RR,2024-02-05,,,",                          # 6 duplicate key of line 2
    "R5,P,RR",                                        # 7 short row
    "R6,,RR,2024-01-05,,,",                           # 8 required partnership missing
    "R7,P,rr,05/01/2024,,0,Consistent",               # 9 good
]) + "\n"

CONTRACT_LOAD_FIELDS = {"load_id", "file", "sha256", "kind", "rows_read", "rows_loaded", "rows_quarantined",
                        "status", "started_at", "finished_at"}
CONTRACT_QUARANTINE_FIELDS = {"load_id", "file", "line", "column", "value", "reason"}


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    return path


def snapshot(cfg) -> dict[str, list]:
    """Everything a load may change, in a comparable form."""
    with read_connection(cfg.db_path) as con:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        return {t: sorted(map(repr, con.execute(f"SELECT * FROM {t}").fetchall())) for t in tables}


def test_row_accounting_and_quarantine(tmp_path, cfg):
    path = write(tmp_path, "reviews_bad.csv", BAD_FILE)
    result = load_file(path, cfg)
    assert (result.status, result.kind) == ("loaded", "reviews")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (8, 2, 6)

    rows = cli_json("quarantine", "--load-id", str(result.load_id))
    got = [(r["file"], r["line"], r["column"], r["value"]) for r in rows]
    assert got == [
        ("reviews_bad.csv", 3, "review_type", "XX"),
        ("reviews_bad.csv", 4, "child_age_years", "18"),
        ("reviews_bad.csv", 4, "notification_date", "31/02/2024"),
        ("reviews_bad.csv", 5, "incident_date", "2024-02-01"),
        ("reviews_bad.csv", 6, "partnership,review_id", WITHHELD),  # review_id identifies a review
        ("reviews_bad.csv", 7, None, None),
        ("reviews_bad.csv", 8, "partnership", ""),
    ]
    reasons = [r["reason"] for r in rows]
    assert "RR, LCSPR" in reasons[0]
    assert "0 to 17" in reasons[1] and "valid date" in reasons[2]
    assert "after notification_date" in reasons[3]
    assert reasons[4] == "duplicate key; first on line 2"
    assert "3 fields" in reasons[5] and "header has 7" in reasons[5]
    assert reasons[6] == "required value is missing"

    with read_connection(cfg.db_path) as con:
        loaded = con.execute("SELECT review_id, review_type, race_considered, source_line FROM landing_reviews "
                             "ORDER BY review_id").fetchall()
    assert loaded == [("R1", "RR", "none", 2), ("R7", "RR", "consistent", 9)]


def test_loads_json_matches_contract(tmp_path, cfg):
    load_file(write(tmp_path, "a.csv", BAD_FILE), cfg)
    load_file(write(tmp_path, "a.csv", BAD_FILE), cfg)  # unchanged
    load_file(write(tmp_path, "b.csv", "nothing,useful\n1,2\n"), cfg)  # failed
    loads = cli_json("loads")
    assert [set(r) for r in loads] == [CONTRACT_LOAD_FIELDS] * 3
    assert [(r["load_id"], r["status"]) for r in loads] == [(1, "loaded"), (2, "unchanged"), (3, "failed")]
    assert all(r["rows_read"] == r["rows_loaded"] + r["rows_quarantined"] for r in loads)
    assert loads[0]["kind"] == "reviews" and len(loads[0]["sha256"]) == 64
    assert loads[0]["started_at"] <= loads[0]["finished_at"]

    everything = cli_json("quarantine")
    assert everything and all(set(r) == CONTRACT_QUARANTINE_FIELDS for r in everything)
    assert {r["load_id"] for r in everything} == {1}
    assert cli_json("quarantine", "--load-id", "2") == []


def test_idempotent_reload(tmp_path, cfg):
    path = write(tmp_path, "reviews.csv", BAD_FILE)
    first = load_file(path, cfg)
    before = snapshot(cfg)
    cells_before = cli_json("indicators", "--unsuppressed")
    again = load_file(path, cfg)
    assert again.status == "unchanged" and again.load_id == first.load_id + 1
    after = snapshot(cfg)
    assert {t: v for t, v in after.items() if t != "loads"} == {t: v for t, v in before.items() if t != "loads"}
    assert cli_json("indicators", "--unsuppressed") == cells_before
    assert overall(cells_before)["review.count"]["numerator"] == 2


def test_corrected_file_replaces_rows(tmp_path, cfg):
    load_file(write(tmp_path, "v1.csv", BAD_FILE), cfg)
    fixed = BAD_FILE.replace("R1,P,RR,2024-01-05,2024-01-01,3,none", "R1,P,LCSPR,2024-01-05,2024-01-01,3,partial")
    second = load_file(write(tmp_path, "v2.csv", fixed), cfg)
    assert second.status == "loaded"
    with read_connection(cfg.db_path) as con:
        rows = con.execute("SELECT review_id, review_type, race_considered, load_id FROM landing_reviews "
                           "ORDER BY review_id").fetchall()
    assert rows == [("R1", "LCSPR", "partial", second.load_id), ("R7", "RR", "consistent", second.load_id)]


def test_file_problem_leaves_data_untouched(tmp_path, cfg):
    load_file(write(tmp_path, "reviews.csv", BAD_FILE), cfg)
    before = snapshot(cfg)
    result = load_file(write(tmp_path, "mystery.csv", "review_id,partnership\nR9,P\n"), cfg)
    assert result.status == "failed" and "review_type" in result.message
    after = snapshot(cfg)
    assert set(before["loads"]) < set(after["loads"])
    assert len(after["loads"]) == len(before["loads"]) + 1
    assert {t: v for t, v in after.items() if t != "loads"} == {t: v for t, v in before.items() if t != "loads"}
    assert cli_json("loads")[-1]["status"] == "failed"


def test_failure_mid_transaction_rolls_back(tmp_path, cfg, monkeypatch):
    load_file(write(tmp_path, "reviews.csv", BAD_FILE), cfg)
    before = snapshot(cfg)
    real_append = loader._append

    def append_then_fail(con, kind, clean, load_id):
        real_append(con, kind, clean, load_id)
        assert con.execute("SELECT count(*) FROM landing_reviews").fetchone()[0] > 0
        raise duckdb.IOException("disk full (simulated)")

    monkeypatch.setattr(loader, "_append", append_then_fail)
    new = BAD_FILE.replace("R7,", "R8,").replace("R1,P,RR,2024-01-05,2024-01-01,3,none", "R1,P,LCSPR,2024-01-05,,,")
    result = load_file(write(tmp_path, "reviews2.csv", new), cfg)
    assert result.status == "failed" and "disk full" in result.message

    after = snapshot(cfg)
    assert set(before["loads"]) < set(after["loads"])
    assert {t: v for t, v in after.items() if t != "loads"} == {t: v for t, v in before.items() if t != "loads"}
    loads = cli_json("loads")
    assert [r["status"] for r in loads] == ["loaded", "failed"]
    assert loads[1]["rows_loaded"] == 0
    assert not list(cfg.db_path.parent.glob(f".{cfg.db_path.name}.*"))  # no leftover copy


def test_cli_exit_codes(tmp_path, cfg):
    good = write(tmp_path, "reviews.csv", BAD_FILE)
    code, out, _ = run_cli("load", good)
    assert code == 0 and "6 quarantined" in out and "reviews.csv" in out

    binary = tmp_path / "episodes.csv"
    binary.write_bytes(b"\x00\x01\x02binary")
    other = write(tmp_path, "reviews_more.csv", BAD_FILE.replace("R7,", "R9,"))
    code, out, _ = run_cli("load", binary, other)
    assert code != 0
    lines = out.strip().splitlines()
    assert len(lines) == 2 and "FAILED" in lines[0] and "episodes.csv" in lines[0]
    assert lines[1].startswith("loaded")  # the readable file still loads

    code, _, _ = run_cli("load", tmp_path / "absent.csv")
    assert code != 0


def test_explicit_kind_names_missing_column(tmp_path, cfg):
    result = load_file(write(tmp_path, "x.csv", "episode_id,child_id,agency,episode_type\nE1,C1,police,referral\n"),
                       cfg, "episodes")
    assert result.status == "failed" and "episode_date" in result.message


def test_episodes_file_missing_a_column_is_not_loaded_as_children(tmp_path, cfg):
    result = load_file(write(tmp_path, "x.csv", "episode_id,child_id,agency,episode_type\nE1,C1,police,referral\n"), cfg)
    assert result.status == "failed" and "episode_date" in result.message


def test_extra_columns_ignored_unless_named_in_keep_columns(tmp_path, cfg, monkeypatch):
    text = HEADER + ",Notes,Child Name,NHS number\nR1,P,RR,2024-01-05,,,none,seen by GP,Jane Doe,9434765919\n"
    result = load_file(write(tmp_path, "r.csv", text), cfg)
    assert result.summary().endswith("; 3 extra column(s) ignored, not stored")
    with read_connection(cfg.db_path) as con:
        assert con.execute("SELECT extra FROM landing_reviews").fetchone() == (None,)
    monkeypatch.setenv("PM_KEEP_COLUMNS", " NOTES , other")
    from pipelines.config import settings
    assert settings().keep_columns == ("notes", "other")
    result = load_file(write(tmp_path, "r2.csv", text.replace("seen by GP", "seen by nurse")), settings())
    assert "2 extra column(s) ignored, not stored; 1 kept (PM_KEEP_COLUMNS)" in result.summary()
    with read_connection(cfg.db_path) as con:
        (extra,) = con.execute("SELECT extra FROM landing_reviews").fetchone()
    assert extra == '{"notes":"seen by nurse"}'


@pytest.mark.parametrize("blank_value", ["", "   "])
def test_blank_optional_values_load_as_null(tmp_path, cfg, blank_value):
    text = HEADER + f"\nR1,P,RR,2024-01-05,{blank_value},{blank_value},{blank_value}\n"
    result = load_file(write(tmp_path, "r.csv", text), cfg)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 0)
    with read_connection(cfg.db_path) as con:
        row = con.execute("SELECT incident_date, child_age_years, race_considered FROM landing_reviews").fetchone()
    assert row == (None, None, None)


def test_unreadable_row_is_quarantined_and_later_rows_still_load(tmp_path, cfg):
    text = HEADER + '\nR1,P,RR,2024-01-05,,,\nR2,P,"RR"x,2024-01-05,,,\nR3,P,RR,2024-01-05,,,\nR4,P,RR,2024-01-05,,,\n'
    result = load_file(write(tmp_path, "r.csv", text), cfg)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 3, 1)
    assert [(r["line"], r["column"]) for r in cli_json("quarantine")] == [(3, None)]

"""Raw child identifiers and full dates of birth never reach storage; the key fails closed."""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets

import pytest

from pipelines.loader import load_file
from pipelines.store import read_connection

from conftest import cli_json, run_cli, write_csv

LONG_ID = "RAWID-XYZ-" + "L" * 70  # over the 64-character limit: quarantined on child_id itself
CHILDREN = [
    {"child_id": "RAWID-XYZ-0001", "agency": "social_care", "ethnicity": "BAFR", "sex": "F",
     "date_of_birth": "2019-07-15", "first_language": "Zzyzxian-distinct"},
    {"child_id": "RAWID-XYZ-0002", "agency": "social_care", "ethnicity": "WBRI", "sex": "Q",  # bad sex
     "date_of_birth": "2018-03-09", "first_language": "English"},
    {"child_id": LONG_ID, "agency": "police", "ethnicity": "WBRI", "sex": "M",
     "date_of_birth": "2017-01-01", "first_language": ""},
    {"child_id": "RAWID-XYZ-0003", "agency": "health", "ethnicity": "AIND", "sex": "M",
     "date_of_birth": "1979-11-23", "first_language": ""},  # DOB over 30 years ago: quarantined
    {"child_id": "RAWID-XYZ-0004", "agency": "health", "ethnicity": "AIND", "sex": "M",
     "date_of_birth": "16/05/2020", "first_language": ""},
    {"child_id": "RAWID-XYZ-0004", "agency": "health", "ethnicity": "APKN", "sex": "M",  # duplicate key
     "date_of_birth": "2020-05", "first_language": ""},
]
EPISODES = [
    {"episode_id": "E1", "child_id": "RAWID-XYZ-0001", "agency": "police", "episode_type": "police_contact",
     "episode_date": "2024-01-05", "child_seen": "Y"},
    {"episode_id": "E2", "child_id": "RAWID-XYZ-0005", "agency": "police", "episode_type": "police_contact",
     "episode_date": "2024-99-05", "child_seen": "Y"},  # bad date
    {"episode_id": "E3", "child_id": "RAWID-XYZ-0004", "agency": "health", "episode_type": "health_contact",
     "episode_date": "2024-02-05", "child_seen": "N"},
]
RAW_MARKERS = [b"RAWID", b"XYZ-000", "RAWID".encode("utf-16-le")]
FULL_DOBS = ["2019-07-15", "2018-03-09", "1979-11-23", "16/05/2020"]


@pytest.fixture
def loaded(tmp_path, cfg):
    children = write_csv(tmp_path / "children.csv", CHILDREN)
    episodes = write_csv(tmp_path / "episodes.csv", EPISODES)
    results = [load_file(children, cfg), load_file(episodes, cfg)]
    assert [r.status for r in results] == ["loaded", "loaded"]
    assert [(r.rows_loaded, r.rows_quarantined) for r in results] == [(2, 4), (2, 1)]
    return cfg


def all_text(cfg) -> str:
    """Every value of every table, as text."""
    with read_connection(cfg.db_path) as con:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        return json.dumps({t: con.execute(f"SELECT * FROM {t}").fetchall() for t in tables}, default=str)


def test_raw_ids_never_in_database_file(loaded):
    files = [p for p in loaded.db_path.parent.iterdir() if p.is_file() and p != loaded.key_path]
    assert loaded.db_path in files
    for path in files:
        data = path.read_bytes()
        for marker in RAW_MARKERS:
            assert marker not in data, f"raw identifier found in {path.name}"
    # control: a distinctive text value *is* visible in the file bytes, so the check above can fail
    assert b"Zzyzxian-distinct" in loaded.db_path.read_bytes()


def test_raw_ids_never_in_any_table_or_cli_output(loaded):
    text = all_text(loaded)
    assert "Zzyzxian-distinct" in text
    assert "RAWID" not in text and "XYZ-000" not in text
    for argv in (("quarantine", "--json"), ("loads", "--json"), ("indicators", "--json", "--unsuppressed"),
                 ("indicators", "--json", "--by", "ethnicity")):
        code, out, err = run_cli(*argv)
        assert code == 0 and "RAWID" not in out + err


def test_quarantine_withholds_identifiers_but_keeps_other_values(loaded):
    rows = cli_json("quarantine")
    by_problem = {(r["file"], r["line"], r["column"]): r for r in rows}
    assert by_problem[("children.csv", 3, "sex")]["value"] == "Q"
    assert "64" in by_problem[("children.csv", 4, "child_id")]["reason"]
    assert by_problem[("children.csv", 4, "child_id")]["value"] != LONG_ID
    assert "first on line 6" in by_problem[("children.csv", 7, "agency,child_id")]["reason"]
    assert by_problem[("episodes.csv", 3, "episode_date")]["value"] == "2024-99-05"
    with read_connection(loaded.db_path) as con:
        values = [v for (v,) in con.execute("SELECT value FROM quarantine").fetchall()]
    assert values and not any("RAWID" in (v or "") for v in values)


def test_dates_of_birth_stored_as_year_month_only(loaded):
    with read_connection(loaded.db_path) as con:
        dobs = sorted(v for (v,) in con.execute("SELECT date_of_birth FROM landing_children").fetchall())
    assert dobs == ["2019-07", "2020-05"]
    text = all_text(loaded)
    data = loaded.db_path.read_bytes()
    for dob in FULL_DOBS:  # not in the landing tables, and not in the quarantine either
        assert dob not in text
        assert dob.encode() not in data
    reasons = [r["reason"] for r in cli_json("quarantine") if r["column"] == "date_of_birth"]
    assert reasons and "30 years" in reasons[0]


def test_key_file_created_with_mode_0600(loaded):
    assert loaded.key_path.exists()
    assert loaded.key_path.stat().st_mode & 0o777 == 0o600
    assert len(bytes.fromhex(loaded.key_path.read_text().strip())) == 32


def test_key_not_created_for_reviews_only(tmp_path, cfg):
    path = write_csv(tmp_path / "r.csv", [{"review_id": "R1", "partnership": "P", "review_type": "RR",
                                           "notification_date": "2024-01-05"}])
    assert load_file(path, cfg).status == "loaded"
    assert not cfg.key_path.exists()


def child_keys(cfg) -> dict[str, str]:
    with read_connection(cfg.db_path) as con:
        return dict(con.execute("SELECT episode_id, child_key FROM landing_episodes").fetchall()) | {
            f"child:{a}:{dob}": k for a, dob, k in
            con.execute("SELECT agency, date_of_birth, child_key FROM landing_children").fetchall()}


def test_linkage_same_raw_id_same_child_key(loaded):
    keys = child_keys(loaded)
    key = bytes.fromhex(loaded.key_path.read_text().strip())
    expected = {raw: int.from_bytes(hmac.new(key, raw.encode(), hashlib.sha256).digest()[:8], "big", signed=True)
                for raw in ("RAWID-XYZ-0001", "RAWID-XYZ-0004")}  # keyed HMAC-SHA256, first 64 bits
    assert keys["child:social_care:2019-07"] == keys["E1"] == expected["RAWID-XYZ-0001"]
    assert keys["child:health:2020-05"] == keys["E3"] == expected["RAWID-XYZ-0004"]
    assert keys["E1"] != keys["E3"]


def test_missing_key_on_later_load_fails_closed(tmp_path, loaded):
    loaded.key_path.unlink()
    with read_connection(loaded.db_path) as con:
        before = con.execute("SELECT count(*) FROM landing_episodes").fetchone()[0]
    more = write_csv(tmp_path / "episodes2.csv", [dict(EPISODES[0], episode_id="E9")])
    result = load_file(more, loaded)
    assert result.status == "failed"
    assert "missing" in result.message and str(loaded.key_path) in result.message
    assert not loaded.key_path.exists()  # no new key was made
    with read_connection(loaded.db_path) as con:
        assert con.execute("SELECT count(*) FROM landing_episodes").fetchone()[0] == before
    code, out, _ = run_cli("load", more)
    assert code != 0 and "FAILED" in out


def test_different_key_is_refused(tmp_path, loaded):
    original = loaded.key_path.read_text()
    loaded.key_path.write_text(secrets.token_hex(32))
    more = write_csv(tmp_path / "episodes2.csv", [dict(EPISODES[0], episode_id="E9")])
    result = load_file(more, loaded)
    assert result.status == "failed" and "not the key" in result.message
    loaded.key_path.write_text(original)
    assert load_file(more, loaded).status == "loaded"


def test_key_readable_by_others_is_refused(tmp_path, loaded):
    os.chmod(loaded.key_path, 0o644)
    more = write_csv(tmp_path / "episodes2.csv", [dict(EPISODES[0], episode_id="E9")])
    result = load_file(more, loaded)
    assert result.status == "failed" and "chmod 600" in result.message


def test_a_different_key_gives_different_pseudonyms(tmp_path, loaded, monkeypatch):
    other_dir = tmp_path / "other"
    monkeypatch.setenv("PM_DATA_DIR", str(other_dir))
    from pipelines.config import settings
    other = settings()
    assert load_file(tmp_path / "episodes.csv", other).status == "loaded"
    assert child_keys(other)["E1"] != child_keys(loaded)["E1"]


@pytest.mark.parametrize("key", [b"k" * 32, bytes(range(32)), b"x" * 80])
def test_fast_hmac_equals_the_standard_library(key):
    import polars as pl

    from pipelines.pseudonymise import Pseudonymiser

    ids = pl.Series(["NB0000001", "NB0000002", "NB0000001", None, "é-unicode"])
    expected = [None if v is None else int.from_bytes(hmac.new(key, v.encode(), hashlib.sha256).digest()[:8], "big", signed=True)
                for v in ids.to_list()]
    assert Pseudonymiser(key)(ids).to_list() == expected


def test_extra_columns_are_not_stored_unless_named_and_never_when_they_repeat_child_id(cfg, tmp_path):
    import dataclasses

    import duckdb

    from conftest import write_csv

    rows = [{"child_id": f"RAWID-EXTRA-{n:03d}", "agency": "health", "Child Ref": f"REF-SECRET-{n}",
             "Case Number": f"CASE-SECRET-{n}", "notes": f"RAWID-EXTRA-{n:03d}", "team": "North"} for n in range(8)]
    keep = dataclasses.replace(cfg, keep_columns=("notes", "team"))  # notes repeats child_id: refused all the same
    result = load_file(write_csv(tmp_path / "children.csv", rows), keep)
    assert result.status == "loaded" and result.rows_loaded == 8
    assert "3 extra column(s) ignored, not stored" in result.summary()
    data = cfg.db_path.read_bytes()
    for secret in (b"RAWID-EXTRA", b"REF-SECRET", b"CASE-SECRET"):
        assert secret not in data
    with duckdb.connect(str(cfg.db_path), read_only=True) as con:
        assert {r[0] for r in con.execute("SELECT extra FROM landing_children").fetchall()} == {'{"team":"North"}'}

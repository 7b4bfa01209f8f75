"""The audit trail: appended in order with who and what, checked whole, never changed by anything else.

The browser sign-in test (test_e2e_signin.py) checks the dashboard's actions land here with the right
user; these tests check the trail itself, the command line's entries, and that nothing else (a load,
a purge, a database swap) rewrites it.
"""
from __future__ import annotations

import getpass
import hashlib
import json
import threading

import duckdb
import pytest

from conftest import SAMPLE_DATA, run_cli
from pipelines import audit_trail


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_entries_are_numbered_in_order_with_who_what_and_when(tmp_path):
    path = tmp_path / "audit.duckdb"
    assert audit_trail.entries(path).empty and audit_trail.verify(path) == []
    assert audit_trail.record(path, "ann@a.test", "analyst", "exact_counts", state="on") == 1
    assert audit_trail.record(path, "bob@a.test", "board", "export", file="reviews_overall.csv",
                              partnership="Northbridge") == 2
    rows = audit_trail.entries(path)
    assert list(rows["seq"]) == [2, 1]  # newest first
    assert list(rows["user_name"]) == ["bob@a.test", "ann@a.test"] and list(rows["role"]) == ["board", "analyst"]
    assert json.loads(rows["detail"].iloc[0]) == {"file": "reviews_overall.csv", "partnership": "Northbridge"}
    assert audit_trail.verify(path) == []


def test_only_known_actions_and_plain_details_are_written(tmp_path):
    path = tmp_path / "audit.duckdb"
    with pytest.raises(ValueError, match="unknown audit action"):
        audit_trail.record(path, "ann", "admin", "rewrite_history")
    with pytest.raises(TypeError):
        audit_trail.record(path, "ann", "admin", "export", rows=[1, 2, 3])
    with pytest.raises(ValueError, match="too long"):
        audit_trail.record(path, "ann", "admin", "export", note="x" * 3000)
    assert audit_trail.entries(path).empty


@pytest.mark.parametrize("tamper,found", [
    ("UPDATE audit_trail SET user_name = 'someone else' WHERE seq = 2", "entry 2: does not match the chain"),
    ("DELETE FROM audit_trail WHERE seq = 2", "numbered 3"),
    ("UPDATE audit_trail SET detail = '{}' WHERE seq = 3", "entry 3: does not match the chain"),
])
def test_a_change_made_outside_the_product_is_found(tmp_path, tamper, found):
    path = tmp_path / "audit.duckdb"
    for n in range(3):
        audit_trail.record(path, f"user{n}@a.test", "loader", "load", file=f"f{n}.csv")
    with duckdb.connect(str(path)) as con:  # what anything but the product could do to the file
        con.execute(tamper)
    assert any(found in p for p in audit_trail.verify(path)), audit_trail.verify(path)


def test_writers_in_parallel_each_get_their_own_entry(tmp_path):
    path = tmp_path / "audit.duckdb"
    threads = [threading.Thread(target=audit_trail.record, args=(path, f"u{n}@a.test", "analyst", "export"),
                                kwargs={"file": f"{n}.csv"}) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rows = audit_trail.entries(path)
    assert sorted(rows["seq"]) == list(range(1, 13)) and len(set(rows["user_name"])) == 12
    assert audit_trail.verify(path) == []


def test_the_command_lines_loads_exports_and_purges_are_recorded_and_nothing_else_rewrites_the_trail(cfg, tmp_path):
    code, out, err = run_cli("load", SAMPLE_DATA / "reviews.csv")
    assert code == 0, err
    trail = cfg.audit_db
    before = digest(trail)
    code, out, err = run_cli("load", SAMPLE_DATA / "population.csv")  # a load swaps in a new database file
    assert code == 0, err
    code, out, err = run_cli("report", "--out", tmp_path / "pack.pdf")
    assert code == 0, err
    code, out, err = run_cli("purge", "--load-id", "1")  # a purge rewrites the database file
    assert code == 0, err
    rows = audit_trail.entries(trail).sort_values("seq")
    assert [(a, json.loads(d).get("file"), json.loads(d).get("status")) for a, d in zip(rows["action"], rows["detail"])] == [
        ("load", "reviews.csv", "loaded"), ("load", "population.csv", "loaded"), ("export", "pack.pdf", None),
        ("purge", None, "purged")]
    assert set(rows["user_name"]) == {getpass.getuser()} and set(rows["role"]) == {"command line"}
    assert audit_trail.verify(trail) == []
    with duckdb.connect(str(trail), read_only=True) as con:  # the first entry is as it was written
        assert con.execute("SELECT hash FROM audit_trail WHERE seq = 1").fetchone()[0] == rows["hash"].iloc[0]
    assert digest(trail) != before  # appended to, not replaced: the chain above proves the old rows stand

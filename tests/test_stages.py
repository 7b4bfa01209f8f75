"""Ingest, build, publish: one write per command, one publish per write, and only what changed re-audited."""
from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines import stages
from pipelines.generate import generate
from pipelines.loader import load_file, load_files
from pipelines.stages import Changes

from conftest import SAMPLE_DATA, run_cli, settings_in, write_csv


def release_of(db: Path) -> tuple[list, dict]:
    """Every stored release cell, and the stored summary (timings are kept apart from it)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        cells = con.execute("SELECT * FROM release_cells ORDER BY ALL").fetchall()
        summary = json.loads(con.execute("SELECT value FROM meta WHERE name = 'release'").fetchone()[0])
        return cells, summary
    finally:
        con.close()


def audited(db: Path) -> set[str]:
    """The facts the last publish protected and audited (the others kept their release)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        timings = json.loads(con.execute("SELECT value FROM meta WHERE name = 'release_seconds'").fetchone()[0])
    finally:
        con.close()
    return {fact for fact, t in timings.items() if fact != "total" and t}


@pytest.fixture(scope="module")
def extract(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("extract")
    generate(folder, seed=5, scale=0.02)
    return folder


def test_changes_combine_and_append_only_while_every_load_appended():
    a, b = Changes(frozenset({"episodes"}), (3,)), Changes(frozenset({"disclosures"}), (4,))
    assert (a | b) == Changes(frozenset({"episodes", "disclosures"}), (3, 4))
    replaced = Changes(frozenset({"children"}))  # a load that replaced rows: no append route for anything
    assert (a | replaced).appended == () and (a | replaced).kinds == {"episodes", "children"}
    assert (Changes() | a) == a  # nothing ingested (an unchanged file) changes nothing
    assert (a | stages.EVERYTHING).everything


def test_one_command_publishes_once_and_equals_loading_file_by_file(extract, tmp_path):
    files = sorted(extract.glob("*.csv"))
    together, apart = settings_in(tmp_path / "together"), settings_in(tmp_path / "apart")
    apart.key_path.parent.mkdir(parents=True)
    results = load_files(files, together)
    assert [r.status for r in results] == ["loaded"] * len(files)
    assert len({r.timings["publish"] for r in results}) == 1  # one publish, shared by the command's files
    assert audited(together.db_path) == {f["fact"] for f in release_of(together.db_path)[1]["facts"]}
    shutil.copy2(together.key_path, apart.key_path)  # the same pseudonyms
    for path in files:
        assert load_file(path, apart).status == "loaded"
    cells, summary = release_of(together.db_path)
    assert cells and summary["passed"]
    assert (cells, summary) == release_of(apart.db_path)  # whatever the order of writes, the same release


def test_a_file_that_changes_one_fact_re_audits_only_that_fact(sample_db, tmp_path):
    cfg = settings_in(tmp_path)
    shutil.copyfile(sample_db.db_path, cfg.db_path)
    shutil.copy2(sample_db.key_path, cfg.key_path)
    before_cells, before = release_of(cfg.db_path)
    with open(SAMPLE_DATA / "disclosures.csv", newline="", encoding="utf-8") as f:
        rows = [dict(r, disclosure_id="NEW-" + r["disclosure_id"]) for r in list(csv.DictReader(f))[-7:]]
    assert load_file(write_csv(tmp_path / "in" / "disclosures_new.csv", rows), cfg).rows_loaded == 7
    after_cells, after = release_of(cfg.db_path)
    assert audited(cfg.db_path) == {"fct_disclosure"}
    digests = lambda s: {f["fact"]: f["digest"] for f in s["facts"]}  # noqa: E731
    changed = {f for f in digests(after) if digests(after)[f] != digests(before)[f]}
    assert changed == {"fct_disclosure"}
    unchanged = lambda cells: [c for c in cells if c[0] != "fct_disclosure"]  # noqa: E731
    assert unchanged(after_cells) == unchanged(before_cells)
    assert [c for c in after_cells if c[0] == "fct_disclosure"] != [c for c in before_cells if c[0] == "fct_disclosure"]


def test_the_release_command_audits_every_fact_afresh_to_the_same_release(sample_db, tmp_path):
    cfg = settings_in(tmp_path)
    shutil.copyfile(sample_db.db_path, cfg.db_path)
    before = release_of(cfg.db_path)
    code, out, err = run_cli("release", "--db", cfg.db_path)
    assert code == 0, err
    assert audited(cfg.db_path) == {f["fact"] for f in before[1]["facts"]}
    assert release_of(cfg.db_path) == before


def test_without_publishing_default_output_waits_for_the_release(extract, tmp_path):
    cfg = settings_in(tmp_path / "quiet")
    files = sorted(extract.glob("*.csv"))
    assert {r.status for r in load_files(files, cfg, publish=False)} == {"loaded"}
    code, out, err = run_cli("indicators", "--json", "--db", cfg.db_path)
    assert code == 2 and "no up-to-date protected release" in err, err
    code, out, err = run_cli("indicators", "--json", "--unsuppressed", "--db", cfg.db_path)  # internal use still answers
    assert code == 0, err
    again = load_file(files[0], cfg)  # unchanged bytes: nothing ingested, yet the stale release is published now
    assert again.status == "unchanged"
    code, out, err = run_cli("indicators", "--json", "--db", cfg.db_path)
    assert code == 0, err
    published = settings_in(tmp_path / "published")
    published.key_path.parent.mkdir(parents=True)
    shutil.copy2(cfg.key_path, published.key_path)
    load_files(files, published)
    assert release_of(cfg.db_path) == release_of(published.db_path)


def test_a_file_failing_after_its_rows_were_stored_leaves_none_of_them(extract, tmp_path, monkeypatch):
    """Rows are appended as they are checked; a file that fails after that (here: while settling) has
    them taken out again, and the command's other files still land."""
    from pipelines import loader

    cfg = settings_in(tmp_path)
    finish = loader._Loading.finish

    def failing(self, source):
        if self.name == "episodes.csv":
            raise duckdb.IOException("disk full (simulated)")
        return finish(self, source)

    monkeypatch.setattr(loader._Loading, "finish", failing)
    files = [extract / "children.csv", extract / "episodes.csv", extract / "disclosures.csv"]
    assert [r.status for r in load_files(files, cfg)] == ["loaded", "failed", "loaded"]
    con = duckdb.connect(str(cfg.db_path), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM landing_episodes").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM landing_children").fetchone()[0] > 0
        assert con.execute("SELECT status FROM loads ORDER BY load_id").fetchall() == [
            ("loaded",), ("failed",), ("loaded",)]
    finally:
        con.close()

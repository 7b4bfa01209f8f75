"""A loader killed with SIGKILL at any moment leaves the database exactly as before, or exactly as after.

store.write_connection loads into a copy of the database and os.replace()s it
over the original only once the copy is complete, so a reader must only ever
see the previous data or the whole new load, never a part of it. These tests
run the real CLI in a subprocess and kill it in each stage it reports (reading,
checking, storing, building, publishing, saving: PM_PROGRESS=1), and, in the
slow tier, at twenty seeded random moments spread over a whole load, then
inspect the database.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.generate import generate

from conftest import PM_VARS, run_cli

ROOT = Path(__file__).resolve().parent.parent
TRIALS = 20
SEED = 20240611
LOAD_TIMEOUT = 60
TIMESTAMPS = ("started_at", "finished_at")
LOADS_COLUMNS = ("load_id", "file", "sha256", "kind", "rows_read", "rows_loaded", "rows_quarantined", "status", "message")


def _env(key: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in PM_VARS}
    env["PM_KEY_FILE"] = str(key)
    return env


def _start_load(path: Path, db: Path, key: Path, progress: bool = False) -> subprocess.Popen:
    env = _env(key) | ({"PM_PROGRESS": "1"} if progress else {})
    return subprocess.Popen([sys.executable, "-m", "pipelines", "load", str(path), "--db", str(db)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _reap(proc: subprocess.Popen) -> None:
    """A killed (or finished) loader waited for, and its pipes closed."""
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    proc.stdout.close()
    proc.stderr.close()


def _leftovers(db: Path) -> list[Path]:
    return sorted(db.parent.glob(f".{db.name}.*.tmp*"))


def fingerprint(db: Path) -> dict:
    """Every table's row count and order-independent content hash; the loads table row by row."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        fp = {t: con.execute(f'SELECT count(*), sum(hash(t)) FROM "{t}" t').fetchone() for t in tables if t != "loads"}
        # like a load's start time, how long the release took to build is not data
        fp["meta"] = con.execute("SELECT count(*), sum(hash(t)) FROM meta t WHERE name <> 'release_seconds'").fetchone()
        fp["loads"] = con.execute("SELECT * FROM loads ORDER BY load_id").fetchall()
        bad = con.execute("SELECT count(*) FROM loads "
                          "WHERE rows_read IS DISTINCT FROM rows_loaded + rows_quarantined").fetchone()[0]
        assert bad == 0, "a loads row where rows_read != rows_loaded + rows_quarantined"
        return fp
    finally:
        con.close()


def _recorded_child_seen(db: Path) -> int:
    """Episodes whose child_seen is recorded: practice.child_seen's denominator."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM landing_episodes WHERE child_seen IN ('Y', 'N')").fetchone()[0]
    finally:
        con.close()


def _loads_without_times(rows: list[tuple]) -> list[tuple]:
    # SELECT * column order: load_id, file, sha256, kind, rows_read, rows_loaded, rows_quarantined,
    # status, message, started_at, finished_at
    return [r[:9] for r in rows]


def _is_derived(table: str) -> bool:
    """Marts and cubes, rebuilt by SQL after every load (whose tie-breaking need not be deterministic)."""
    return not table.startswith(("landing_", "ref_")) and table not in ("loads", "quarantine", "meta")


def classify(now: dict, before: dict, after: dict) -> str:
    """'before' if identical to the previous state, 'after' if identical to the completed load, else fail."""
    if now == before:
        return "before"
    # The completed load: landing, quarantine, meta and reference tables identical to the reference load;
    # marts and cubes with identical row counts;
    # the loads table the previous rows plus exactly one 'loaded' row for the new rows.
    assert set(now) == set(after), f"tables differ from both states: {sorted(set(now) ^ set(after))}"
    for table in now:
        if table == "loads":
            continue
        if _is_derived(table):
            assert now[table][0] == after[table][0], f"{table}: neither the previous nor the new data"
        else:
            assert now[table] == after[table], f"{table}: neither the previous nor the new data"
    assert now["loads"][:len(before["loads"])] == before["loads"], "earlier loads rows changed"
    new_rows = now["loads"][len(before["loads"]):]
    assert _loads_without_times(new_rows) == _loads_without_times(after["loads"][len(before["loads"]):])
    assert len(new_rows) == 1
    row = dict(zip(LOADS_COLUMNS, new_rows[0]))
    added = now["landing_episodes"][0] - before["landing_episodes"][0]
    assert row["status"] == "loaded" and row["kind"] == "episodes"
    assert row["rows_loaded"] == added > 0
    assert row["rows_read"] == row["rows_loaded"] + row["rows_quarantined"]
    return "after"


@pytest.fixture(scope="module")
def big_episodes(tmp_path_factory) -> Path:
    """~50k generated episodes whose ids differ from the sample's, so loading them adds rows."""
    out = tmp_path_factory.mktemp("big")
    generate(out / "gen", seed=7, scale=1)
    frame = pl.read_csv(out / "gen" / "episodes.csv", infer_schema=False)
    path = out / "episodes_new.csv"
    frame.with_columns(pl.col("episode_id").str.replace("-", "-N", literal=True)).write_csv(path)
    return path


@pytest.fixture(scope="module")
def states(sample_db, big_episodes, tmp_path_factory) -> tuple[Path, Path, dict, dict, float]:
    """The sample database and key, its fingerprints before and after one complete load of big_episodes,
    and how long that load took."""
    folder = tmp_path_factory.mktemp("states")
    pristine, key, db = folder / "pristine.duckdb", folder / "pseudonymisation.key", folder / "after.duckdb"
    shutil.copyfile(sample_db.db_path, pristine)
    shutil.copy2(sample_db.key_path, key)  # keeps mode 0600
    shutil.copyfile(pristine, db)
    before = fingerprint(db)
    t0 = time.monotonic()
    proc = _start_load(big_episodes, db, key)
    out, err = proc.communicate(timeout=LOAD_TIMEOUT)
    duration = time.monotonic() - t0
    assert proc.returncode == 0, err
    assert out.startswith("loaded"), out
    after = fingerprint(db)
    assert classify(after, before, after) == "after"
    assert after["landing_episodes"][0] > before["landing_episodes"][0]
    return pristine, key, before, after, duration


STAGES = ("reading", "checking", "storing", "building", "publishing", "saving")


@pytest.mark.parametrize("stage", STAGES)
def test_a_load_killed_in_each_stage_leaves_previous_or_complete_data(states, big_episodes, tmp_path, stage):
    pristine, key, before, after, _ = states
    db = tmp_path / "partnership.duckdb"
    shutil.copyfile(pristine, db)
    proc = _start_load(big_episodes, db, key, progress=True)
    heard = []
    try:
        for line in proc.stderr:  # PM_PROGRESS=1: one line per stage as the load enters it
            heard.append(line.strip())
            if line.startswith("progress:") and stage in line:
                os.kill(proc.pid, signal.SIGKILL)
                break
        proc.wait(timeout=LOAD_TIMEOUT)
    finally:
        _reap(proc)
    assert any(stage in h for h in heard), f"the load never said it was {stage}: {heard}"
    state = classify(fingerprint(db), before, after)
    assert state == "before" or stage == "saving", f"killed while {stage}, yet the new data landed"
    code, stdout, stderr = run_cli("indicators", "--json", "--db", db)
    assert code == 0, stderr
    seen = next(c for c in json.loads(stdout) if c["indicator"] == "practice.child_seen" and c["by"] is None)
    assert seen["denominator"] == _recorded_child_seen(db)  # every episode counted, once
    proc = _start_load(big_episodes, db, key)  # the next load clears the killed writer's copy and lands
    out, err = proc.communicate(timeout=LOAD_TIMEOUT)
    assert proc.returncode == 0 and out.startswith(("loaded", "unchanged")), err
    assert _leftovers(db) == []


@pytest.mark.slow
def test_sigkill_during_load_leaves_previous_or_complete_data(states, big_episodes, tmp_path):
    pristine, key, before, after, duration = states
    folder = tmp_path / "data"
    folder.mkdir()
    db = folder / "partnership.duckdb"
    shutil.copyfile(pristine, db)
    assert fingerprint(db) == before

    rng = random.Random(SEED)
    # Stratified over [0, 1.1 * duration): every part of a load is hit, a few kills come after the swap.
    delays = [(i + rng.random()) / TRIALS * 1.1 * duration for i in range(TRIALS)]
    rng.shuffle(delays)
    outcomes: list[tuple[float, str, bool, bool]] = []
    for delay in delays:
        proc = _start_load(big_episodes, db, key)
        try:
            time.sleep(delay)
            # This writer's staging copy exists: the kill lands inside the write transaction.
            writing = (db.parent / f".{db.name}.{proc.pid}.tmp").exists()
            os.kill(proc.pid, signal.SIGKILL)  # not waited for yet, so the pid is still this process (or its zombie)
            exited = proc.wait(timeout=LOAD_TIMEOUT) == 0  # it had finished before the kill
        finally:
            _reap(proc)

        now = fingerprint(db)  # opens read-only, checks the loads accounting
        state = classify(now, before, after)
        outcomes.append((delay, state, writing, exited))
        code, stdout, stderr = run_cli("indicators", "--json", "--db", db)
        assert code == 0, stderr
        cells = json.loads(stdout)
        seen = next(c for c in cells if c["indicator"] == "practice.child_seen" and c["by"] is None)
        assert seen["denominator"] == _recorded_child_seen(db)  # every episode counted, once
        if state == "after":
            shutil.copyfile(pristine, db)  # start the next trial from the same data

    n_before = sum(s == "before" for _, s, _, _ in outcomes)
    n_after = len(outcomes) - n_before
    n_writing = sum(w for _, _, w, _ in outcomes)
    print(f"\n{len(outcomes)} kills over a {duration:.2f}s load: {n_before} before the swap, {n_after} after; "
          f"{n_writing} while the staging copy existed; "
          f"{sum(e for *_, e in outcomes)} after the loader had exited")
    assert len(outcomes) >= 20
    assert n_before >= len(outcomes) / 2, outcomes
    assert n_writing >= 3, f"too few kills landed inside the write transaction: {outcomes}"

    # A normal load after all that succeeds, ends in the complete state, and clears the killed writers' copies.
    assert fingerprint(db) == before
    proc = _start_load(big_episodes, db, key)
    out, err = proc.communicate(timeout=LOAD_TIMEOUT)
    assert proc.returncode == 0, err
    assert out.startswith("loaded"), out
    assert classify(fingerprint(db), before, after) == "after"
    assert _leftovers(db) == []
    code, _, stderr = run_cli("indicators", "--json", "--db", db)
    assert code == 0, stderr

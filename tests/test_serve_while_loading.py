"""Readers keep answering, with consistent figures, while a large load runs in another process.

A reader opens a short-lived read-only connection on the live file; the writer
works on a copy and swaps it in with os.replace(). So every answer during the
load must be exactly the previous figures until the swap and exactly the new
ones after it: never an error, never a mixture.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

from pipelines import metrics, report
from pipelines.generate import generate
from pipelines.store import read_connection

from conftest import PM_VARS

ROOT = Path(__file__).resolve().parent.parent
DEADLINE = 60  # seconds for the whole read loop
CLI_EVERY = 4  # iterations between CLI runs


def _env(key: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in PM_VARS}
    env["PM_KEY_FILE"] = str(key)
    return env


def _figures(db: Path) -> list[dict]:
    """Overall and by-ethnic-group indicators, unsuppressed, from a short-lived read-only connection."""
    with read_connection(db) as con:
        cells = metrics.compute(con) + metrics.compute(con, ("ethnic_group",))
    return [c.as_contract(show_small=True) for c in cells]


def _frame(db: Path) -> list[dict]:
    """The dashboard's query layer, as plain records (NaN made comparable)."""
    with read_connection(db) as con:
        frame = report.indicator_frame(con, ("ethnic_group",))
    return json.loads(frame.to_json(orient="records"))


def _cli(db: Path, key: Path) -> list[dict]:
    done = subprocess.run([sys.executable, "-m", "pipelines", "indicators", "--json", "--db", str(db)],
                          cwd=ROOT, env=_env(key), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _recorded_child_seen(db: Path) -> int:
    with read_connection(db) as con:
        return con.execute("SELECT count(*) FROM landing_episodes WHERE child_seen IN ('Y', 'N')").fetchone()[0]


def _overall(cells: list[dict], indicator: str) -> dict:
    return next(c for c in cells if c["indicator"] == indicator and c["by"] is None)


def test_reads_during_a_large_load_see_old_then_new_figures(sample_db, tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    db, key = folder / "partnership.duckdb", folder / "pseudonymisation.key"
    shutil.copyfile(sample_db.db_path, db)
    shutil.copy2(sample_db.key_path, key)

    # ~500k episodes whose ids differ from the sample's, so the load adds every row.
    generate(tmp_path / "gen", seed=11, scale=10)
    big = tmp_path / "episodes_new.csv"
    (pl.read_csv(tmp_path / "gen" / "episodes.csv", infer_schema=False)
     .with_columns(pl.col("episode_id").str.replace("-", "-N", literal=True)).write_csv(big))

    old = {"compute": _figures(db), "frame": _frame(db), "cli": _cli(db, key)}
    recorded_before = _recorded_child_seen(db)
    answers: dict[str, list] = {"compute": [], "frame": [], "cli": []}  # (while loading?, staging copy present?, value)
    errors: list[str] = []

    loader = subprocess.Popen([sys.executable, "-m", "pipelines", "load", str(big), "--db", str(db)],
                              cwd=ROOT, env=_env(key), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    staging = folder / f".{db.name}.{loader.pid}.tmp"
    deadline = time.monotonic() + DEADLINE
    i = 0
    try:
        while time.monotonic() < deadline:
            running = loader.poll() is None
            writing = staging.exists()
            for name, read in (("compute", lambda: _figures(db)), ("frame", lambda: _frame(db)),
                               ("cli", lambda: _cli(db, key))):
                if name == "cli" and i % CLI_EVERY:
                    continue
                try:
                    answers[name].append((running, writing, read()))
                except Exception as exc:  # noqa: BLE001 - every failure is a finding
                    errors.append(f"{name} read {i}: {type(exc).__name__}: {exc}")
            i += 1
            if not running:
                break
        out, err = loader.communicate(timeout=60)
    finally:
        if loader.poll() is None:
            loader.kill()
            loader.wait()

    assert not errors, errors
    assert loader.returncode == 0, err
    assert out.startswith("loaded"), out
    added = int(out.split(" read, ")[1].split(" loaded")[0].replace(",", ""))
    assert added > 0
    added = _recorded_child_seen(db) - recorded_before  # practice.child_seen counts recorded episodes only
    assert added > 0

    new = {"compute": _figures(db), "frame": _frame(db), "cli": _cli(db, key)}
    for name in ("compute", "cli"):
        was, now = _overall(old[name], "practice.child_seen"), _overall(new[name], "practice.child_seen")
        assert now["denominator"] == was["denominator"] + added, name
    assert new["compute"] != old["compute"]

    for name, seen in answers.items():
        states = []
        for running, _, value in seen:
            assert value in (old[name], new[name]), f"{name}: an answer that is neither the old nor the new figures"
            states.append("old" if value == old[name] else "new")
        # once the swap has been seen, never the old figures again
        assert states == sorted(states, key=lambda s: s == "new"), f"{name}: {states}"

    during = [a for a in answers["compute"] if a[0]]
    print(f"\n{i} iterations; reads while loading: compute {len(during)}, "
          f"frame {sum(a[0] for a in answers['frame'])}, cli {sum(a[0] for a in answers['cli'])}; "
          f"while the staging copy existed: {sum(a[1] for a in answers['compute'])}; "
          f"old answers while loading: {sum(a[2] == old['compute'] for a in during)}")
    assert sum(a[2] == old["compute"] for a in during) >= 3, "the reads did not overlap the load"
    assert sum(a[0] for a in answers["cli"]) >= 1, "no CLI read overlapped the load"
    assert sum(a[1] for a in answers["compute"]) >= 1, "no read overlapped the write transaction"
    assert list(folder.glob(f".{db.name}.*.tmp*")) == []

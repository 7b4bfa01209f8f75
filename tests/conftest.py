"""Cheap shared fixtures: settings in a temp folder, CSV writing, the CLI run in-process."""
from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import json
from pathlib import Path

import pytest

from pipelines.__main__ import main
from pipelines.config import Settings, settings
from pipelines.loader import load_files

SAMPLE_DATA = Path(__file__).parent.parent / "sample_data"
PM_VARS = ("PM_DB", "PM_DATA_DIR", "PM_KEY_FILE", "PM_SUPPRESS_MAX", "PM_FOLLOWUP_DAYS", "PM_MAX_UPLOAD_MB",
           "PM_KEEP_COLUMNS", "PM_AUDIT_DB", "PM_ACCESS")


def settings_in(folder: Path, **changes) -> Settings:
    """Settings for a database and key inside `folder`, whatever the environment says."""
    base = settings(folder / "partnership.duckdb")
    return dataclasses.replace(base, key_path=folder / "pseudonymisation.key", suppression_threshold=5,
                               followup_days=1, **changes)


@pytest.fixture
def cfg(tmp_path, monkeypatch) -> Settings:
    """Settings whose database and key live in tmp_path; the CLI (no --db) uses them too."""
    for var in PM_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PM_DATA_DIR", str(tmp_path / "data"))
    return settings()


def write_csv(path: Path, rows: list[dict] | list[list], header: list[str] | None = None, **kw) -> Path:
    """Write rows (dicts, or lists with a header) as CSV; returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding=kw.pop("encoding", "utf-8")) as f:
        if rows and isinstance(rows[0], dict):
            header = header or list(dict.fromkeys(k for r in rows for k in r))
            writer = csv.DictWriter(f, header, **kw)
            writer.writeheader()
            writer.writerows(rows)
        else:
            writer = csv.writer(f, **kw)
            writer.writerow(header)
            writer.writerows(rows)
    return path


@pytest.fixture
def csv_file(tmp_path):
    """csv_file(name, rows) writes tmp_path/in/name."""
    return lambda name, rows, **kw: write_csv(tmp_path / "in" / name, rows, **kw)


def run_cli(*argv: str) -> tuple[int, str, str]:
    """Run `python -m pipelines ...` in-process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


def cli_json(*argv: str):
    """Run a --json command and parse its output; fails the test if it exits non-zero."""
    code, out, err = run_cli(*argv, "--json")
    assert code == 0, err
    return json.loads(out)


def overall(cells: list[dict]) -> dict[str, dict]:
    """indicator id -> its overall (by = null) element."""
    return {c["indicator"]: c for c in cells if c["by"] is None}


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory) -> Settings:
    """The committed synthetic extracts, loaded once into a temp database (one command: one publish).
    Tests that write copy it first (sample_copy)."""
    cfg = settings_in(tmp_path_factory.mktemp("sample_db"))
    files = sorted(SAMPLE_DATA.glob("*.csv"))
    assert files, f"no sample data in {SAMPLE_DATA}"
    for result in load_files(files, cfg):
        assert result.status == "loaded", result.message
    return cfg


PARTNERSHIP_A = "Northbridge Safeguarding Children Partnership"  # the sample's
PARTNERSHIP_B = "Southmoor Safeguarding Children Partnership"


def partnership_b_reviews(path: Path, variant: int = 0) -> Path:
    """A second partnership's reviews: the sample's rows under another name and references. `variant` 1
    changes its figures (every other review's flags flipped, ethnicity recorded elsewhere), so a test can
    tell whether anything shown for partnership A depends on B's data."""
    with open(SAMPLE_DATA / "reviews.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    flip = {"Y": "N", "N": "Y"}
    for n, row in enumerate(rows):
        row["partnership"], row["review_id"] = PARTNERSHIP_B, row["review_id"].replace("NB-", "SM-")
        if variant and n % 2:
            row.update({k: flip.get(v, v) for k, v in row.items() if k not in ("review_id", "partnership")})
            row["ethnicity_source"] = "sin" if row["ethnicity_source"] == "review" else row["ethnicity_source"]
    return write_csv(path, rows)

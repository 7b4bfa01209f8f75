"""Exports are safe to open in a spreadsheet; user input never becomes SQL; identifiers never leave."""
from __future__ import annotations

import csv
import io
import tomllib
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest

from pipelines import exports, metrics, quality, report
from pipelines.config import settings
from pipelines.loader import load_file
from pipelines.metrics import Filters
from pipelines.release import NotInRelease
from pipelines.store import read_connection
from conftest import write_csv

DANGEROUS = ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)", "=cmd|' /C calc'!A0"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_csv_export_neutralises_formulas(text):
    frame = pd.DataFrame({text: [text], "Numerator": [12]})
    header, row = list(csv.reader(io.StringIO(exports.to_csv(frame).decode("utf-8-sig"))))
    assert header[0] == row[0] == "'" + text  # a spreadsheet shows it as text, never runs it
    assert row[1] == "12"


@pytest.mark.parametrize("text", DANGEROUS)
def test_xlsx_export_writes_text_not_formulas(text):
    frame = pd.DataFrame({"Group": [text], "Numerator": [12]})
    sheet = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx(frame))).active
    cell = sheet["A2"]
    assert cell.data_type == "s" and cell.value.lstrip("'") == text  # text (xlsxwriter may keep the apostrophe as a prefix)
    assert sheet["B2"].value == 12  # numbers stay numbers


def test_internal_exports_carry_the_marking():
    frame = pd.DataFrame({"Group": ["White"], "Numerator": [3]})
    assert exports.OFFICIAL_SENSITIVE in exports.to_csv(frame, internal=True).decode("utf-8-sig")
    assert "OFFICIAL-SENSITIVE" in openpyxl.load_workbook(io.BytesIO(exports.to_xlsx(frame, internal=True))).active["A1"].value
    assert "OFFICIAL-SENSITIVE" not in exports.to_csv(frame).decode("utf-8-sig")


@pytest.fixture
def loaded(tmp_path):
    cfg = settings(tmp_path / "db.duckdb")
    cfg = cfg.__class__(**{**cfg.__dict__, "key_path": tmp_path / "key"})
    rows = [{"child_id": f"RAW-SECRET-{n:04d}", "agency": "social_care", "ethnicity": "WBRI" if n % 2 else "=1+1",
             "sex": "F"} for n in range(30)]
    assert load_file(write_csv(tmp_path / "children.csv", rows), cfg).status == "loaded"
    return cfg


def test_no_raw_identifier_in_any_export(loaded):
    with read_connection(loaded.db_path) as con:
        tables = [report.display_table(report.indicator_frame(con, by, show_small=True)) for by in ((), ("ethnic_group",))]
        tables += [quality.quarantine(con), quality.loads(con), quality.completeness(con, "children")]
    assert len(tables[2]) == 15  # the rows with a bad ethnicity were quarantined
    for table in tables:
        for blob in (exports.to_csv(table, internal=True), exports.to_xlsx(table, internal=True)):
            assert b"RAW-SECRET" not in blob
            assert b"RAW-SECRET" not in _xlsx_text(blob) if blob[:2] == b"PK" else True


def _xlsx_text(blob: bytes) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(blob))
    return " ".join(str(c.value) for s in book for row in s.iter_rows() for c in row).encode()


@pytest.mark.parametrize("by", [("ethnic_group; DROP TABLE loads",), ("sex", "sex"), ("x",), ("ethnic_group", "sex", "agency")])
def test_breakdowns_outside_the_whitelist_are_refused(loaded, by):
    with read_connection(loaded.db_path) as con:
        with pytest.raises(ValueError):
            metrics.compute(con, by)


def test_filter_values_are_parameters_not_sql(loaded):
    hostile = Filters(partnership="x' OR '1'='1", agencies=("social_care') OR ('1'='1",))
    with read_connection(loaded.db_path) as con:
        cells = metrics.compute(con, (), hostile, protected=False)
        assert all(c.denominator == 0 for c in cells if c.indicator == "practice.ethnicity_recorded")
        with pytest.raises(NotInRelease, match="has no published figures"):  # default output: not a release filter
            metrics.compute(con, (), Filters(agencies=hostile.agencies[:1]))
        assert con.execute("SELECT count(*) FROM loads").fetchall()[0][0] == 1


def test_upload_limit_is_configured():
    config = tomllib.loads((Path(__file__).parent.parent / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == settings().max_upload_mb


def test_readers_refuse_entity_expansion(tmp_path):
    path = tmp_path / "cin.xml"
    path.write_text('<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaa">]><Message>&a;</Message>')
    result = load_file(path, settings(tmp_path / "db.duckdb"))
    assert result.status == "failed" and "cin.xml" in result.message
    with duckdb.connect(str(tmp_path / "db.duckdb"), read_only=True) as con:
        assert con.execute("SELECT status FROM loads").fetchall() == [("failed",)]

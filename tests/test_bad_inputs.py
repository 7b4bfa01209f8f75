"""The bad-input corpus (tests/bad_inputs): every file a partnership could really send
either loads with every bad row quarantined at the right line and column, or fails as a
whole with a message naming the file; and data loaded earlier is never touched.

Expectations live in tests/bad_inputs/expected.toml (decided from the data contract);
the files come from tests/bad_inputs/make_corpus.py.
"""
from __future__ import annotations

import importlib.util
import tomllib
from pathlib import Path

import pytest

from conftest import SAMPLE_DATA as SAMPLE, cli_json, run_cli, write_csv
from pipelines.loader import WITHHELD
from pipelines.schema import KINDS
from pipelines.store import read_connection

CORPUS = Path(__file__).parent / "bad_inputs"
MANIFEST = tomllib.loads((CORPUS / "expected.toml").read_text(encoding="utf-8"))["file"]
NOT_CORPUS = {"make_corpus.py", "expected.toml", "__pycache__"}

_spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
make_corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_corpus)

# A small valid extract of each kind, loaded first; its keys never occur in the corpus.
VALID = {
    "reviews": [
        dict(review_id=f"V-{i}", partnership="Valid SCP", review_type=t, notification_date="2023-06-01",
             incident_date="2023-05-01", child_ethnicity="BAFR", child_sex="M", child_age_years=str(i),
             harm_cause="Physical abuse", primary_suspect="Father", race_considered="consistent")
        for i, t in ((1, "RR"), (2, "LCSPR"), (3, "RR"))],
    "disclosures": [
        dict(disclosure_id=f"VD-{i}", child_id=f"VALC-{i}", agency="police", disclosure_date="2023-06-01",
             harm_type="sexual", action="s47", action_date="2023-06-02") for i in range(1, 4)],
    "children": [
        dict(child_id=f"VALC-{i}", agency="health", ethnicity="APKN", sex="M", date_of_birth="2012-03",
             first_language="Urdu", interpreter_needed="Y", disability="N") for i in range(1, 4)],
    "episodes": [
        dict(episode_id=f"VE-{i}", child_id=f"VALC-{i}", agency="health", episode_type="health_contact",
             episode_date="2023-06-01", child_seen="Y", seen_alone="Y", voice_recorded="N",
             identity_explored="Y", interpreter_type="professional") for i in range(1, 4)],
    "population": [dict(area="Valid Town", ethnic_group=g, children="1000") for g in ("White", "Asian", "Black")],
}


def landing(cfg, kind: str, load_id: int | None = None) -> list[dict]:
    with read_connection(cfg.db_path) as con:
        cur = con.execute(f"SELECT * FROM landing_{kind} WHERE ? IS NULL OR load_id = ?", [load_id, load_id])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]


def frozen(rows: list[dict]) -> list[str]:
    return sorted(repr(sorted(r.items())) for r in rows)


def corpus_path(entry: dict, tmp_path: Path) -> Path:
    if entry.get("generated"):
        make_corpus.write_generated(tmp_path)
        return tmp_path / entry["name"]
    return CORPUS / entry["name"]


@pytest.mark.parametrize("entry", MANIFEST, ids=[e["name"] for e in MANIFEST])
def test_bad_input(entry, cfg, tmp_path):
    name, kind = entry["name"], entry.get("kind")
    base_kind = entry.get("baseline", kind)

    # The valid extract first, so we can see that the bad file never corrupts it.
    base = write_csv(tmp_path / "valid" / f"valid_{base_kind}.csv", VALID[base_kind])
    code, out, err = run_cli("load", base)
    assert code == 0, out + err
    before = landing(cfg, base_kind)
    assert len(before) == len(VALID[base_kind])

    # The bad file: any unhandled exception propagates out of run_cli and fails the test.
    code, out, err = run_cli("load", corpus_path(entry, tmp_path), *(["--kind", kind] if kind else []))
    loads = cli_json("loads")
    assert len(loads) == 2, loads
    for load in loads:  # the contract's accounting, for every load
        assert load["rows_read"] == load["rows_loaded"] + load["rows_quarantined"], load
    load = loads[-1]
    assert load["file"] == name
    assert load["status"] == entry["status"], out
    quarantine = cli_json("quarantine", "--load-id", load["load_id"])

    if entry["status"] == "failed":
        assert code == 1
        message = out.strip()
        assert message.startswith("FAILED") and name in message, message
        assert "could not be loaded:" not in message, "an internal error, caught by the loader's catch-all"
        for part in entry.get("message", []):
            assert part in message, message
        if "line" in entry:
            assert f"line {entry['line']}" in message, message
        if "column" in entry:
            assert entry["column"] in message, message
        assert (load["rows_read"], load["rows_loaded"], load["rows_quarantined"]) == (0, 0, 0)
        assert quarantine == []
        assert frozen(landing(cfg, base_kind)) == frozen(before)
        return

    assert code == 0, out
    assert load["kind"] == entry.get("loaded_kind", base_kind)
    counts = (load["rows_read"], load["rows_loaded"], load["rows_quarantined"])
    assert counts == (entry["rows_read"], entry["rows_loaded"], entry["rows_quarantined"]), out

    # Each quarantine record names the file, the line and the column expected, and nothing else is there.
    expected = entry.get("quarantine", [])
    assert all(q["file"] == name for q in quarantine)
    got = {(q["line"], q["column"]) for q in quarantine}
    assert got == {(e["line"], e["column"] or None) for e in expected}, quarantine
    assert len({q["line"] for q in quarantine}) == entry["rows_quarantined"]
    for e in expected:
        q = next(q for q in quarantine if (q["line"], q["column"]) == (e["line"], e["column"] or None))
        assert e["reason"] in q["reason"], q
        if "value" in e:
            assert q["value"] == e["value"], q
    identifying = {c.name for c in KINDS[base_kind].columns if c.identifying}
    for q in quarantine:  # identifiers (ids, dates of birth, references, free text) never reach the quarantine
        if q["column"] is None:
            assert q["value"] is None, q  # a row that could not be split keeps none of its fields
        elif identifying & set(q["column"].split(",")):
            assert q["value"] == WITHHELD, q

    # Earlier rows all still there and unchanged; the file added exactly the rows it loaded.
    after = landing(cfg, base_kind)
    assert frozen([r for r in after if r["load_id"] != load["load_id"]]) == frozen(before)
    new = landing(cfg, base_kind, load["load_id"])
    assert len(new) == entry["rows_loaded"]
    for column, value in entry.get("contains", []):
        assert value in {str(r[column]) for r in new}, (column, value, [r[column] for r in new])


def test_manifest_matches_corpus_folder():
    stored = {p.name for p in CORPUS.iterdir()} - NOT_CORPUS
    listed = {e["name"] for e in MANIFEST if not e.get("generated")}
    assert stored == listed
    assert {e["name"] for e in MANIFEST if e.get("generated")} == set(make_corpus.GENERATED)
    assert len({e["name"] for e in MANIFEST}) == len(MANIFEST), "a file is listed twice"
    assert len(MANIFEST) >= 30


def test_corpus_script_reproduces_the_stored_files(tmp_path):
    """The committed files are exactly what make_corpus.py writes (deterministic, nothing edited by hand)."""
    for name, data in make_corpus.corpus().items():
        assert (CORPUS / name).read_bytes() == data, name


def test_a_bad_file_first_does_not_stop_the_others(cfg, tmp_path):
    """One command, a damaged workbook then a valid file: the first is a recorded failed load with its
    message, the second loads, and the command says something failed."""
    good = write_csv(tmp_path / "valid_reviews.csv", VALID["reviews"])
    code, out, err = run_cli("load", CORPUS / "sheet_xml_malformed.xlsx", CORPUS / "bad_crc.xlsx", good)
    assert code == 1 and "Traceback" not in err
    assert [(r["file"], r["status"]) for r in cli_json("loads")] == [
        ("sheet_xml_malformed.xlsx", "failed"), ("bad_crc.xlsx", "failed"), ("valid_reviews.csv", "loaded")]


@pytest.mark.parametrize("command", ["indicators", "loads", "quarantine"])
@pytest.mark.parametrize("target", ["a.csv", "folder", "empty.duckdb"])
def test_a_database_path_that_is_not_ours_gets_a_message_not_a_traceback(tmp_path, command, target):
    (tmp_path / "a.csv").write_text("a,b\n1,2\n")
    (tmp_path / "folder").mkdir()
    (tmp_path / "empty.duckdb").write_bytes(b"")
    code, out, err = run_cli(command, "--db", tmp_path / target)
    assert code == 2 and err.startswith("error: ") and target in err, err


def test_devices_and_pipes_are_refused_before_reading(cfg, tmp_path):
    """/dev/zero or a named pipe would be read for ever: each is a recorded failed load, and the next file loads."""
    import os

    fifo = tmp_path / "extract.csv"
    os.mkfifo(fifo)
    good = write_csv(tmp_path / "valid_reviews.csv", VALID["reviews"])
    code, out, err = run_cli("load", "/dev/zero", fifo, good)
    assert code == 1
    assert [(r["file"], r["status"]) for r in cli_json("loads")] == [
        ("zero", "failed"), ("extract.csv", "failed"), ("valid_reviews.csv", "loaded")]
    assert out.count("is not a regular file") == 2


def test_a_key_file_that_is_not_a_key_is_named(cfg, tmp_path, monkeypatch):
    key = tmp_path / "odd.key"
    key.write_text("zz-not-hex\n")
    key.chmod(0o600)
    monkeypatch.setenv("PM_KEY_FILE", str(key))
    code, out, err = run_cli("load", SAMPLE / "children.csv")
    assert code == 1 and f"pseudonymisation key {key} is not a 32-byte hex key" in out


@pytest.mark.parametrize("argv,message", [
    (("--scale", "1e9"), "--scale 1e+09: choose more than 0 and at most 2000"),
    (("--scale", "0"), "choose more than 0"),
])
def test_generate_refuses_impossible_sizes(tmp_path, argv, message):
    code, out, err = run_cli("generate", "--out", tmp_path / "out", *argv)
    assert code == 2 and message in err and not (tmp_path / "out").exists()


def test_generate_refuses_a_file_as_its_folder(tmp_path):
    (tmp_path / "taken").write_text("keep me")
    code, out, err = run_cli("generate", "--out", tmp_path / "taken")
    assert code == 2 and "is a file: give a folder" in err and (tmp_path / "taken").read_text() == "keep me"


@pytest.mark.parametrize("variable,value,message", [
    ("PM_FOLLOWUP_DAYS", "-3", "PM_FOLLOWUP_DAYS=-3 is below 0"),
    ("PM_SUPPRESS_MAX", "five", "PM_SUPPRESS_MAX='five' is not a whole number"),
])
def test_settings_out_of_range_are_refused_by_name(cfg, monkeypatch, variable, value, message):
    monkeypatch.setenv(variable, value)
    code, out, err = run_cli("load", SAMPLE / "reviews.csv")
    assert code == 2 and message in err
    assert not cfg.db_path.exists()  # nothing loaded under a setting that would have been wrong


def test_the_same_file_asked_for_as_another_kind_is_checked_as_that_kind(cfg, tmp_path):
    episodes = write_csv(tmp_path / "episodes.csv", VALID["episodes"])
    assert run_cli("load", episodes)[0] == 0
    code, out, err = run_cli("load", "--kind", "reviews", episodes)
    assert "unchanged" not in out and "as episodes" not in out, out
    assert code == 1 and out.startswith("FAILED") and "review" in out, out


def test_a_corrected_file_updates_by_key_and_says_so(cfg, tmp_path):
    """A resend of two of three reviews, one corrected and one now invalid: the valid one replaces its
    earlier version (said in the summary), the invalid one is quarantined and replaces nothing, and the
    review left out of the resend stays as loaded."""
    first = write_csv(tmp_path / "reviews.csv", VALID["reviews"])
    assert run_cli("load", first)[0] == 0
    resend = [dict(VALID["reviews"][0], harm_cause="Neglect"), dict(VALID["reviews"][1], review_type="XX")]
    code, out, err = run_cli("load", write_csv(tmp_path / "reviews_corrected.csv", resend))
    assert code == 0 and "2 read, 1 loaded, 1 quarantined" in out
    assert "1 record(s) replaced their earlier version (same key); records not in this file stay" in out
    stored = {r["review_id"]: r for r in landing(cfg, "reviews")}
    assert (stored["V-1"]["harm_cause"], stored["V-2"]["review_type"], stored["V-3"]["load_id"]) == ("Neglect", "LCSPR", 1)

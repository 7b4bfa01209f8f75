"""The review coding form: fields from the contract, the loader's checks, saves that are loads, the CSV export."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import shutil
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.state import View
from pipelines.access import LOCAL
from pipelines import coding
from pipelines.catalogue import by_id
from pipelines.loader import load_file
from pipelines.metrics import Filters
from pipelines.reference import ethnicity_codes
from pipelines.schema import FLAG, REVIEWS, Column, Kind
from conftest import SAMPLE_DATA, cli_json, run_cli, settings_in

PAGE = str(Path(__file__).parent.parent / "dashboard" / "views" / "coding.py")
PARTNERSHIP = "Testshire Safeguarding Children Partnership"
CONTRACT = [c.name for c in REVIEWS.columns]


def review(**changes) -> dict:
    """A valid review as the form holds it (dates as dates, the age as a number, codes as text)."""
    values = {"review_id": "TS-RR-2024-001", "partnership": PARTNERSHIP, "review_type": "RR",
              "notification_date": dt.date(2024, 5, 14), "incident_date": dt.date(2024, 5, 2),
              "child_ethnicity": "MWBC", "ethnicity_source": "review", "child_sex": "F", "child_age_years": 15,
              "outcome": "serious_harm", "harm_cause": "Non-fatal assault – Extrafamilial",
              "primary_suspect": "Known but unrelated", "tor_race_focus": "no_tor", "race_considered": "partial",
              "racism_named": "Y", "adultification_identified": "Y", "child_voice_review": "considered",
              "child_seen_alone": "N", "interpreter_type": "family_member", "disclosure_followed_up": "no_disclosure",
              "risk_recognition": "recognised_not_acted", "race_learning_points": "N", "panel_letter_race": "no_letter"}
    values.update(changes)
    return values


@pytest.fixture(scope="module")
def base_db(tmp_path_factory) -> Path:
    """The sample review extract, loaded once; each test works on its own copy."""
    cfg = settings_in(tmp_path_factory.mktemp("coding_base"))
    result = load_file(SAMPLE_DATA / "reviews.csv", cfg)
    assert result.status == "loaded", result.message
    return cfg.db_path


@pytest.fixture
def settings(base_db, tmp_path):
    cfg = settings_in(tmp_path / "db")
    cfg.db_path.parent.mkdir(parents=True)
    shutil.copy(base_db, cfg.db_path)
    return cfg


def table(db: Path, sql: str, params=()) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def stored_rows(db: Path, review_id: str) -> list[dict]:
    columns = ", ".join(f'"{c}"' for c in CONTRACT)
    with duckdb.connect(str(db), read_only=True) as con:
        cur = con.execute(f"SELECT {columns} FROM landing_reviews WHERE review_id = ? ORDER BY partnership",
                          [review_id])
        return [dict(zip(CONTRACT, r)) for r in cur.fetchall()]


def overall(db: Path) -> dict[str, dict]:
    return {c["indicator"]: c for c in cli_json("indicators", "--unsuppressed", "--db", str(db)) if c["by"] is None}


# --- the fields ---------------------------------------------------------------------------------------------------

def test_every_reviews_column_has_one_field_in_the_contracts_order():
    fields = coding.fields()
    assert [f.name for f in fields] == CONTRACT
    grouped = [f.name for fs in coding.sections().values() for f in fs]
    assert grouped == [c for cols in coding.SECTIONS.values() for c in cols] and sorted(grouped) == sorted(CONTRACT)
    for f in fields:
        assert f.label and f.label != f.name, f.name
        assert f.question and f.help.startswith(f.question), f.name
        assert f"`{f.name}`" in f.help
        assert f.section != coding.OTHER_SECTION, f"{f.name} has no section"
    assert not set(coding.LABELS) - set(CONTRACT) and not set(coding.QUESTIONS) - set(CONTRACT)
    assert not set(coding.VALUE_LABELS) - set(CONTRACT)


def test_enums_offer_exactly_the_contracts_values_with_plain_labels():
    for f in coding.fields():
        if f.column.type != "enum":
            continue
        values = [v for v, _ in f.options]
        assert values[0] == coding.BLANK and values[1:] == list(f.column.values), f.name
        labels = dict(f.options)
        assert all(labels[v] for v in values), f.name
        if set(f.column.values) == set(FLAG):
            assert f.widget == "flag" and [labels[v] for v in ("Y", "N", "")] == ["Yes", "No", "Not coded"]
        else:
            assert f.widget == "select"
            # every multi-word code is spelled out, not shown as it is stored
            assert all(labels[v] != v for v in f.column.values if "_" in v), f.name
    assert dict(coding._fields_by_name()["review_type"].options)[""] == coding.REQUIRED_BLANK  # required: must choose


def test_widgets_follow_the_column_types():
    by = {f.name: f for f in coding.fields()}
    assert {n for n, f in by.items() if f.widget == "date"} == {"notification_date", "incident_date"}
    assert by["child_age_years"].widget == "age"
    assert by["child_ethnicity"].widget == "ethnicity"
    assert [v for v, _ in by["child_ethnicity"].options] == ["", *ethnicity_codes()]
    assert by["child_ethnicity"].option_label("WBRI") == "White - British (WBRI)"
    assert {n for n, f in by.items() if f.widget == "text"} == {"review_id", "partnership", "harm_cause",
                                                              "primary_suspect"}
    for name in ("harm_cause", "primary_suspect"):  # free text: the help says no names
        assert "Do not enter names" in by[name].help


def test_help_is_the_framework_question_and_names_the_indicators_that_count_the_column():
    by = {f.name: f for f in coding.fields()}
    tor = by_id("review.tor_race_focus")
    assert by["tor_race_focus"].question.startswith(tor.question)  # Appendix D's first question
    assert "review.tor_race_focus" in by["tor_race_focus"].help
    assert by["interpreter_type"].indicators == ("review.interpreter_informal",)
    assert "review.racism_named" in by["racism_named"].help
    assert by["panel_letter_race"].question == by_id("review.panel_letter_race").question
    for f in by.values():
        for ind in f.indicators:
            assert by_id(ind).fact.name == "fct_review" and f.name in by_id(ind).numerator_sql + by_id(ind).denominator_sql


def test_a_new_contract_column_appears_on_the_form_without_editing_it():
    kind = Kind("reviews", (*REVIEWS.columns, Column("new_flag", "enum", values=FLAG),
                            Column("racism_named_again", "text")), REVIEWS.key, REVIEWS.fact, REVIEWS.checks)
    fields = {f.name: f for f in coding.fields(kind)}
    assert list(fields) == [c.name for c in kind.columns]
    new = fields["new_flag"]
    assert new.widget == "flag" and new.label == "New flag" and new.section == coding.OTHER_SECTION
    assert "docs/data-contract.md" in new.question
    assert "Do not enter names" in fields["racism_named_again"].help
    assert coding.sections(kind)[coding.OTHER_SECTION] == (new, fields["racism_named_again"])
    assert coding.row({"new_flag": "Y"}, kind)["new_flag"] == "Y"


# --- the row, the checks, the CSV -----------------------------------------------------------------------------------

def test_the_row_is_the_contracts_text_in_the_contracts_order():
    row = coding.row(review())
    assert list(row) == CONTRACT
    assert row["notification_date"] == "2024-05-14" and row["child_age_years"] == "15"
    assert row["disability"] == "" and row["racism_named"] == "Y"
    assert coding.row({"child_age_years": 3.0, "incident_date": dt.datetime(2024, 1, 2, 9)})["child_age_years"] == "3"
    with pytest.raises(KeyError, match="child_name"):
        coding.row({"child_name": "x"})


def test_a_valid_review_passes_the_loaders_checks():
    assert coding.check(review()) == []


@pytest.mark.parametrize("changes,column,reason", [
    ({"incident_date": dt.date(2024, 6, 1)}, "incident_date", "incident_date is after notification_date"),
    ({"review_id": "   "}, "review_id", "required value is missing"),
    ({"review_type": ""}, "review_type", "required value is missing"),
    ({"child_age_years": 18}, "child_age_years", "not an age from 0 to 17"),
    ({"notification_date": dt.date.today() + dt.timedelta(days=2), "incident_date": None}, "notification_date",
     "date is in the future"),
    ({"child_ethnicity": "XXXX"}, "child_ethnicity", "not a DfE ethnicity code or label"),
    ({"harm_cause": "x" * 1001}, "harm_cause", "longer than 1,000 characters"),
])
def test_an_invalid_entry_gets_the_loaders_column_and_reason(changes, column, reason):
    problems = coding.check(review(**changes))
    assert [(p.column, p.reason) for p in problems] == [(column, reason)]
    assert problems[0].message == f"{coding._fields_by_name()[column].label} ({column}): {reason}"


def test_problems_come_in_the_forms_order():
    problems = coding.check({})
    assert [p.column for p in problems] == ["review_id", "partnership", "review_type", "notification_date"]


def test_the_csv_has_the_contracts_header_and_one_row():
    data = coding.csv_bytes(review())
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == CONTRACT and len(rows) == 2
    assert dict(zip(rows[0], rows[1])) == coding.row(review())
    name = coding.file_name(review())
    assert name.startswith("review-coding-testshire-safeguarding-children-partnership-") and "TS-RR" not in name


# --- saving ---------------------------------------------------------------------------------------------------------

def fingerprint(db: Path) -> tuple:
    return (hashlib.sha256(db.read_bytes()).hexdigest(), table(db, "SELECT * FROM loads ORDER BY load_id"),
            table(db, "SELECT * FROM landing_reviews ORDER BY partnership, review_id"))


@pytest.mark.parametrize("changes,column,reason", [
    ({"incident_date": dt.date(2024, 6, 1)}, "incident_date", "incident_date is after notification_date"),
    ({"review_id": None}, "review_id", "required value is missing"),
])
def test_an_invalid_review_is_not_saved(settings, changes, column, reason):
    before = fingerprint(settings.db_path)
    saved = coding.save(review(**changes), settings)
    assert saved.status == "invalid" and not saved.ok and saved.result is None
    assert [(p.column, p.reason) for p in saved.problems] == [(column, reason)]
    assert reason in saved.message and saved.message.startswith("Not saved")
    assert fingerprint(settings.db_path) == before  # no load recorded, no row, not a byte changed


def test_saving_a_new_review_is_a_load_and_changes_the_figures(settings):
    db = settings.db_path
    before = overall(db)
    loads = table(db, "SELECT count(*) FROM loads")[0][0]
    saved = coding.save(review(), settings)
    assert saved.status == "added", saved.message
    assert saved.message.startswith("Review added")
    after = overall(db)
    assert after["review.count"]["denominator"] == before["review.count"]["denominator"] + 1
    for ind in ("review.racism_named", "review.adultification_identified"):  # coded Y
        assert after[ind]["numerator"] == before[ind]["numerator"] + 1
        assert after[ind]["denominator"] == before[ind]["denominator"] + 1
    assert table(db, "SELECT count(*) FROM loads")[0][0] == loads + 1
    assert table(db, "SELECT file, kind, status, rows_read, rows_loaded, rows_quarantined FROM loads "
                     "WHERE load_id = ?", [saved.result.load_id]) == [
        (f"coding form: {PARTNERSHIP}", "reviews", "loaded", 1, 1, 0)]
    [row] = stored_rows(db, "TS-RR-2024-001")
    assert {k: v for k, v in row.items() if v is not None} == {
        k: v for k, v in review().items() if v not in (None, "")}
    assert coding.stored_keys(db)[-1] == (PARTNERSHIP, "TS-RR-2024-001")


def test_saving_an_existing_review_replaces_it(settings):
    db = settings.db_path
    assert coding.save(review(), settings).status == "added"
    before = overall(db)
    saved = coding.save(review(racism_named="N", child_age_years=None), settings)
    assert saved.status == "updated", saved.message
    assert "updated" in saved.message
    [row] = stored_rows(db, "TS-RR-2024-001")  # replaced, not duplicated
    assert row["racism_named"] == "N" and row["child_age_years"] is None
    after = overall(db)
    assert after["review.count"]["denominator"] == before["review.count"]["denominator"]
    assert after["review.racism_named"]["numerator"] == before["review.racism_named"]["numerator"] - 1
    assert table(db, "SELECT status, rows_loaded FROM loads ORDER BY load_id DESC LIMIT 2") == [
        ("loaded", 1), ("loaded", 1)]  # the edit is a load of its own
    # the same key in another partnership is another review
    assert coding.save(review(partnership="Elsewhere Partnership"), settings).status == "added"
    assert len(stored_rows(db, "TS-RR-2024-001")) == 2
    # saving again with nothing changed: the loader's "unchanged", recorded, nothing stored twice
    again = coding.save(review(partnership="Elsewhere Partnership"), settings)
    assert again.status == "unchanged" and again.ok
    assert len(stored_rows(db, "TS-RR-2024-001")) == 2


def test_a_load_that_fails_is_reported_not_saved(tmp_path):
    (tmp_path / "not_a_folder").write_text("")
    cfg = settings_in(tmp_path / "not_a_folder")  # the database's folder cannot be made
    saved = coding.save(review(), cfg)
    assert saved.status == "failed" and not saved.ok
    assert saved.message.startswith("Not saved: coding form: ") and "could not be loaded" in saved.message


def test_a_stored_review_prefills_the_form_exactly(settings):
    key = ("Northbridge Safeguarding Children Partnership", "NB-RR-2022-001")
    stored = coding.stored_values(settings.db_path, key)
    with open(SAMPLE_DATA / "reviews.csv", newline="", encoding="utf-8") as f:
        original = next(r for r in csv.DictReader(f) if r["review_id"] == key[1])
    assert coding.row(stored) == {c: original[c] for c in CONTRACT}
    assert coding.check(stored) == []
    assert coding.stored_values(settings.db_path, ("Nowhere", "none")) is None


def test_the_exported_csv_loads_to_the_same_stored_row(settings, tmp_path):
    values = review(disability="N", faith_recorded="Y", intersectionality="in_isolation")
    assert coding.save(values, settings).status == "added"
    path = tmp_path / "export" / coding.file_name(values)
    path.parent.mkdir()
    path.write_bytes(coding.csv_bytes(values))
    fresh = tmp_path / "fresh" / "partnership.duckdb"
    code, out, err = run_cli("load", str(path), "--db", str(fresh))
    assert code == 0, err
    assert "1 read, 1 loaded, 0 quarantined" in out
    assert stored_rows(fresh, "TS-RR-2024-001") == stored_rows(settings.db_path, "TS-RR-2024-001")


# --- the page -------------------------------------------------------------------------------------------------------

def page(settings) -> AppTest:
    """The page on its own, with the view app.py would put in session state."""
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["view"] = View(settings, Filters(), False, (), LOCAL)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def fill(at: AppTest, values: dict) -> AppTest:
    for name, value in values.items():
        f = coding._fields_by_name()[name]
        widget = {"text": at.text_input, "select": at.selectbox, "ethnicity": at.selectbox, "flag": at.radio,
                  "date": at.date_input, "age": at.number_input}[f.widget](key=f"code.{name}")
        widget.input(value) if f.widget == "text" else widget.set_value(value)
    return at.run()


def test_the_page_draws_every_field_with_its_question(settings):
    at = page(settings)
    assert at.title[0].value == "Code a review"
    widgets = {w.key: w for kind in (at.text_input, at.selectbox, at.radio, at.date_input, at.number_input)
               for w in kind}
    for f in coding.fields():
        assert widgets[f"code.{f.name}"].help == f.help
    assert at.selectbox(key="code.interpreter_type").options == [
        "Not coded", *(coding._fields_by_name()["interpreter_type"].option_label(v)
                       for v in REVIEWS.column("interpreter_type").values)]
    assert at.radio(key="code.racism_named").options == ["Yes", "No", "Not coded"]
    assert at.date_input(key="code.incident_date").value is None  # blank, not today
    assert not at.error


def test_the_page_saves_a_new_review_then_an_edit(settings):
    at = fill(page(settings), review())
    at.button(key="code_save").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "Review added" in at.success[0].value
    assert at.selectbox(key="code_pick").value == (PARTNERSHIP, "TS-RR-2024-001")  # now editing what was saved
    fill(at, {"racism_named": "N"})
    assert not at.success  # the message was about the form as saved
    at.button(key="code_save").click().run()
    assert "updated" in at.success[0].value
    [row] = stored_rows(settings.db_path, "TS-RR-2024-001")
    assert row["racism_named"] == "N"


def test_the_page_shows_the_loaders_message_and_saves_nothing(settings):
    before = fingerprint(settings.db_path)
    at = fill(page(settings), review(incident_date=dt.date(2024, 6, 1), review_id=""))
    at.button(key="code_save").click().run()
    assert not at.success
    [error] = at.error
    assert "Not saved" in error.value
    assert "Date of the serious incident (incident_date): incident_date is after notification_date" in error.value
    assert "Review reference (review_id): required value is missing" in error.value
    assert fingerprint(settings.db_path) == before


def test_the_page_edits_a_stored_review(settings):
    at = page(settings)
    key = ("Northbridge Safeguarding Children Partnership", "NB-RR-2022-002")
    assert " · ".join(key) in at.selectbox(key="code_pick").options
    at.selectbox(key="code_pick").set_value(key).run()
    assert at.text_input(key="code.review_id").value == "NB-RR-2022-002"
    assert at.date_input(key="code.notification_date").value == dt.date(2022, 5, 16)
    assert at.selectbox(key="code.child_voice_review").value == "under_3"
    before = stored_rows(settings.db_path, "NB-RR-2022-002")
    fill(at, {"race_considered": "consistent"})
    at.button(key="code_save").click().run()
    assert "updated" in at.success[0].value
    [after] = stored_rows(settings.db_path, "NB-RR-2022-002")
    assert after == {**before[0], "race_considered": "consistent"}
    at.button(key="code_new").click().run()
    assert at.text_input(key="code.review_id").value == "" and at.selectbox(key="code_pick").value == ""

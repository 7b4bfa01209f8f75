"""The recommendations tracker: the Panel's 8 recommendations pre-filled once, every change a new version (the
history is never overwritten), overdue flags, the progress summary, refused changes, exports, atomic writes,
and the page."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from pathlib import Path

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from pipelines import exports, marts, tracker
from pipelines.loader import load_file
from pipelines.store import read_connection

from conftest import SAMPLE_DATA

PAGE = str(Path(__file__).parent.parent / "dashboard" / "views" / "tracker.py")
TODAY = dt.date(2025, 6, 1)
PANEL_IDS = ["R1", "R2", "R3", "R4", "R5", "P1", "P2", "P3"]


def read(cfg, fn, *args, **kw):
    with read_connection(cfg.db_path) as con:
        return fn(con, *args, **kw)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def loaded(cfg):
    """A database holding the sample population extract and no tracker yet."""
    result = load_file(SAMPLE_DATA / "population.csv", cfg)
    assert result.status == "loaded", result.message
    return cfg


@pytest.fixture
def filled(cfg):
    """A tracker just pre-filled (the first write creates the database)."""
    assert tracker.prefill(cfg) == 8
    return cfg


def test_reference_holds_the_panels_eight_recommendations_as_worded():
    recs = tracker.recommendations()
    assert [r.item_id for r in recs] == PANEL_IDS
    assert [r.source for r in recs] == [tracker.REVIEW] * 5 + [tracker.PRACTICE] * 3
    assert recs[1].recommendation.startswith("The commissioning process should start from the position that children "
                                             "and families from Black, Asian and Mixed Heritage backgrounds")
    assert recs[7].recommendation == ("Safeguarding partnerships should ensure appropriate internal structures are in "
                                      "place to support practitioners to recognise, discuss and challenge internal and "
                                      "institutional racism.")
    assert "translation services" in recs[6].recommendation


def test_prefill_stores_the_eight_panel_recommendations_once(loaded, monkeypatch):
    monkeypatch.setattr(marts, "build_marts", lambda *a, **k: pytest.fail("a tracker write rebuilt the marts"))
    assert read(loaded, tracker.needs_prefill)
    assert tracker.prefill(loaded) == 8
    assert tracker.prefill(loaded) == 0  # idempotent
    tracker.update(loaded, "R1", "Ann", status="in progress")  # every write pre-fills first: still nothing added
    assert not read(loaded, tracker.needs_prefill)
    now = read(loaded, tracker.current, TODAY)
    assert list(now["item_id"]) == PANEL_IDS
    assert list(now["recommendation"]) == [r.recommendation for r in tracker.recommendations()]
    assert (now.set_index("item_id").drop("R1")["status"] == "not started").all()
    assert list(read(loaded, tracker.history)["item_id"]).count("R2") == 1
    assert len(read(loaded, tracker.history)) == 9


def test_reads_before_the_first_write_show_the_panels_items_not_started(loaded):
    now = read(loaded, tracker.current, TODAY)
    assert list(now["item_id"]) == PANEL_IDS and set(now["status"]) == {"not started"}
    assert set(now["version"]) == {0}
    assert read(loaded, tracker.history).empty
    assert read(loaded, tracker.progress, TODAY)["sentence"] == "0 of 8 Panel recommendations done."


def test_an_update_appends_a_version_and_keeps_the_previous_state(filled):
    assert tracker.update(filled, "R2", "Ann", status="in progress", owner="police", due="2025-09-30",
                          evidence="https://intranet.example/lscp/r2-plan", note="plan agreed") == 2
    assert tracker.update(filled, "R2", "Bob", status="done", note="signed off") == 3
    versions = read(filled, tracker.history, "R2")
    assert list(versions["version"]) == [1, 2, 3]
    assert list(versions["status"]) == ["not started", "in progress", "done"]
    assert list(versions["changed_by"]) == [tracker.PREFILLED_BY, "Ann", "Bob"]
    assert versions.iloc[1]["due"] == dt.date(2025, 9, 30) and versions.iloc[1]["owner"] == "police"
    latest = read(filled, tracker.current, TODAY).set_index("item_id").loc["R2"]
    assert (latest["version"], latest["status"], latest["owner"], latest["changed_by"]) == (3, "done", "police", "Bob")
    assert latest["due"] == dt.date(2025, 9, 30)  # fields not given are kept
    assert latest["evidence"] == "https://intranet.example/lscp/r2-plan" and latest["note"] == "signed off"
    shown = tracker.display_history(versions)
    assert list(shown["What changed"]) == [
        "created",
        "status: not started → in progress; owner: Partnership → Police; due: none → 2025-09-30; "
        "evidence: none → “https://intranet.example/lscp/r2-plan”",
        "status: in progress → done"]
    tracker.update(filled, "R2", "Bob", due=None)  # None clears the due date
    assert read(filled, tracker.current, TODAY).set_index("item_id").loc["R2", "due"] is None


def test_overdue_is_a_passed_due_date_and_not_done(filled):
    tracker.update(filled, "R1", "Ann", due=TODAY - dt.timedelta(days=1))  # overdue
    tracker.update(filled, "R2", "Ann", due=TODAY)  # due today: not yet overdue
    tracker.update(filled, "R3", "Ann", status="done", due=TODAY - dt.timedelta(days=30))  # done: never overdue
    tracker.update(filled, "R4", "Ann", status="blocked", due=dt.date(2025, 1, 1))  # blocked still counts
    now = read(filled, tracker.current, TODAY).set_index("item_id")
    assert list(now.index[now["overdue"]]) == ["R1", "R4"]
    assert now.loc["R1", "days_overdue"] == 1 and now.loc["R4", "days_overdue"] == 151
    shown = tracker.display_current(now.reset_index()).set_index("ID")["Overdue"]
    assert shown["R1"] == "OVERDUE by 1 day" and shown["R4"] == "OVERDUE by 151 days" and shown["R2"] == ""
    later = read(filled, tracker.current, TODAY + dt.timedelta(days=1)).set_index("item_id")
    assert later.loc["R2", "overdue"]  # the same state, judged a day later


def test_adding_a_partnership_action(filled):
    assert tracker.add_action(filled, "Train rapid review panel members on race and racism", "Cara",
                              owner="education", due="2025-12-31", note="from the March board") == "A1"
    assert tracker.add_action(filled, "Audit ToR for race focus", "Cara", status="in progress") == "A2"
    now = read(filled, tracker.current, TODAY)
    assert list(now["item_id"]) == PANEL_IDS + ["A1", "A2"]
    a1 = now.set_index("item_id").loc["A1"]
    assert (a1["source"], a1["owner"], a1["status"], a1["due"], a1["changed_by"], a1["version"]) == (
        tracker.PARTNERSHIP, "education", "not started", dt.date(2025, 12, 31), "Cara", 1)
    assert tracker.update(filled, "A1", "Dev", status="done") == 2


def test_progress_counts_and_sentence(filled):
    for item in ("R1", "R2", "P1"):
        tracker.update(filled, item, "Ann", status="done")
    tracker.update(filled, "R3", "Ann", status="in progress", due="2025-05-01")  # overdue
    tracker.update(filled, "P2", "Ann", status="in progress", due="2025-07-01")
    tracker.add_action(filled, "Supervision prompts on identity", "Ann", status="done")
    tracker.add_action(filled, "Translation services review", "Ann", status="blocked", due="2025-01-31")
    summary = read(filled, tracker.progress, TODAY)
    assert summary["sentence"] == ("3 of 8 Panel recommendations done, 2 in progress, 1 overdue; "
                                   "1 of 2 partnership actions done, 1 blocked, 1 overdue.")
    assert summary["as_of"] == "2025-06-01"
    assert summary["panel"] == {"total": 8, "done": 3, "overdue": 1, "by_status": {
        "not started": 3, "in progress": 2, "done": 3, "blocked": 0}}
    assert (summary["total"], summary["done"], summary["overdue"]) == (10, 4, 2)
    assert summary["by_source"][tracker.REVIEW]["by_status"] == {"not started": 2, "in progress": 1, "done": 2,
                                                                 "blocked": 0}
    assert summary["by_source"][tracker.PRACTICE]["done"] == 1
    assert summary["by_source"][tracker.PARTNERSHIP]["overdue"] == 1


@pytest.mark.parametrize("change,message", [
    (dict(status="finished"), "Unknown status 'finished': choose one of not started, in progress, done, blocked."),
    (dict(due="31/12/2025"), "The due date '31/12/2025' is not a date: write it as YYYY-MM-DD"),
    (dict(due="2025-02-30"), "The due date '2025-02-30' is not a date"),
    (dict(due="0025-01-01"), "outside 2000 to 2100"),
    (dict(owner="housing"), "Unknown owner 'housing': choose one of partnership, social_care"),
    (dict(item_id="R9", status="done"), "No item 'R9' in the tracker: choose one of R1, R2"),
    (dict(who="  ", status="done"), "your name is empty"),
    (dict(evidence="Child's NHS no 943 476 5919"), "Evidence holds something shaped like an NHS number. Never put"),
    (dict(note="see A123456789012"), "Note holds something shaped like a UPN"),
    (dict(status="not started"), "Nothing to save: R1 already has these values"),
    (dict(status="done", expected_version=1), "R1 was changed by Ann at"),
])
def test_an_invalid_update_is_refused_and_changes_nothing(filled, change, message):
    tracker.update(filled, "R1", "Ann", note="first look")  # version 2
    before, history = digest(filled.db_path), read(filled, tracker.history)
    args = {"item_id": "R1", "who": "Ann", **change}
    with pytest.raises(tracker.TrackerError) as refused:
        tracker.update(filled, args.pop("item_id"), args.pop("who"), **args)
    assert message in str(refused.value)
    assert digest(filled.db_path) == before
    assert read(filled, tracker.history).equals(history)


def test_an_invalid_action_is_refused(filled):
    before = digest(filled.db_path)
    for text, kw, message in [("", {}, "the action text is empty"),
                              ("Review", {"status": "started"}, "Unknown status"),
                              ("Review", {"due": "next week"}, "is not a date"),
                              ("x" * 2001, {}, "at most 2,000")]:
        with pytest.raises(tracker.TrackerError, match=message):
            tracker.add_action(filled, text, "Ann", **kw)
    assert digest(filled.db_path) == before


def test_links_may_hold_long_numbers(filled):
    tracker.update(filled, "R1", "Ann", evidence="https://sharepoint.example/sites/lscp/Docs/1234567890/plan.docx")


def test_exports_of_the_list_and_the_history(filled):
    tracker.update(filled, "R1", "Ann", status="in progress", due="2025-03-31",
                   evidence='=HYPERLINK("https://evil.example")')
    tracker.add_action(filled, "Race equality training, phase 1", "Cara", owner="health")
    current = tracker.display_current(read(filled, tracker.current, TODAY))
    rows = list(csv.DictReader(io.StringIO(exports.to_csv(current).decode("utf-8-sig"))))
    assert [r["ID"] for r in rows] == PANEL_IDS + ["A1"]
    r1 = rows[0]
    assert (r1["Status"], r1["Due"], r1["Overdue"], r1["Owner"], r1["Updated by"], r1["Version"]) == (
        "In progress", "2025-03-31", "OVERDUE by 62 days", "Partnership", "Ann", "2")
    assert r1["Evidence or note"] == "'=HYPERLINK(\"https://evil.example\")"  # never a live formula
    assert rows[-1]["Source"] == "Partnership" and rows[-1]["Owner"] == "Health"

    book = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx(current, "recommendations_tracker")))
    sheet = [list(r) for r in book.active.iter_rows(values_only=True)]
    assert sheet[0][:6] == ["ID", "Source", "Recommendation or action", "Owner", "Status", "Due"]
    assert [r[0] for r in sheet[1:]] == PANEL_IDS + ["A1"]
    assert sheet[1][6] == "OVERDUE by 62 days"

    history = tracker.display_history(read(filled, tracker.history))
    book = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx(history, "tracker_history")))
    sheet = [list(r) for r in book.active.iter_rows(values_only=True)]
    header = sheet[0]
    r1 = [dict(zip(header, r)) for r in sheet[1:] if r[0] == "R1"]
    assert [(r["Version"], r["Status"], r["Changed by"]) for r in r1] == [
        (1, "Not started", tracker.PREFILLED_BY), (2, "In progress", "Ann")]
    csv_rows = list(csv.DictReader(io.StringIO(exports.to_csv(history).decode("utf-8-sig"))))
    assert len(csv_rows) == 10


def test_a_write_that_fails_midway_leaves_the_database_as_it_was(filled, monkeypatch):
    tracker.update(filled, "R1", "Ann", status="in progress")
    before, current = digest(filled.db_path), read(filled, tracker.current, TODAY)
    real = tracker._append

    def append_then_fail(*args, **kw):  # the item's row and its first version are written, then it breaks
        real(*args, **kw)
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(tracker, "_append", append_then_fail)
    with pytest.raises(RuntimeError):
        tracker.add_action(filled, "An action that never lands", "Ann")
    with pytest.raises(RuntimeError):
        tracker.update(filled, "R1", "Ann", status="done")
    assert digest(filled.db_path) == before
    assert read(filled, tracker.current, TODAY).equals(current)
    assert not list(filled.db_path.parent.glob(f".{filled.db_path.name}.*"))  # no private copy left behind


# ---- the page ------------------------------------------------------------------------------------------------

def page(cfg, path: str = PAGE) -> AppTest:
    from dashboard.state import View
    from pipelines.access import LOCAL
    from pipelines.metrics import Filters

    at = AppTest.from_file(path, default_timeout=60)
    at.session_state["view"] = View(cfg, Filters(), False, (), LOCAL)  # as dashboard/app.py sets it
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def listed(at: AppTest):
    return at.dataframe[0].value.set_index("ID")


def test_page_prefills_and_lists_the_recommendations(loaded):
    at = page(loaded)
    assert at.title[0].value == "Recommendations"
    assert list(listed(at).index) == PANEL_IDS
    assert any(m.value == "**0 of 8 Panel recommendations done.**" for m in at.markdown)
    assert any("No child data in the tracker" in c.value for c in at.caption)
    assert not read(loaded, tracker.needs_prefill)  # the first visit stored them


def test_page_update_shows_in_the_list_and_the_history(filled):
    at = page(filled)
    at.selectbox(key="trk_item").set_value("R2").run()
    at.selectbox(key="trk_status_R2_1").set_value("in progress")
    at.selectbox(key="trk_owner_R2_1").set_value("health")
    at.date_input(key="trk_due_R2_1").set_value(dt.date(2001, 1, 2))
    at.text_area(key="trk_evidence_R2_1").input("Board minutes, March, item 4")
    at.text_input(key="trk_note_R2_1").input("lead agreed")
    at.text_input(key="trk_who_R2_1").input("Ann Example")
    at.button(key="trk_save_R2_1").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [s.value for s in at.success] == ["Saved R2 as version 2."]
    r2 = listed(at).loc["R2"]
    assert (r2["Status"], r2["Owner"], r2["Due"], r2["Updated by"], r2["Version"]) == (
        "In progress", "Health", "2001-01-02", "Ann Example", 2)
    assert r2["Overdue"].startswith("OVERDUE by ")
    assert any("R2 due 2001-01-02, in progress" in w.value for w in at.warning)  # overdue said in words
    history = at.dataframe[1].value
    assert list(history["Version"]) == [1, 2] and list(history["Changed by"]) == [tracker.PREFILLED_BY, "Ann Example"]
    assert list(history["Why (note)"]) == ["", "lead agreed"]
    assert at.text_input(key="trk_who_R2_2").value == "Ann Example"  # the name is offered again


def test_page_refuses_a_save_without_a_name_and_adds_an_action(filled):
    at = page(filled)
    at.selectbox(key="trk_status_R1_1").set_value("done")
    at.button(key="trk_save_R1_1").click().run()
    assert any("Not saved: Say who is making the change" in e.value for e in at.error)
    assert listed(at).loc["R1", "Status"] == "Not started" and listed(at).loc["R1", "Version"] == 1

    at.text_area(key="trk_add_text_0").input("Race and identity in supervision: audit 20 files")
    at.selectbox(key="trk_add_owner_0").set_value("social_care")
    at.text_input(key="trk_add_who_0").input("Cara")
    at.button(key="trk_add_go_0").click().run()
    assert not at.exception
    assert any(s.value == "Added A1." for s in at.success)
    a1 = listed(at).loc["A1"]
    assert (a1["Source"], a1["Owner"], a1["Status"], a1["Updated by"]) == (
        "Partnership", "Children's social care", "Not started", "Cara")
    assert at.text_area(key="trk_add_text_1").value == ""  # a fresh form for the next action


def test_a_tracker_update_shows_on_the_overview(loaded):
    overview = str(Path(PAGE).with_name("overview.py"))
    tracker.prefill(loaded)
    assert any(m.value.startswith("0 of 8 Panel recommendations done.") for m in page(loaded, overview).markdown)
    tracker.update(loaded, "R4", "QA lead", status="done", evidence="ToR template v2 adopted")
    at = page(loaded, overview)
    assert any(m.value.startswith("1 of 8 Panel recommendations done.") for m in at.markdown), \
        [m.value for m in at.markdown]

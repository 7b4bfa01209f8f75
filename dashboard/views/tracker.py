"""Recommendations: the Panel's recommendations to partnerships and the partnership's own actions, tracked to done.

Every save appends a version (pipelines.tracker); nothing is overwritten, so each item's history stays readable.
Saves run in the form buttons' callbacks, before the page is drawn again, so the list below shows them at once.
"""
import datetime as dt

import streamlit as st

from dashboard import components as ui
from dashboard import data
from pipelines import access, audit_trail, tracker
from pipelines.store import read_connection

view = st.session_state["view"]
ui.page_header("Recommendations", "The eight recommendations the Panel's report It's Silent (2025, section 7) makes "
               "to safeguarding partnerships, five on the review process and three on practice, and the "
               "partnership's own actions: who owns each, its status, when it is due and the evidence that it is "
               "done. Every change is kept: an update adds a new version and the earlier ones stay in the history.",
               view.show_small)  # the internal-use banner shows on every page while the switch is on
ui.require(view, "track", home=True)
st.caption(f"**No child data in the tracker.** {tracker.NO_CHILD_DATA}")
ui.stop_unless(data.has_data(view.db))  # the tracker is kept in the partnership's database, made by the first load

FLASH = "trk_flash"  # (where, "success" | "error", message), shown once after a save


def _remember(who: str) -> None:
    if who.strip():
        st.session_state["trk_who"] = who.strip()  # offered again in the next form


NAME_HELP = "Recorded with the change. The audit trail also records who was signed in."


def _name() -> str:
    """The name last typed, or the signed-in person's (local mode has no sign-in: type it)."""
    return st.session_state.get("trk_who") or ("" if view.who is access.LOCAL else view.who.user)


def _audit(**detail) -> None:
    audit_trail.record(view.settings.audit_db, view.who.user, view.who.role, "tracker_change", **detail)


def _save(item_id: str, version: int, keys: dict[str, str]) -> None:
    s = st.session_state
    try:
        access.authorise_home(view.who, action="track")
        new = tracker.update(view.settings, item_id, s[keys["who"]], status=s[keys["status"]], owner=s[keys["owner"]],
                             due=s[keys["due"]], evidence=s[keys["evidence"]], note=s[keys["note"]],
                             expected_version=version)
        s[FLASH] = ("edit", "success", f"Saved {item_id} as version {new}.")
        _audit(item=item_id, version=new, status=s[keys["status"]], named=s[keys["who"]])
    except (tracker.TrackerError, access.Denied) as exc:
        s[FLASH] = ("edit", "error", f"Not saved: {exc}")
    _remember(s[keys["who"]])


def _add(keys: dict[str, str]) -> None:
    s = st.session_state
    try:
        access.authorise_home(view.who, action="track")
        item_id = tracker.add_action(view.settings, s[keys["text"]], s[keys["who"]], owner=s[keys["owner"]],
                                     status=s[keys["status"]], due=s[keys["due"]], evidence=s[keys["evidence"]],
                                     note=s[keys["note"]])
        s[FLASH] = ("add", "success", f"Added {item_id}.")
        _audit(item=item_id, version=1, status=s[keys["status"]], named=s[keys["who"]])
        s["trk_add_n"] = s.get("trk_add_n", 0) + 1  # a fresh, empty form
    except (tracker.TrackerError, access.Denied) as exc:
        s[FLASH] = ("add", "error", f"Not added: {exc}")
    _remember(s[keys["who"]])


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


def _plain(text: str) -> str:
    """User text inside Markdown, shown as typed (no emphasis, links or maths)."""
    return "".join("\\" + c if c in "\\`*_{}[]<>()#+-.!|$~" else c for c in text)


def _flash(where: str) -> None:
    shown = st.session_state.get(FLASH)
    if shown and shown[0] == where:
        (st.success if shown[1] == "success" else st.error)(shown[2])
        del st.session_state[FLASH]


with read_connection(view.settings.db_path) as con:
    first_time = tracker.needs_prefill(con)
if first_time:
    tracker.prefill(view.settings)
today = dt.date.today()
with read_connection(view.settings.db_path) as con:
    items = tracker.current(con, today)
    summary = tracker.progress(con, today)
    everything = tracker.history(con)

st.markdown(f"**{summary['sentence']}**")
overdue = items[items["overdue"]]
if not overdue.empty:
    st.warning("Overdue (due date passed, not done): " + "; ".join(
        f"{r.item_id} due {r.due:%Y-%m-%d}, {r.status}" for r in overdue.itertuples()) + ".", icon=":material/schedule:")
st.caption(f"Overdue means the due date is before today ({today:%Y-%m-%d}) and the status is not done.")

st.subheader("Recommendations and actions")
ui.table_with_downloads(tracker.display_current(items), "recommendations_tracker", False, "trk_current")

st.subheader("Update an item")
ids = list(items["item_id"])
by_id = {r.item_id: r for r in items.itertuples()}
item_id = st.selectbox("Item", ids, key="trk_item",
                       format_func=lambda i: f"{i} · {by_id[i].source} · {_short(by_id[i].recommendation)}"
                       if i in by_id else i) if ids else None


if item_id:
    row = by_id[item_id]
    st.markdown(f"**{item_id}** ({row.source}): {_plain(row.recommendation)}")
    due = f"due {row.due:%Y-%m-%d}" if row.due else "no due date"
    late = f", **OVERDUE by {row.days_overdue} day{'s' if row.days_overdue != 1 else ''}**" if row.overdue else ""
    st.markdown(f"Now: {row.status}, owner {tracker.OWNER_LABELS[row.owner]}, {due}{late} (version {row.version}).")
    _flash("edit")
    tag = f"{item_id}_{row.version}"  # a new version draws a fresh form holding its values
    keys = {k: f"trk_{k}_{tag}" for k in ("status", "owner", "due", "evidence", "note", "who")}
    with st.form(f"trk_edit_{tag}"):
        left, middle, right = st.columns(3)
        left.selectbox("Status", tracker.STATUSES, index=tracker.STATUSES.index(row.status), key=keys["status"])
        middle.selectbox("Owner", tracker.OWNERS, index=tracker.OWNERS.index(row.owner), key=keys["owner"],
                         format_func=tracker.OWNER_LABELS.get)
        right.date_input("Due date (empty for none)", value=row.due, key=keys["due"], format="YYYY-MM-DD",
                         min_value=tracker.FIRST_DUE, max_value=tracker.LAST_DUE)
        st.text_area("Evidence (a link, or a short note of where it is)", value=row.evidence, key=keys["evidence"],
                     max_chars=tracker.TEXT_MAX, help=tracker.NO_CHILD_DATA)
        st.text_input("Why: a note on this change", key=keys["note"], max_chars=tracker.TEXT_MAX,
                      help="Kept with this version only. " + tracker.NO_CHILD_DATA)
        st.text_input("Your name", value=_name(), key=keys["who"],
                      max_chars=tracker.WHO_MAX, help=NAME_HELP)
        st.form_submit_button("Save as a new version", type="primary", key=f"trk_save_{tag}", on_click=_save,
                              args=(item_id, int(row.version), keys))

    st.markdown(f"**History of {item_id}** (oldest first; every version is kept)")
    own = everything[everything["item_id"] == item_id]
    if own.empty:
        st.info("Not stored yet: the first save records it.")
    else:
        ui.table_with_downloads(tracker.display_history(own), f"tracker_history_{item_id}", False, "trk_history_item")
st.markdown("**Every item's history**")
ui.downloads(tracker.display_history(everything), "tracker_history", False, "trk_history_all")

st.subheader("Add a partnership action")
n = st.session_state.get("trk_add_n", 0)
add_keys = {k: f"trk_add_{k}_{n}" for k in ("text", "owner", "status", "due", "evidence", "note", "who")}
_flash("add")
with st.form(f"trk_add_{n}"):
    st.text_area("Action", key=add_keys["text"], max_chars=tracker.TEXT_MAX,
                 help="What the partnership will do. " + tracker.NO_CHILD_DATA)
    left, middle, right = st.columns(3)
    left.selectbox("Owner", tracker.OWNERS, key=add_keys["owner"], format_func=tracker.OWNER_LABELS.get)
    middle.selectbox("Status", tracker.STATUSES, key=add_keys["status"])
    right.date_input("Due date (empty for none)", value=None, key=add_keys["due"], format="YYYY-MM-DD",
                     min_value=tracker.FIRST_DUE, max_value=tracker.LAST_DUE)
    st.text_area("Evidence (a link, or a short note of where it is)", key=add_keys["evidence"],
                 max_chars=tracker.TEXT_MAX, help=tracker.NO_CHILD_DATA)
    st.text_input("Why: a note", key=add_keys["note"], max_chars=tracker.TEXT_MAX, help=tracker.NO_CHILD_DATA)
    st.text_input("Your name", value=_name(), key=add_keys["who"],
                  max_chars=tracker.WHO_MAX, help=NAME_HELP)
    st.form_submit_button("Add the action", key=f"trk_add_go_{n}", on_click=_add, args=(add_keys,))

"""Code a review: a rapid review or LCSPR coded against the Panel's framework, saved as a load.

Every field comes from pipelines.coding (one per column of the `reviews` contract); this page only draws
them. Saving runs the loader's own checks and then the loader itself (a recorded load); the download is
the same contract CSV.

Access: people who load data (pipelines.access, role loader), and only for their own partnerships;
every save is written to the audit trail.
"""
import datetime as dt
from pathlib import Path

import streamlit as st

from dashboard import components as ui
from dashboard import data
from pipelines import audit_trail, coding
from pipelines.loader import LoadResult
from pipelines.normalise import EARLIEST, MAX_TEXT

view = st.session_state["view"]
FIELDS = coding.fields()
NEW = ""  # the picker's value for a review not yet stored
BLANK = coding.BLANK
PICK, OUTCOME = "code_pick", "code_saved"


def key(name: str) -> str:
    return f"code.{name}"  # a dot: no column name can clash with the page's own keys


def widget_value(f: coding.Field, value: object) -> object:
    """A stored or blank value as its widget holds it."""
    if f.widget in ("date", "age", "count"):
        return value  # a date, a whole number or None
    return BLANK if value is None else str(value)


def fill(values: dict) -> None:
    for f in FIELDS:
        st.session_state[key(f.name)] = widget_value(f, values.get(f.name))


def form_values() -> dict:
    return {f.name: st.session_state.get(key(f.name)) for f in FIELDS}


def picked() -> None:
    """Pre-fill the form with the chosen review, or clear it for a new one."""
    chosen = st.session_state.get(PICK) or NEW
    stored = coding.stored_values(view.settings.db_path, chosen) if chosen else None
    fill(stored or {})
    st.session_state.pop(OUTCOME, None)


def start_new() -> None:
    st.session_state[PICK] = NEW
    picked()


def cleared() -> None:
    st.session_state.pop(OUTCOME, None)


def save() -> None:
    values = form_values()
    partnership = coding.contract_text(values.get("partnership")).strip()
    if not (view.who.sees(partnership) and view.who.may("code", partnership)):
        st.session_state[OUTCOME] = coding.Saved("failed", result=LoadResult(
            "the form", "reviews", "failed", message=f"you may code reviews only for partnerships where you load "
                                                     f"data, not {partnership!r}."))
        return
    outcome = coding.save(values, view.settings)
    st.session_state[OUTCOME] = outcome
    if outcome.status in ("added", "updated"):
        audit_trail.record(view.settings.audit_db, view.who.user, view.who.role, "code_review",
                           partnership=partnership, review_id=coding.contract_text(values.get("review_id")).strip(),
                           outcome=outcome.status, load_id=outcome.result.load_id)
    if outcome.ok:
        st.cache_data.clear()  # every page's figures, and the picker below, read the new database
        st.session_state[PICK] = tuple(coding.contract_text(values.get(k)).strip() for k in coding.REVIEWS.key)


@st.cache_data(show_spinner=False, max_entries=4)
def stored_keys(db: str, version: float) -> list[tuple[str, ...]]:
    return coding.stored_keys(Path(db))


def draw(f: coding.Field) -> None:
    label = f"{f.label} (required)" if f.required else f.label
    common = {"key": key(f.name), "help": f.help, "on_change": cleared}
    if f.widget == "text":
        st.text_input(label, max_chars=MAX_TEXT, placeholder=f.placeholder or None, **common)
    elif f.widget == "flag":  # Yes, No, Not coded
        options = [v for v, _ in f.options if v != BLANK] + [BLANK]
        st.radio(label, options, format_func=f.option_label, horizontal=True, **common)
    elif f.widget in ("select", "ethnicity"):
        st.selectbox(label, [v for v, _ in f.options], format_func=f.option_label, **common)
    elif f.widget == "date":
        st.date_input(label, min_value=EARLIEST, max_value=dt.date.today(), format="DD/MM/YYYY", **common)
    elif f.widget == "age":
        st.number_input(label, min_value=0, max_value=17, step=1, placeholder="Not coded", **common)
    elif f.widget == "count":
        st.number_input(label, min_value=0, step=1, placeholder="Not coded", **common)
    else:
        raise ValueError(f"{f.name}: no widget for {f.widget!r}")


ui.require(view, "code")
ui.page_header("Code a review", "Code a rapid review (RR) or local child safeguarding practice review (LCSPR) "
               "against the Child Safeguarding Practice Review Panel's analytical framework (It's Silent, "
               "Appendix D). Each field's help (?) gives the framework question it answers. Saving checks the "
               "review exactly as the loader checks a file and then loads it: it is recorded in the load "
               "history, and saving a review that is already stored replaces its coding.", view.show_small)
st.caption("The form holds one child's review: treat it as OFFICIAL-SENSITIVE. Free-text fields must not hold names.")

if key(FIELDS[0].name) not in st.session_state:  # first visit (or back from another page): a blank form
    fill({})

keys = stored_keys(view.db, data.stamp(view.settings.db_path))
if st.session_state.get(PICK, NEW) not in (NEW, *keys):
    st.session_state[PICK] = NEW
left, right = st.columns([4, 1], vertical_alignment="bottom")
left.selectbox("Review to edit", [NEW, *keys], key=PICK, on_change=picked,
               format_func=lambda k: "A new review" if k == NEW else " · ".join(k),
               help="Pick a stored review (partnership · review reference) to load its coding into the form; "
                    "saving it replaces the stored coding.")
right.button("Start a new review", key="code_new", on_click=start_new, width="stretch")

for section, fields in coding.sections().items():
    st.subheader(section)
    columns = st.columns(2)
    for n, f in enumerate(fields):
        with columns[n % 2]:
            draw(f)

values = form_values()
opened = st.session_state.get(PICK) or NEW
now = tuple(coding.contract_text(values.get(k)).strip() for k in coding.REVIEWS.key)
if opened != NEW and now != tuple(opened):
    st.warning("The partnership or review reference differs from the review you opened: saving adds a new "
               "review and leaves the one you opened as it was.", icon=":material/warning:")

st.divider()
save_col, download_col, _ = st.columns([1, 1, 3])
save_col.button("Save review", type="primary", key="code_save", on_click=save, icon=":material/save:",
                width="stretch")
download_col.download_button("Download as CSV", coding.csv_bytes(values), coding.file_name(values), "text/csv",
                             key="code_download", icon=":material/download:", on_click="ignore", width="stretch",
                             help="This form as a review extract in the data contract's columns: Load data (or "
                                  "`python -m pipelines load`) accepts it.")
outcome = st.session_state.get(OUTCOME)
if outcome is not None:
    if outcome.status == "invalid":
        st.error("Not saved: the loader would quarantine this review.\n\n"
                 + "\n".join(f"- {p.message}" for p in outcome.problems), icon=":material/error:")
    elif outcome.status == "failed":
        st.error(outcome.message, icon=":material/error:")
    elif outcome.status == "unchanged":
        st.info(outcome.message, icon=":material/info:")
    else:
        st.success(outcome.message, icon=":material/check_circle:")
elif problems := coding.check(values):
    st.caption(f"Not ready to save: {len(problems)} value(s) the loader would refuse; Save lists them.")

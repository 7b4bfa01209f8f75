"""Administration: the audit trail (who did what, when), removing a load for good, and the settings in force.

Admins only (pipelines.access). The trail is read here and exported; nothing in the product changes it,
and its hash chain is checked each time the page is drawn.
"""
import streamlit as st

from dashboard import components as ui
from dashboard import data
from pipelines import access, audit_trail
from pipelines.purge import purge_load

view = st.session_state["view"]
ui.require(view, "audit", home=True)
ui.page_header("Administration", "The audit trail of sign-ins, switches to exact counts, exports, loads, purges, "
               "coded reviews and tracker changes; removing a load; and the settings in force.", view.show_small)
cfg = view.settings
PLAIN = {"seq": "Entry", "logged_at": "When (UTC)", "user_name": "Who", "role": "Role", "action": "Action", "detail": "Detail"}

st.subheader("Audit trail")
problems = audit_trail.verify(cfg.audit_db)
if problems:
    st.error("The audit trail was changed outside the product: " + "; ".join(problems[:5]), icon=":material/error:")
else:
    st.success("The audit trail's chain is whole: no entry has been changed, removed or inserted since it was written.",
               icon=":material/verified:")
trail = audit_trail.entries(cfg.audit_db)
actions = st.multiselect("Actions", audit_trail.ACTIONS, key="adm_actions", placeholder="Every action")
shown = trail[trail["action"].isin(actions)] if actions else trail
ui.table_with_downloads(shown[list(PLAIN)].rename(columns=PLAIN), "audit_trail", True, "adm_trail")

st.subheader("Remove a load for good")
st.caption("Deletes the load's stored rows and quarantine records and rewrites the database file so no trace is "
           "left; the load stays in the history as purged. Recorded in the audit trail.")
if data.has_data(view.db):
    with st.form("adm_purge"):
        load_id = st.number_input("Load number", min_value=1, step=1, value=None, key="adm_load")
        sure = st.checkbox("I understand this cannot be undone", key="adm_sure")
        go = st.form_submit_button("Remove the load", type="primary")
    if go and load_id and sure:
        access.authorise_home(view.who, action="purge")
        result = purge_load(cfg, int(load_id))
        audit_trail.record(cfg.audit_db, view.who.user, view.who.role, "purge", load_id=int(load_id),
                           status=result.status)
        st.cache_data.clear()
        (st.success if result.status == "purged" else st.info)(result.message)
    elif go:
        st.warning("Give the load's number and tick the box to remove it.")

st.subheader("Settings in force")
st.table({"Setting": ["Small numbers hidden", "A disclosure is followed up within", "Largest upload", "Database",
                      "Audit trail", "Access file"],
          "Value": [f"1 to {cfg.suppression_threshold}", f"{cfg.followup_days} day(s)", f"{cfg.max_upload_mb} MB",
                    str(cfg.db_path), str(cfg.audit_db), str(cfg.access_path)]})
st.caption("Set by the environment the dashboard is started with (PM_SUPPRESS_MAX, PM_FOLLOWUP_DAYS, "
           "PM_MAX_UPLOAD_MB, PM_DB, PM_AUDIT_DB, PM_ACCESS): see the README.")

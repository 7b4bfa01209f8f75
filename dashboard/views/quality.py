"""Data quality: load history, what was quarantined and why, and completeness per agency."""
import streamlit as st

from dashboard import components as ui
from dashboard import data
from pipelines import quality

PLAIN = {"load_id": "Load", "file": "File", "kind": "Kind", "status": "Status", "rows_read": "Rows read",
         "rows_loaded": "Rows loaded", "rows_quarantined": "Rows quarantined", "message": "Message",
         "started_at": "Started", "finished_at": "Finished", "line": "Line", "column": "Column", "value": "Value",
         "reason": "Reason", "rows": "Rows", "agency": "Agency", "records": "Records", "source": "Source"}
view = st.session_state["view"]
ui.require(view, "view", home=True)  # the case-system extracts are the home partnership's
ui.page_header("Data quality", "Every load with its row accounting (rows read = loaded + quarantined), "
               "the rows that broke the data contract and why, and how complete each column is.", view.show_small)
ui.stop_unless(data.has_data(view.db))
tables = data.quality_tables(view.db, data.stamp(view.settings.db_path), view.who, view.show_small)

st.subheader("Load history")
ui.table_with_downloads(tables["loads"].rename(columns=PLAIN), "load_history", view.show_small, "dq_loads")

st.subheader("Quarantine: reasons")
if tables["reasons"].empty:
    st.success("No rows have been quarantined.")
else:
    ui.table_with_downloads(tables["reasons"].rename(columns=PLAIN), "quarantine_reasons", view.show_small, "dq_reasons")
    st.subheader("Quarantine: every row")
    if not view.who.may_home("load"):
        st.info("The values that broke the contract are shown to people who load data.", icon=":material/lock:")
    else:
        load_ids = sorted(tables["quarantine"]["load_id"].unique().tolist(), reverse=True)
        pick = st.selectbox("Load", ["All loads", *load_ids], key="dq_load")
        rows = tables["quarantine"] if pick == "All loads" else tables["quarantine"][tables["quarantine"]["load_id"] == pick]
        st.caption("Line numbers count the header as line 1. Child identifiers are never shown.")
        ui.table_with_downloads(rows.rename(columns=PLAIN), "quarantine", view.show_small, "dq_rows")

st.subheader("Completeness by agency and source")
st.caption("Share of records with each optional column filled in, for each agency (all sources) and each source "
           "it was loaded from. Indicators count only what was recorded, so a column a source cannot carry (the CIN "
           "census has no child-seen flag) shows here as empty, not as 'not seen'. A share times its records is a "
           "count, so shares are hidden (blank) where the published figures hide that count, and records (c) where "
           "every share is.")
for kind in quality.COMPLETENESS_KINDS:
    frame = tables[f"complete_{kind}"]
    if frame.empty:
        continue
    st.markdown(f"**{kind.capitalize()}**")
    cols = [c for c in frame.columns if c not in ("agency", "source", "records")]
    st.dataframe(frame, hide_index=True, width="stretch",
                 column_config={c: st.column_config.ProgressColumn(c, format="percent", min_value=0, max_value=1) for c in cols})
    ui.downloads(frame, f"completeness_{kind}", view.show_small, f"dq_{kind}")

"""Entry point: `streamlit run dashboard/app.py`. Sidebar filters, then the chosen page."""
from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `streamlit run` does not add the repo root

from dashboard import state  # noqa: E402
from dashboard import charts  # noqa: E402,F401  (registers the Altair theme)

PAGES = Path(__file__).parent / "views"  # not "pages/": that name switches Streamlit to its older multipage mode

st.set_page_config(page_title="Partnership metrics: is our practice silent about race?", layout="wide")
st.session_state["view"] = state.sidebar()
# No page icons: Streamlit would fetch them from a font CDN as the favicon, and the network is closed.
page = st.navigation([
    st.Page(PAGES / "overview.py", title="Board overview", default=True),
    st.Page(PAGES / "reviews.py", title="Reviews"),
    st.Page(PAGES / "practice.py", title="Practice"),
    st.Page(PAGES / "groups.py", title="Ethnic groups"),
    st.Page(PAGES / "quality.py", title="Data quality"),
    st.Page(PAGES / "upload.py", title="Load data"),
])
page.run()

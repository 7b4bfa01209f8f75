"""Entry point: `streamlit run dashboard/app.py`. Sidebar filters, then the chosen page."""
from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `streamlit run` does not add the repo root

from dashboard import state  # noqa: E402
from dashboard import charts  # noqa: E402,F401  (registers the Altair theme)

PAGES = Path(__file__).parent / "pages"

st.set_page_config(page_title="Partnership metrics: is our practice silent about race?", layout="wide",
                   page_icon=":material/diversity_3:")
st.session_state["view"] = state.sidebar()
page = st.navigation([
    st.Page(PAGES / "overview.py", title="Board overview", icon=":material/dashboard:", default=True),
    st.Page(PAGES / "reviews.py", title="Reviews", icon=":material/article:"),
    st.Page(PAGES / "practice.py", title="Practice", icon=":material/groups:"),
    st.Page(PAGES / "groups.py", title="Ethnic groups", icon=":material/bar_chart:"),
    st.Page(PAGES / "quality.py", title="Data quality", icon=":material/rule:"),
    st.Page(PAGES / "upload.py", title="Load data", icon=":material/upload_file:"),
])
page.run()

"""Entry point: `streamlit run dashboard/app.py`. Sidebar filters, then the chosen page."""
from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `streamlit run` does not add the repo root

from dashboard import state  # noqa: E402
from dashboard import charts  # noqa: E402,F401  (registers the Altair theme)

PAGES = Path(__file__).parent / "views"  # not "pages/": that name switches Streamlit to its older multipage mode

# WCAG 2.1 AA (1.4.3, contrast), checked by axe on every page in tests/test_e2e_browser.py:
# - Streamlit fades captions (st.caption) to 60% opacity, 3.9:1 on white; at 80% they are 7.0:1 on white and
#   6.4:1 on the sidebar's grey, and still read as secondary. Opacity, not a colour, so the theme's text colour
#   sets the tone. Selected by data-testid, which Streamlit keeps stable (its class names are generated).
# - The SQL's syntax colours (keywords 3.8:1, operators and strings about 3:1) darkened to 5:1 or more on the
#   code block's background.
ACCESSIBLE_CSS = """<style>
[data-testid="stCaptionContainer"] { opacity: 0.8 !important; }
[data-testid="stCode"] .token.keyword, [data-testid="stCode"] .token.function { color: #0B62B3 !important; }
[data-testid="stCode"] .token.punctuation, [data-testid="stCode"] .token.comment { color: #5E6270 !important; }
[data-testid="stCode"] .token.operator { color: #B34D00 !important; }
[data-testid="stCode"] .token.string, [data-testid="stCode"] .token.boolean { color: #0A7A32 !important; }
[data-testid="stCode"] .token.number { color: #11746A !important; }
</style>"""

st.set_page_config(page_title="Partnership metrics: is our practice silent about race?", layout="wide")
st.html(ACCESSIBLE_CSS)  # style only: Streamlit adds it to the page without an empty block
view = st.session_state["view"] = state.sidebar()
who = view.who
# Each person's navigation holds only the pages their role and partnerships allow (pipelines.access); a page
# left out cannot be opened by its URL either, and each page and data fetch checks again.
# No page icons: Streamlit would fetch them from a font CDN as the favicon, and the network is closed.
pages = [st.Page(PAGES / "overview.py", title="Board overview", default=True),
         st.Page(PAGES / "reviews.py", title="Reviews")]
pages += [st.Page(PAGES / "practice.py", title="Practice")] * who.case_data
pages += [st.Page(PAGES / "groups.py", title="Ethnic groups")]
pages += [st.Page(PAGES / "quality.py", title="Data quality")] * who.case_data
pages += [st.Page(PAGES / "tracker.py", title="Recommendations"),
          st.Page(PAGES / "upload.py", title="Load data")] * who.may_home("load")
pages += [st.Page(PAGES / "coding.py", title="Code a review")] * who.may("code")
pages += [st.Page(PAGES / "admin.py", title="Administration")] * who.may_home("audit")
st.navigation(pages).run()

"""Load data: upload extracts, validate and load them, and see the accounting."""
import itertools
import tempfile
from pathlib import Path

import streamlit as st

from dashboard import components as ui
from dashboard import data
from pipelines import access, audit_trail, quality
from pipelines.loader import load_files
from pipelines.schema import KINDS
from pipelines.sources import registry
from pipelines.store import read_connection

view = st.session_state["view"]
ui.page_header("Load data", "Upload CSV or XLSX extracts as described in the data contract, a CIN census return "
               "(XML), or an agency's own export with the mapping file that translates it. Each file is checked "
               "row by row: rows that break the contract are quarantined with the reason, and a file is loaded "
               "whole or not at all. Child identifiers are pseudonymised before anything is stored.", view.show_small)
ui.require(view, "load", home=True)
limit_mb = view.settings.max_upload_mb
files = st.file_uploader(f"Extracts (CSV, XLSX or CIN census XML, up to {limit_mb} MB each)",
                         type=["csv", "xlsx", "xml"], accept_multiple_files=True, key="upload_files")
mapping = st.file_uploader("Agency mapping (optional, YAML): used for every file uploaded with it", type=["yaml", "yml"],
                           key="upload_mapping",
                           help="For an agency's own export (police, health, education): the mapping names the kind, "
                                "which of its columns feed the contract's, how its codes and dates translate and any "
                                "value fixed for the whole file. See docs/sources/mapping.md.")
kind = st.selectbox("Kind of extract", ["detect", *KINDS], key="upload_kind",
                    format_func=lambda k: "Detect from the columns (or the mapping's kind)" if k == "detect" else k)

if files and st.button("Validate and load", type="primary", key="upload_go"):
    progress = st.progress(0.0, text="Starting")
    results = []
    with tempfile.TemporaryDirectory() as held:
        mapping_path = None
        if mapping is not None:  # kept under its own name: every message about it names it so
            mapping_path = Path(held) / Path(mapping.name).name
            mapping_path.write_bytes(mapping.getbuffer())
        paths = []
        for upload in files:
            if upload.size > limit_mb * 1024 * 1024:
                st.error(f"{upload.name}: {upload.size / 1048576:.0f} MB is over the {limit_mb} MB limit; "
                         "nothing was loaded.")
                continue
            paths.append(Path(tempfile.mkdtemp(dir=held)) / Path(upload.name).name)  # a folder each: names may repeat
            paths[-1].write_bytes(upload.getbuffer())
        if paths:
            access.authorise_home(view.who, action="load")
            steps = itertools.count(1)  # about four messages a file (read, check, store), then build and publish

            def show(message: str) -> None:
                progress.progress(min(next(steps) / (4 * len(paths) + 3), 0.95), text=message)

            results = load_files(paths, view.settings, None if kind == "detect" else kind, mapping_path,
                                 names=[p.name for p in paths], progress=show)
        for r in results:
            audit_trail.record(view.settings.audit_db, view.who.user, view.who.role, "load", file=r.file,
                               kind=r.kind, status=r.status, load_id=r.load_id)
    progress.progress(1.0, text="Done")
    st.cache_data.clear()
    for r in results:
        (st.error if r.status == "failed" else st.success)(r.summary())
        if r.rows_quarantined:
            with read_connection(view.settings.db_path) as con:
                st.dataframe(quality.quarantine(con, r.load_id), hide_index=True, width="stretch")
    if any(r.status == "loaded" for r in results):
        st.info("The other pages now show the new figures.", icon=":material/check_circle:")
elif not data.has_data(view.db):
    ui.empty_state()

with st.expander("What the files should contain"):
    st.markdown("**Sources this tool reads**, and the kinds of rows each gives:")
    for source in registry():
        st.markdown(f"- {source.title} (`{source.name}`): {', '.join(source.kinds)}")
    st.markdown("An agency's own export is read through a mapping file uploaded with it "
                "(docs/sources/mapping.md); without one, a CSV or XLSX file must use the contract's columns.")
    st.markdown("**Kinds of the data contract** (docs/data-contract.md):")
    for k in KINDS.values():
        st.markdown(f"**{k.name}**: required {', '.join(k.required)}; optional "
                    f"{', '.join(c.name for c in k.columns if not c.required) or 'none'}.")

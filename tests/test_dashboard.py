"""Every page through streamlit.testing with the sample data: the numbers shown are the CLI's."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipelines.catalogue import catalogue
from conftest import cli_json

APP = str(Path(__file__).parent.parent / "dashboard" / "app.py")
PAGES = ["overview", "reviews", "practice", "groups", "quality", "tracker", "upload", "coding", "admin"]


@pytest.fixture
def app(sample_db, monkeypatch):
    monkeypatch.setenv("PM_DB", str(sample_db.db_path))
    monkeypatch.setenv("PM_KEY_FILE", str(sample_db.key_path))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    return at


def visit(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"views/{page}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def cli(sample_db, *args):
    return cli_json("indicators", "--db", str(sample_db.db_path), *args)


def shown(cell: dict, key: str) -> str:
    return "c" if cell["suppressed"] else f"{cell[key]:,}"


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_without_errors(app, page):
    at = visit(app, page)
    assert at.title, f"{page} has no title"
    assert not at.error, [e.value for e in at.error]


def test_overview_tiles_equal_the_cli(app, sample_db):
    expected = {c["indicator"]: c for c in cli(sample_db)}
    board = [i for i in catalogue() if i.board]
    metrics = {m.label: m for m in app.metric}
    assert len(metrics) == len(board)
    captions = [c.value for c in app.caption]
    for ind in board:
        cell = expected[ind.id]
        value = metrics[ind.short_label].value
        if cell["suppressed"]:
            assert value == "c"
        else:
            assert value == f"{cell['value']:.1%}"
            assert any(c.startswith(f"{cell['numerator']:,} of {cell['denominator']:,}") for c in captions), ind.id


@pytest.mark.parametrize("page,prefix", [("reviews", "review."), ("practice", "practice.")])
def test_overall_tables_equal_the_cli(app, sample_db, page, prefix):
    at = visit(app, page)
    table = at.dataframe[0].value
    expected = [c for c in cli(sample_db) if c["indicator"].startswith(prefix)]
    assert list(table["Numerator"]) == [shown(c, "numerator") for c in expected]
    assert list(table["Denominator"]) == [shown(c, "denominator") for c in expected]


@pytest.mark.parametrize("indicator,by", [("practice.interpreter_informal", "ethnic_group"),
                                          ("review.tor_race_focus", "review_type"),
                                          ("practice.voice_captured", "agency")])
def test_breakdowns_equal_the_cli(app, sample_db, indicator, by):
    at = visit(app, "groups")
    at.selectbox(key="grp_indicator").set_value(indicator).run()
    at.selectbox(key="grp_by").set_value(by).run()
    table = at.dataframe[0].value
    expected = [c for c in cli(sample_db, "--by", by) if c["indicator"] == indicator]
    assert len(table) == len(expected)
    assert list(table["Numerator"]) == [shown(c, "numerator") for c in expected]
    assert list(table["Denominator"]) == [shown(c, "denominator") for c in expected]


def test_small_numbers_switch_shows_exact_counts_with_a_banner(app, sample_db):
    at = visit(app, "reviews")
    assert "c" in list(at.dataframe[0].value["Numerator"])
    assert not any("OFFICIAL-SENSITIVE" in e.value for e in at.error)
    at.toggle(key="f_show_small").set_value(True).run()
    assert any("OFFICIAL-SENSITIVE" in e.value for e in at.error)
    expected = [c for c in cli(sample_db, "--unsuppressed") if c["indicator"].startswith("review.")]
    assert list(at.dataframe[0].value["Numerator"]) == [f"{c['numerator']:,}" for c in expected]


def test_filters_persist_across_pages(app):
    app.toggle(key="f_show_small").set_value(True).run()
    at = visit(app, "practice")
    assert at.toggle(key="f_show_small").value is True
    assert any("OFFICIAL-SENSITIVE" in e.value for e in at.error)


def test_period_filter_changes_the_figures(app, sample_db):
    at = visit(app, "practice")
    before = list(at.dataframe[0].value["Denominator"])
    years = at.selectbox(key="f_year").options
    assert years[0] == "Whole period" and len(years) > 2  # published figures: the whole period or one year
    at.selectbox(key="f_year").set_value(years[-1]).run()
    after = list(at.dataframe[0].value["Denominator"])
    assert before != after
    at.toggle(key="f_show_small").set_value(True).run()  # internal use opens any range of years
    assert at.select_slider(key="f_period").options == years[1:]


def test_empty_database_explains_what_to_load(tmp_path, monkeypatch):
    monkeypatch.setenv("PM_DB", str(tmp_path / "none.duckdb"))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    assert any("Load data" in i.value for i in at.info)


def test_sql_behind_the_figures_is_the_sql_that_ran(app, sample_db):
    at = visit(app, "practice")
    code = [c.value for c in at.code]
    assert any("FROM cube_fct_episode" in c for c in code)
    assert any(c.startswith("CREATE OR REPLACE TABLE cube_fct_episode") for c in code)
    assert any("CREATE OR REPLACE VIEW fct_episode" in c for c in code)


def test_overview_gives_signals_and_like_for_like_verdicts(app):
    """Default: a like-for-like verdict only from published cells; of 60 reviews some are too small to show,
    and those tiles say so, where internal use gives a verdict. Practice tiles carry the monthly signal; the
    planted voice improvement shows."""
    verdicts = ("higher than national", "lower than national", "no clear difference")
    text = " ".join(m.value for m in app.markdown)
    assert "too few to show without revealing a small number" in text
    published = sum(text.count(w) for w in verdicts)
    assert any("-badge[" in m.value and "Improving" in m.value for m in app.markdown)  # st.badge is markdown
    app.toggle(key="f_show_small").set_value(True).run()
    text = " ".join(m.value for m in app.markdown)
    assert "too few to show" not in text
    assert sum(text.count(w) for w in verdicts) > published, text


def test_practice_charts_every_monthly_indicator_with_its_signal(app):
    at = visit(app, "practice")
    monthly = [i for i in catalogue() if i.page == "practice" and "month" in i.fact.dims]
    assert len(at.get("vega_lite_chart")) >= len(monthly)
    labels = " ".join(m.value for m in at.markdown)
    assert all(i.short_label in labels for i in monthly)
    badges = [m.value for m in at.markdown if "-badge[" in m.value]
    assert sum("Improving" in b for b in badges) >= 1 and sum("No significant change" in b for b in badges) >= 5


def _charts(at: AppTest) -> list[dict]:
    import json
    return [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]


def _chart_rows(at: AppTest, description_start: str) -> list[dict]:
    """The data rows behind the chart whose description starts so (Streamlit ships them as Arrow)."""
    import json

    import pyarrow as pa
    chart = next(c for c in at.get("vega_lite_chart") if json.loads(c.proto.spec).get("description", "").startswith(
        description_start))
    return [row for ds in chart.proto.datasets for row in pa.ipc.open_stream(ds.data.data).read_all().to_pylist()]


def test_groups_page_compares_each_group_in_a_forest_plot_with_a_sentence(app):
    """Default output: informal interpreting by ethnic group has hidden groups; each stays in the plot and the
    table as 'too few to compare', and the sentence above the plot says what the intervals support."""
    import json
    at = visit(app, "groups")
    forest = [c for c in _charts(at) if c.get("description", "").startswith("Forest plot")]
    assert len(forest) == 1 and '"type": "log"' in json.dumps(forest[0])
    assert all(c.get("description") for c in _charts(at)), "every chart says in words what it shows"
    sentence = [m.value for m in at.markdown if m.value.startswith("Compared with")]
    assert len(sentence) == 1 and "too few to compare" in sentence[0]
    breakdown, comparison = at.dataframe[0].value, at.dataframe[1].value
    assert list(comparison["Ethnic group"]) == list(breakdown["Ethnic group"])  # no group dropped
    hidden = comparison[comparison["Rate"] == "c"]
    assert len(hidden) and hidden["What it shows"].str.startswith("too few to compare").all()
    rows = _chart_rows(at, "Forest plot")
    notes = {r["group"]: r["note"] for r in rows if "note" in r}
    assert all(notes[g] == "too few to compare" for g in hidden["Ethnic group"])
    clear = comparison["What it shows"].str.startswith(("higher than", "lower than"))
    assert sentence[0].count("(rate ratio") == clear.sum()  # figures only for differences the intervals support


def test_groups_page_population_shares_and_two_way_heatmap(app):
    at = visit(app, "groups")
    at.selectbox(key="grp_indicator").set_value("practice.cin_rate_per_10k").run()
    table = at.dataframe[1].value
    assert {"Share of resident children", "Share of children in need", "Relative rate"} <= set(table.columns)
    assert table.loc[table["Ethnic group"] == "White", "What it shows"].iloc[0].startswith("reference group")
    at.selectbox(key="grp_indicator").set_value("practice.interpreter_informal").run()
    at.selectbox(key="grp_also").set_value("sex").run()
    assert not at.exception
    heatmaps = [c for c in _charts(at) if c.get("description", "").startswith("Heatmap")]
    assert len(heatmaps) == 1
    cells = _chart_rows(at, "Heatmap")
    assert "c" in {r["text"] for r in cells}  # hidden cells drawn as c
    assert len(cells) == len(at.dataframe[0].value)


def test_practice_limits_can_be_fixed_or_rebased(app):
    at = visit(app, "practice")
    at.radio(key="spc_limits").set_value("Before and after a change date").run()
    at.text_input(key="spc_rebase").input("2024-01").run()
    assert not at.exception and not at.warning
    at.text_input(key="spc_rebase").input("Jan 2024").run()
    assert any("is not a month" in w.value for w in at.warning)
    at.radio(key="spc_limits").set_value("The first 12 months (fixed baseline)").run()
    assert not at.exception


def test_month_by_group_is_a_line_per_group(app):
    app.toggle(key="f_show_small").set_value(True).run()  # month by group is internal use
    at = visit(app, "groups")
    at.selectbox(key="grp_indicator").set_value("practice.voice_captured").run()
    at.selectbox(key="grp_by").set_value("month").run()
    at.selectbox(key="grp_also").set_value("ethnic_group").run()
    assert not at.exception
    specs = _charts(at)
    lines = [s for s in specs if "Line chart of" in s.get("description", "")]
    assert lines and "one line per ethnic group" in lines[0]["description"]


def test_overview_offers_the_board_pack(app):
    app.button(key="pack_pdf").click().run()
    assert not app.exception
    downloads = [d for d in app.get("download_button") if "Download PDF" in d.proto.label]
    assert downloads, "the PDF board pack is not offered"


def test_load_history_hides_small_row_counts_by_default():
    import pandas as pd

    from pipelines import quality

    loads = pd.DataFrame({"file": ["big.csv", "one_review.csv", "mixed.csv"], "rows_read": [500, 1, 103],
                          "rows_loaded": [500, 1, 100], "rows_quarantined": [0, 0, 3]})
    shown = quality.loads_published(loads)
    assert shown.iloc[0][["rows_read", "rows_loaded", "rows_quarantined"]].tolist() == [500, 500, 0]
    assert shown.iloc[1][["rows_read", "rows_loaded", "rows_quarantined"]].tolist() == ["c", "c", "c"]
    assert shown.iloc[2][["rows_read", "rows_loaded", "rows_quarantined"]].tolist() == ["c", "c", "c"]


def test_local_mode_says_so_and_switching_to_exact_counts_is_recorded(app, sample_db):
    from pipelines import audit_trail

    sidebar = " ".join(c.value for c in app.sidebar.caption)
    assert "Local mode: no sign-in." in sidebar
    before = len(audit_trail.entries(sample_db.audit_db))
    app.sidebar.toggle(key="f_show_small").set_value(True).run()
    latest = audit_trail.entries(sample_db.audit_db).iloc[0]
    assert len(audit_trail.entries(sample_db.audit_db)) == before + 1
    assert (latest["user_name"], latest["role"], latest["action"]) == ("local user", "admin", "exact_counts")
    assert app.query_params.get("internal") == "1"  # kept in the URL: a link an analyst can share


def test_local_mode_refuses_to_serve_beyond_this_machine(sample_db, monkeypatch):
    from dashboard import auth

    monkeypatch.setenv("PM_DB", str(sample_db.db_path))
    monkeypatch.setattr(auth, "serving_address", lambda: "0.0.0.0")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert "serves only this machine" in at.error[0].value
    assert not at.title and not at.metric  # nothing of the data is drawn


def test_make_run_refuses_another_address_without_sign_in(tmp_path, monkeypatch):
    import subprocess
    import sys

    monkeypatch.chdir(tmp_path)  # no .streamlit/secrets.toml here
    run = subprocess.run([sys.executable, "-m", "dashboard.serve", "--server.address", "0.0.0.0"],
                         capture_output=True, text=True, timeout=60, cwd=tmp_path,
                         env={**__import__("os").environ, "PYTHONPATH": str(Path(APP).parent.parent),
                              "HOME": str(tmp_path)})
    assert run.returncode == 2 and "Refusing to serve on 0.0.0.0" in run.stderr

"""The comparison table, forest data, population shares and heatmap cells, from hand-made frames."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from dashboard import compare_charts
from pipelines import compare
from pipelines.stats import rate_ratio, wilson

GROUPS = ["White", "Mixed", "Asian", "Black", "Other", "Not known"]


def frame(cells: dict[str, tuple[int, int] | None], scale: int = 1, hidden: set[str] = frozenset()) -> pd.DataFrame:
    """An indicator_frame-like table: None or a name in `hidden` is a suppressed cell (no numbers)."""
    rows = []
    for group, counts in cells.items():
        shown = counts is not None and group not in hidden
        n, d = counts if shown else (None, None)
        ci = wilson(n, d) if shown else None
        rows.append({"group": group, "group_label": group, "numerator": n, "denominator": d,
                     "value": n / d * scale if shown and d else None,
                     "ci_low": ci[0] * scale if ci else None, "ci_high": ci[1] * scale if ci else None,
                     "suppressed": not shown, "scale": scale, "direction": "down"})
    return pd.DataFrame(rows)


def overall(n: int | None, d: int | None, scale: int = 1) -> pd.DataFrame:
    return frame({"": (n, d) if n is not None else None}, scale)


def by_group(result: pd.DataFrame) -> dict[str, pd.Series]:
    return {r["group"]: r for _, r in result.iterrows()}


SAMPLE = {"White": (100, 1000), "Mixed": (30, 150), "Asian": (40, 400), "Black": None, "Other": (0, 60),
          "Not known": (12, 100)}


def test_each_group_against_white_children_with_katz_intervals():
    result = compare.comparison(frame(SAMPLE), overall(190, 1750))
    rows = by_group(result)
    assert list(result["group"]) == list(SAMPLE)  # every group, in order, none dropped
    assert result.attrs["reference"] == "White children"
    assert rows["White"]["finding"] == compare.REFERENCE
    assert (rows["Mixed"]["ratio"], rows["Mixed"]["ratio_low"], rows["Mixed"]["ratio_high"]) == \
        pytest.approx(rate_ratio(30, 150, 100, 1000))
    assert rows["Mixed"]["finding"] == "higher" and rows["Mixed"]["against"] == "White children"
    assert rows["Asian"]["finding"] == "the difference may be chance"  # 0.10 vs 0.10
    assert rows["Not known"]["ratio_low"] < 1 < rows["Not known"]["ratio_high"]


def test_hidden_and_zero_groups_are_too_few_to_compare_and_kept():
    rows = by_group(compare.comparison(frame(SAMPLE), overall(190, 1750)))
    assert rows["Black"]["finding"] == rows["Other"]["finding"] == "too few to compare"
    assert rows["Black"]["why"] == "hidden to protect children's privacy"
    assert rows["Other"]["why"] == "none counted"
    assert pd.isna(rows["Black"]["ratio"]) and pd.isna(rows["Other"]["ratio"])


def test_no_children_in_a_group_is_too_few_to_compare():
    rows = by_group(compare.comparison(frame({"White": (100, 1000), "Mixed": (0, 0)})))
    assert rows["Mixed"]["finding"] == "too few to compare" and rows["Mixed"]["why"] == "no children in the group"
    cin = by_group(compare.comparison(frame({"White": (300, 78000), "Not known": (15, 0)}, scale=10000)))
    assert cin["Not known"]["why"] == "no resident population figure"


@pytest.mark.parametrize("white", ["absent", "hidden", "zero"])
def test_without_a_white_figure_each_group_is_compared_with_all_other_children(white):
    cells = {k: v for k, v in SAMPLE.items() if k != "White"}
    if white != "absent":
        cells = {"White": (0, 1000), **cells}
    table = frame(cells, hidden={"White"} if white == "hidden" else set())
    result = compare.comparison(table, overall(190, 1750))
    rows = by_group(result)
    assert result.attrs["reference"] == "all other children"
    # the overall figure minus the group's own: both published, so the comparison group includes hidden groups
    assert (rows["Mixed"]["ratio"], rows["Mixed"]["ratio_low"], rows["Mixed"]["ratio_high"]) == \
        pytest.approx(rate_ratio(30, 150, 190 - 30, 1750 - 150))
    assert rows["Mixed"]["against"] == "all other children"
    if white != "absent":
        assert rows["White"]["finding"] == "too few to compare"
        assert rows["White"]["why"] == ("none counted" if white == "zero" else "hidden to protect children's privacy")
    assert "Compared with all other children" in compare.sentence(result, "the rate", "down")


def test_without_white_or_overall_figures_groups_are_compared_with_the_other_groups_shown():
    cells = {k: v for k, v in SAMPLE.items() if k != "White"}
    for total in (None, overall(None, None)):  # no overall figure, or a hidden one
        rows = by_group(compare.comparison(frame(cells), total))
        others = [v for k, v in cells.items() if k != "Mixed" and v]
        assert rows["Mixed"]["ratio"] == pytest.approx(
            rate_ratio(30, 150, sum(n for n, _ in others), sum(d for _, d in others))[0])
        assert rows["Mixed"]["against"] == "children in the other groups shown"


def test_a_comparison_group_with_none_counted_is_too_few_to_compare():
    rows = by_group(compare.comparison(frame({"Mixed": (30, 150), "Asian": (0, 400)}), overall(30, 550)))
    assert rows["Mixed"]["finding"] == "too few to compare"
    assert rows["Mixed"]["why"] == "too few in the comparison group (all other children)"


def test_forest_data_has_a_row_per_group_with_a_note_where_it_cannot_compare():
    data = compare.forest_data(compare.comparison(frame(SAMPLE), overall(190, 1750)))
    assert list(data["group"]) == ["White (reference)", "Mixed", "Asian", "Black", "Other", "Not known"]
    assert list(data["note"]) == ["reference group", "", "", "too few to compare", "too few to compare", ""]
    mixed = data.iloc[1]
    ratio, low, high = rate_ratio(30, 150, 100, 1000)
    assert (mixed["ratio"], mixed["low"], mixed["high"]) == pytest.approx((ratio, low, high))
    assert mixed["label"] == f"Mixed: {ratio:.2f} ({low:.2f} to {high:.2f})"
    assert data.iloc[3][["ratio", "low", "high"]].isna().all()


def test_display_table_shows_c_for_hidden_and_says_too_few_to_compare():
    table = compare.display_comparison(compare.comparison(frame(SAMPLE), overall(190, 1750)))
    rows = {r["Ethnic group"]: r for _, r in table.iterrows()}
    assert len(table) == len(SAMPLE)
    assert rows["Black"]["Rate"] == "c" and rows["Black"]["Rate 95% CI"] == "c"
    assert rows["Black"]["What it shows"] == "too few to compare (hidden to protect children's privacy)"
    assert rows["Other"]["Rate"] == "0.0%" and rows["Other"]["What it shows"] == "too few to compare (none counted)"
    assert rows["Mixed"]["Rate"] == "20.0%" and rows["Mixed"]["What it shows"] == "higher than White children"
    assert rows["White"]["Rate ratio"] == "z" and rows["White"]["What it shows"].startswith("reference group")
    ratio, low, high = rate_ratio(30, 150, 100, 1000)
    assert (rows["Mixed"]["Rate ratio"], rows["Mixed"]["Rate ratio 95% CI"]) == (f"{ratio:.2f}", f"{low:.2f} to {high:.2f}")


def test_population_shares_beside_children_in_need_hidden_counts_stay_hidden():
    cin = {"White": (3303, 78000), "Mixed": (536, 12000), "Asian": None, "Black": (387, 10800), "Not known": (15, 0)}
    population = pd.DataFrame({"group": ["White", "Mixed", "Asian", "Black"], "population": [78000, 12000, 15600, 10800]})
    total = overall(4869, 116400, 10000)
    result = compare.comparison(frame(cin, scale=10000), total)
    shares = compare.with_population(result, population, total)
    table = compare.display_comparison(result, shares, "Relative rate")
    rows = {r["Ethnic group"]: r for _, r in table.iterrows()}
    assert rows["Asian"]["Resident children"] == "15,600"  # census figures are public
    assert rows["Asian"]["Share of resident children"] == f"{15600 / 116400:.1%}"
    assert rows["Asian"]["Share of children in need"] == "c" and rows["Asian"]["Rate per 10,000"] == "c"
    assert rows["Mixed"]["Share of children in need"] == f"{536 / 4869:.1%}"
    assert rows["Black"]["Relative rate"] == f"{rate_ratio(387, 10800, 3303, 78000)[0]:.2f}"
    assert rows["Black"]["What it shows"] == "lower than White children"
    assert rows["Not known"]["Resident children"] == "z"
    assert rows["Not known"]["What it shows"] == "too few to compare (no resident population figure)"


def test_sentence_from_the_comparison_follows_the_intervals():
    text = compare.sentence(compare.comparison(frame(SAMPLE), overall(190, 1750)), "the rate", "down")
    assert text.startswith("Compared with White children, the rate was higher (worse) for Mixed children (rate ratio 2.0")
    assert "for Asian children and children whose ethnic group is not known the difference may be chance" in text
    assert text.endswith("too few to compare for Black children and children of other ethnic groups.")


def test_heatmap_cells_show_c_for_hidden_and_z_for_no_records():
    two_way = frame({"White,F": (10, 100), "White,M": None, "Black,F": (0, 0)})
    two_way["group_label"] = ["White, Female", "White, Male", "Black, Female"]
    cells = compare.grid(two_way, ("ethnic_group", "sex"))
    assert list(cells["row"]) == ["White", "White", "Black"] and list(cells["column"]) == ["Female", "Male", "Female"]
    assert list(cells["text"]) == ["10.0%", "c", "z"]
    assert list(cells["hidden"]) == [False, True, False]


def test_forest_plot_is_a_described_log_scale_chart_with_a_labelled_line_at_one():
    data = compare.forest_data(compare.comparison(frame(SAMPLE), overall(190, 1750)))
    spec = compare_charts.forest(data, "White children", "informal interpreting").to_dict()
    text = json.dumps(spec)
    assert '"type": "log"' in text
    assert "1 = same as White children" in text
    assert spec["description"].startswith("Forest plot of informal interpreting by ethnic group")
    assert "Black: too few to compare" in spec["description"] and "Mixed: rate ratio" in spec["description"]
    assert '"field": "note"' in text  # the "too few to compare" label is drawn in the group's row
    assert "color" not in {k for layer in spec["layer"] for k in layer.get("encoding", {})}  # meaning never by colour


def test_heatmap_and_bar_descriptions_say_what_the_chart_shows():
    two_way = frame({"White,F": (10, 100), "White,M": None, "Black,F": (30, 100)})
    cells = compare.grid(two_way.assign(group_label=two_way["group"]), ("ethnic_group", "sex"))
    spec = compare_charts.heatmap(cells, "Ethnic group", "Sex", "informal interpreting").to_dict()
    assert spec["description"].startswith("Heatmap of informal interpreting by ethnic group (rows) and sex (columns)")
    assert "Highest: Black, Female (30.0%)" in spec["description"] and "1 of 3 cells hidden" in spec["description"]
    words = compare_charts.rates_description(frame(SAMPLE), "informal interpreting", "Ethnic group")
    assert "Black c (hidden)" in words and "Mixed 20.0% (95% CI" in words

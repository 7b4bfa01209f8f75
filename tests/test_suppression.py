"""Small-number suppression: unit tests of the pure functions, and properties of the real output."""
from __future__ import annotations

import tempfile
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from pipelines import metrics
from pipelines.loader import load_file
from pipelines.store import read_connection
from pipelines.suppression import Line, is_small, primary, revealed_counts, secondary

from conftest import cli_json, settings_in, write_csv


@pytest.mark.parametrize("count,threshold,small", [(0, 5, False), (1, 5, True), (5, 5, True), (6, 5, False),
                                                   (4, 3, False), (3, 3, True), (-1, 5, False)])
def test_is_small(count, threshold, small):
    assert is_small(count, threshold) is small


def test_revealed_counts():
    assert sorted(revealed_counts([(3, 10)], "single")) == [3, 7, 10]
    assert 3 in revealed_counts([(10, 12), (7, 12)], "nested")  # 10 - 7: the difference is a count
    assert 5 in revealed_counts([(2, 10), (3, 10)], "partition")  # 10 - 2 - 3: what the partition leaves


@pytest.mark.parametrize("cells,kind,hidden", [
    ({"a": [(6, 12)], "b": [(3, 12)], "c": [(0, 0)], "d": [(6, 8)], "e": [(0, 6)], "f": [(6, 6)]}, "single", {"b", "d"}),
    ({"a": [(1, 1)], "b": [(0, 40)], "c": [(40, 45)]}, "single", {"a", "c"}),
    ({"g": [(10, 20), (8, 20)], "h": [(10, 20), (0, 20)]}, "nested", {"g"}),
    ({"g": [(6, 20), (6, 20)], "h": [(6, 20), (9, 20)]}, "partition", {"h"}),  # 20 - 6 - 9 = 5 left over
])
def test_primary(cells, kind, hidden):
    assert primary(cells, kind, 5) == hidden


def test_primary_threshold():
    assert primary({"a": [(3, 10)]}, "single", 2) == set()
    assert primary({"a": [(3, 10)]}, "single", 3) == {"a"}


CELLS = {"a": [(3, 10)], "b": [(0, 0)], "c": [(6, 20)], "d": [(7, 30)]}


def test_secondary_hides_smallest_nonzero_partner():
    assert secondary(CELLS, {"a"}, [Line(False, ("a", "b", "c", "d"))]) == {"a", "c"}


def test_secondary_leaves_two_hidden_alone():
    assert secondary(CELLS, {"a", "d"}, [Line(False, ("a", "b", "c", "d"))]) == {"a", "d"}


def test_secondary_hidden_total_needs_a_hidden_cell():
    assert secondary(CELLS, set(), [Line(True, ("c", "d"))]) == {"c"}
    assert secondary(CELLS, set(), [Line(False, ("c", "d"))]) == set()
    assert secondary({"x": [(0, 0)], "y": [(0, 0)]}, set(), [Line(True, ("x", "y"))]) == set()


def test_secondary_ignores_keys_without_cells():
    # 'zz' has no cell (no rows in that group) and 'b' is not on the line: nothing to add
    assert secondary(CELLS, {"a"}, [Line(False, ("a", "zz"))]) == {"a"}


def test_secondary_two_way_table_settles():
    # rows (a b) (c d), columns (a c) (b d): hiding a forces b (row) and c (column), then d (both)
    cells = {k: [(6, n)] for k, n in zip("abcd", (10, 20, 30, 40))}
    lines = [Line(False, ("a", "b")), Line(False, ("c", "d")), Line(False, ("a", "c")), Line(False, ("b", "d"))]
    hidden = secondary(cells, {"a"}, lines)
    assert hidden == {"a", "b", "c", "d"}
    assert all(sum(k in hidden for k in line.keys) != 1 for line in lines)


# Property: the real loader and CLI, on random small extracts.
PARENT = {"WBRI": "White", "WIRI": "White", "MWBC": "Mixed", "AIND": "Asian", "APKN": "Asian", "BAFR": "Black",
          "BCRB": "Black", "OOTH": "Other", "REFU": "Not known", "NOBT": "Not known"}
SHARE = {"review.count"}  # denominator = the overall total in every group

review_rows = st.lists(st.fixed_dictionaries({
    "review_type": st.sampled_from(["RR", "LCSPR"]),
    "notification_date": st.sampled_from(["2023-05-01", "2024-05-01"]),
    "child_ethnicity": st.sampled_from(["WBRI", "WIRI", "MWBC", "AIND", "APKN", "BAFR", "BCRB", "OOTH", "REFU", ""]),
    "child_sex": st.sampled_from(["M", "F", "U", ""]),
    "child_age_years": st.sampled_from(["0", "3", "8", "14", "17", ""]),
    "racism_named": st.sampled_from(["Y", "N", ""]),
    "race_considered": st.sampled_from(["none", "partial", "consistent", ""]),
    "tor_race_focus": st.sampled_from(["yes", "no", "unclear", ""]),
    "interpreter_type": st.sampled_from(["not_needed", "professional", "family_member", "child", ""]),
}), max_size=80)

children = st.lists(st.fixed_dictionaries({
    "ethnicity": st.sampled_from(["WBRI", "MWBC", "AIND", "BAFR", "BCRB", "OOTH", "REFU", ""]),
    "sex": st.sampled_from(["M", "F"]),
}), min_size=1, max_size=25)

episode_rows = st.lists(st.fixed_dictionaries({
    "child": st.integers(0, 24),
    "agency": st.sampled_from(["social_care", "police", "health"]),
    "child_seen": st.sampled_from(["Y", "N"]),
    "seen_alone": st.sampled_from(["Y", "N", "not_applicable"]),
    "interpreter_type": st.sampled_from(["not_needed", "professional", "family_member", "needed_not_provided", "child"]),
}), max_size=80)


def coarser_lines(by: str):
    """(coarser breakdown, function from a group to its total's group) for each line a reader can add up."""
    dims = by.split(",") if by else []
    if len(dims) == 1:
        yield "", lambda g: None
        if dims[0] == "ethnicity":
            yield "ethnic_group", lambda g: PARENT[g]
    elif len(dims) == 2:
        yield dims[0], lambda g: g.split(",")[0]
        yield dims[1], lambda g: g.split(",")[1]
        for i, d in enumerate(dims):
            if d == "ethnicity":
                parent_by = ",".join("ethnic_group" if j == i else x for j, x in enumerate(dims))
                yield parent_by, lambda g, i=i: ",".join(PARENT[v] if j == i else v for j, v in enumerate(g.split(",")))


def check_default(outputs: dict[str, list[dict]], by: str) -> None:
    cells = outputs[by]
    for c in cells:
        if c["suppressed"]:
            assert (c["numerator"], c["denominator"], c["value"]) == (None, None, None), c
        else:
            n, d = c["numerator"], c["denominator"]
            assert not any(1 <= x <= 5 for x in (n, d, d - n)), c
    for coarse_by, total_of in coarser_lines(by):
        totals = {(c["indicator"], c["group"]): c for c in outputs[coarse_by]}
        lines = defaultdict(list)
        for c in cells:
            lines[(c["indicator"], total_of(c["group"]))].append(c)
        for key, members in lines.items():
            hidden = sum(m["suppressed"] for m in members)
            if not totals[key]["suppressed"]:
                assert hidden != 1, (by, coarse_by, key, members)
            else:
                assert hidden >= 1, (by, coarse_by, key, members)  # else the hidden total is their sum


def check_unsuppressed_sums(outputs: dict[str, list[dict]], by: str) -> None:
    whole = {c["indicator"]: c for c in outputs[""]}
    sums = defaultdict(lambda: [0, 0])
    for c in outputs[by]:
        assert not c["suppressed"]
        sums[c["indicator"]][0] += c["numerator"]
        sums[c["indicator"]][1] += c["denominator"]
        if c["indicator"] in SHARE:
            assert c["denominator"] == whole[c["indicator"]]["numerator"]
    for ind, (n, d) in sums.items():
        assert n == whole[ind]["numerator"], (by, ind)
        if ind not in SHARE:
            assert d == whole[ind]["denominator"], (by, ind)


def check_all(db: Path, breakdowns: list[str]) -> None:
    """The CLI's output (metrics.compute -> Cell.as_contract), default and unsuppressed, for each breakdown."""
    needed = {""} | set(breakdowns) | {c for b in breakdowns for c, _ in coarser_lines(b)}
    with read_connection(db) as con:
        cells = {b: metrics.compute(con, tuple(b.split(",")) if b else ()) for b in needed}
    default = {b: [c.as_contract() for c in cs] for b, cs in cells.items()}
    internal = {b: [c.as_contract(show_small=True) for c in cs] for b, cs in cells.items()}
    for b in breakdowns:
        check_default(default, b)
        if b:
            check_unsuppressed_sums(internal, b)


def test_check_all_matches_the_cli(tmp_path):
    """The property tests call the library the CLI calls; check once that the figures are the same."""
    cfg = settings_in(tmp_path)
    rows = [{"review_id": f"R{i}", "partnership": "P", "review_type": "RR" if i % 3 else "LCSPR",
             "notification_date": "2024-01-05", "child_sex": "MF"[i % 2], "racism_named": "YN"[i % 4 == 0]}
            for i in range(40)]
    load_file(write_csv(tmp_path / "r.csv", rows), cfg)
    with read_connection(cfg.db_path) as con:
        direct = [c.as_contract() for c in metrics.compute(con, ("sex", "review_type"))]
    assert direct == cli_json("indicators", "--db", cfg.db_path, "--by", "sex,review_type")
    assert any(c["suppressed"] for c in direct) and not all(c["suppressed"] for c in direct)


PROPERTY = settings(max_examples=15, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(rows=review_rows)
def test_review_output_never_reveals_small_counts(rows):
    with tempfile.TemporaryDirectory() as folder:
        cfg = settings_in(Path(folder))
        data = [dict(r, review_id=f"R{i}", partnership="P") for i, r in enumerate(rows)]
        if data:
            assert load_file(write_csv(Path(folder) / "reviews.csv", data), cfg).rows_loaded == len(data)
        else:  # an empty extract: the header only
            write_csv(Path(folder) / "reviews.csv", [], header=["review_id", "partnership", "review_type",
                                                                "notification_date"])
            assert load_file(Path(folder) / "reviews.csv", cfg).rows_loaded == 0
        check_all(cfg.db_path, ["", "ethnic_group", "sex", "ethnicity", "review_type", "age_band",
                                "ethnic_group,sex", "ethnicity,sex", "review_type,ethnicity"])


@PROPERTY
@given(kids=children, rows=episode_rows)
def test_practice_output_never_reveals_small_counts(kids, rows):
    with tempfile.TemporaryDirectory() as folder:
        cfg = settings_in(Path(folder))
        records = [dict(k, child_id=f"C{i}", agency="social_care") for i, k in enumerate(kids)]
        assert load_file(write_csv(Path(folder) / "children.csv", records), cfg).rows_loaded == len(records)
        episodes = [{"episode_id": f"E{i}", "child_id": f"C{r['child'] % len(kids)}", "episode_type": "other",
                     "episode_date": "2024-01-15", **{k: v for k, v in r.items() if k != "child"}}
                    for i, r in enumerate(rows)]
        if episodes:
            assert load_file(write_csv(Path(folder) / "episodes.csv", episodes), cfg).rows_loaded == len(episodes)
        check_all(cfg.db_path, ["", "agency", "ethnic_group", "ethnicity", "agency,ethnic_group", "ethnicity,sex"])


def test_secondary_suppression_hides_the_smallest_other_share():
    from pipelines.suppression import Line, primary, secondary

    # review.count by group: every group's denominator is the total (60); only 'Other' is small.
    cells = {"White": [(30, 60)], "Mixed": [(12, 60)], "Asian": [(8, 60)], "Black": [(7, 60)], "Other": [(3, 60)]}
    hidden = secondary(cells, primary(cells, "single", 5), [Line(False, tuple(cells))])
    assert hidden == {"Other", "Black"}

"""Who may see what: the access file, the rule every fetch applies, and partnership isolation.

The isolation test is differential: two databases hold the same partnership A and two different
versions of partnership B. Everything the dashboard can fetch for a person granted only A (every
fetch function, every breakdown, every filter they may choose, the board pack) must be the same in
both, and never name B. A figure that moved with B's data would be B's figure reaching A.
"""
from __future__ import annotations

import dataclasses
import io
import re
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from conftest import PARTNERSHIP_A, PARTNERSHIP_B, SAMPLE_DATA, partnership_b_reviews, settings_in
from dashboard import data
from pipelines import access, release
from pipelines.access import Denied, Principal
from pipelines.catalogue import catalogue
from pipelines.loader import load_file
from pipelines.metrics import Filters

ACCESS = """
home = "Northbridge Safeguarding Children Partnership"

[[grant]]
role = "board"
emails = ["Board@A.test"]
partnerships = ["Northbridge Safeguarding Children Partnership"]

[[grant]]
role = "analyst"
groups = ["sg-analysts"]
partnerships = ["Southmoor Safeguarding Children Partnership"]

[[grant]]
role = "admin"
emails = ["admin@a.test"]
partnerships = ["*"]
"""


def policy(tmp_path: Path, text: str = ACCESS) -> access.Policy:
    path = tmp_path / "access.toml"
    path.write_text(text)
    return access.load_policy(path)


def test_people_get_their_role_and_partnerships_by_email_or_group(tmp_path):
    p = policy(tmp_path)
    board = p.principal("board@a.test")  # e-mail addresses match whatever their case
    assert (board.user, board.role, board.partnerships, board.case_data) == (
        "board@a.test", "board", frozenset({PARTNERSHIP_A}), True)
    analyst = p.principal("someone@b.test", ("sg-analysts",))
    assert (analyst.role, analyst.partnerships, analyst.case_data) == ("analyst", frozenset({PARTNERSHIP_B}), False)
    admin = p.principal("admin@a.test")
    assert (admin.role, admin.partnerships, admin.case_data) == ("admin", None, True)
    assert p.principal("stranger@c.test") is None and p.principal(None, ("sg-analysts",)) is None


def test_each_role_holds_only_in_the_partnerships_its_grant_names(tmp_path):
    """Board for A (by e-mail) and analyst for B (by group): exact counts for B, never for A."""
    both = policy(tmp_path).principal("board@a.test", ("sg-analysts",))
    assert both.role == "analyst" and both.partnerships == {PARTNERSHIP_A, PARTNERSHIP_B}
    assert (both.role_in(PARTNERSHIP_A), both.role_in(PARTNERSHIP_B), both.role_in(None)) == ("board", "analyst", None)
    access.authorise(both, PARTNERSHIP_B, show_small=True)
    with pytest.raises(Denied, match="exact counts for Northbridge"):
        access.authorise(both, PARTNERSHIP_A, show_small=True)
    assert both.may("exact_counts") and not both.may_home("exact_counts")  # home is A, where they are board


@pytest.mark.parametrize("text,message", [
    ("[[grant]]\nrole = 'boss'\nemails = ['a@b.c']\npartnerships = ['*']", "grant 1: role must be one of"),
    ("[[grant]]\nrole = 'board'\npartnerships = ['*']", "grant 1: list the emails or groups"),
    ("[[grant]]\nrole = 'board'\nemails = ['not an address']\npartnerships = ['*']", "not an e-mail address"),
    ("[[grant]]\nrole = 'board'\nemails = ['a@b.c']", "partnerships must list names"),
    ("[[grant]]\nrole = 'board'\nemails = ['a@b.c']\npartnerships = ['*']\nrolee = 1", "unknown setting rolee"),
    ("home = 1\n", "home must be"), ("", "no [[grant]]"), ("[[grant]\n", "access.toml"),
])
def test_a_bad_access_file_names_the_file_and_the_grant_and_grants_nothing(tmp_path, text, message):
    with pytest.raises(ValueError, match=re.escape(message)) as err:
        policy(tmp_path, text)
    assert str(tmp_path / "access.toml") in str(err.value)


def test_roles_nest_and_the_rule_refuses_what_a_role_or_grant_does_not_allow():
    board = Principal("b@a.test", "board", frozenset({PARTNERSHIP_A}), True)
    analyst_b = Principal("c@b.test", "analyst", frozenset({PARTNERSHIP_B}), False)
    assert [a for a in access.ACTIONS if board.may(a)] == ["view"]
    assert [a for a in access.ACTIONS if analyst_b.may(a)] == ["view", "exact_counts"]
    assert all(access.LOCAL.may(a) for a in access.ACTIONS)
    access.authorise(board, PARTNERSHIP_A)
    for call, words in [(lambda: access.authorise(board, PARTNERSHIP_A, show_small=True), "needs the analyst role"),
                        (lambda: access.authorise(board, None), "every partnership at once"),
                        (lambda: access.authorise(board, PARTNERSHIP_B), "may not see partnership"),
                        (lambda: access.authorise(analyst_b, PARTNERSHIP_B, case_data=True), "case-system"),
                        (lambda: access.authorise_home(analyst_b), "home partnership"),
                        (lambda: access.authorise(board, PARTNERSHIP_A, action="load"), "needs the loader role")]:
        with pytest.raises(Denied, match=words):
            call()


# ---- partnership isolation ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def twins(tmp_path_factory) -> list:
    """Two databases: partnership A's reviews with B's, and with a different B."""
    out = []
    for variant in (0, 1):
        folder = tmp_path_factory.mktemp(f"twin{variant}")
        cfg = settings_in(folder)
        for path in (SAMPLE_DATA / "reviews.csv", partnership_b_reviews(folder / "b_reviews.csv", variant)):
            result = load_file(path, cfg)
            assert result.status == "loaded", result.message
        out.append(cfg)
    return out


A_ANALYST = Principal("analyst@a.test", "analyst", frozenset({PARTNERSHIP_A}), True)
A_BOARD = dataclasses.replace(A_ANALYST, user="board@a.test", role="board")
DIMS = ("review_type", "reporting_year", "ethnic_group", "ethnicity", "sex", "age_band", "sample_group")


def fetched(cfg, who: Principal, show_small: bool) -> dict[str, object]:
    """Everything the dashboard's fetch functions give `who` for every filter they may choose."""
    db, version, threshold = str(cfg.db_path), data.stamp(cfg.db_path), cfg.suppression_threshold
    opts = data.options(db, version, who)
    out = {"options": opts}
    years = opts["reporting_year"] if show_small else opts["release"]["period"]
    for year in [None, *years]:
        start_end = {} if year is None else dict(zip(("period_start", "period_end"),
                                                    release.year_bounds(year)))
        filters = Filters(partnership=PARTNERSHIP_A, **start_end)
        for by in [(), *((d,) for d in DIMS)]:
            frame = data.indicators(db, version, who, by, filters, show_small, threshold)
            # `suppressed` says whether the published release hides a cell; hiding is decided over the whole
            # release (a cell may be hidden to protect another partnership's), so it is not A's figure
            out[f"{year}/{by}"] = frame.drop(columns=["sql", "suppressed"] if show_small else ["sql"]
                                             ).reset_index(drop=True)
        if show_small:
            out[f"{year}/list"] = data.review_list(db, version, who, filters).reset_index(drop=True)
        pdf = data.board_pack(db, version, who, "pdf", filters, show_small, threshold)
        text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
        out[f"{year}/pack"] = re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", "<when>", text)  # generated, loaded
    return out


def same(left, right) -> bool:
    if isinstance(left, pd.DataFrame):
        return left.equals(right)
    return left == right


def test_a_person_granted_partnership_a_never_receives_partnership_bs_figures(twins):
    """Internal use (exact counts, nothing hidden): every fetch is identical whatever B's data, and B is
    never named, in figures, lists or the board pack."""
    first, second = (fetched(cfg, A_ANALYST, show_small=True) for cfg in twins)
    assert first.keys() == second.keys() and len(first) > 20
    differ = [k for k in first if not same(first[k], second[k])]
    assert not differ, differ
    assert PARTNERSHIP_B not in repr(first) and "SM-RR" not in repr(first)
    assert first["options"]["partnership"] == [PARTNERSHIP_A]


def test_published_figures_for_partnership_a_are_as_internal_or_hidden(twins):
    """Published (board) figures for A: each shown count is A's own internal figure, whatever B holds; only
    which cells are hidden may differ."""
    for cfg in twins:
        internal, published = fetched(cfg, A_ANALYST, True), fetched(cfg, A_BOARD, False)
        for key, frame in published.items():
            if not isinstance(frame, pd.DataFrame) or frame.empty:
                continue
            exact = internal[key].set_index(["indicator", "group"])
            for row in frame[frame["numerator"].notna()].itertuples():
                assert (row.numerator, row.denominator) == tuple(exact.loc[(row.indicator, row.group),
                                                                           ["numerator", "denominator"]]), key
        assert PARTNERSHIP_B not in repr(published)


def test_fetches_refuse_other_partnerships_and_all_at_once(twins):
    cfg = twins[0]
    db, version = str(cfg.db_path), data.stamp(cfg.db_path)
    for partnership in (None, PARTNERSHIP_B):
        with pytest.raises(Denied):
            data.indicators(db, version, A_ANALYST, (), Filters(partnership=partnership), True, 5)
        with pytest.raises(Denied):
            data.board_pack(db, version, A_BOARD, "pdf", Filters(partnership=partnership), False, 5)
    with pytest.raises(Denied, match="analyst"):
        data.indicators(db, version, A_BOARD, (), Filters(partnership=PARTNERSHIP_A), True, 5)
    b_only = Principal("c@b.test", "analyst", frozenset({PARTNERSHIP_B}), False)
    with pytest.raises(Denied, match="home partnership"):
        data.quality_tables(db, version, b_only, False)
    assert data.spc(db, version, b_only, Filters(partnership=PARTNERSHIP_B), False, 5).empty
    shown = data.indicators(db, version, b_only, (), Filters(partnership=PARTNERSHIP_B), True, 5)
    assert not shown.empty and set(shown["indicator"]).isdisjoint(
        {i.id for i in catalogue() if access.reads_case_data(i)})

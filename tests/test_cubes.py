"""The cubes are only a faster route: every figure they give equals a scan of the fact view."""
from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

import pytest

from pipelines import metrics
from pipelines.catalogue import catalogue
from pipelines.metrics import Filters
from pipelines.store import read_connection

CUBED = sorted({i.fact.name for i in catalogue() if i.fact.cube})


def scanned(con, fact_name, by, filters):
    """The same computation with the cube switched off, so every row of the fact view is read."""
    inds = [dataclasses.replace(i, fact=dataclasses.replace(i.fact, cube=False)) for i in catalogue()
            if i.fact.name == fact_name]
    if fact_name == "fct_cin":  # scanning can use the plain distinct count the cube replaces
        inds = [dataclasses.replace(i, numerator_sql="count(DISTINCT child_key)", fact=dataclasses.replace(
            i.fact, filters=("period",))) for i in inds]
    return {(c.indicator, c.group): (c.numerator, c.denominator)
            for c in metrics.compute(con, by, filters, inds, protected=False)}


def from_cube(con, fact_name, by, filters):
    inds = [i for i in catalogue() if i.fact.name == fact_name]
    return {(c.indicator, c.group): (c.numerator, c.denominator)
            for c in metrics.compute(con, by, filters, inds, protected=False)}


@pytest.mark.parametrize("fact_name", CUBED)
def test_cube_equals_a_scan_for_every_breakdown(sample_db, fact_name):
    fact = next(i.fact for i in catalogue() if i.fact.name == fact_name)
    with read_connection(sample_db.db_path) as con:
        for by in [(), *[(d,) for d in fact.dims], *itertools.combinations(fact.dims, 2)][:12]:
            assert from_cube(con, fact_name, by, Filters()) == scanned(con, fact_name, by, Filters()), by


@pytest.mark.parametrize("first,last", [(2022, 2022), (2022, 2023), (2023, 2024), (2022, 2024), (2024, 2024)])
def test_children_in_need_counted_once_in_any_financial_year_range(sample_db, first, last):
    period = Filters(period_start=dt.date(first, 4, 1), period_end=dt.date(last + 1, 3, 31))
    with read_connection(sample_db.db_path) as con:
        cube = from_cube(con, "fct_cin", ("ethnic_group",), period)
        assert cube == scanned(con, "fct_cin", ("ethnic_group",), period)
        direct = con.execute("SELECT count(DISTINCT child_key) FROM fct_episode WHERE agency = 'social_care' "
                             "AND episode_date BETWEEN ? AND ?", [period.period_start, period.period_end]).fetchall()[0][0]
        overall = from_cube(con, "fct_cin", (), period)
    assert overall[("practice.cin_rate_per_10k", ())][0] == direct > 0


@pytest.mark.parametrize("fact_name", ["fct_episode", "fct_disclosure"])
def test_cube_equals_a_scan_with_period_and_agency_filters(sample_db, fact_name):
    filters = Filters(period_start=dt.date(2023, 4, 1), period_end=dt.date(2024, 3, 31), agencies=("health", "police"))
    with read_connection(sample_db.db_path) as con:
        for by in [(), ("ethnic_group",), ("month",), ("agency", "sex")]:
            assert from_cube(con, fact_name, by, filters) == scanned(con, fact_name, by, filters), by

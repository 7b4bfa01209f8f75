"""Pre-aggregated cubes, generated from the catalogue, so pages answer in milliseconds at national scale.

For each fact table marked `cube = true` the catalogue's (additive) numerator and
denominator expressions are counted once per combination of breakdown values,
filter columns and month. metrics.py then sums the cube instead of scanning
millions of rows. A cube is rebuilt after every load, inside the load's transaction.
"""
from __future__ import annotations

import duckdb

from .catalogue import Fact, Indicator, catalogue


def cube_name(fact: Fact) -> str:
    return f"cube_{fact.name}"


def measure(ind: Indicator, part: str) -> str:
    """Column holding an indicator's numerator (n) or denominator (d) in the cube."""
    return f'"{part}_{ind.id}"'


def group_columns(fact: Fact) -> list[str]:
    """Breakdown dimensions, plus the columns filters read (agency; a distinct count's previous date)."""
    extra = (["agency"] if "agency" in fact.filters else []) + (
        ["event_date", "previous_event_date"] if "distinct_period" in fact.filters else [])
    return list(dict.fromkeys([*fact.dims, *extra]))


def cube_sql(fact: Fact, indicators: list[Indicator]) -> str:
    date = ["CAST(date_trunc('month', event_date) AS DATE) AS event_date"] if "period" in fact.filters else []
    measures = [f"{i.numerator_sql} AS {measure(i, 'n')}, {i.denominator_sql} AS {measure(i, 'd')}" for i in indicators]
    columns = ",\n       ".join([*group_columns(fact), *date, "count(*) AS units", *measures])
    return f"CREATE OR REPLACE TABLE {cube_name(fact)} AS\nSELECT {columns}\nFROM {fact.name}\nGROUP BY ALL"


def cube_statements() -> dict[str, str]:
    facts = {}
    for ind in catalogue():
        if ind.fact.cube:
            facts.setdefault(ind.fact, []).append(ind)
    return {fact.name: cube_sql(fact, inds) for fact, inds in facts.items()}


def build_cubes(con: duckdb.DuckDBPyConnection) -> None:
    for sql in cube_statements().values():
        con.execute(sql)

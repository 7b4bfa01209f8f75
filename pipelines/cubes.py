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


def _cube_select(fact: Fact, indicators: list[Indicator], where: str = "") -> str:
    date = ["CAST(date_trunc('month', event_date) AS DATE) AS event_date"] if "period" in fact.filters else []
    measures = [f"{i.numerator_sql} AS {measure(i, 'n')}, {i.denominator_sql} AS {measure(i, 'd')}" for i in indicators]
    columns = ",\n       ".join([*group_columns(fact), *date, "count(*) AS units", *measures])
    return f"SELECT {columns}\nFROM {fact.name}{where}\nGROUP BY ALL"


def cube_sql(fact: Fact, indicators: list[Indicator]) -> str:
    return f"CREATE OR REPLACE TABLE {cube_name(fact)} AS\n{_cube_select(fact, indicators)}"


def cube_append_sql(fact: Fact, indicators: list[Indicator]) -> str:
    """Some loads' rows counted and added to the cube (parameter $load_ids). Pages and the release sum a
    cube's rows, so a combination counted twice (once before, once in the load) sums to the same figure;
    the next full build folds them together."""
    return f"INSERT INTO {cube_name(fact)} BY NAME\n{_cube_select(fact, indicators, ' WHERE load_id >= list_min($load_ids) AND list_contains($load_ids, load_id)')}"


APPENDABLE = {"fct_episode"}  # cubes whose fact carries load_id (sql/staging), so a load can add only its rows


def _cubed() -> dict[Fact, list[Indicator]]:
    facts: dict[Fact, list[Indicator]] = {}
    for ind in catalogue():
        if ind.fact.cube:
            facts.setdefault(ind.fact, []).append(ind)
    return facts


def cube_statements() -> dict[str, str]:
    return {fact.name: cube_sql(fact, inds) for fact, inds in _cubed().items()}


def build_cubes(con: duckdb.DuckDBPyConnection, appended: tuple[set[str], tuple[int, ...]] | None = None) -> None:
    """Every cube rebuilt; or, with `appended` = (facts, load ids) for loads that only added rows, those
    facts' cubes gain just those loads' counts (see cube_append_sql) and the others are rebuilt."""
    facts, load_ids = appended or (set(), ())
    existing = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    for fact, inds in _cubed().items():
        if fact.name in facts & APPENDABLE and cube_name(fact) in existing:
            con.execute(cube_append_sql(fact, inds), {"load_ids": list(load_ids)})
        else:
            con.execute(cube_sql(fact, inds))

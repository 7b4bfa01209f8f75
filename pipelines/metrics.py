"""Compute indicator cells from the marts; default output takes its suppression from the release.

For each fact table one query computes every indicator over the breakdown asked
for (and the overall figure, a share's denominator). Whether a cell may be shown
is decided once for the whole release (release.py), never per query. Dimension
names come only from the catalogue's whitelist and filter values are bound as
parameters: no user text ever becomes SQL.
"""
from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field

import duckdb

from . import release
from .catalogue import DIMENSIONS, Fact, Indicator, catalogue
from .cubes import cube_name, measure
from .reference import MAJOR_GROUPS, NOT_KNOWN

PARENT = release.HIERARCHY  # children add up to their parent group
ORDER = {
    "ethnic_group": [*MAJOR_GROUPS, NOT_KNOWN],
    "age_band": ["under_1", "1_5", "6_10", "11_15", "16_17", NOT_KNOWN],
    "sex": ["F", "M", "U"],
}

Table = tuple[str, ...]  # the dimensions a table is broken down by; () is the overall figure


@dataclass(frozen=True)
class Filters:
    partnership: str | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    agencies: tuple[str, ...] = ()

    def clauses(self, fact: Fact) -> tuple[list[str], list]:
        where, params = [], []
        if self.partnership and "partnership" in fact.filters:
            where.append("partnership = ?")
            params.append(self.partnership)
        start, end = self.period_start or dt.date(1900, 1, 1), self.period_end or dt.date(9999, 12, 31)
        if (self.period_start or self.period_end) and "period" in fact.filters:
            where.append("(event_date IS NULL OR event_date BETWEEN ? AND ?)")
            params += [start, end]
        if "distinct_period" in fact.filters:  # always: a row counts only where the child was not already counted
            where.append("(event_date IS NULL OR (event_date BETWEEN ? AND ? "
                         "AND (previous_event_date IS NULL OR previous_event_date < ?)))")
            params += [start, end, start]
        if self.agencies and "agency" in fact.filters:
            where.append("list_contains(?, agency)")
            params.append(list(self.agencies))
        return where, params


@dataclass
class Cell:
    indicator: str
    by: Table
    group: tuple[str, ...]
    numerator: int
    denominator: int
    scale: int = 1
    suppressed: bool = False
    sql: str = field(default="", repr=False)
    parent_key: dict[str, str] = field(default_factory=dict, repr=False)  # values of every grouped column

    @property
    def value(self) -> float | None:
        """Numerator over denominator (per `scale`), whether or not the cell is suppressed."""
        return round(self.numerator / self.denominator * self.scale, 4) if self.denominator else None

    def as_contract(self, show_small: bool = False) -> dict:
        """The output contract's element (data-contract section 4)."""
        hide = self.suppressed and not show_small
        return {"indicator": self.indicator, "by": ",".join(self.by) or None,
                "group": ",".join(self.group) if self.by else None,
                "numerator": None if hide else self.numerator, "denominator": None if hide else self.denominator,
                "value": None if hide else self.value, "suppressed": hide}


def _grouping_columns(table: Table, dims: Iterable[str]) -> Table:
    """A child dimension carries its parents along, so a cell's key names its parent groups too."""
    dims, out = set(dims), list(table)
    for child, parent in PARENT.items():  # listed child before parent, so a chain is followed in one pass
        if child in out and parent in dims and parent not in out:
            out.append(parent)
    return tuple(out)


def fact_sql(fact: Fact, indicators: list[Indicator], tables: list[Table], filters: Filters) -> tuple[str, list]:
    """One statement computing every indicator of one fact over every table."""
    cols = sorted({d for t in tables for d in _grouping_columns(t, fact.dims)}, key=DIMENSIONS.index)
    sets = ", ".join("(" + ", ".join(_grouping_columns(t, fact.dims)) + ")" for t in tables)
    if fact.cube:  # sum the pre-aggregated counts (cubes.py) instead of scanning every row
        source = cube_name(fact)
        measures = ",\n       ".join(f"sum({measure(i, 'n')}) AS n{k}, sum({measure(i, 'd')}) AS d{k}"
                                       for k, i in enumerate(indicators))
    else:
        source = fact.name
        measures = ",\n       ".join(f"{i.numerator_sql} AS n{k}, {i.denominator_sql} AS d{k}" for k, i in enumerate(indicators))
    grouping = f"GROUPING({', '.join(cols)}) AS gid, " if cols else "0 AS gid, "
    where, params = filters.clauses(fact)
    select_cols = "".join(f"{c}, " for c in cols)
    sql = (f"SELECT {select_cols}{grouping}\n       {measures}\nFROM {source}"
           + (f"\nWHERE {' AND '.join(where)}" if where else "")
           + f"\nGROUP BY GROUPING SETS ({sets})")
    return sql, params


def compute(con: duckdb.DuckDBPyConnection, by: Table = (), filters: Filters = Filters(),
            indicators: Iterable[Indicator] | None = None, threshold: int = 5, protected: bool = True,
            withheld: list[str] | None = None) -> list[Cell]:
    """Cells of the `by` table for every indicator whose fact supports it and has rows.

    Protected (the default output): only a table and filters the protected release contains,
    with its suppression (release.py); anything else raises NotInRelease. Unprotected (internal
    use): any table and filters, exact, with the release's flags where it has the cell. When
    `withheld` is a list, a fact whose table is not published is left out, its reason added there."""
    bad = [d for d in by if d not in DIMENSIONS]
    if bad or len(set(by)) != len(by) or len(by) > 2:
        raise ValueError(f"breakdown must be one or two of: {', '.join(DIMENSIONS)}")
    chosen = [i for i in (indicators or catalogue()) if set(by) <= set(i.fact.dims)]
    stored = release.status(con)
    scope = release.scope_of(filters, stored, threshold) if protected else release.scope_or_none(filters, stored)
    built = {f["fact"] for f in stored["facts"]} if protected else None
    result: list[Cell] = []
    keyed: list[tuple[Cell, str]] = []
    for fact, group in itertools.groupby(sorted(chosen, key=lambda i: i.fact.name), key=lambda i: i.fact):
        group = list(group)
        present = fact.name in built if protected else _has_rows(con, cube_name(fact) if fact.cube else fact.name)
        if not present:
            continue
        if protected:
            try:
                release.check_table(fact, by, scope, stored)
            except release.NotInRelease as exc:
                if withheld is None:
                    raise
                withheld.append(str(exc))
                continue
        tables = [tuple(by), ()] if by else [()]
        sql, params = fact_sql(fact, group, tables, filters)
        cells = [c for c in _collect(con.execute(sql, params), group, tables, fact, sql) if c.by == tuple(by)]
        if scope is not None:
            keyed += [(c, release.cell_key(fact, scope, c.parent_key)) for c in cells]
        result += cells
    flags = release.flags(con, sorted({c.indicator for c, _ in keyed}), sorted({k for _, k in keyed}))
    for cell, key in keyed:
        hidden = flags.get((cell.indicator, key))
        if hidden is None and protected and (cell.numerator or cell.denominator or cell.by):
            raise release.NotInRelease(f"{cell.indicator} by {','.join(by) or 'nothing'}: the protected release "
                                       "has no such cell; rebuild it with: python -m pipelines release")
        cell.suppressed = bool(hidden)
    order = {i.id: n for n, i in enumerate(catalogue())}
    return sorted(result, key=lambda c: (order[c.indicator], [_rank(d, g) for d, g in zip(c.by, c.group)]))


def _has_rows(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    try:
        return con.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchall()[0][0]
    except duckdb.CatalogException:
        return False


def _collect(rows: duckdb.DuckDBPyConnection, indicators: list[Indicator], tables: list[Table], fact: Fact, sql: str) -> list[Cell]:
    names = [d[0] for d in rows.description]
    cols = names[:names.index("gid")]
    by_gid = {sum(1 << (len(cols) - 1 - cols.index(c)) for c in cols if c not in _grouping_columns(t, fact.dims)): t
              for t in tables}
    cells, totals = [], {}
    for row in rows.fetchall():
        rec = dict(zip(names, row))
        table = by_gid[rec["gid"]]
        key = tuple(str(rec[d]) for d in table)
        for k, ind in enumerate(indicators):
            totals[(ind.id, table, key)] = cell = Cell(
                ind.id, table, key, int(rec[f"n{k}"] or 0), int(rec[f"d{k}"] or 0), ind.scale, sql=sql,
                parent_key={d: str(rec[d]) for d in _grouping_columns(table, fact.dims)})
            cells.append(cell)
    for cell in cells:  # a share's denominator is the whole scope, in every group
        ind = next(i for i in indicators if i.id == cell.indicator)
        if ind.share:
            overall = totals.get((ind.id, (), ()))
            cell.denominator = overall.numerator if overall else cell.denominator
    return cells


def _rank(dim: str, value: str) -> tuple:
    order = ORDER.get(dim, [])
    return (order.index(value), value) if value in order else (len(order), value)

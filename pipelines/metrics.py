"""Compute indicator cells from the marts, with suppression.

For each fact table one query computes every indicator over a set of grouping
sets: the breakdown asked for and every coarser table whose totals a reader
could subtract from (see suppression.py). Dimension names come only from the
catalogue's whitelist and filter values are bound as parameters: no user text
ever becomes SQL.
"""
from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field

import duckdb

from . import suppression
from .catalogue import DIMENSIONS, Fact, Indicator, catalogue
from .cubes import cube_name, measure
from .reference import MAJOR_GROUPS, NOT_KNOWN

PARENT = {"ethnicity": "ethnic_group", "month": "reporting_year"}  # children add up to their parent group
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


def coarser(table: Table, dims: Iterable[str]) -> list[Table]:
    """Tables whose cells are sums of this table's cells: drop a dimension, or swap a child for its parent."""
    out = [table[:i] + table[i + 1:] for i in range(len(table))]
    out += [table[:i] + (PARENT[d],) + table[i + 1:] for i, d in enumerate(table)
            if d in PARENT and PARENT[d] in dims and PARENT[d] not in table]
    return out


def closure(table: Table, dims: Iterable[str]) -> list[Table]:
    """The table and every coarser one, coarsest first (parents before children)."""
    dims = tuple(dims)
    seen, todo = {table}, [table]
    while todo:
        for t in coarser(todo.pop(), dims):
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return sorted(seen, key=lambda t: (len(t), sum(d in PARENT for d in t), t))


def _grouping_columns(table: Table, dims: Iterable[str]) -> Table:
    """A child dimension carries its parent along, so its cells can be summed into the parent's."""
    extra = tuple(PARENT[d] for d in table if d in PARENT and PARENT[d] in dims and PARENT[d] not in table)
    return table + extra


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
            indicators: Iterable[Indicator] | None = None, threshold: int = 5) -> list[Cell]:
    """Cells of the `by` table for every indicator whose fact supports it and has rows."""
    bad = [d for d in by if d not in DIMENSIONS]
    if bad or len(set(by)) != len(by) or len(by) > 2:
        raise ValueError(f"breakdown must be one or two of: {', '.join(DIMENSIONS)}")
    chosen = [i for i in (indicators or catalogue()) if set(by) <= set(i.fact.dims)]
    result: list[Cell] = []
    for fact, group in itertools.groupby(sorted(chosen, key=lambda i: i.fact.name), key=lambda i: i.fact):
        group = list(group)
        if not _has_rows(con, cube_name(fact) if fact.cube else fact.name):
            continue
        tables = closure(tuple(by), fact.dims)
        sql, params = fact_sql(fact, group, tables, filters)
        cells = _collect(con.execute(sql, params), group, tables, fact, sql)
        _suppress(cells, group, tables, fact, threshold)
        result += [c for c in cells if c.by == tuple(by)]
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


def _suppress(cells: list[Cell], indicators: list[Indicator], tables: list[Table], fact: Fact, threshold: int) -> None:
    """Suppress each indicator family table by table, coarsest first, so lines know their totals."""
    families: dict[str, list[Indicator]] = {}
    for ind in indicators:
        families.setdefault(ind.family_key, []).append(ind)
    index = {(c.indicator, c.by, c.group): c for c in cells}
    for members in families.values():
        kind = members[0].family_kind if len(members) > 1 else "single"
        hidden_by_table: dict[Table, set] = {}
        for table in tables:
            keys = {c.group: c for c in cells if c.by == table and c.indicator == members[0].id}
            counts = {g: [(index[(m.id, table, g)].numerator, index[(m.id, table, g)].denominator) for m in members]
                      for g in keys}
            hidden = suppression.primary(counts, kind, threshold)
            lines = _lines(table, keys, hidden_by_table, fact)
            hidden = suppression.secondary(counts, hidden, lines)
            hidden_by_table[table] = hidden
            for g in hidden:
                for m in members:
                    index[(m.id, table, g)].suppressed = True


def _lines(table: Table, keys: dict, hidden_by_table: dict[Table, set], fact: Fact) -> list[suppression.Line]:
    """Group this table's cells by each coarser table's cell they add up to."""
    lines = []
    for coarse in coarser(table, fact.dims):
        members: dict[tuple, list] = {}
        for group, cell in keys.items():
            members.setdefault(tuple(cell.parent_key[d] for d in coarse), []).append(group)
        for coarse_key, groups in members.items():
            lines.append(suppression.Line(coarse_key in hidden_by_table.get(coarse, set()), tuple(groups)))
    return lines


def _rank(dim: str, value: str) -> tuple:
    order = ORDER.get(dim, [])
    return (order.index(value), value) if value in order else (len(order), value)

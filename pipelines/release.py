"""The protected release: every figure default output may show, counted once, suppressed jointly.

A default query is answered only from a declared set of tables (release_tables): each fact's
overall figure and single breakdowns for the whole period and each financial year, for all
agencies and each agency (and each partnership, when every partnership has enough reviews),
plus two-way breakdowns for the whole period and all agencies. Filters become dimensions, so
"police, 2023-24, by ethnic group" is the cell (agency, reporting_year, ethnic_group) of one
table, the same cell whichever query or page shows it, in whatever order the dimensions are
asked for. A child dimension implies its parent (an ethnicity code its ethnic group, a month
its financial year), so a parent asked for with its own child is the child table.

Protection is one pattern per fact, cell and *group* of figures that share a denominator
(child seen, voice and identity all count episodes: they hide the same cells). Primary
suppression hides a cell whose figures reveal a count of 1 to the threshold; secondary
suppression then grows the pattern until the audit (audit.py) finds nothing derivable.
See docs/disclosure-control.md.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from . import audit as aud
from .catalogue import DIMENSIONS, Fact, catalogue
from .cubes import cube_name, measure
from .schema import CHILD_KINDS, KINDS
from .suppression import is_small

# A child value implies its parent's (chained: an ethnicity code implies its group, which implies its sample group).
HIERARCHY = {"ethnicity": "ethnic_group", "ethnic_group": "sample_group", "month": "reporting_year"}
KEY_ORDER = (*DIMENSIONS, "partnership", "period", "source")  # source: data-quality cells only
UNITS = "count(*)"  # rows of the fact: a listed cell has at least one
QUALITY_FACTS = {k: KINDS[k].fact for k in sorted(CHILD_KINDS)}  # completeness is published for these
SCOPE_KEYS = ("reporting_year", "agency", "partnership", "period")
MIN_PARTNERSHIP_REVIEWS = 20  # a partnership filter is offered by default only when every partnership has this many


class NotInRelease(ValueError):
    """A default query asked for a table or filter the protected release does not contain."""


@dataclass(frozen=True)
class Scope:
    """The filters a default query may use: the whole period or one financial year, all agencies or one."""
    period: str | None = None
    agency: str | None = None
    partnership: str | None = None


@dataclass(frozen=True)
class Figure:
    id: str
    numerator: str  # measure names (the catalogue's SQL, so shared counts are one measure)
    denominator: str
    group: str  # figures in one group hide the same cells
    share: bool = False  # denominator is the scope's overall count
    family: str = ""
    family_kind: str = "single"
    quality: bool = False  # a data-quality figure: only overall and by agency, whole period


def scope_conditions(fact: Fact, scope: Scope) -> dict[str, str]:
    """The scope as conditions on the fact's cells (filters that do not apply to the fact drop out)."""
    out = {}
    if scope.period and "period" in fact.filters and "reporting_year" in fact.dims:
        out["reporting_year"] = scope.period
    elif scope.period and "distinct_period" in fact.filters:
        out["period"] = scope.period  # children counted once per period: years do not add up
    if scope.agency and "agency" in fact.filters:
        out["agency"] = scope.agency
    if scope.partnership and "partnership" in fact.filters:
        out["partnership"] = scope.partnership
    return out


def make_key(conditions: dict[str, str]) -> aud.Key:
    return tuple(sorted(((d, str(v)) for d, v in conditions.items()), key=lambda p: KEY_ORDER.index(p[0])))


def is_quality_key(key: aud.Key) -> bool:
    """Data-quality figures are published overall, per agency, and per agency and source."""
    return {d for d, _ in key} <= {"agency", "source"}


def is_source_key(key: aud.Key) -> bool:
    """A data-quality cell of one agency's records from one source (a CIN return, an SSD table...):
    it holds only record counts and completeness, no indicator."""
    return any(d == "source" for d, _ in key)


def key_text(key: aud.Key) -> str:
    return "|".join(f"{d}={v}" for d, v in key)


def closure(dims: set[str], fact: Fact) -> frozenset[str]:
    """The dimensions with every ancestor the fact has (HIERARCHY is listed child before parent)."""
    dims = set(dims)
    for child, parent in HIERARCHY.items():
        if child in dims and parent in fact.dims:
            dims.add(parent)
    return frozenset(dims)


def scope_dims(fact: Fact, partnerships: bool) -> list[str]:
    """Additive dimensions a scope can add to a fact's tables."""
    out = ["reporting_year"] if "period" in fact.filters and "reporting_year" in fact.dims else []
    out += ["agency"] if "agency" in fact.filters else []
    out += ["partnership"] if partnerships and "partnership" in fact.filters else []
    return out


def release_tables(fact: Fact, partnerships: bool) -> set[frozenset[str]]:
    """Singles in every scope; pairs for the whole period and all agencies (month only alone)."""
    singles = [set()] + [{d} for d in fact.dims]
    extra = scope_dims(fact, partnerships)
    tables = {closure(set(f) | s, fact) for r in range(len(extra) + 1)
              for f in itertools.combinations(extra, r) for s in singles}
    tables |= {closure({a, b}, fact) for a, b in itertools.combinations(fact.dims, 2) if "month" not in (a, b)}
    return tables


def figures() -> dict[str, list[Figure]]:
    """Per fact: the catalogue's indicators, plus data-quality completeness, grouped by shared denominator."""
    out: dict[str, list[Figure]] = defaultdict(list)
    for fact_name, inds in itertools.groupby(sorted(catalogue(), key=lambda i: i.fact.name), key=lambda i: i.fact.name):
        inds = list(inds)
        group_of = {}  # union of indicators sharing a denominator or a family
        for ind in inds:  # a share's denominator is its scope's total, not the cell's: a group of its own
            group_of[ind.id] = ind.id if ind.share else next((group_of[o.id] for o in inds if o.id in group_of and (
                (not o.share and o.denominator_sql == ind.denominator_sql) or (ind.family and o.family == ind.family))),
                ind.id)
        for ind in inds:
            kind = ind.family_kind if ind.family and sum(o.family == ind.family for o in inds) > 1 else "single"
            out[fact_name].append(Figure(ind.id, ind.numerator_sql, UNITS if ind.share else ind.denominator_sql,
                                         group_of[ind.id], ind.share, ind.family, kind))
    for kind, fact_name in QUALITY_FACTS.items():
        for col in KINDS[kind].columns:
            if not col.required:
                fid = f"quality.{kind}.{col.name}"
                out[fact_name].append(Figure(fid, f"filled:{col.name}", UNITS, fid, quality=True))
    return dict(out)


@dataclass
class FactRelease:
    fact: Fact
    figures: list[Figure]
    tables: set[frozenset[str]]
    cells: dict[aud.Key, dict[str, int]] = field(default_factory=dict)
    hidden: dict[str, set[aud.Key]] = field(default_factory=dict)  # group -> hidden cells
    sparse: list[list[str]] = field(default_factory=list)  # tables left out: most cells small
    digest: str = ""  # what its protection is a function of (publish)

    def figure_keys(self, fig: Figure) -> list[aud.Key]:
        if fig.quality:
            return [k for k in self.cells if is_quality_key(k) and fig.numerator in self.cells[k]]
        return list(self.cells)

    def denominator_keys(self, fig: Figure, key: aud.Key) -> list[aud.Key]:
        """A share's denominator is the overall count of the query's scope; the same cell can come
        from several scopes (by year for the whole period, or overall for one year), so all count."""
        if not fig.share:
            return [key]
        scoped = [p for p in key if p[0] in SCOPE_KEYS]
        return [tuple(p for p in scoped if p[0] in chosen) for r in range(len(scoped) + 1)
                for chosen in map(set, itertools.combinations([d for d, _ in scoped], r))]

    def shown(self, fig: Figure, key: aud.Key) -> bool:
        return key not in self.hidden.get(fig.group, set())

    def published(self) -> set[aud.Var]:
        out = set()
        for fig in self.figures:
            for key in self.figure_keys(fig):
                if self.shown(fig, key):
                    out.add((fig.numerator, key))
                    out.update((fig.denominator, k) for k in self.denominator_keys(fig, key))
        return out


PUBLIC_MEASURES = {"sum(population)"}  # resident children from the census: published by ONS already


def _has_units(fact: Fact) -> bool:
    return "distinct_period" not in fact.filters  # children in need: a listed group may have none


def offered(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Filter values a default query may use."""
    def values(sql: str) -> list[str]:
        try:
            return [str(r[0]) for r in con.execute(sql).fetchall() if r[0] is not None]
        except duckdb.CatalogException:
            return []
    counts = dict(con.execute("SELECT partnership, count(*) FROM fct_review GROUP BY ALL").fetchall()) \
        if values("SELECT 1 FROM duckdb_views() WHERE view_name = 'fct_review'") else {}
    enough = bool(counts) and min(counts.values()) >= MIN_PARTNERSHIP_REVIEWS
    years = "SELECT DISTINCT reporting_year FROM {} WHERE reporting_year IS NOT NULL"
    return {"period": sorted(set(values(years.format("fct_review")) + values(years.format("cube_fct_episode"))
                                 + values(years.format("cube_fct_disclosure")))),
            "agency": sorted(set(values("SELECT DISTINCT agency FROM cube_fct_child_record")
                                 + values("SELECT DISTINCT agency FROM cube_fct_episode")
                                 + values("SELECT DISTINCT agency FROM cube_fct_disclosure"))),
            "partnership": sorted(counts) if enough else []}


def _source(fact: Fact, measures: list[str]) -> tuple[str, list[str]]:
    """The table to count from and one aggregate per measure (a cube's pre-counted column where there is one)."""
    if not fact.cube:
        return fact.name, measures
    columns = {}
    for ind in catalogue():
        if ind.fact == fact:
            columns.setdefault(ind.numerator_sql, f"sum({measure(ind, 'n')})")
            columns.setdefault(ind.denominator_sql, f"sum({measure(ind, 'd')})")
    columns[UNITS] = "sum(units)"
    return cube_name(fact), [columns[m] for m in measures]


def _count(con: duckdb.DuckDBPyConnection, fr: FactRelease, periods: list[str]) -> None:
    """Every cell of every release table of one fact, all measures, in one statement per period scope."""
    measures = sorted({m for f in fr.figures if not f.quality for m in (f.numerator, f.denominator)} | {UNITS})
    source, aggregates = _source(fr.fact, measures)
    distinct = "distinct_period" in fr.fact.filters
    tables = sorted(fr.tables, key=lambda t: (len(t), sorted(t)))
    cols = sorted({d for t in tables for d in t}, key=KEY_ORDER.index)
    sets = ", ".join("(" + ", ".join(sorted(t, key=KEY_ORDER.index)) + ")" for t in tables)
    select = "".join(f"{c}, " for c in cols) + (f"GROUPING({', '.join(cols)}) AS gid, " if cols else "0 AS gid, ")
    aggs = ", ".join(f"{a} AS m{n}" for n, a in enumerate(aggregates))
    for period in ([None, *periods] if distinct else [None]):
        where, params = "", []
        if distinct:  # each child once in the period (see fct_cin)
            start, end = year_bounds(period) if period else (dt.date(1900, 1, 1), dt.date(9999, 12, 31))
            where = (" WHERE (event_date IS NULL OR (event_date BETWEEN ? AND ? "
                     "AND (previous_event_date IS NULL OR previous_event_date < ?)))")
            params = [start, end, start]
        rows = con.execute(f"SELECT {select}{aggs} FROM {source}{where} GROUP BY GROUPING SETS ({sets})", params)
        for row in rows.fetchall():
            gid = row[len(cols)]
            conditions = {c: row[n] for n, c in enumerate(cols) if not gid >> (len(cols) - 1 - n) & 1}
            if period:
                conditions["period"] = period
            fr.cells[make_key(conditions)] = {m: int(row[len(cols) + 1 + n] or 0) for n, m in enumerate(measures)}
    if fr.fact.name in QUALITY_FACTS.values():
        _count_quality(con, fr)
    fr.cells = dict(sorted(fr.cells.items()))  # rows come back in any order: the same data, the same release


def _count_quality(con: duckdb.DuckDBPyConnection, fr: FactRelease) -> None:
    """Completeness overall, per agency, and per agency and source: records with each optional
    column filled (a source that cannot carry a column shows as not filled, not as 'no')."""
    kind = KINDS[next(k for k, f in QUALITY_FACTS.items() if f == fr.fact.name)]
    optional = [c.name for c in kind.columns if not c.required]
    filled = ", ".join(f'count("{c}") AS "{c}"' for c in optional)
    rows = con.execute(f"SELECT agency, coalesce(loads.source, 'contract') AS source, GROUPING(agency, source) AS gid, "
                       f"count(*) AS units, {filled} FROM landing_{kind.name} LEFT JOIN loads USING (load_id) "
                       "GROUP BY GROUPING SETS ((), (agency), (agency, source))")
    for agency, source, gid, units, *counts in rows.fetchall():
        key = make_key({} if gid == 3 else {"agency": agency} if gid == 1 else {"agency": agency, "source": source})
        if gid == 0:
            fr.cells[key] = {UNITS: int(units)}
        if key in fr.cells:
            fr.cells[key].update({f"filled:{c}": int(v) for c, v in zip(optional, counts)})


SPARSE = 0.25  # a breakdown with more than this share of small cells is not published by default
ALWAYS = frozenset({"ethnic_group"})  # what the product is for: for the whole period, whatever its small cells


def _drop_sparse_tables(fr: FactRelease, threshold: int) -> None:
    """A breakdown many of whose cells are small says little but 'c', and its listing alone narrows
    what the hidden cells can be: leave it out of the release (internal use still has it). The
    ethnic group breakdown for the whole period always stays."""
    if not _has_units(fr.fact):
        return
    for table, keys in tables_of(fr).items():
        if table <= set(SCOPE_KEYS) or table == closure(ALWAYS, fr.fact):  # with its parents (sample_group)
            continue
        if sum(is_small(fr.cells[k][UNITS], threshold) for k in keys) > SPARSE * len(keys):
            leave_out(fr, table, keys)


def tables_of(fr: FactRelease) -> dict[frozenset, list[aud.Key]]:
    """The release's cells by the table (the set of dimensions) each belongs to."""
    by_table: dict[frozenset, list[aud.Key]] = defaultdict(list)
    for key in fr.cells:
        by_table[frozenset(d for d, _ in key)].append(key)
    return by_table


def leave_out(fr: FactRelease, table: frozenset, keys: list[aud.Key]) -> None:
    """A table taken out of the release: its cells go, and it is listed as too sparse to publish."""
    fr.tables.discard(table)
    fr.sparse.append(sorted(table, key=KEY_ORDER.index))
    fr.sparse.sort()
    for k in keys:
        del fr.cells[k]
        for hidden in fr.hidden.values():
            hidden.discard(k)


def _value(fr: FactRelease, measure_name: str, key: aud.Key) -> int:
    return fr.cells.get(key, {}).get(measure_name, 0)


# Every fact but the reviews' hangs off dim_child, so a child-level load may change them all: they are
# counted again, and each is protected and audited again only if its counts changed (publish's digests).
CHILD_FACTS = {f.name for f in {i.fact for i in catalogue()}} - {KINDS["reviews"].fact}
AFFECTS = {k.name: CHILD_FACTS if k.child_level else {k.fact} for k in KINDS.values()}


def affected_facts(changed: set[str]) -> set[str]:
    """The facts whose counts a change to these kinds' landing rows may change."""
    return set().union(*(AFFECTS[k] for k in changed)) if changed else set()


def _rules_version() -> str:
    """What protection depends on besides the data: the catalogue and the protection code. A new
    version of either re-protects every fact."""
    here = Path(__file__).parent
    h = hashlib.sha256()
    for name in ("catalogue.toml", "release.py", "protect.py", "audit.py", "suppression.py"):
        h.update((here / name).read_bytes())
    return h.hexdigest()[:16]


RULES_VERSION = _rules_version()


def _digest(context: str, fr: FactRelease) -> str:
    """Everything a fact's protected release is a function of: its counted cells and the tables left
    out, under one context (threshold, offered scopes, rules version)."""
    cells = [[key_text(k), sorted(v.items())] for k, v in fr.cells.items()]
    body = json.dumps([context, sorted(sorted(t) for t in fr.tables), fr.sparse, cells], default=str)
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def _exists(con: duckdb.DuckDBPyConnection, fact: Fact) -> bool:
    """Whether the loaded data has any row for the fact (its cube's, where it has one)."""
    try:
        source = cube_name(fact) if fact.cube else fact.name
        return con.execute(f"SELECT EXISTS (SELECT 1 FROM {source})").fetchall()[0][0]
    except duckdb.CatalogException:
        return False


def build(con: duckdb.DuckDBPyConnection, threshold: int, scopes: dict, only: set[str] | None = None,
          previous: dict[str, str] | None = None) -> tuple[dict[str, FactRelease], list, set[str]]:
    """Count, protect and audit every fact the loaded data supports (or only those named), for the
    filter values `scopes` offers (see offered). A fact whose digest equals its `previous` one is
    counted but not protected again: (releases, summaries, facts left as they were)."""
    from .protect import protect  # protect builds on this module's definitions

    facts = {i.fact.name: i.fact for i in catalogue()}
    context = json.dumps([RULES_VERSION, threshold, scopes])
    releases, summaries, same = {}, [], set()
    for name, figs in figures().items():
        fact = facts[name]
        if (only is not None and name not in only) or not _exists(con, fact):
            continue
        fr = FactRelease(fact, figs, release_tables(fact, bool(scopes["partnership"])))
        clock = time.perf_counter()
        _count(con, fr, scopes["period"])
        _drop_sparse_tables(fr, threshold)
        fr.digest = _digest(context, fr)
        if previous and previous.get(name) == fr.digest:
            same.add(name)
            continue
        summaries.append(protect(fr, threshold))
        summaries[-1].seconds = round(time.perf_counter() - clock, 2)
        summaries[-1].digest = fr.digest
        releases[name] = fr
    return releases, summaries, same


RELEASE_DDL = ("CREATE TABLE IF NOT EXISTS release_cells (fact VARCHAR, figure VARCHAR, key VARCHAR, "
               "numerator BIGINT, denominator BIGINT, hidden BOOLEAN)")


def publish(con: duckdb.DuckDBPyConnection, threshold: int, candidates: set[str] | None = None,
            reuse: bool = True) -> dict:
    """Build the release inside a write and store it with its audit; default output reads it.

    `candidates` are the facts whose counts may have changed (None: any). Each is counted, and
    protected and audited again only when its digest (its cells, the threshold, the offered scopes,
    the rules' version) differs from the stored one. The other facts keep their release, unless the
    threshold, the scopes or the rules changed, which may change any fact's: then they are counted too.
    `reuse=False` protects and audits every fact afresh."""
    start = time.perf_counter()
    before, scopes = _stored(con), offered(con)
    context = [RULES_VERSION, threshold, scopes]
    if before is None or before.get("context") != context:
        candidates = None
    stored = {f["fact"]: f.get("digest") for f in (before or {}).get("facts", [])}
    releases, summaries, same = build(con, threshold, scopes, candidates, stored if reuse else None)
    con.execute(RELEASE_DDL)
    gone = (set(stored) if candidates is None else candidates & set(stored)) - same - set(releases)
    redone = sorted(set(releases) | gone)  # their stored cells go: new ones, or none for a fact with no data now
    con.execute("DELETE FROM release_cells WHERE list_contains(?, fact)", [redone])
    rows = [(fr.fact.name, fig.id, key_text(key), _value(fr, fig.numerator, key),
             _value(fr, fig.denominator, key), not fr.shown(fig, key))
            for fr in releases.values() for fig in fr.figures for key in fr.figure_keys(fig)]
    if rows:
        import pandas as pd  # a frame inserts in one statement; executemany goes row by row
        con.register("release_rows", pd.DataFrame(
            rows, columns=["fact", "figure", "key", "numerator", "denominator", "hidden"]))
        con.execute("INSERT INTO release_cells SELECT * FROM release_rows")
        con.unregister("release_rows")
    kept = [f for f in (before or {}).get("facts", []) if f["fact"] not in redone]
    summary = {"threshold": threshold, "scopes": scopes, "context": context,
               "facts": sorted(kept + [_fact_summary(s) for s in summaries], key=lambda f: f["fact"])}
    summary["passed"] = all(f["passed"] for f in summary["facts"])
    timings = {f["fact"]: {k: f.pop(k) for k in TIMINGS if k in f} for f in summary["facts"]}
    timings["total"] = round(time.perf_counter() - start, 2)
    # Timings apart: the release itself is a pure function of the data, so a repeated load is byte-identical.
    con.execute("INSERT OR REPLACE INTO meta VALUES ('release', ?), ('release_seconds', ?)",
                [json.dumps(summary), json.dumps(timings)])
    con.execute("DELETE FROM meta WHERE name = 'release_stale'")
    return status(con)


TIMINGS = ("seconds", "audit_seconds")


def _fact_summary(s) -> dict:
    a = s.audit
    return {"fact": s.fact, "passed": a is None or a.passed, "cells": s.cells, "hidden_primary": s.hidden_primary,
            "hidden": s.hidden, "rounds": s.rounds, "checked": a.checked if a else 0, "lps": a.lps if a else 0,
            "problems": len(a.problems) if a else 0, "audit_seconds": round(a.seconds, 2) if a else 0,
            "sparse": s.sparse, "seconds": s.seconds, "digest": s.digest}


def mark_stale(con: duckdb.DuckDBPyConnection) -> None:
    """The data changed and the release was not rebuilt (a write with publish off): default output
    refuses until it is (status() is None)."""
    con.execute("INSERT OR REPLACE INTO meta VALUES ('release_stale', 'true')")


def is_stale(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(con.execute("SELECT 1 FROM meta WHERE name = 'release_stale'").fetchall())


def _stored(con: duckdb.DuckDBPyConnection) -> dict | None:
    try:
        row = con.execute("SELECT value FROM meta WHERE name = 'release'").fetchall()
    except duckdb.CatalogException:
        return None
    return json.loads(row[0][0]) if row else None


def status(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The stored release's summary: threshold, offered filters, and each fact's audit (None when there
    is none, or it is out of date)."""
    summary = _stored(con)
    if summary is None or is_stale(con):
        return None
    timings = json.loads(next(iter(con.execute("SELECT value FROM meta WHERE name = 'release_seconds'").fetchall()),
                              ["{}"])[0])
    for f in summary["facts"]:
        f.update(timings.get(f["fact"], dict.fromkeys(TIMINGS, 0)))
    summary["seconds"] = timings.get("total", 0)
    return summary


def financial_year(start: dt.date) -> str:
    return f"{start.year}-{(start.year + 1) % 100:02d}"


def year_bounds(year: str) -> tuple[dt.date, dt.date]:
    """First and last day of a financial year such as '2023-24' (April to March)."""
    start = int(year[:4])
    return dt.date(start, 4, 1), dt.date(start + 1, 3, 31)


def scope_of(filters, stored: dict | None, threshold: int) -> Scope:
    """The release scope a default query's filters name, or NotInRelease saying why there is none."""
    if stored is None:
        raise NotInRelease("no up-to-date protected release is stored: load data, or run: python -m pipelines release")
    if stored["threshold"] != threshold:
        raise NotInRelease(f"the protected release was built with threshold {stored['threshold']}, not {threshold}; "
                           "rebuild it with: python -m pipelines release")
    offer = stored["scopes"]
    period = None
    if filters.period_start or filters.period_end:
        start, end = filters.period_start, filters.period_end
        years = offer["period"]
        whole = years and start <= year_bounds(years[0])[0] and end >= year_bounds(years[-1])[1]
        one = start and end and (start, end) == year_bounds(financial_year(start))
        if one and financial_year(start) in years:
            period = financial_year(start)
        elif not whole:
            raise NotInRelease("a period other than one financial year or the whole period is for internal use only "
                               f"(published: {', '.join(years) or 'none'})")
    if len(filters.agencies) > 1:
        raise NotInRelease("a choice of several agencies is for internal use only: published figures are for all "
                           "agencies or one")
    agency = filters.agencies[0] if filters.agencies else None
    if agency is not None and agency not in offer["agency"]:
        raise NotInRelease(f"agency {agency!r} has no published figures")
    if filters.partnership and filters.partnership not in offer["partnership"]:
        raise NotInRelease("figures for one partnership are published only when every partnership has at least "
                           f"{MIN_PARTNERSHIP_REVIEWS} reviews; use internal mode")
    return Scope(period, agency, filters.partnership)


def scope_or_none(filters, stored: dict | None) -> Scope | None:
    """For internal use: the release's scope when the filters name one (to flag what it hides)."""
    try:
        return scope_of(filters, stored, stored["threshold"]) if stored else None
    except NotInRelease:
        return None


def check_table(fact: Fact, by: tuple[str, ...], scope: Scope, stored: dict) -> None:
    """Refuse a breakdown the release does not publish, and a fact whose release failed its audit."""
    table = closure(set(by) | set(scope_conditions(fact, scope)) - {"period"}, fact)
    if table not in release_tables(fact, bool(stored["scopes"]["partnership"])):
        raise NotInRelease(f"{fact.name}: the breakdown by {','.join(by)} for this selection is not published "
                           "(two-way breakdowns are published for the whole period and all agencies, and month "
                           "only on its own); use internal mode (--unsuppressed) for it")
    audit_of = {f["fact"]: f for f in stored["facts"]}.get(fact.name)
    if audit_of is not None and sorted(table, key=KEY_ORDER.index) in audit_of["sparse"]:
        raise NotInRelease(f"{fact.name}: too few records to publish the breakdown by {','.join(by)} for this "
                           "selection (most of its cells would be 1 to the threshold); use internal mode for it")
    if audit_of is not None and not audit_of["passed"]:
        raise NotInRelease(f"{fact.name}: the protected release failed its disclosure audit, so it is withheld")


def cell_key(fact: Fact, scope: Scope, values: dict[str, str]) -> str:
    return key_text(make_key({**values, **scope_conditions(fact, scope)}))


def flags(con: duckdb.DuckDBPyConnection, figure_ids: list[str], keys: list[str]) -> dict[tuple[str, str], bool]:
    """(figure, cell) -> hidden, for the figures and cells asked for."""
    if not figure_ids:
        return {}
    try:
        rows = con.execute("SELECT figure, key, hidden FROM release_cells WHERE list_contains(?, figure) "
                           "AND list_contains(?, key)", [figure_ids, keys]).fetchall()
    except duckdb.CatalogException:
        return {}
    return {(f, k): h for f, k, h in rows}

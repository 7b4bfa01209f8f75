"""One write, three stages: ingest, build, publish.

- **ingest** puts rows into the landing tables (loader.py, purge.py, coding.py through the loader);
  it says what it changed as a `Changes`.
- **build** makes staging views, marts and cubes from the landing tables (marts.py), as much as the
  changes need, and says which facts may now count differently.
- **publish** counts those facts and protects and audits each one whose counts, scopes, threshold or
  protection rules changed (release.py's digests); every other fact keeps its release.

`write()` runs them in order inside one atomic write (store.write_connection: copy, work, rename).
Nothing calls back up from the store, and nothing is filled in on the way: each stage takes what the
one before returned. A command that loads several files ingests them all, then builds and publishes
once. `publish=False` stops after build, for tests and library users; the stored release is then
marked out of date, so default output refuses to answer until `python -m pipelines release`.
"""
from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import duckdb

from . import marts, release
from .config import Settings
from .store import write_connection

Progress = Callable[[str], None]  # told the stage a write is in: "build", "publish", "save"


@dataclass(frozen=True)
class Changes:
    """What an ingest changed: the kinds whose landing rows changed, and whether every load only added rows."""
    kinds: frozenset[str] = frozenset()
    appended: tuple[int, ...] = ()  # loads that replaced no earlier row; empty when any did
    everything: bool = False  # rebuild and re-count every fact (a full `release`, a changed setting)

    def __or__(self, other: Changes) -> Changes:
        only_added = all(c.appended or not c.kinds for c in (self, other))
        return Changes(self.kinds | other.kinds, self.appended + other.appended if only_added else (),
                       self.everything or other.everything)


EVERYTHING = Changes(everything=True)


def build(con: duckdb.DuckDBPyConnection, changes: Changes, settings: Settings) -> set[str] | None:
    """Staging views, marts and cubes for what changed; the facts that may now count differently
    (None: every fact). A changed follow-up setting changes what the marts compute: all rebuilt."""
    before = con.execute("SELECT value FROM meta WHERE name = 'followup_days'").fetchall()
    con.execute("INSERT OR REPLACE INTO meta VALUES ('followup_days', ?)", [str(settings.followup_days)])
    if before and before[0][0] != str(settings.followup_days):
        changes = EVERYTHING
    if changes.everything:
        marts.build_marts(con)
        return None
    if changes.kinds:
        marts.build_marts(con, set(changes.kinds), changes.appended or None)
    return release.affected_facts(set(changes.kinds))


def publish(con: duckdb.DuckDBPyConnection, facts: set[str] | None, settings: Settings, reuse: bool = True) -> dict:
    """The protected release of `facts` (None: all), each audited again only if its digest changed
    (`reuse=False`: every fact audited afresh)."""
    return release.publish(con, settings.suppression_threshold, facts, reuse)


@dataclass
class Write:
    """An open write: ingest through `con`, then say what changed with `record`."""
    con: duckdb.DuckDBPyConnection
    changes: Changes = field(default_factory=Changes)
    release: dict | None = None  # the release's summary once published

    def record(self, changes: Changes) -> None:
        self.changes = self.changes | changes


@contextlib.contextmanager
def write(settings: Settings, timings: dict[str, float] | None = None, compact: bool = False,
          publish_release: bool = True, progress: Progress | None = None) -> Iterator[Write]:
    """Ingest inside the block; build and publish run after it, before the atomic swap."""
    timings = {} if timings is None else timings
    with write_connection(settings, timings, compact=compact) as con:
        w = Write(con)
        yield w
        clock = time.perf_counter()
        if progress:
            progress("build")
        facts = build(con, w.changes, settings)
        timings["build"] = round(time.perf_counter() - clock, 3)
        clock = time.perf_counter()
        stale = release.is_stale(con)  # an earlier write skipped publishing: every fact may have changed
        if publish_release and (facts is None or facts or stale):
            if progress:
                progress("publish")
            w.release = publish(con, None if stale else facts, settings, reuse=not w.changes.everything)
        elif not publish_release and (facts is None or facts):
            release.mark_stale(con)
        timings["publish"] = round(time.perf_counter() - clock, 3)
        timings["marts"] = round(timings["build"] + timings["publish"], 3)  # the two together, as benchmarks report
        if progress:
            progress("save")  # then the checkpoint and the swap (store.write_connection)


def rebuild_all(settings: Settings, progress: Progress | None = None) -> dict:
    """Every mart, cube and fact's release from the landing tables (`python -m pipelines release`)."""
    with write(settings, progress=progress) as w:
        w.record(EVERYTHING)
    return w.release


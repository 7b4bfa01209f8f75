"""Where rows come from: a registry of source formats, one module per format.

A source turns a file into batches of contract-shaped, all-text tables, one per kind
(a CIN census return yields children, episodes and referrals at once). Everything after
that is the loader's and the same for every source: validation against the contract,
quarantine, pseudonymisation, accounting and the atomic swap.

Every module in this package that defines `SOURCE` is registered, in `priority` order
(lowest first); adding a format touches its module, its tests and the docs only.
"""
from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from ..readers import FileProblem, RawTable, looks_like_xml, read_batches, read_table
from ..schema import Kind


@dataclass
class Part:
    """One kind's rows from one batch. Rows from the same unit (a CSV line, a CIN `Child`)
    share a line number, and a unit is loaded whole or quarantined whole."""
    kind: Kind
    table: RawTable  # text columns named as the contract's, plus readers.LINE
    labels: dict[str, str] = field(default_factory=dict)  # contract column -> the source's name, for messages
    # Reference columns unique only within one child (a CIN episode has no id of its own): the loader
    # qualifies them with the child's pseudonym, so no raw identifier is ever part of them.
    per_child: tuple[str, ...] = ()


@dataclass
class Batch:
    parts: list[Part]
    as_of: dt.date | None = None  # the date the source describes (a CIN ReferenceDate); None: the load date


@dataclass(frozen=True)
class Context:
    name: str  # the file's name as the user gave it
    kind_hint: str | None = None
    mapping: Path | None = None
    whole: bool = False  # read a big CSV at once with the exact reader (a slice turned out to need it)


@dataclass(frozen=True)
class Source:
    name: str
    title: str  # plain English, for the upload page and load summaries
    reads: str  # "xml": claims an XML root; "table": claims a CSV/XLSX header; "mapping": needs --mapping
    claims: Callable[[object], bool]  # xml: the root tag; table: the normalised header
    batches: Callable  # xml and mapping: (path, context); table: (first RawTable, rest, context)
    kinds: tuple[str, ...]
    priority: int = 50


@dataclass
class Opened:
    source: Source
    batches: Iterator[Batch]


@cache
def registry() -> tuple[Source, ...]:
    found = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "SOURCE"):
            found.append(module.SOURCE)
    return tuple(sorted(found, key=lambda s: (s.priority, s.name)))


def by_reads(reads: str) -> list[Source]:
    return [s for s in registry() if s.reads == reads]


def open_file(path: Path, context: Context) -> Opened:
    """The source that claims the file, with its batches; the first is read already, so a file
    nobody claims fails here, before any database is touched."""
    if not path.exists():
        raise FileProblem(context.name, "file not found")
    if context.mapping is not None:
        (source,) = by_reads("mapping")
        return _started(source, source.batches(path, context))
    with path.open("rb") as f:
        head = f.read(1024)
    if path.suffix.lower() == ".xml" or looks_like_xml(head):
        from .xml_safety import root_tag  # refuses DOCTYPE / ENTITY before anything is parsed

        root = root_tag(path, context.name)
        source = next((s for s in by_reads("xml") if s.claims(root)), None)
        if source is None:
            raise FileProblem(context.name, f"XML with root element <{root}> is not a source this tool reads "
                                            "(a DfE CIN census return has root <Message>)", line=1)
        return _started(source, source.batches(path, context))
    tables = iter([read_table(path, context.kind_hint)]) if context.whole else read_batches(path, context.kind_hint)
    first = next(tables)
    source = next(s for s in by_reads("table") if s.claims(first.frame.columns))  # the contract claims any
    return _started(source, source.batches(first, tables, context))


def _started(source: Source, batches: Iterator[Batch]) -> Opened:
    first = next(batches, None)

    def chained() -> Iterator[Batch]:
        if first is not None:
            yield first
            yield from batches
    return Opened(source, chained())

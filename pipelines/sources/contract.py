"""The data contract's own layout: one kind per CSV or XLSX file (docs/data-contract.md §1-2)."""
from __future__ import annotations

from collections.abc import Iterator
from itertools import chain

from ..readers import FileProblem, RawTable, detect_kind
from ..schema import KINDS, Kind
from . import Batch, Context, Part, Source


def choose_kind(raw: RawTable, kind_name: str | None, name: str) -> Kind:
    if kind_name is None:
        return detect_kind(raw.frame.columns, name)
    kind = KINDS[kind_name]
    missing = [c for c in kind.required if c not in raw.frame.columns]
    if missing:
        raise FileProblem(name, f"required column missing for kind '{kind.name}'", line=1, column=missing[0])
    return kind


def batches(first: RawTable, rest: Iterator[RawTable], context: Context) -> Iterator[Batch]:
    kind = choose_kind(first, context.kind_hint, context.name)
    for table in chain([first], rest):
        yield Batch([Part(kind, table)])


SOURCE = Source("contract", "Contract CSV or XLSX (one kind per file)", "table", lambda columns: True, batches,
                tuple(KINDS), priority=100)

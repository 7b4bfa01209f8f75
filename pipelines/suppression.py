"""Small-number suppression: no count from 1 to the threshold is shown or derivable.

Primary: a cell is hidden when any count it would reveal is small: a numerator,
a denominator, denominator minus numerator, or a count that linked indicators
reveal together (a nested pair's difference; what a partition leaves over).
Secondary: cells of a table add up to cells of coarser tables (its margins, and
parent groups such as ethnic group over ethnicity code). Along each such line,
if the total is shown, exactly one hidden cell could be recovered by
subtraction, so the smallest other cell is hidden too; if the total is hidden,
at least one cell must be, or the total could be recovered. Repeated until
nothing changes. Pure functions: no database, easy to test exhaustively.
"""
from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

Counts = Sequence[tuple[int, int]]  # (numerator, denominator) for each member of an indicator family


@dataclass(frozen=True)
class Line:
    total_hidden: bool
    keys: tuple[Hashable, ...]


def is_small(count: int, threshold: int) -> bool:
    return 1 <= count <= threshold


def revealed_counts(members: Counts, kind: str) -> list[int]:
    """Every count a reader could compute from one cell's figures."""
    counts = [c for num, den in members for c in (num, den, den - num)]
    nums = [num for num, _ in members]
    if kind == "nested":  # e.g. recorded >= known: the difference is itself a count (refused)
        ordered = sorted(nums, reverse=True)
        counts += [a - b for a, b in zip(ordered, ordered[1:])]
    elif kind == "partition" and members:  # the members split one denominator: the rest is a count
        counts.append(members[0][1] - sum(nums))
    return counts


def primary(cells: dict[Hashable, Counts], kind: str, threshold: int) -> set[Hashable]:
    return {k for k, members in cells.items()
            if any(is_small(c, threshold) for c in revealed_counts(members, kind))}


def secondary(cells: dict[Hashable, Counts], hidden: set[Hashable], lines: Sequence[Line]) -> set[Hashable]:
    """Grow `hidden` until no line lets a hidden cell (or hidden total) be recovered."""
    hidden = set(hidden)

    def size(k: Hashable) -> tuple:
        """Smallest first, so the least information is hidden; numerators break ties (shares
        have the same denominator in every group)."""
        den = max(d for _, d in cells[k])
        return (den == 0, den, max(n for n, _ in cells[k]), str(k))

    changed = True
    while changed:
        changed = False
        for line in lines:
            present = [k for k in line.keys if k in cells]
            hidden_here = [k for k in present if k in hidden]
            needed = (len(hidden_here) == 1) if not line.total_hidden else (not hidden_here)
            if not needed:
                continue
            candidates = sorted((k for k in present if k not in hidden), key=size)
            nonzero = [k for k in candidates if not size(k)[0]]
            if line.total_hidden and not nonzero:
                continue  # every cell is zero: the total is zero, nothing to protect
            if nonzero or candidates:
                hidden.add((nonzero or candidates)[0])
                changed = True
    return hidden

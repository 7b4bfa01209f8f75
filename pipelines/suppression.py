"""The primary rule of small-number suppression: which counts a cell's figures reveal.

A cell is hidden when any count it would reveal is from 1 to the threshold: a numerator,
a denominator, denominator minus numerator, or a count that linked indicators reveal
together (a nested pair's difference; what a partition leaves over). What else must be
hidden so that none can be worked out is decided for the whole release (release.py) and
proved by the audit (audit.py).
"""
from __future__ import annotations

from collections.abc import Sequence

Counts = Sequence[tuple[int, int]]  # (numerator, denominator) for each member of an indicator family


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

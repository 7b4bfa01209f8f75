"""The board pack: one PDF or PowerPoint file a board can take into a meeting.

`build(con, fmt, filters, show_small, threshold)` returns the file's bytes (the dashboard's download
button and `python -m pipelines report` both call it). The pages are built once, as plain data
(`compose.py`), from the same functions the dashboard's pages use, and drawn by `pdf.py` or
`deck.py`; so both formats say exactly the same thing, page for page.

Default output uses only the protected release (exactly as the dashboard's default mode): a hidden
cell prints as "c", and no count of 1 to the threshold is written. `show_small` makes an internal-use
pack with exact counts, marked OFFICIAL-SENSITIVE at the top and bottom of every page.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ..metrics import Filters

FORMATS = {".pdf": "pdf", ".pptx": "pptx"}
MEDIA_TYPES = {"pdf": "application/pdf",
               "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation"}
INTERNAL_MARKING = "OFFICIAL-SENSITIVE: exact counts, internal use only"


@dataclass
class Text:
    text: str
    style: str = "body"  # title | lead | body | note; **bold** is the only markup


@dataclass
class Tile:
    """One key indicator, as the board overview's tile."""
    title: str
    value: str
    counts: str
    lines: list[str]


@dataclass
class Tiles:
    tiles: list[Tile]
    columns: int = 3


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    widths: list[float]  # relative column widths
    # a cell that is a bare number is a count (never 1 to the threshold in default output): ids are written #n
    font: float = 11.5  # points


@dataclass
class Chart:
    png: bytes
    width: float  # natural size in points (one chart pixel is one point, so 14 px type prints at 14 pt)
    height: float
    description: str  # the chart in words (its text alternative, from the dashboard's chart builders)


@dataclass
class Split:
    """Where a slide (less tall than an A4 page) starts a new one; the PDF keeps the page whole."""


@dataclass
class Page:
    title: str
    blocks: list = field(default_factory=list)
    section: str = ""


@dataclass
class Pack:
    title: str
    footer: str  # what every page says at the bottom
    marking: str | None  # OFFICIAL-SENSITIVE line, top and bottom of every page, for internal use
    pages: list[Page]
    generated: dt.datetime


def format_of(path: str | Path) -> str:
    """'pdf' or 'pptx' from a file name; ValueError naming the choices otherwise."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"--out {path}: the board pack is written as .pdf or .pptx (the extension decides), "
                         f"not {suffix or 'a file with no extension'!r}")
    return FORMATS[suffix]


def content(con: duckdb.DuckDBPyConnection, filters: Filters = Filters(), show_small: bool = False,
            threshold: int = 5, now: dt.datetime | None = None, case_data: bool = True) -> Pack:
    """The pack as data: every page's title and blocks, before any drawing. case_data False leaves out
    the case-system figures and data quality (a reader not granted the home partnership)."""
    from .compose import pack

    return pack(con, filters, show_small, threshold, now or dt.datetime.now(), case_data)


def render(doc: Pack, fmt: str) -> bytes:
    if fmt == "pdf":
        from .pdf import render as draw
    elif fmt == "pptx":
        from .deck import render as draw
    else:
        raise ValueError(f"board pack format {fmt!r}: choose pdf or pptx")
    return draw(doc)


def build(con: duckdb.DuckDBPyConnection, fmt: str, filters: Filters = Filters(), show_small: bool = False,
          threshold: int = 5, case_data: bool = True) -> bytes:
    """The board pack for these filters as PDF or PPTX bytes (fmt 'pdf' or 'pptx').

    Default (show_small False): only the protected release's figures, as the dashboard's default
    mode; a filter the release does not publish raises release.NotInRelease (a ValueError)."""
    if fmt not in MEDIA_TYPES:
        raise ValueError(f"board pack format {fmt!r}: choose pdf or pptx")
    return render(content(con, filters, show_small, threshold, case_data=case_data), fmt)

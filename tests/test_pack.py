"""The board pack, rendered from the sample data as PDF and PowerPoint and read back.

Checks what the pack promises: its pages in order, every key figure exactly as the CLI gives it,
the cover's data period and load dates, no count of 1 to 5 in default output (every "n of d" pair
anywhere, every count in a table), OFFICIAL-SENSITIVE on every page of an internal-use pack, and
a clear error for a bad --out. The PDF's pages are also rasterised at projector size in greyscale
into tests/artifacts/board_pack/ for a person to look at.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from pptx import Presentation
from pypdf import PdfReader

from conftest import cli_json, overall, run_cli
from pipelines import pack
from pipelines.catalogue import catalogue
from pipelines.metrics import Filters
from pipelines.pack.compose import load_counts
from pipelines.store import read_connection

ARTIFACTS = Path(__file__).parent / "artifacts" / "board_pack"
BOARD = [i for i in catalogue() if i.board]
PAIR = re.compile(r"(\d[\d,]*)\s+of\s+(\d[\d,]*)")  # "n of d", whatever space or line break is between
COUNT = re.compile(r"\d[\d,]*")


def short(indicator_id: str) -> str:
    return next(i.short_label for i in BOARD if i.id == indicator_id)


def small(number: str) -> bool:
    return 1 <= int(number.replace(",", "")) <= 5


def pdf_pages(path: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


def slide_texts(deck: Presentation) -> list[str]:
    out = []
    for slide in deck.slides:
        parts = [shape.text_frame.text for shape in slide.shapes if shape.has_text_frame]
        parts += [cell.text for shape in slide.shapes if shape.has_table
                  for row in shape.table.rows for cell in row.cells]
        out.append("\n".join(parts))
    return out


def table_cells(deck: Presentation) -> list[str]:
    return [cell.text for slide in deck.slides for shape in slide.shapes if shape.has_table
            for row in list(shape.table.rows)[1:] for cell in row.cells]


def tiles(deck: Presentation) -> dict[str, list[str]]:
    """Each key indicator tile's paragraphs (title, value, counts, lines), by title."""
    found = {}
    for slide in list(deck.slides)[1:3]:
        for shape in slide.shapes:
            if shape.has_text_frame and len(shape.text_frame.paragraphs) >= 4:
                paragraphs = [p.text for p in shape.text_frame.paragraphs]
                found[paragraphs[0]] = paragraphs
    return found


@pytest.fixture(scope="module")
def default_pack(sample_db, tmp_path_factory):
    """The default (protected) pack through the CLI, as PDF and as PPTX."""
    folder = tmp_path_factory.mktemp("pack")
    paths = {}
    for fmt in ("pdf", "pptx"):
        paths[fmt] = folder / f"board.{fmt}"
        code, out, err = run_cli("report", "--out", paths[fmt], "--db", sample_db.db_path)
        assert code == 0, err
        assert "OFFICIAL-SENSITIVE" not in err
    return paths


@pytest.fixture(scope="module")
def internal_pack(sample_db, tmp_path_factory):
    """An --unsuppressed pack: one content, drawn both ways."""
    folder = tmp_path_factory.mktemp("pack_internal")
    with read_connection(sample_db.db_path) as con:
        doc = pack.content(con, Filters(), show_small=True, threshold=sample_db.suppression_threshold)
    paths = {fmt: folder / f"internal.{fmt}" for fmt in ("pdf", "pptx")}
    for fmt, path in paths.items():
        path.write_bytes(pack.render(doc, fmt))
    return paths


@pytest.fixture(scope="module")
def expected(sample_db):
    """What the CLI says the pack must show: the board tiles' overall cells, which board indicators are
    published by ethnic group, which have a monthly series, the published years, the latest loads."""
    db = ("--db", sample_db.db_path)
    ids = [i.id for i in BOARD]
    by_group = {c["indicator"] for c in cli_json("indicators", "--by", "ethnic_group", *db)}
    monthly = {r["indicator"] for r in cli_json("spc", *[a for i in ids for a in ("--indicator", i)], *db)}
    loads = pd.DataFrame(cli_json("loads", *db))
    latest = loads[loads["status"] == "loaded"].groupby("kind")["finished_at"].max()
    return {"cells": overall(cli_json("indicators", *db)), "by_group": [i for i in ids if i in by_group],
            "monthly": [i for i in ids if i in monthly], "years": cli_json("release", *db)["scopes"]["period"],
            "loaded": {kind: str(at)[:16] for kind, at in latest.items()}}


def test_pages_in_order_pdf_and_pptx(default_pack, expected):
    """Cover, the two tile pages, at a glance, a control chart a page, ethnic groups in brief and one
    page per published breakdown, data quality (two), definitions (two). A slide splits an ethnic
    group's forest plot from its table."""
    charts = len(expected["monthly"])
    pages = 1 + 2 + 1 + charts + 1 + len(expected["by_group"]) + 2 + 1 + 2
    text = pdf_pages(default_pack["pdf"])
    assert len(text) == pages
    titles = [t.split(f"Page {n} / {pages}\n", 1)[1].split("\n")[0] for n, t in enumerate(text, start=1)]
    order = ["Board pack", "Key indicators: reviews", "Key indicators: everyday practice", "Key indicators at a glance",
             *[f"Month by month: {short(k)}" for k in expected["monthly"]], "Ethnic groups: in brief",
             *[f"Ethnic groups: {short(k)}" for k in expected["by_group"]],
             "Data quality: what was loaded", "Data quality: how complete", "Recommendations: progress",
             "Definitions: reviews",
             "Definitions: everyday"]
    assert len(order) == pages
    for title, start in zip(titles, order):
        assert title.startswith(start), (title, start)
    deck = Presentation(default_pack["pptx"])
    assert len(deck.slides) == pages + len(expected["by_group"])
    assert sum("(continued)" in t for t in slide_texts(deck)) == len(expected["by_group"])


def test_every_key_figure_is_the_cli_figure(default_pack, expected):
    """Each tile's value is the CLI's overall cell (x.x%, or c when hidden) and its counts 'n of d'."""
    deck_tiles = tiles(Presentation(default_pack["pptx"]))
    pdf = "\n".join(pdf_pages(default_pack["pdf"])[1:3])
    for ind in BOARD:
        cell = expected["cells"][ind.id]
        value = "c" if cell["suppressed"] else f"{cell['value']:.1%}"
        counts = "c of c (hidden)" if cell["suppressed"] else f"{cell['numerator']:,}\xa0of\xa0{cell['denominator']:,}"
        assert deck_tiles[ind.short_label][1:3] == [value, counts], ind.id
        words = r"\s+".join(map(re.escape, [ind.short_label, value, *counts.split("\xa0")]))  # PDF text: spaces
        assert re.search(words, pdf), ind.id
    assert any(c["suppressed"] for i, c in expected["cells"].items() if i in {b.id for b in BOARD}), \
        "the sample should have a hidden board figure, to show that it prints as c"


def test_cover_gives_period_and_load_dates(default_pack, expected):
    years = expected["years"]
    period = f"financial years {years[0]} to {years[-1]}"
    cover_pdf = pdf_pages(default_pack["pdf"])[0]
    cover_deck = slide_texts(Presentation(default_pack["pptx"]))[0]
    for cover in (cover_pdf, cover_deck):
        assert period in cover
        assert "All partnerships" in cover
        assert "Small numbers (1 to 5) are suppressed" in cover
        for kind, at in expected["loaded"].items():
            assert re.search(rf"{kind}\s+.*?\s+{re.escape(at)}", cover), (kind, at)


def small_pairs(texts: list[str]) -> list[tuple[str, str]]:
    return [m for t in texts for m in PAIR.findall(t) if small(m[0]) or small(m[1])]


def test_default_pack_shows_no_count_of_1_to_5(default_pack):
    """Every 'n of d' anywhere and every count in a table: never 1 to 5."""
    deck = Presentation(default_pack["pptx"])
    assert small_pairs(pdf_pages(default_pack["pdf"])) == []
    assert small_pairs(slide_texts(deck)) == []
    counts = [c for c in table_cells(deck) if COUNT.fullmatch(c)]
    assert counts, "the tables should hold counts to check"
    assert [c for c in counts if small(c)] == []
    assert all("OFFICIAL-SENSITIVE" not in t for t in pdf_pages(default_pack["pdf"]))


def test_internal_pack_is_marked_on_every_page_and_shows_small_counts(internal_pack):
    pages = pdf_pages(internal_pack["pdf"])
    slides = slide_texts(Presentation(internal_pack["pptx"]))
    for text in pages + slides:
        assert text.count(pack.INTERNAL_MARKING) >= 2  # at the top and the bottom
    assert small_pairs(pages), "the check above must be able to see a small count where one is printed"


def test_load_counts_hide_small_numbers_and_the_total_they_make():
    row = pd.Series({"rows_read": 60, "rows_loaded": 57, "rows_quarantined": 3})
    assert load_counts(row, False, 5) == ["c", "57", "c"]
    population = pd.Series({"rows_read": 5, "rows_loaded": 5, "rows_quarantined": 0})
    assert load_counts(population, False, 5) == ["c", "c", "0"]
    assert load_counts(pd.Series({"rows_read": 900, "rows_loaded": 890, "rows_quarantined": 10}), False, 5) == \
        ["900", "890", "10"]
    assert load_counts(row, True, 5) == ["60", "57", "3"]


@pytest.mark.parametrize("out", ["board.docx", "board"])
def test_bad_extension_exits_2_saying_which(sample_db, tmp_path, out):
    code, _, err = run_cli("report", "--out", tmp_path / out, "--db", sample_db.db_path)
    assert code == 2
    assert ".pdf or .pptx" in err
    assert not (tmp_path / out).exists()


def test_default_pack_refuses_an_unpublished_filter(sample_db, tmp_path):
    code, _, err = run_cli("report", "--out", tmp_path / "b.pdf", "--period", "2022-23:2023-24",
                           "--db", sample_db.db_path)
    assert code == 2
    assert "internal use" in err


def test_pages_rasterise_at_projector_size_in_greyscale(default_pack):
    """Every page drawn 1366 pixels wide in greyscale, left in tests/artifacts/board_pack/ to look at:
    each has dark ink (black text, not colour alone) on a white page."""
    import pypdfium2

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf = pypdfium2.PdfDocument(default_pack["pdf"])
    for n, page in enumerate(pdf, start=1):
        image = page.render(scale=1366 / page.get_width()).to_pil().convert("L")
        image.save(ARTIFACTS / f"page_{n:02d}.png")
        histogram = image.histogram()
        assert image.width == 1366
        assert sum(histogram[:60]) > 2000, f"page {n}: too little dark ink"
        assert sum(histogram[240:]) > 0.6 * image.width * image.height, f"page {n}: not a white page"


def test_a_tracker_update_shows_in_a_regenerated_pack(sample_db, tmp_path):
    """The pack is built from the database as it stands: mark one recommendation done, build again."""
    import dataclasses
    import io
    import shutil

    from pipelines import tracker

    copy = dataclasses.replace(sample_db, db_path=tmp_path / "copy.duckdb", key_path=tmp_path / "copy.key")
    shutil.copyfile(sample_db.db_path, copy.db_path)
    tracker.update(copy, "R4", "QA lead", status="done", evidence="ToR template v2 adopted")

    def recommendations_page() -> str:
        with read_connection(copy.db_path) as con:
            data = pack.build(con, "pdf", Filters(), False, 5)
        pages = [p.extract_text() for p in PdfReader(io.BytesIO(data)).pages]
        return next(p for p in pages if "Recommendations: progress" in p)

    page = recommendations_page()
    assert "1 of 8 Panel recommendations done" in page
    assert re.search(r"R4\s.*\bdone\b", page, re.S)

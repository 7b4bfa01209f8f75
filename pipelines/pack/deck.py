"""The board pack as a PowerPoint deck: 16:9 slides, one per pack page, the same blocks as the PDF.

python-pptx places shapes at fixed positions and does not measure text, so each slide is laid out
here from an estimate of how text wraps (Arial's average character width); charts take the height
the text leaves them, and a slide whose text would still overflow is set in smaller type. Tables
are real PowerPoint tables (black borders, grey header, no colour banding) so they can be edited
and read in black and white; every chart picture carries its description as alt text.
"""
from __future__ import annotations

import io
import math
import re

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Pt

from . import Chart, Pack, Page, Split, Table, Text, Tiles

SLIDE = (960, 540)  # points: 13.333 x 7.5 inches
MARGIN = 36
TOP, BOTTOM = 44, SLIDE[1] - 30  # the content's band, between the marking line and the footer
WIDTH = SLIDE[0] - 2 * MARGIN
INK, GREY, RULE, SHADE, WHITE = (RGBColor.from_string(c) for c in ("111111", "333333", "777777", "E8E8E8", "FFFFFF"))
SIZES = {"title": 26, "lead": 16, "body": 14, "note": 12}
CHAR = 0.5  # Arial's average character width, in ems


def lines(text: str, size: float, width: float) -> int:
    """How many lines `text` wraps to at `size` points in `width` points (greedy, by words)."""
    per_line = max(int(width / (size * CHAR)), 8)
    count = 0
    for part in text.replace("**", "").split("\n"):
        n, used = 1, 0
        for word in part.split():
            if used and used + 1 + len(word) > per_line:
                n, used = n + 1, len(word)
            else:
                used += len(word) + (1 if used else 0)
        count += n
    return count


def text_height(text: str, size: float, width: float, space: float = 8) -> float:
    return lines(text, size, width) * size * 1.2 + space


def tile_height(tile, width: float, k: float) -> float:
    inner = width - 16
    return (text_height(tile.title, 15 * k, inner, 2) + 34 * k * 1.2 + text_height(tile.counts, 14 * k, inner, 2)
            + sum(text_height(line, 12.5 * k, inner, 2) for line in tile.lines) + 16)


def table_heights(block: Table, k: float) -> list[float]:
    total = sum(block.widths)
    widths = [WIDTH * w / total - 10 for w in block.widths]
    size = block.font * k
    return [max(lines(c, size, w) for c, w in zip(row, widths)) * size * 1.2 + 8
            for row in [block.header, *block.rows]]


def heights(page: Page, k: float) -> list[float]:
    """Each block's height at type scale k; a chart's is 0 (it takes what is left)."""
    out = []
    for block in page.blocks:
        if isinstance(block, Text):
            out.append(text_height(block.text, SIZES[block.style] * k, WIDTH))
        elif isinstance(block, Table):
            out.append(sum(table_heights(block, k)) + 8)
        elif isinstance(block, Tiles):
            w = (WIDTH - 10 * (block.columns - 1)) / block.columns
            rows = [block.tiles[i:i + block.columns] for i in range(0, len(block.tiles), block.columns)]
            out.append(sum(max(tile_height(t, w, k) for t in r) + 10 for r in rows))
        else:
            out.append(0.0)
    return out


def add_text(slide, x, y, w, h, text: str, size: float, colour=INK, bold: bool = False, align=PP_ALIGN.LEFT):
    box = slide.shapes.add_textbox(Pt(x), Pt(y), Pt(w), Pt(h))
    frame = box.text_frame
    frame.word_wrap = True
    frame.margin_left = frame.margin_right = frame.margin_top = frame.margin_bottom = 0
    write(frame.paragraphs[0], text, size, colour, bold)
    frame.paragraphs[0].alignment = align
    return box


def write(paragraph, text: str, size: float, colour=INK, bold: bool = False) -> None:
    """Runs for plain and **bold** parts."""
    for n, part in enumerate(re.split(r"\*\*", text)):
        if part:
            run = paragraph.add_run()
            run.text = part
            run.font.size, run.font.bold, run.font.name = Pt(size), bold or n % 2 == 1, "Arial"
            run.font.color.rgb = colour


def border(cell, colour: str = "777777", width: float = 0.75) -> None:
    props = cell._tc.get_or_add_tcPr()
    for edge in ("a:lnL", "a:lnR", "a:lnT", "a:lnB"):
        line = props.find(qn(edge))
        if line is None:
            line = props.makeelement(qn(edge), {})
            props.append(line)
        line.set("w", str(int(width * 12700)))
        fill = line.makeelement(qn("a:solidFill"), {})
        fill.append(fill.makeelement(qn("a:srgbClr"), {"val": colour}))
        line.append(fill)


def add_table(slide, y: float, block: Table, k: float) -> float:
    rows = table_heights(block, k)
    shape = slide.shapes.add_table(len(rows), len(block.header), Pt(MARGIN), Pt(y), Pt(WIDTH), Pt(sum(rows)))
    grid = shape.table
    grid.first_row = grid.horz_banding = False
    total = sum(block.widths)
    for c, w in enumerate(block.widths):
        grid.columns[c].width = Pt(WIDTH * w / total)
    for r, (values, height) in enumerate(zip([block.header, *block.rows], rows)):
        grid.rows[r].height = Pt(height)
        for c, value in enumerate(values):
            cell = grid.cell(r, c)
            cell.fill.solid()
            cell.fill.fore_color.rgb = SHADE if r == 0 else WHITE
            cell.margin_left = cell.margin_right = Pt(4)
            cell.margin_top = cell.margin_bottom = Pt(3)
            cell.vertical_anchor = MSO_ANCHOR.TOP
            write(cell.text_frame.paragraphs[0], value, block.font * k, INK, bold=r == 0)
            border(cell)
    return sum(rows) + 8


def add_tiles(slide, y: float, block: Tiles, k: float) -> float:
    w = (WIDTH - 10 * (block.columns - 1)) / block.columns
    top = y
    for start in range(0, len(block.tiles), block.columns):
        row = block.tiles[start:start + block.columns]
        h = max(tile_height(t, w, k) for t in row)
        for n, t in enumerate(row):
            box = slide.shapes.add_textbox(Pt(MARGIN + n * (w + 10)), Pt(top), Pt(w), Pt(h))  # no theme style
            box.line.color.rgb, box.line.width = INK, Pt(1.25)
            frame = box.text_frame
            frame.auto_size = None
            frame.word_wrap = True
            frame.vertical_anchor = MSO_ANCHOR.TOP
            frame.margin_left = frame.margin_right = Pt(8)
            frame.margin_top = frame.margin_bottom = Pt(6)
            parts = [(t.title, 15, True), (t.value, 34, True), (t.counts, 14, False)]
            parts += [(line, 12.5, False) for line in t.lines]
            for m, (text, size, bold) in enumerate(parts):
                paragraph = frame.paragraphs[0] if m == 0 else frame.add_paragraph()
                paragraph.alignment = PP_ALIGN.LEFT
                paragraph.space_after = Pt(2)
                write(paragraph, text, size * k, INK, bold)
        top += h + 10
    return top - y


def add_page(prs, doc: Pack, page: Page, number: int, total: int) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[6])  # blank
    if doc.marking:
        add_text(slide, MARGIN, 10, WIDTH * 0.7, 20, doc.marking, 13, INK, True)
    add_text(slide, MARGIN + WIDTH * 0.7, 12, WIDTH * 0.3, 18, page.section, 10, GREY, align=PP_ALIGN.RIGHT)
    rule = slide.shapes.add_connector(1, Pt(MARGIN), Pt(BOTTOM + 2), Pt(MARGIN + WIDTH), Pt(BOTTOM + 2))
    rule.line.color.rgb, rule.line.width = RULE, Pt(0.75)
    add_text(slide, MARGIN, BOTTOM + 7, WIDTH * 0.8, 18, doc.footer, 11, INK, bool(doc.marking))
    add_text(slide, MARGIN + WIDTH * 0.8, BOTTOM + 7, WIDTH * 0.2, 18, f"Page {number} / {total}", 11,
             align=PP_ALIGN.RIGHT)
    add_text(slide, MARGIN, TOP, WIDTH, 34, page.title, SIZES["title"], INK, True)
    room = BOTTOM - TOP - 44 - 6
    charts = [b for b in page.blocks if isinstance(b, Chart)]
    need = sum(c.height * min(0.85, WIDTH / c.width) for c in charts)  # charts keep at least 85% of their size
    k = 1.15
    while k > 0.7 and sum(heights(page, k)) + need > room:
        k -= 0.05
    left = room - sum(heights(page, k))
    scale = min(1.15, *(WIDTH / c.width for c in charts), left / max(sum(c.height for c in charts), 1)) if charts else 1
    y = TOP + 44
    for block, height in zip(page.blocks, heights(page, k)):
        if isinstance(block, Text):
            add_text(slide, MARGIN, y, WIDTH, height, block.text, SIZES[block.style] * k,
                     GREY if block.style == "note" else INK)
        elif isinstance(block, Table):
            height = add_table(slide, y, block, k)
        elif isinstance(block, Tiles):
            height = add_tiles(slide, y, block, k)
        elif isinstance(block, Chart):
            picture = slide.shapes.add_picture(io.BytesIO(block.png), Pt(MARGIN), Pt(y), Pt(block.width * scale),
                                               Pt(block.height * scale))
            picture._element.nvPicPr.cNvPr.set("descr", block.description)
            height = math.ceil(block.height * scale) + 4
        y += height


def slides(page: Page) -> list[Page]:
    """A page as slides: a new one at each Split, titled as continuing."""
    parts: list[list] = [[]]
    for block in page.blocks:
        if isinstance(block, Split):
            parts.append([])
        else:
            parts[-1].append(block)
    return [Page(page.title + (" (continued)" if n else ""), part, page.section)
            for n, part in enumerate(p for p in parts if p)]


def render(doc: Pack) -> bytes:
    prs = Presentation()
    prs.slide_width, prs.slide_height = Pt(SLIDE[0]), Pt(SLIDE[1])
    prs.core_properties.title = doc.title
    prs.core_properties.subject = doc.marking or doc.footer
    deck = [s for page in doc.pages for s in slides(page)]
    for n, slide in enumerate(deck, start=1):
        add_page(prs, doc, slide, n, len(deck))
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()

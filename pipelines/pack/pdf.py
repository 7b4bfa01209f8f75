"""The board pack as a PDF: A4 landscape, one pack page to one PDF page, large black type.

Drawn with reportlab's own Helvetica (no font files needed). Each page's blocks are fitted to the
page (charts take the height the text leaves them, and a page that would still overflow is
scaled down as a whole), so the page count is the pack's. The footer (what the figures are) and,
for internal use, the OFFICIAL-SENSITIVE marking at top and bottom are on every page.
"""
from __future__ import annotations

import io
import re
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import (BaseDocTemplate, Frame, Image, KeepInFrame, PageBreak, PageTemplate, Paragraph,
                                Spacer, Table as GridTable, TableStyle)

from . import Chart, Pack, Page, Table, Text, Tiles

PAGE = landscape(A4)
MARGIN = 36
BAND = 30  # header and footer bands
WIDTH = PAGE[0] - 2 * MARGIN
HEIGHT = PAGE[1] - 2 * BAND - 12
INK, GREY, RULE, SHADE = colors.HexColor("#111111"), colors.HexColor("#333333"), colors.HexColor("#777777"), \
    colors.HexColor("#E8E8E8")


def _style(name: str, size: float, bold: bool = False, colour=INK, after: float = 6,
           leading: float = 1.25) -> ParagraphStyle:
    return ParagraphStyle(name, fontName="Helvetica-Bold" if bold else "Helvetica", fontSize=size,
                          leading=size * leading, textColor=colour, spaceAfter=after)


STYLES = {"title": _style("title", 24, True, after=10), "lead": _style("lead", 15, after=8),
          "body": _style("body", 13, after=6), "note": _style("note", 11, colour=GREY, after=4),
          "cell": _style("cell", 11.5, after=0), "head": _style("head", 11.5, True, after=0),
          "tile_title": _style("tile_title", 15, True, after=2), "tile_value": _style("tile_value", 34, True, after=0),
          "tile_counts": _style("tile_counts", 14, after=4), "tile_line": _style("tile_line", 12.5, after=2)}


def markup(text: str) -> str:
    """Plain text with **bold** as reportlab paragraph markup, in characters Helvetica has."""
    safe = escape(text).encode("cp1252", "replace").decode("cp1252")
    return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", safe)


def paragraph(text: str, style: str) -> Paragraph:
    return Paragraph(markup(text), STYLES[style])


def table(block: Table, width: float = WIDTH) -> GridTable:
    total = sum(block.widths)
    cell, head = (ParagraphStyle(f"{name}{block.font}", parent=STYLES[name], fontSize=block.font,
                                 leading=block.font * 1.25) for name in ("cell", "head"))
    cells = [[Paragraph(markup(h), head) for h in block.header]] + [[Paragraph(markup(c), cell) for c in row]
                                                                     for row in block.rows]
    grid = GridTable(cells, colWidths=[width * w / total for w in block.widths], repeatRows=1)
    grid.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.6, RULE), ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4), ("LEFTPADDING", (0, 0), (-1, -1), 5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 5)]))
    return grid


def tiles(block: Tiles) -> GridTable:
    gap = 10
    inner = (WIDTH - gap * (block.columns - 1)) / block.columns
    boxes = []
    for t in block.tiles:
        content = [paragraph(t.title, "tile_title"), paragraph(t.value, "tile_value"),
                   paragraph(t.counts, "tile_counts"), *[paragraph(line, "tile_line") for line in t.lines]]
        box = GridTable([[content]], colWidths=[inner])
        box.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1.2, INK), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                 ("LEFTPADDING", (0, 0), (-1, -1), 8), ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                                 ("TOPPADDING", (0, 0), (-1, -1), 6), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
        boxes.append(box)
    rows = [boxes[k:k + block.columns] for k in range(0, len(boxes), block.columns)]
    rows[-1] += [""] * (block.columns - len(rows[-1]))
    widths = [w for k in range(block.columns) for w in ([inner] if k == 0 else [gap, inner])]
    grid = GridTable([[c for k, cell in enumerate(r) for c in ([cell] if k == 0 else ["", cell])] for r in rows],
                     colWidths=widths)
    grid.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                              ("RIGHTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 0),
                              ("BOTTOMPADDING", (0, 0), (-1, -1), gap)]))
    return grid


def flowables(page: Page) -> list:
    """The page's blocks, charts sized to the height the rest leaves (never above 115% of natural size)."""
    out, images = [paragraph(page.title, "title")], []
    for block in page.blocks:
        if isinstance(block, Text):
            out.append(paragraph(block.text, block.style))
        elif isinstance(block, Table):
            out += [table(block), Spacer(1, 8)]
        elif isinstance(block, Tiles):
            out.append(tiles(block))
        elif isinstance(block, Chart):
            images.append((len(out), block))
            out += [None, Spacer(1, 6)]
        # a Split only starts a new slide: an A4 page has room for both parts
    fixed = sum(f.wrap(WIDTH, HEIGHT)[1] + f.getSpaceAfter() for f in out if f is not None)
    if images:
        natural = sum(c.height for _, c in images)
        scale = min(1.15, WIDTH / max(c.width for _, c in images), max(HEIGHT - fixed - 4, 60) / natural)
        for at, c in images:
            picture = Image(io.BytesIO(c.png), width=c.width * scale, height=c.height * scale)
            picture.hAlign = "LEFT"
            out[at] = picture
    return out


def render(doc: Pack) -> bytes:
    buffer = io.BytesIO()
    total = len(doc.pages)
    sections = [p.section for p in doc.pages]

    def decorate(canvas, template) -> None:
        n = canvas.getPageNumber()
        canvas.saveState()
        canvas.setFillColor(INK)
        if doc.marking:
            canvas.setFont("Helvetica-Bold", 13)
            canvas.drawString(MARGIN, PAGE[1] - 22, doc.marking)
        canvas.setFont("Helvetica", 10)
        canvas.setFillColor(GREY)
        canvas.drawRightString(PAGE[0] - MARGIN, PAGE[1] - 22, sections[n - 1] if n <= total else "")
        canvas.setStrokeColor(RULE)
        canvas.line(MARGIN, BAND, PAGE[0] - MARGIN, BAND)
        canvas.setFillColor(INK)
        canvas.setFont("Helvetica-Bold" if doc.marking else "Helvetica", 11)
        canvas.drawString(MARGIN, BAND - 16, doc.footer)
        canvas.setFont("Helvetica", 11)
        canvas.drawRightString(PAGE[0] - MARGIN, BAND - 16, f"Page {n} / {total}")
        canvas.restoreState()

    template = BaseDocTemplate(buffer, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=BAND,
                               bottomMargin=BAND, title=doc.title, author="partnership metrics",
                               subject=doc.marking or doc.footer)
    frame = Frame(MARGIN, BAND + 6, WIDTH, HEIGHT, leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    template.addPageTemplates([PageTemplate("page", [frame], onPage=decorate)])
    story = []
    for k, page in enumerate(doc.pages):
        story.append(KeepInFrame(WIDTH, HEIGHT, flowables(page), mode="shrink"))
        if k < total - 1:
            story.append(PageBreak())
    template.build(story)
    return buffer.getvalue()

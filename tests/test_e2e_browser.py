"""The real app in headless Chromium (Debian's, driven by Playwright): pages, upload, download, suppression,
and every page checked against WCAG 2.1 AA with axe-core (from the npm registry: `make browser` runs npm ci).

Screenshots of every page go to tests/artifacts/ (git-ignored) for a person to look at.
"""
from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from pypdf import PdfReader

from pipelines.catalogue import catalogue
from pipelines.config import settings
from pipelines.store import read_connection

pytestmark = pytest.mark.e2e
REPO = Path(__file__).parent.parent
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PAGES = ["Board overview", "Reviews", "Practice", "Ethnic groups", "Data quality", "Recommendations", "Load data",
         "Code a review", "Administration"]
BANNER = "OFFICIAL-SENSITIVE: small numbers are shown"  # the internal-use banner (a page may say OFFICIAL-SENSITIVE too)
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("serious", "critical")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_healthy(proc: subprocess.Popen, url: str) -> None:
    """Wait up to a minute for Streamlit's health check; fail with its output if it never answers."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).status == 200:
                return
        except OSError:
            time.sleep(0.5)
    proc.kill()
    pytest.fail("streamlit did not start: " + proc.stdout.read().decode(errors="replace")[-2000:])


@pytest.fixture(scope="module")
def server(sample_db, tmp_path_factory):
    """Streamlit on a loopback port, over a private copy of the sample database (uploads change it)."""
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: `make test` installs it (apt-get install chromium)"
    folder = tmp_path_factory.mktemp("e2e")
    db, key = folder / "partnership.duckdb", folder / "pseudonymisation.key"
    shutil.copyfile(sample_db.db_path, db)
    shutil.copyfile(sample_db.key_path, key)
    key.chmod(0o600)
    port = free_port()
    env = {**os.environ, "PM_DB": str(db), "PM_KEY_FILE": str(key)}
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(REPO / "dashboard" / "app.py"),
                             "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true"],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_until_healthy(proc, url)
    yield url, settings(db)
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser_page(server):
    url, _ = server
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 2400}, accept_downloads=True)
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        expect(page.get_by_role("heading", name="Board overview")).to_be_visible(timeout=30_000)
        page.console_errors = errors
        yield page
        browser.close()


def go(page: Page, name: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", name=name).first).to_be_visible(timeout=30_000)
    settle(page)


def settle(page: Page) -> None:
    """Wait until the script run has finished, so everything the page draws is there."""
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=30_000)
    page.wait_for_timeout(300)  # charts are drawn just after the run ends


@contextlib.contextmanager
def whole_page(page: Page):
    """The window made as tall as the page while inside: Streamlit scrolls inside stMain, and what is scrolled
    out of sight is neither in a full-page screenshot nor checked by axe (its contrast rule skips it)."""
    size = page.viewport_size
    for _ in range(5):  # opened expanders and redrawn charts may grow the page again
        height = page.evaluate("() => document.querySelector('[data-testid=stMain]')?.scrollHeight || 0") + 40
        if height <= page.viewport_size["height"] or page.viewport_size["height"] >= 16_000:
            break
        page.set_viewport_size({"width": size["width"], "height": min(height, 16_000)})
        page.wait_for_timeout(500)  # charts redraw at the new size
    try:
        yield
    finally:
        page.set_viewport_size(size)


def snapshot(page: Page, name: str) -> None:
    """The whole page as a PNG in tests/artifacts/."""
    with whole_page(page):
        page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


# Serious or critical violations in Streamlit's own markup that no page of ours can change, as
# (rule id, CSS selector the failing element matches, why). None are needed today.
STREAMLIT_EXCLUSIONS: list[tuple[str, str, str]] = []


def axe_violations(page: Page, within: str | None = None) -> list[str]:
    """Serious and critical WCAG 2.1 A/AA violations as drawn now (the page, or the part matching `within`),
    one line per rule: its id, impact and the failing nodes' targets."""
    assert AXE.exists(), "axe-core is missing: `make browser` (or `npm ci`) installs it from package-lock.json"
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    charts_drawn(page)
    result = page.evaluate("""async ([tags, within, exclusions]) => {
        const r = await axe.run(within ? document.querySelector(within) : document,
                                {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
        const excluded = (id, target) => exclusions.some(([rule, css]) => {
            const el = target.length === 1 && document.querySelector(target[0]);
            return rule === id && el && el.matches(css);
        });
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.filter(n => !excluded(v.id, n.target))
                          .map(n => ({target: n.target, impact: n.impact, html: n.html.slice(0, 120)}))}));
    }""", [AXE_TAGS, within, [e[:2] for e in STREAMLIT_EXCLUSIONS]])
    found = []
    for v in result:
        nodes = [n for n in v["nodes"] if (n["impact"] or v["impact"]) in BLOCKING]
        if nodes:  # a target is a CSS path from the root: its last steps are enough to find the element
            found.append(f"{v['id']} ({v['impact']}: {v['help']}), {len(nodes)} node(s): " + "; ".join(
                f"[{' > '.join(n['target'][-1].split(' > ')[-3:])}] {n['html']}" for n in nodes[:6]))
    return found


def charts_drawn(page: Page) -> None:
    """Every Altair chart on the page has its SVG or canvas (vega-embed draws just after the script run)."""
    page.wait_for_function("""() => [...document.querySelectorAll('[data-testid=stVegaLiteChart]')]
                                     .every(c => c.querySelector('svg.marks, canvas.marks'))""", timeout=30_000)


def open_expanders(page: Page) -> None:
    """Open every expander (the SQL behind the figures, the file contract), so axe sees what they hold."""
    closed = page.locator("[data-testid=stExpander] details:not([open]) > summary")
    for _ in range(50):
        if not closed.count():
            return
        closed.first.click()
    pytest.fail("expanders would not open")


def undescribed_charts(page: Page) -> list[str]:
    """Charts whose text alternative is Vega's placeholder: axe accepts any aria-label, a person needs words
    (charts.describe)."""
    count = page.evaluate("""() => [...document.querySelectorAll('[data-testid=stVegaLiteChart]')]
        .filter(c => !(c.getAttribute('aria-label') || '').trim() || c.getAttribute('aria-label') === 'Vega visualization')
        .length""")
    return [f"chart-description: {count} chart(s) not described in words (charts.describe)"] if count else []


def faint_chart_text(page: Page) -> list[str]:
    """Chart text below 4.5:1 against the chart's background. axe leaves SVG text as "needs review" (it cannot
    work out the background under a graphic), so the contrast is computed here, as WCAG defines it."""
    faint = page.evaluate("""() => {
        const rgb = s => (s.match(/[\\d.]+/g) || []).slice(0, 3).map(Number);
        const lum = c => c.map(v => v / 255).map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
                          .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
        const out = [];
        for (const svg of document.querySelectorAll('[data-testid=stVegaLiteChart] svg')) {
            const bg = rgb(svg.style.backgroundColor || 'rgb(255, 255, 255)');
            for (const t of svg.querySelectorAll('text')) {
                const style = getComputedStyle(t);
                if (!t.textContent.trim() || style.opacity === '0' || t.getAttribute('opacity') === '0') continue;
                const [a, b] = [lum(rgb(style.fill)), lum(bg)];
                const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
                if (ratio < 4.5) out.push(`"${t.textContent.slice(0, 40)}" ${style.fill} ${ratio.toFixed(2)}:1`);
            }
        }
        return out;
    }""")
    return [f"chart-text-contrast: {len(faint)} text(s) below 4.5:1: " + "; ".join(faint[:6])] if faint else []


def page_violations(page: Page) -> list[str]:
    """The page with its expanders open, then the first popover (a definition) on its own."""
    open_expanders(page)
    with whole_page(page):
        found = axe_violations(page) + undescribed_charts(page) + faint_chart_text(page)
    popover = page.get_by_test_id("stPopoverButton")
    if popover.count():
        popover.first.click()
        expect(page.get_by_test_id("stPopoverBody")).to_be_visible()
        found += [f"in the popover: {v}" for v in axe_violations(page, "[data-testid=stPopoverBody]")]
        page.keyboard.press("Escape")
        expect(page.get_by_test_id("stPopoverBody")).to_have_count(0)
    return found


def test_every_page_renders_and_is_screenshotted(browser_page):
    for name in PAGES:
        go(browser_page, name)
        expect(browser_page.get_by_test_id("stException")).to_have_count(0)
        snapshot(browser_page, name.lower().replace(" ", "_"))
    assert browser_page.console_errors == []


@pytest.mark.parametrize("internal", [False, True], ids=["published", "internal"])
def test_every_page_meets_wcag_21_aa(browser_page, internal):
    """axe-core on every page, published and internal-use: no serious or critical violation."""
    switch = browser_page.get_by_test_id("stSidebar").get_by_text("Show small numbers (internal use)")
    banner = browser_page.get_by_text(BANNER, exact=False)
    found = {}
    try:
        if internal:
            switch.click()
            expect(banner.first).to_be_visible(timeout=30_000)
        for name in PAGES:
            go(browser_page, name)
            expect(browser_page.get_by_test_id("stException")).to_have_count(0)
            if internal:
                expect(banner.first).to_be_visible()
            if violations := page_violations(browser_page):
                found[name] = violations
    finally:
        if internal:
            switch.click()
            expect(banner).to_have_count(0, timeout=30_000)
    assert not found, "WCAG 2.1 AA violations (axe-core):\n" + "\n".join(
        f"- {page}: {v}" for page, vs in found.items() for v in vs)


def test_signals_and_verdicts_appear_where_they_should(browser_page):
    """The sample plants one real change (voice recording, from January 2024) and one disproportionate
    pattern (disclosures not followed up for Black and Mixed children): a board member sees both, and
    nothing else is called a change."""
    go(browser_page, "Board overview")
    main = browser_page.get_by_test_id("stMain")
    expect(main.get_by_text("Child's voice recorded is improving", exact=False).first).to_be_visible()
    expect(main.get_by_text(re.compile("Improving")).first).to_be_visible()  # the badge (the sentence says "improving")
    expect(main.get_by_text("too few to show without revealing a small number", exact=False).first).to_be_visible()
    snapshot(browser_page, "overview_signals")
    go(browser_page, "Practice")
    expect(main.get_by_text("signal or noise?", exact=False)).to_be_visible()
    expect(main.get_by_text("the other 9 monthly indicators show only month-to-month noise", exact=False)).to_be_visible()
    snapshot(browser_page, "practice_signals")
    go(browser_page, "Ethnic groups")
    expect(main.get_by_text("Compared with", exact=False).first).to_be_visible()
    expect(main.get_by_text("too few to compare", exact=False).first).to_be_visible()
    snapshot(browser_page, "ethnic_groups_comparison")
    switch = browser_page.get_by_test_id("stSidebar").get_by_text("Show small numbers (internal use)")
    switch.click()
    try:
        go(browser_page, "Board overview")
        expect(main.get_by_text(re.compile("(higher than|lower than|no clear difference from) national")).first
               ).to_be_visible(timeout=30_000)
        snapshot(browser_page, "overview_internal_verdicts")
    finally:
        switch.click()
        expect(browser_page.get_by_text(BANNER, exact=False)).to_have_count(0, timeout=30_000)


def test_csv_download_is_the_table_shown(browser_page):
    go(browser_page, "Reviews")
    with browser_page.expect_download() as info:
        browser_page.get_by_test_id("stDownloadButton").first.get_by_role("button").click()
    rows = list(csv.DictReader(Path(info.value.path()).read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0]["Indicator"] == "Reviews" and rows[0]["Numerator"] == "60"
    assert any(r["Numerator"] == "c" for r in rows), "suppressed cells are exported as c"
    assert all(r["Numerator"] == "c" or int(r["Numerator"].replace(",", "")) == 0
               or int(r["Numerator"].replace(",", "")) > 5 for r in rows)


def test_small_numbers_switch_shows_banner(browser_page):
    go(browser_page, "Reviews")
    banner = browser_page.get_by_text(BANNER, exact=False)
    expect(banner).to_have_count(0)
    browser_page.get_by_test_id("stSidebar").get_by_text("Show small numbers (internal use)").click()
    expect(banner.first).to_be_visible(timeout=30_000)
    snapshot(browser_page, "reviews_internal")
    go(browser_page, "Board overview")
    expect(browser_page.get_by_text(BANNER, exact=False).first).to_be_visible()
    browser_page.get_by_test_id("stSidebar").get_by_text("Show small numbers (internal use)").click()
    expect(browser_page.get_by_text(BANNER, exact=False)).to_have_count(0, timeout=30_000)


def reviews_of(n: int) -> re.Pattern:
    """A board tile's counts over n reviews, e.g. "51 of 60 · Higher is better"."""
    return re.compile(rf"^[\d,]+ of {n} · ")


def test_upload_shows_new_figures(browser_page, server, tmp_path):
    go(browser_page, "Board overview")
    expect(browser_page.get_by_text(reviews_of(60)).first).to_be_visible()
    extra = tmp_path / "more_reviews.csv"
    header = "review_id,partnership,review_type,notification_date,child_ethnicity,ethnicity_source\n"
    extra.write_text(header + "".join(f"NB-RR-2025-9{n:02d},Northbridge Safeguarding Children Partnership,RR,"
                                      f"2025-02-{n + 1:02d},BAFR,review\n" for n in range(10)))
    go(browser_page, "Load data")
    extracts = browser_page.get_by_role("region", name=re.compile("^Extracts"))  # not the mapping file's uploader
    extracts.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(extra))
    browser_page.get_by_role("button", name="Validate and load").click()
    expect(browser_page.get_by_text("more_reviews.csv as reviews: 10 read, 10 loaded", exact=False)).to_be_visible(timeout=60_000)
    snapshot(browser_page, "load_data_done")
    assert not (found := page_violations(browser_page)), found  # the load's results meet WCAG 2.1 AA too
    go(browser_page, "Board overview")
    expect(browser_page.get_by_text(reviews_of(70)).first).to_be_visible(timeout=30_000)
    assert browser_page.console_errors == []


def printed(page: Page) -> PdfReader:
    """The page as the browser prints it (print media, the page's own A4 landscape size)."""
    page.emulate_media(media="print")
    try:
        charts_drawn(page)
        return PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True, print_background=True)))
    finally:
        page.emulate_media(media="screen")


def test_overview_prints_on_one_a4_landscape_page(browser_page):
    """A board member prints the overview: one A4 landscape page naming the partnership, the period and the
    date of the data, every key figure, and none of the screen's controls."""
    go(browser_page, "Board overview")
    pdf = printed(browser_page)
    assert len(pdf.pages) == 1
    width, height = (float(v) for v in pdf.pages[0].mediabox.upper_right)
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (297, 210)  # A4 landscape, in mm
    text = re.sub(r"\s+", " ", pdf.pages[0].extract_text())
    for words in ("Partnership: Northbridge Safeguarding Children Partnership", "Period: 2022-23 to 2024-25",
                  "Data loaded:", "Small numbers (1 to 5) suppressed", "The Panel's recommendations:",
                  *(i.short_label for i in catalogue() if i.board)):
        assert words in text, words
    for control in ("Board pack", "Prepare", "Download", "All key figures", "Show small numbers"):
        assert control not in text, control


def test_practice_prints_without_blank_pages(browser_page):
    """The long Practice page prints its tables as tables (the interactive grid is a canvas), and no page is
    left all but empty by a hidden control."""
    go(browser_page, "Practice")
    pdf = printed(browser_page)
    texts = [re.sub(r"\s+", " ", p.extract_text()) for p in pdf.pages]
    assert "Child records with ethnicity recorded" in texts[0]  # the all-indicators table, on the first page
    assert all(len(t) > 150 for t in texts[:-1]), [len(t) for t in texts]


def field(page: Page, label: str):
    return page.get_by_test_id("stMain").get_by_label(label, exact=True)


def choose(page: Page, label: str, option: str) -> None:
    """Pick a selectbox option by its label, as a person would: open the list, click the option."""
    page.get_by_test_id("stSelectbox").filter(has_text=label).first.click()
    page.get_by_role("option", name=option, exact=True).click()
    settle(page)


def enter_date(page: Page, label: str, day: str) -> None:
    """Type a date (DD/MM/YYYY) into a date field segment by segment, as the keyboard does."""
    field(page, label).get_by_role("spinbutton").first.click()
    page.keyboard.type(day.replace("/", ""))
    page.keyboard.press("Tab")
    settle(page)


def first_tile_counts(page: Page) -> tuple[int, int]:
    """Ethnicity in the review's "n of N" on the overview (the first tile)."""
    go(page, "Board overview")
    text = page.get_by_text(re.compile(r"^[\d,]+ of [\d,]+ · Higher is better")).first.inner_text()
    n, d = re.findall(r"[\d,]+", text)[:2]
    return int(n.replace(",", "")), int(d.replace(",", ""))


def test_coding_a_review_through_the_form_changes_the_review_figures(browser_page, server):
    """A reviewer codes a rapid review in the form. An incident after the notification gets the loader's
    own message and changes nothing; corrected, the review is saved as a load and the overview counts it."""
    _, cfg = server
    before = first_tile_counts(browser_page)
    with read_connection(cfg.db_path) as con:
        loads = con.execute("SELECT count(*) FROM loads").fetchone()[0]
    go(browser_page, "Code a review")
    for label, value in (("Review reference (required)", "NB-RR-2025-950"),
                         ("Safeguarding partnership (required)", "Northbridge Safeguarding Children Partnership")):
        field(browser_page, label).fill(value)
        field(browser_page, label).press("Enter")
        settle(browser_page)
    choose(browser_page, "Type of review", "Rapid review (RR)")
    choose(browser_page, "Child's ethnicity", "White and Black African (MWBA)")
    choose(browser_page, "Where the child's ethnicity is recorded", "Recorded in the review")
    enter_date(browser_page, "Serious incident notification date (required)", "14/02/2025")
    enter_date(browser_page, "Date of the serious incident", "20/02/2025")
    browser_page.get_by_role("button", name="Save review").click()
    settle(browser_page)
    refused = browser_page.get_by_test_id("stAlertContentError")
    expect(refused).to_contain_text("Not saved: the loader would quarantine this review")
    expect(refused).to_contain_text("Date of the serious incident (incident_date): incident_date is after "
                                    "notification_date")
    with read_connection(cfg.db_path) as con:
        assert con.execute("SELECT count(*) FROM loads").fetchone()[0] == loads  # nothing recorded or stored
    enter_date(browser_page, "Date of the serious incident", "10/02/2025")
    browser_page.get_by_role("button", name="Save review").click()
    expect(browser_page.get_by_test_id("stAlertContentSuccess")).to_contain_text("Review added", timeout=60_000)
    snapshot(browser_page, "code_a_review_saved")
    assert first_tile_counts(browser_page) == (before[0] + 1, before[1] + 1)
    assert browser_page.console_errors == []

"""The real app in headless Chromium (Debian's, driven by Playwright): pages, upload, download, suppression.

Screenshots of every page go to tests/artifacts/ (git-ignored) for a person to look at.
"""
from __future__ import annotations

import csv
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from pipelines.config import settings

pytestmark = pytest.mark.e2e
REPO = Path(__file__).parent.parent
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PAGES = ["Board overview", "Reviews", "Practice", "Ethnic groups", "Data quality", "Load data"]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).status == 200:
                break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("streamlit did not start: " + proc.stdout.read().decode(errors="replace")[-2000:])
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


def test_every_page_renders_and_is_screenshotted(browser_page):
    for name in PAGES:
        go(browser_page, name)
        expect(browser_page.get_by_test_id("stException")).to_have_count(0)
        browser_page.screenshot(path=ARTIFACTS / f"{name.lower().replace(' ', '_')}.png", full_page=True)
    assert browser_page.console_errors == []


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
    banner = browser_page.get_by_text("OFFICIAL-SENSITIVE", exact=False)
    expect(banner).to_have_count(0)
    browser_page.get_by_test_id("stSidebar").get_by_text("Show small numbers (internal use)").click()
    expect(banner.first).to_be_visible(timeout=30_000)
    browser_page.screenshot(path=ARTIFACTS / "reviews_internal.png", full_page=True)
    go(browser_page, "Board overview")
    expect(browser_page.get_by_text("OFFICIAL-SENSITIVE", exact=False).first).to_be_visible()
    browser_page.get_by_test_id("stSidebar").get_by_text("Show small numbers (internal use)").click()
    expect(browser_page.get_by_text("OFFICIAL-SENSITIVE", exact=False)).to_have_count(0, timeout=30_000)


def test_upload_shows_new_figures(browser_page, server, tmp_path):
    go(browser_page, "Board overview")
    expect(browser_page.get_by_text("of 60 · National 92.6%", exact=False)).to_be_visible()
    extra = tmp_path / "more_reviews.csv"
    header = "review_id,partnership,review_type,notification_date,child_ethnicity,ethnicity_source\n"
    extra.write_text(header + "".join(f"NB-RR-2025-9{n:02d},Northbridge Safeguarding Children Partnership,RR,"
                                      f"2025-02-{n + 1:02d},BAFR,review\n" for n in range(10)))
    go(browser_page, "Load data")
    browser_page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(extra))
    browser_page.get_by_role("button", name="Validate and load").click()
    expect(browser_page.get_by_text("more_reviews.csv as reviews: 10 read, 10 loaded", exact=False)).to_be_visible(timeout=60_000)
    browser_page.screenshot(path=ARTIFACTS / "load_data_done.png", full_page=True)
    go(browser_page, "Board overview")
    expect(browser_page.get_by_text("of 70 · National 92.6%", exact=False)).to_be_visible(timeout=30_000)
    assert browser_page.console_errors == []

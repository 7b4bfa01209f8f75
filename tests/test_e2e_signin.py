"""Sign-in through a real OpenID Connect flow (oidc-provider-mock, started here) in headless Chromium, as each
role in turn: what each sees and may do, refusals, partnership scoping and the audit trail they leave.

The dashboard runs with sign-in configured (a secrets file naming the test provider) over the sample data
plus a second partnership's reviews; the access file grants board, analyst, loader (by group) and admin
for the sample partnership and an analyst for the other one only.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys

import oidc_provider_mock
import pytest
from playwright.sync_api import Page, expect, sync_playwright

from conftest import PARTNERSHIP_A, PARTNERSHIP_B, partnership_b_reviews
from pipelines import audit_trail
from pipelines.config import settings
from pipelines.loader import load_file
from test_e2e_browser import BANNER, CHROMIUM, CHROMIUM_ARGS, REPO, free_port, settle, wait_until_healthy

pytestmark = pytest.mark.e2e
USERS = {"board@a.test": [], "analyst@a.test": [], "loader@a.test": ["sg-loaders"], "admin@a.test": [],
         "analyst@b.test": [], "stranger@c.test": []}
ACCESS = f"""
home = "{PARTNERSHIP_A}"

[[grant]]
role = "board"
emails = ["board@a.test"]
partnerships = ["{PARTNERSHIP_A}"]

[[grant]]
role = "analyst"
emails = ["analyst@a.test"]
partnerships = ["{PARTNERSHIP_A}"]

[[grant]]
role = "loader"
groups = ["sg-loaders"]
partnerships = ["{PARTNERSHIP_A}"]

[[grant]]
role = "admin"
emails = ["admin@a.test"]
partnerships = ["*"]

[[grant]]
role = "analyst"
emails = ["analyst@b.test"]
partnerships = ["{PARTNERSHIP_B}"]
"""
NAV = {"board@a.test": ["Board overview", "Reviews", "Practice", "Ethnic groups", "Data quality"],
       "analyst@a.test": ["Board overview", "Reviews", "Practice", "Ethnic groups", "Data quality"],
       "loader@a.test": ["Board overview", "Reviews", "Practice", "Ethnic groups", "Data quality", "Recommendations",
                         "Load data", "Code a review"],
       "admin@a.test": ["Board overview", "Reviews", "Practice", "Ethnic groups", "Data quality", "Recommendations",
                        "Load data", "Code a review", "Administration"],
       "analyst@b.test": ["Board overview", "Reviews", "Ethnic groups"]}


@pytest.fixture(scope="module")
def provider():
    users = [oidc_provider_mock.User(sub=email, claims={"email": email, "groups": groups})
             for email, groups in USERS.items()]
    with oidc_provider_mock.run_server_in_thread(user_claims=users) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="module")
def app(sample_db, provider, tmp_path_factory):
    """Streamlit with sign-in configured, over a copy of the sample database plus partnership B's reviews."""
    folder = tmp_path_factory.mktemp("signin")
    db, key = folder / "partnership.duckdb", folder / "pseudonymisation.key"
    shutil.copyfile(sample_db.db_path, db)
    shutil.copyfile(sample_db.key_path, key)
    key.chmod(0o600)
    cfg = dataclasses.replace(settings(db), key_path=key, audit_path=folder / "audit.duckdb",
                              access_path=folder / "access.toml")
    assert load_file(partnership_b_reviews(folder / "b.csv"), cfg).status == "loaded"
    (folder / "access.toml").write_text(ACCESS)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    (folder / "secrets.toml").write_text(
        f'[auth]\nredirect_uri = "{url}/oauth2callback"\ncookie_secret = "{os.urandom(16).hex()}"\n'
        f'client_id = "partnership-metrics"\nclient_secret = "test-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n')
    env = {**os.environ, "PM_DB": str(db), "PM_KEY_FILE": str(key), "PM_AUDIT_DB": str(cfg.audit_db),
           "PM_ACCESS": str(folder / "access.toml")}
    proc = subprocess.Popen([sys.executable, "-m", "dashboard.serve", "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true",
                             "--secrets.files", str(folder / "secrets.toml")],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wait_until_healthy(proc, url)
    yield url, cfg
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def sign_in(browser, url: str, email: str) -> Page:
    """A fresh browser session through the provider's own sign-in form, as `email`."""
    page = browser.new_context(viewport={"width": 1440, "height": 1600}, accept_downloads=True).new_page()
    page.goto(url)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name=email, exact=True).click()  # the provider's form: its known users
    page.wait_for_url(re.compile(re.escape(url)), timeout=30_000)
    settle(page)
    return page


def navigation(page: Page) -> list[str]:
    return [t.strip() for t in page.get_by_test_id("stSidebarNav").get_by_role("link").all_inner_texts()]


def signed_in(page: Page, email: str, role: str) -> None:
    expect(page.get_by_test_id("stSidebar").get_by_text(f"Signed in as {email} ({role})")).to_be_visible(
        timeout=30_000)
    assert "Local mode" not in page.get_by_test_id("stSidebar").inner_text()


def test_each_role_sees_what_it_may_and_is_refused_the_rest(app, browser):
    url, cfg = app
    # board: the published figures only; the internal-use switch's URL state and other pages' URLs refused
    page = sign_in(browser, url, "board@a.test")
    signed_in(page, "board@a.test", "board")
    assert navigation(page) == NAV["board@a.test"]
    expect(page.get_by_text("Show small numbers (internal use)")).to_have_count(0)
    page.goto(f"{url}/?internal=1")
    settle(page)
    expect(page.get_by_text("Exact counts are for analysts", exact=False)).to_be_visible(timeout=30_000)
    expect(page.get_by_text(BANNER, exact=False)).to_have_count(0)
    for path in ("upload", "coding", "admin", "tracker"):  # a page not in the navigation is not served
        page.goto(f"{url}/{path}")
        settle(page)
        expect(page.get_by_role("heading", name="Board overview")).to_be_visible(timeout=30_000)
        expect(page.get_by_test_id("stFileUploader")).to_have_count(0)
        expect(page.get_by_text("Audit trail")).to_have_count(0)
    page.context.close()

    # analyst: the internal-use switch (recorded, kept in the URL), exact-count exports (recorded)
    page = sign_in(browser, url, "analyst@a.test")
    signed_in(page, "analyst@a.test", "analyst")
    assert navigation(page) == NAV["analyst@a.test"]
    page.get_by_test_id("stSidebar").get_by_text("Show small numbers (internal use)").click()
    expect(page.get_by_text(BANNER, exact=False).first).to_be_visible(timeout=30_000)
    assert "internal=1" in page.url
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Reviews").click()
    settle(page)
    with page.expect_download() as info:
        page.get_by_test_id("stDownloadButton").first.get_by_role("button").click()
    assert info.value.suggested_filename == "reviews_overall.csv"
    settle(page)
    page.context.close()

    # loader (granted through an identity-provider group): uploads, coding and the tracker, no administration
    page = sign_in(browser, url, "loader@a.test")
    signed_in(page, "loader@a.test", "loader")
    assert navigation(page) == NAV["loader@a.test"]
    page.context.close()

    # partnership B's analyst: B only, and none of the home partnership's case-system data
    page = sign_in(browser, url, "analyst@b.test")
    signed_in(page, "analyst@b.test", "analyst")
    assert navigation(page) == NAV["analyst@b.test"]
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_test_id("stSelectbox").filter(has_text="Partnership").click()
    assert [o.strip() for o in page.get_by_role("option").all_inner_texts()] == [PARTNERSHIP_B]
    page.keyboard.press("Escape")
    assert PARTNERSHIP_A not in page.get_by_test_id("stMain").inner_text()
    page.context.close()

    # someone the access file does not name: signed in, granted nothing
    page = sign_in(browser, url, "stranger@c.test")
    expect(page.get_by_text("the access file grants you nothing here", exact=False)).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
    page.context.close()

    # admin: every page, and the audit trail (whole) on the Administration page
    page = sign_in(browser, url, "admin@a.test")
    signed_in(page, "admin@a.test", "admin")
    assert navigation(page) == NAV["admin@a.test"]
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Administration").click()
    expect(page.get_by_text("The audit trail's chain is whole", exact=False)).to_be_visible(timeout=30_000)
    page.context.close()

    trail = audit_trail.entries(cfg.audit_db).sort_values("seq")
    events = [(r.user_name, r.role, r.action, json.loads(r.detail)) for r in trail.itertuples()]
    signed = [(u, role) for u, role, action, _ in events if action == "sign_in"]
    assert signed == [("board@a.test", "board"), ("analyst@a.test", "analyst"), ("loader@a.test", "loader"),
                      ("analyst@b.test", "analyst"), ("admin@a.test", "admin")]
    assert ("board@a.test", "board", "refused", {"what": "exact_counts", "via": "url"}) in events
    assert ("stranger@c.test", "none", "refused", {"what": "sign_in", "why": "not in the access file"}) in events
    assert ("analyst@a.test", "analyst", "exact_counts", {"state": "on"}) in events
    exports = [d for u, _, action, d in events if action == "export"]
    assert [(d["file"], d["exact_counts"], d["partnership"]) for d in exports] == [
        ("reviews_overall.csv", "yes", PARTNERSHIP_A)]
    assert audit_trail.verify(cfg.audit_db) == []

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""nc_coop in a real headless Chromium, inside the stand-in's top-menu page, as a person uses it.

Every page is opened the way Nextcloud shows it: the top-menu page
``/index.php/apps/app_api/embedded/nc_coop/coop`` frames the proxy (embed.js), the proxy follows
redirects on the server and imposes Nextcloud's block-everything CSP on any response without
its own (nc_coop/standin/proxy.py names the observations). So a page that only works with a
kinder proxy fails here.

One site per test module (SQLite, a slapd of its own, the documents folder, the register):
members, a representative and the board, in English and German. Chromium is Debian's
/usr/bin/chromium; skipped when missing unless NC_COOP_REQUIRE_CHROMIUM=1 (CI).
"""
from __future__ import annotations

import copy
import os
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from nc_coop.documents import demo as documents_demo
from nc_coop.register.models import Membership
from nc_coop.standin import NextcloudStandIn
from nc_coop.standin.state import default_users
from tests.conftest import serve_live, wait_for_init
from tests.ldap_support import own_slapd
from tests.quota.conftest import World, build_world
from tests.requests.conftest import PEOPLE, row_counts

CHROMIUM = Path("/usr/bin/chromium")
REQUIRED = os.environ.get("NC_COOP_REQUIRE_CHROMIUM") == "1"
if not CHROMIUM.exists() and not REQUIRED:
    pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (CI sets NC_COOP_REQUIRE_CHROMIUM=1)",
                allow_module_level=True)
if REQUIRED:
    from playwright import sync_api
else:
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the test extra)")

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
PROXY = "/index.php/apps/app_api/proxy/nc_coop"
TOP_MENU = "/index.php/apps/app_api/embedded/nc_coop/coop"
# Collects every CSP violation a frame reports (init scripts run in every frame, before its own
# scripts, and are not subject to the page's policy).
CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' at ' + e.documentURI);
});
"""


@dataclass
class Site:
    base: str
    world: World

    @property
    def app(self) -> Flask:
        return self.world.app

    @property
    def engine(self) -> Engine:
        return self.world.engine

    @property
    def standin(self) -> NextcloudStandIn:
        return self.world.standin

    def rows(self) -> dict[str, int]:
        return row_counts(self.engine)

    def membership(self, key: str) -> int:
        """The membership id of a party of the world ("alice", "tsv", ...)."""
        with Session(self.engine) as session:
            return session.scalars(select(Membership.id).where(Membership.party_id == self.world.parties[key])).one()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The quota world (register synced from slapd, TSV represented by felix.schaefer, alice a
    local member) plus requesters and the board, the documents folder with two published files,
    behind the stand-in's proxy at its URL, deployed as `occ app_api:app:register` does."""
    tmp = tmp_path_factory.mktemp("browser")
    # Copies: open_in_nextcloud changes a user's language, and PEOPLE is shared with other modules.
    users = copy.deepcopy([*default_users(), *PEOPLE, documents_demo.demo_reader()])
    standin = NextcloudStandIn(users=users).start()
    documents_demo.seed_demo_folder(standin.state)
    with own_slapd(tmp / "ldap") as directory:
        world = build_world(f"sqlite:///{tmp / 'site.sqlite3'}", standin, tmp, directory,
                            NC_COOP_DOCUMENTS_FOLDER=documents_demo.FOLDER,
                            NC_COOP_DOCUMENTS_USER=documents_demo.READER)
        try:
            with serve_live(world.app, standin):
                standin.deploy(timeout=60)
                wait_for_init(world.app)
                from nc_coop.db import get_db  # noqa: PLC0415

                with world.app.app_context(), get_db().transaction() as session:
                    documents_demo.publish_demo_documents(session, world.app.extensions["nc_coop.gateway"],
                                                          world.app.extensions["nc_coop.documents"])
                yield Site(standin.url, world)
        finally:
            world.app.extensions["nc_coop.quota.runner"].wait(30)
            world.engine.dispose()
            standin.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class InNextcloud:
    """A logged-in person at the top-menu page; ``frame`` is nc_coop's iframe in it."""

    site: Site
    page: Any
    console: list[str] = field(default_factory=list)

    @property
    def frame(self) -> Any:
        frames = [f for f in self.page.frames if f.parent_frame is not None]
        assert len(frames) == 1, [f.url for f in self.page.frames]
        return frames[0]

    def url(self, path: str) -> str:
        return f"{self.site.base}{PROXY}{path}"

    def go(self, path: str) -> Any:
        """Open an app page inside the frame, as following a link there does."""
        response = self.frame.goto(self.url(path))
        assert response is not None and response.status == 200, f"{path} answered {response and response.status}"
        self.frame.wait_for_selector("main")
        return self.frame

    def app_path(self) -> str:
        """Where the frame is, as the app's path (with the query and fragment)."""
        parts = urlsplit(self.frame.url)
        assert parts.path.startswith(PROXY), self.frame.url
        return (parts.path[len(PROXY):] + (f"?{parts.query}" if parts.query else "")
                + (f"#{parts.fragment}" if parts.fragment else ""))

    def submit(self, click: str, lands_on: str) -> Any:
        """Click a form's submit button and wait until the browser is at ``lands_on`` (a regex
        over the app path): the answer to the POST must move it on by itself."""
        pattern = re.compile(re.escape(self.site.base + PROXY) + lands_on)
        frame = self.frame
        frame.evaluate("window.__beforeSubmit = true")  # gone once a new document is shown
        frame.click(click)
        deadline = time.monotonic() + 15
        while True:
            # Ask the page itself: the sync API's frame.url only updates while Playwright is called.
            try:
                state = frame.evaluate(
                    "({url: location.href, fresh: !window.__beforeSubmit && document.readyState === 'complete'"
                    " && !document.querySelector('[data-continue]') && !!document.querySelector('main')})")
            except sync_api.Error:  # the document changed while we asked
                state = {"url": "", "fresh": False}
            if state["fresh"] and pattern.fullmatch(state["url"]):
                return frame
            assert time.monotonic() < deadline, (f"still at {frame.url}, expected {lands_on}: "
                                                 f"{frame.inner_text('main')[:600]}")
            time.sleep(0.05)

    def violations(self) -> list[str]:
        # A resource that failed to load (a stylesheet, a script) shows here too.
        found = [m for m in self.console if "Content Security Policy" in m or "Content-Security-Policy" in m
                 or "Failed to load resource" in m]
        for frame in self.page.frames:
            try:
                found += frame.evaluate("window.__cspViolations || []")
            except sync_api.Error:  # a frame that navigated away meanwhile
                continue
        return found

    def assert_healthy(self) -> None:
        """What a person would notice: a blocked resource, a page without its styles, a link that
        leads nowhere."""
        frame = self.frame
        assert not self.violations(), self.violations()
        styled = frame.evaluate("""() => ({
            theming: getComputedStyle(document.documentElement).getPropertyValue('--color-main-background').trim(),
            app: getComputedStyle(document.querySelector('.skip-link') || document.body).left,
        })""")
        assert styled["theming"], "Nextcloud's theming CSS did not apply"
        assert styled["app"] == "-9999px", "nc_coop's app.css did not apply"
        self.assert_links_work()

    def links(self) -> list[str]:
        hrefs = self.frame.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        own = {h.split("#")[0] for h in hrefs if h.startswith(self.site.base)}
        return sorted(own)

    def assert_links_work(self) -> None:
        request = self.page.context.request
        for href in self.links():
            status = request.get(href, max_redirects=0).status
            assert status == 200, f"{href} answered {status} on {self.frame.url}"

    def reload(self) -> None:
        """Reload the frame's page and wait for the new document (not the old one still showing)."""
        frame = self.frame
        frame.evaluate("window.__beforeReload = true; location.reload()")
        deadline = time.monotonic() + 15
        while True:
            try:  # asked in the page (a predicate string for wait_for_function would need 'unsafe-eval')
                if frame.evaluate("!window.__beforeReload && document.readyState === 'complete'"
                                  " && !!document.querySelector('main')"):
                    return
            except sync_api.Error:  # the document changed while we asked
                pass
            assert time.monotonic() < deadline, f"{self.app_path()} did not reload"
            time.sleep(0.05)

    def settle(self) -> None:
        """Wait until the background jobs a form started have finished and the page shows it
        (job-progress.js reloads a page that was answered while its job ran)."""
        self.site.app.extensions["nc_coop.quota.runner"].wait(30)
        self.site.app.extensions["nc_coop.ldapsync"].wait(30)
        if self.frame.query_selector("[data-job-progress]") is not None:
            self.frame.wait_for_selector("[data-job-progress][data-running='0']", state="attached")
        self.frame.wait_for_load_state("load")
        self.frame.wait_for_selector("main")

    def send(self, click: str, lands_on: str, *, says: Iterable[str] = (), grew: Iterable[str] = (),
             background: bool = False) -> dict[str, int]:
        """Click a form's button; the browser must arrive at ``lands_on`` (a regex over the app path
        with its query) by itself, show ``says``, have written into every table of ``grew``, be
        intact, and write nothing more on a reload. Returns the row counts after the step."""
        before = self.site.rows()
        self.submit(click, lands_on)  # waits for a new document at lands_on, even if it is the same page
        return self.landed(lands_on, before, says=says, grew=grew, background=background)

    def landed(self, lands_on: str, before: dict[str, int], *, says: Iterable[str] = (),
               grew: Iterable[str] = (), background: bool = False) -> dict[str, int]:
        """The checks of ``send`` once the browser has arrived."""
        if background:
            self.settle()
        assert re.fullmatch(lands_on, self.app_path()), f"the form left the browser at {self.app_path()}"
        text = self.frame.inner_text("main")
        for expected in says:
            assert expected in text, f"{expected!r} is not on {self.app_path()}:\n{text}"
        after = self.site.rows()
        for table in grew:
            assert after[table] > before[table], f"nothing was written to {table}"
        self.assert_healthy()
        # Following the links may write (a download is audited): count after that.
        at, settled, history = self.app_path(), self.site.rows(), self.frame.evaluate("history.length")
        self.reload()
        if background:
            self.settle()
        assert self.app_path() == at
        assert self.frame.evaluate("history.length") == history
        assert self.site.rows() == settled, "reloading the page wrote again"
        return settled

    def close(self) -> None:
        self.page.context.close()


def open_in_nextcloud(browser: Any, site: Site, user: str, *, language: str | None = None,
                      color_scheme: str = "light", width: int = 1280) -> InNextcloud:
    """Log in at the stand-in's login page (its language is the user's Nextcloud language) and
    arrive, as Nextcloud does after login, at the top-menu page with nc_coop in its frame."""
    if language is not None:
        site.standin.state.users[user].language = language
    context = browser.new_context(color_scheme=color_scheme, viewport={"width": width, "height": 900},
                                  accept_downloads=True)
    context.add_init_script(CSP_WATCH)
    page = context.new_page()
    page.set_default_timeout(15_000)
    person = InNextcloud(site, page)
    page.on("console", lambda message: person.console.append(message.text))
    page.goto(f"{site.base}/index.php/login")
    page.click(f"button[value='{user}']")
    page.wait_for_url(re.compile(re.escape(TOP_MENU)))
    page.wait_for_selector("iframe")
    person.frame.wait_for_selector("main")
    return person

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Every page a member, a representative, an applicant and the board use, inside Nextcloud's
top-menu frame: no CSP violation, Nextcloud's theming and our stylesheet applied, every link on
it answers 200. Each person once in English on a light desktop and once in German on a dark
390-px phone, where the navigation must stay usable."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from nc_coop.documents.models import GovernanceDocument
from tests.browser.conftest import InNextcloud, Site, open_in_nextcloud

VARIANTS = [pytest.param("en", "light", 1280, id="en-light-desktop"),
            pytest.param("de", "dark", 390, id="de-dark-phone")]
HEADINGS = {"en": "My membership", "de": "Meine Mitgliedschaft"}


def pages_of(site: Site, who: str) -> list[str]:
    if who == "alice":
        return ["/", "/documents", "/requests", "/requests/shares", "/requests/notice", "/requests/transfer",
                f"/requests/contact?membership_id={site.membership('alice')}", "/quota"]
    if who == "felix.schaefer":  # represents the TSV
        return ["/", "/requests", f"/requests/contact?membership_id={site.membership('tsv')}", "/quota",
                f"/quota/organisations/{site.world.parties['tsv']}"]
    if who == "carol":  # not a member yet
        return ["/", "/requests", "/requests/join"]
    with Session(site.engine) as session:
        document = session.scalars(select(GovernanceDocument.id)).first()
    return ["/admin/", "/admin/members", f"/admin/members/{site.membership('alice')}",
            f"/admin/members/{site.membership('tsv')}", "/admin/members/new", "/admin/requests",
            "/admin/documents", f"/admin/documents/{document}", "/admin/quota", "/admin/quota/policy",
            "/admin/ldap", "/admin/settlements", "/", "/documents", "/requests"]


def check_layout(person: InNextcloud, scheme: str, width: int) -> None:
    frame = person.frame
    background = frame.evaluate("getComputedStyle(document.body).backgroundColor")
    channels = [int(c) for c in background[background.index("(") + 1:background.index(")")].split(",")[:3]]
    assert (sum(channels) / 3 < 100) is (scheme == "dark"), f"{background} on a {scheme} theme"
    if width < 500:
        layout = frame.evaluate("""() => ({
            overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
            links: Array.from(document.querySelectorAll('.app-nav a')).map(a => {
                const box = a.getBoundingClientRect();
                return {text: a.textContent, left: box.left, right: box.right, height: box.height};
            }),
            width: window.innerWidth,
            widest: Array.from(document.querySelectorAll('body *'))
                .filter(e => e.getBoundingClientRect().right > window.innerWidth)
                .slice(0, 3).map(e => e.tagName + '.' + e.className),
        })""")
        assert layout["overflow"] <= 0, (f"{person.app_path()} scrolls sideways by {layout['overflow']}px: "
                                         f"{layout['widest']}")
        for link in layout["links"]:
            assert 0 <= link["left"] and link["right"] <= layout["width"] and link["height"] >= 24, link


@pytest.mark.parametrize(("language", "scheme", "width"), VARIANTS)
@pytest.mark.parametrize("who", ["alice", "felix.schaefer", "carol", "bea"])
def test_every_page_works_inside_nextclouds_frame(site: Site, browser: Any, who: str, language: str, scheme: str,
                                                  width: int) -> None:
    person = open_in_nextcloud(browser, site, who, language=language, color_scheme=scheme, width=width)
    try:
        assert person.frame.get_attribute("html", "lang") == language
        for path in pages_of(site, who):
            person.go(path)
            assert person.app_path() == path
            person.assert_healthy()
            check_layout(person, scheme, width)
    finally:
        person.close()


def test_the_top_menu_page_shows_the_app_in_its_frame(site: Site, browser: Any) -> None:
    person = open_in_nextcloud(browser, site, "alice", language="en")
    try:
        assert person.frame.url == f"{site.base}/index.php/apps/app_api/proxy/nc_coop/"
        assert person.frame.inner_text("h1") == HEADINGS["en"]
        person.assert_healthy()
        box = person.page.eval_on_selector("iframe", "f => f.getBoundingClientRect().height")
        assert box > 400  # fills the page below Nextcloud's header, not the browser's 150px default
    finally:
        person.close()

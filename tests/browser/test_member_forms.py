# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Every form a member, a representative and an applicant send, in Chromium, inside Nextcloud's
top-menu frame, behind a proxy that follows redirects on the server (as Nextcloud 34's does).

After each form the browser must be at the page the app moved it to (not at the POST's URL),
that page must be whole (no CSP violation, styles applied, every link answers 200), the form
must have written its row, and a reload must write nothing more."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from nc_coop.db import get_db
from nc_coop.documents import demo as documents_demo
from nc_coop.documents.services import Actor, publish
from nc_coop.register.services import book_capital
from nc_coop.standin.dav import put_file
from tests.browser.conftest import Site, open_in_nextcloud
from tests.register.conftest import OFFICE


@pytest.fixture(scope="module")
def paid_up(site: Site) -> Site:
    """alice's and jonas's shares are paid (further shares need that), and one document asks
    members to confirm that they have read it."""
    with Session(site.engine) as session:
        for key in ("alice", "jonas"):
            book_capital(session, OFFICE, membership_id=site.membership(key), kind="deposit",
                         amount_cents=30_000, value_date=date(2024, 2, 1))
        session.commit()
    put_file(site.standin.state, documents_demo.READER, f"{documents_demo.FOLDER}/Lagebericht-Test.pdf",
             b"%PDF-1.4\n% a management report to confirm\n%%EOF\n")
    with site.app.app_context(), get_db().transaction() as session:
        publish(session, Actor("office", None), site.app.extensions["nc_coop.gateway"],
                site.app.extensions["nc_coop.documents"],
                {"path": "Lagebericht-Test.pdf", "category": "management_report", "title": "Lagebericht 2025",
                 "audience": "members", "requires_confirmation": True, "fiscal_year": 2025})
    return site


def test_a_member_sends_every_request_in_english(paid_up: Site, browser: Any) -> None:
    site = paid_up
    alice = open_in_nextcloud(browser, site, "alice", language="en")
    try:
        alice.go("/requests")
        alice.frame.click("text=Further shares")
        alice.frame.fill("#f-shares", "1")
        for box in alice.frame.query_selector_all("fieldset.statements input[type=checkbox]"):
            box.check()
        alice.send("button[type=submit]", r"/requests\?sent=shares",
                   says=["Your request was sent"], grew=["member_request"])

        alice.frame.click("text=Transfer")
        alice.frame.fill("#f-to_member_no", "2")
        alice.frame.fill("#f-shares", "1")
        alice.frame.fill("#f-amount", "100")
        alice.send("button[type=submit]", r"/requests\?sent=transfer",
                   says=["Your transfer offer was recorded"], grew=["member_request"])

        alice.frame.click("text=Give notice")
        alice.frame.click("text=Show the dates")  # a preview: served at the POST's URL, and whole there
        alice.frame.wait_for_selector("#f-confirm")
        alice.assert_healthy()
        alice.frame.check("#f-confirm")
        alice.send("text=Send notice", r"/requests\?sent=notice",
                   says=["Your request was sent"], grew=["member_request"])

        alice.frame.click("text=Contact data")
        alice.frame.fill("#f-postal_address", "Neue Straße 1\n12345 Musterstadt")
        alice.send("button[type=submit]", r"/requests/contact\?membership_id=\d+&saved=1",
                   says=["The change is in the member register"], grew=["audit_event"])

        alice.go("/quota")
        alice.frame.fill("#f-amount", "20 GB")
        alice.frame.fill("#f-reason", "Photos of the club's archive")
        alice.send("button[type=submit]", r"/quota\?sent=1",
                   says=["Your request has been sent"], grew=["quota_request"])

        alice.go("/documents")
        alice.send(".document form button[type=submit]", r"/documents\?confirmed=1#document-\d+",
                   says=["your confirmation was recorded"], grew=["document_confirmation"])
    finally:
        alice.close()


def test_the_receiving_member_agrees_to_a_transfer_in_german(paid_up: Site, browser: Any) -> None:
    site = paid_up
    alice = open_in_nextcloud(browser, site, "alice", language="en")
    try:
        alice.go(f"/requests/transfer?membership_id={site.membership('alice')}")
        alice.frame.fill("#f-to_member_no", "2")
        alice.frame.fill("#f-shares", "1")
        alice.frame.fill("#f-amount", "100")
        alice.submit("button[type=submit]", r"/requests\?sent=transfer")
    finally:
        alice.close()
    jonas = open_in_nextcloud(browser, site, "jonas.mueller", language="de")
    try:
        jonas.go("/requests")
        jonas.send("button[name=consent][value='1']", r"/requests\?done=consent",
                   says=["Sie haben der Übertragung zugestimmt"], grew=["audit_event"])
    finally:
        jonas.close()


def test_an_applicant_applies_in_german(site: Site, browser: Any) -> None:
    carol = open_in_nextcloud(browser, site, "carol", language="de", color_scheme="dark")
    try:
        carol.go("/requests")
        carol.frame.click("text=Mitgliedschaft beantragen")
        carol.frame.fill("#f-given_names", "Carol")
        carol.frame.fill("#f-family_name", "Neu")
        carol.frame.fill("#f-postal_address", "Ringstraße 3\n12345 Musterstadt")
        carol.frame.fill("#f-email", "carol@example.org")
        carol.frame.fill("#f-shares", "1")
        for box in carol.frame.query_selector_all("fieldset.statements input[type=checkbox]"):
            box.check()
        carol.send("button[type=submit]", r"/requests\?sent=join",
                   says=["Ihr Antrag wurde abgesandt"], grew=["member_request"])
    finally:
        carol.close()


def test_a_representative_keeps_the_organisations_data(site: Site, browser: Any) -> None:
    tsv = site.membership("tsv")
    felix = open_in_nextcloud(browser, site, "felix.schaefer", language="en", width=390)
    try:
        felix.go(f"/requests/contact?membership_id={tsv}")
        felix.frame.fill("#f-postal_address", "Sportplatz 1\n12345 Musterstadt")
        felix.send("button:has-text('Save')", rf"/requests/contact\?membership_id={tsv}&saved=1",
                   says=["The change is in the member register"], grew=["audit_event"])

        felix.frame.fill("#f-rep-given_names", "Sophie")
        felix.frame.fill("#f-rep-family_name", "Fischer")
        felix.frame.fill("#f-rep-effective_date", datetime.now(ZoneInfo("Europe/Berlin")).date().isoformat())
        felix.send("button:has-text('Appoint')", rf"/requests/contact\?membership_id={tsv}&saved=1#?.*",
                   says=["Sophie Fischer"], grew=["representation_event"])

        row = felix.frame.locator("tr", has_text="Sophie Fischer")
        row.locator("input[type=date]").fill((datetime.now(ZoneInfo("Europe/Berlin")).date() + timedelta(days=30)).isoformat())
        felix.send("tr:has-text('Sophie Fischer') >> button[type=submit]", rf"/requests/contact\?membership_id={tsv}&saved=1#?.*",
                   says=["Sophie Fischer"], grew=["representation_event"])
    finally:
        felix.close()


def test_forms_work_the_same_behind_a_proxy_that_passes_redirects_on(site: Site, browser: Any) -> None:
    """HaRP and a plain reverse proxy do not follow redirects (APPAPI.md §3.4): the browser gets
    the app's answer as it is, and must end up at the same page."""
    site.standin.state.proxy_follows_redirects = False
    alice = open_in_nextcloud(browser, site, "alice", language="de", color_scheme="dark")
    try:
        alice.go(f"/requests/contact?membership_id={site.membership('alice')}")
        alice.frame.fill("#f-postal_address", "Hinterhof 2\n12345 Musterstadt")
        alice.send("button[type=submit]", r"/requests/contact\?membership_id=\d+&saved=1",
                   says=["Die Änderung ist in der Mitgliederliste eingetragen"], grew=["audit_event"])
    finally:
        site.standin.state.proxy_follows_redirects = True
        alice.close()

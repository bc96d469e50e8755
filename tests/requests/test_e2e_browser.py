# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""End to end in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright):
nc_coop served over HTTP behind the Nextcloud stand-in, users logged in through its login page,
everything clicked as a member and an admin would; the letters are read back from the PDFs.

Skipped when Chromium is not installed, unless NC_COOP_REQUIRE_CHROMIUM=1 (CI), where a missing
browser fails instead."""
from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from flask import Flask
from pypdf import PdfReader
from sqlalchemy.orm import Session

from nc_coop import create_app
from nc_coop.register.models import Account
from nc_coop.register.rules import notice_effective_date, settlement_due_date
from nc_coop.register.services import admit_member, book_capital
from nc_coop.register.statute import Nachschuss
from nc_coop.register.statutes import add_statute_version
from nc_coop.standin import NextcloudStandIn
from nc_coop.standin.state import default_users
from tests.migrated import migrate_for_test
from tests.conftest import app_config, get_db_engine, serve_live
from tests.register.conftest import OFFICE, STATUTE, make_party
from tests.requests.conftest import PEOPLE

# Debian's Chromium through Playwright, skipped (or, in CI, failed) as the browser suite is.
from tests.browser.conftest import ARGS, CHROMIUM, PROXY, sync_api  # noqa: E402
BERLIN = ZoneInfo("Europe/Berlin")  # NC_COOP_TIME_ZONE's default
# Nachschuss limited to a Haftsumme and a two-year period: three statements to highlight (§15a).
PARAMS = replace(STATUTE, nachschuss=Nachschuss.HAFTSUMME, haftsumme_per_share_cents=5_000)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, Flask, NextcloudStandIn]]:
    """The stand-in at its URL with nc_coop behind its proxy; alice is a member with 2 paid shares."""
    standin = NextcloudStandIn(users=[*default_users(), *PEOPLE]).start()
    app = create_app(app_config(f"sqlite:///{tmp_path / 'e2e.sqlite3'}", standin, tmp_path))
    engine = get_db_engine(app)
    migrate_for_test(engine)
    with Session(engine) as s:
        add_statute_version(s, actor="office", version=1, adopted_at=date(2019, 5, 1), registered_at=date(2019, 7, 1),
                            params=PARAMS)
        party = make_party(s, "natural", "Alice Normal")
        membership = admit_member(s, OFFICE, party_id=party.id, admitted_on=date(2024, 1, 10), shares=2)
        book_capital(s, OFFICE, membership_id=membership.id, kind="deposit", amount_cents=20_000,
                     value_date=date(2024, 1, 20))
        s.add(Account(nextcloud_user_id="alice", party_id=party.id, role="self", created_at=datetime.now(UTC)))
        s.commit()
    try:
        with serve_live(app, standin):
            standin.state.exapp.enabled = True
            yield standin.url, app, standin
    finally:
        standin.stop()
        engine.dispose()


@pytest.fixture
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def login(browser: Any, base: str, user: str) -> Any:
    """A browser context logged in through the stand-in's login page (as a user clicks it)."""
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base}/index.php/login")
    # The login answers with a redirect back to the same URL here (no top-menu entry without a
    # deployment), so wait for that navigation itself: a goto started earlier would abort it.
    with page.expect_navigation():
        page.click(f"button[value='{user}']")
    assert any(c["name"] == "nc_standin_session" for c in context.cookies())
    return page


def pdf_text(page: Any, link_text: str) -> str:
    with page.expect_download() as download:
        page.click(f"text={link_text}")
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(b"%PDF-")
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def _medium(day: date) -> str:
    return format_date(day, "medium", locale="en")


def test_a_member_subscribes_shares_and_gives_notice_and_the_board_admits_and_confirms(
        site: tuple[str, Flask, NextcloudStandIn], browser: Any) -> None:
    base, _, standin = site
    today = datetime.now(BERLIN).date()
    effective = notice_effective_date(today, PARAMS)
    due = settlement_due_date(effective, PARAMS)

    member = login(browser, base, "alice")
    member.goto(f"{base}{PROXY}/requests")
    member.click("text=Further shares")
    statements = member.locator("fieldset.statements")
    assert "Nachschusspflicht" in statements.inner_text() and "24 months" in statements.inner_text()
    member.fill("#f-shares", "1")
    member.click("button[type=submit]")  # nothing ticked: refused at the statements
    assert member.locator("#e-ack_payment").is_visible()
    for key in ("payment", "nachschuss", "notice_period"):
        member.check(f"#f-ack_{key}")
    member.click("button[type=submit]")
    member.wait_for_url(re.compile(r".*/requests\?sent=shares$"))  # the answer moves the browser on
    assert "Your request was sent" in member.inner_text("main")

    member.click("text=Give notice")
    # The dates of a notice sent today are on the page before anything is sent ...
    assert _medium(effective) in member.inner_text("main") and _medium(due) in member.inner_text("main")
    member.click("text=Show the dates")
    preview = member.inner_text(".notice-preview")
    assert f"Your membership ends on {_medium(effective)}" in preview and _medium(due) in preview
    member.check("#f-confirm")
    member.click("text=Send notice")
    member.wait_for_url(re.compile(r".*/requests\?sent=notice$"))
    assert "Your request was sent" in member.inner_text("main")
    assert member.locator(".request-status--submitted").count() == 2

    board = login(browser, base, "admin")
    board.goto(f"{base}{PROXY}/admin/requests?status=submitted")
    board.click("table a:has-text(\"Further shares (§15b)\")")
    board.click("button[value=approve]")
    board.wait_for_url(re.compile(r".*/admin/requests/\d+\?decided=1$"))
    assert "The member was notified in Nextcloud." in board.inner_text("main")
    letter = pdf_text(board, "Confirmation letter (PDF)")
    assert "Confirmation of further shares" in letter and "Alice Normal" in letter
    assert "Member number" in letter and re.search(r"Shares held\s*3", letter), letter
    board.goto(f"{base}{PROXY}/admin/requests?kind=notice")
    board.click("table a:has-text(\"Notice (§65, §67b)\")")
    board.click("button[value=approve]")
    board.wait_for_url(re.compile(r".*/admin/requests/\d+\?decided=1$"))
    letter = pdf_text(board, "Confirmation letter (PDF)")
    assert "Confirmation of your notice" in letter and "Alice Normal" in letter
    assert format_date(effective, "long", locale="en") in letter and format_date(due, "long", locale="en") in letter

    # The member sees both done, was notified, and reads the notice letter in German.
    member.goto(f"{base}{PROXY}/requests")
    assert member.locator(".request-status--approved").count() == 2
    assert {n["subject_params"]["rich_subject"] for n in standin.state.notifications if n["user"] == "alice"} == {
        "Your further shares were admitted", "Your notice was confirmed"}
    notice_row = member.locator("tr", has_text="Notice (§65, §67b)")
    href = notice_row.locator("a", has_text="Confirmation (PDF)").get_attribute("href")
    with member.expect_download() as download:
        member.evaluate("href => { const a = document.createElement('a'); a.href = href + '?lang=de'; "
                        "a.download = ''; document.body.appendChild(a); a.click(); }", href)
    german = "\n".join(p.extract_text() for p in PdfReader(download.value.path()).pages)
    assert "Alice Normal" in german and format_date(effective, "long", locale="de") in german
    assert "Mitgliedsnummer" in german


def test_an_applicant_joins_and_the_board_admits_them(site: tuple[str, Flask, NextcloudStandIn],
                                                      browser: Any) -> None:
    base, _, _ = site
    applicant = login(browser, base, "carol")
    applicant.goto(f"{base}{PROXY}/requests")
    applicant.click("text=Apply for membership")
    applicant.fill("#f-given_names", "Łukasz")
    applicant.fill("#f-family_name", "Żółć")
    applicant.fill("#f-postal_address", "Ærøvej 7\n5970 Ærøskøbing")
    applicant.fill("#f-email", "lukasz@example.org")
    applicant.fill("#f-shares", "2")
    for key in ("statute", "payment", "nachschuss", "notice_period"):
        applicant.check(f"#f-ack_{key}")
    applicant.click("text=Send my declaration")
    applicant.wait_for_url(re.compile(r".*/requests\?sent=join$"))
    assert "Your request was sent" in applicant.inner_text("main")

    board = login(browser, base, "admin")
    board.goto(f"{base}{PROXY}/admin/requests?kind=join")
    board.click("table a:has-text(\"Membership application (§15)\")")
    assert "Ærøvej 7" in board.inner_text("main")
    board.click("button[value=approve]")
    board.wait_for_url(re.compile(r".*/admin/requests/\d+\?decided=1$"))
    letter = pdf_text(board, "Confirmation letter (PDF)")
    today = datetime.now(BERLIN).date()
    assert "Łukasz Żółć" in letter and "Ærøskøbing" in letter and "member number 2" in letter
    assert format_date(today, "long", locale="en") in letter

    applicant.goto(f"{base}{PROXY}/")
    assert "Łukasz Żółć" in applicant.inner_text("main")  # the register's page now shows the membership

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""A general assembly in Chromium, inside Nextcloud's top-menu frame, in both languages: the
board (German) creates and convenes it, alice (English) authorises jonas as her proxy and demands
an agenda item (§45 GenG), jonas (German) supports the demand with one click, votes for her and for himself and sees each receipt once, anna (English) votes, the
board closes voting, the results show and the minutes PDF downloads."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nc_coop.register.models import Account
from tests.browser.conftest import Site, open_in_nextcloud


def _login(site: Site, key: str) -> str:
    with Session(site.engine) as session:
        return session.scalars(select(Account.nextcloud_user_id).where(
            Account.party_id == site.world.parties[key], Account.role == "self")).first()


def test_an_assembly_from_convening_to_minutes(site: Site, browser: Any) -> None:
    held_on = (date.today() + timedelta(days=30)).isoformat()
    jonas, anna = _login(site, "jonas"), _login(site, "anna")
    board = open_in_nextcloud(browser, site, "bea", language="de")
    try:
        board.go("/admin/assemblies")
        board.frame.fill("#f-title", "Ordentliche GV")
        board.frame.fill("#f-held_on", held_on)
        board.frame.fill("#f-place", "Vereinsheim")
        board.send("text=Entwurf anlegen", r"/admin/assemblies/\d+\?done=created", says=["Der Entwurf wurde angelegt."],
                   grew=["assembly"])
        detail = board.app_path().split("?")[0]
        board.frame.click("text=Tagesordnungspunkt hinzufügen")
        board.frame.fill("#f-item-title", "Entlastung des Vorstands")
        board.send("form[action$='/items'] button[type=submit]", r".*done=item#agenda", grew=["assembly_item"])
        board.send("#convene-button", r".*done=convened#convene", says=["Die Versammlung ist einberufen."],
                   grew=["assembly_invitation"])
        aid = int(detail.rsplit("/", 1)[1])

        alice = open_in_nextcloud(browser, site, "alice", language="en", width=390)
        try:
            alice.go("/assemblies")
            alice.frame.click("text=Ordentliche GV")
            alice.frame.fill("#f-proxy_member_no", "2")
            alice.frame.check("#f-declare")
            alice.send("text=Authorise the proxy", rf"/assemblies/{aid}\?done=proxy#proxy",
                       says=["Your proxy is authorised", "Jonas"], grew=["assembly_proxy"])
            alice.frame.click("text=Demand an agenda item")  # §45 GenG: a demand with its reasons
            alice.frame.fill("#f-demand-title", "Satzung §12 ändern")
            alice.frame.fill("#f-demand-reasoning", "Die Beitragsordnung ist veraltet.")
            alice.send("#file-demand", rf"/assemblies/{aid}\?done=demand#agenda-request",
                       says=["Your demand is filed", "Satzung §12 ändern"],
                       grew=["assembly_agenda_demand", "assembly_agenda_support"])
        finally:
            alice.close()

        supporter = open_in_nextcloud(browser, site, jonas, language="de")
        try:
            supporter.go(f"/assemblies/{aid}")
            button = supporter.frame.locator("form[action$='/support'] button").first
            button.focus()  # keyboard: a plain button in the tab order
            assert supporter.frame.evaluate("document.activeElement.tagName") == "BUTTON"
            supporter.send("form[action$='/support'] button", rf"/assemblies/{aid}\?done=supported#demand-\d+",
                           says=["Sie unterstützen den Antrag", "zurückziehen"], grew=["assembly_agenda_support"])
        finally:
            supporter.close()

        board.go(detail)  # two supporters reach the tenth: the board puts the demand on the agenda
        board.send("[id^=add-demand-]", r".*done=demand_added#demand-\d+", says=["Der Antrag steht auf der Tagesordnung."],
                   grew=["assembly_item"])
        board.send("#open-voting", r".*done=voting#state", says=["eingefroren"], grew=["assembly_voter"])

        proxy = open_in_nextcloud(browser, site, jonas, language="de", color_scheme="dark")
        try:
            for member_no in ("7", "2"):
                proxy.go(f"/assemblies/{aid}/ballot")
                form = proxy.frame.locator(f"form:has(#cast-{site.membership('alice' if member_no == '7' else 'jonas')})")
                for choice in form.locator("input[value='yes']").all():  # the agenda item and the members' demand
                    choice.check()
                proxy.submit(f"#cast-{site.membership('alice' if member_no == '7' else 'jonas')}",
                             rf"/assemblies/{aid}/ballot")
                assert "Ihre Quittung" in proxy.frame.inner_text("main")
                assert len(proxy.frame.inner_text("#receipt-code")) >= 16
                proxy.assert_healthy()
            proxy.go(f"/assemblies/{aid}/ballot")
            assert proxy.frame.query_selector("#receipt-code") is None  # shown once
        finally:
            proxy.close()

        voter = open_in_nextcloud(browser, site, anna, language="en")
        try:
            voter.go(f"/assemblies/{aid}/ballot")
            voter.frame.locator("input[value='no']").first.focus()  # keyboard: plain radio inputs
            voter.page.keyboard.press("Space")
            assert voter.frame.locator("input[value='no']").first.is_checked()
            voter.submit("button[type=submit]", rf"/assemblies/{aid}/ballot")
            assert "Your votes were cast" in voter.frame.inner_text("main")
        finally:
            voter.close()

        board.go(detail)
        board.send("#close-voting", r".*done=closed#state", says=["Angenommen", "Teilnehmerverzeichnis"],
                   grew=["assembly_ballot"])
        with board.page.expect_download() as download:
            board.frame.click("#minutes-pdf")
        with open(download.value.path(), "rb") as pdf:
            assert pdf.read(5) == b"%PDF-"
    finally:
        board.close()

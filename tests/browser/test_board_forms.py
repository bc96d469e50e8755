# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Every form the board uses, filled in and sent in a real Chromium inside Nextcloud's top-menu
frame, behind a proxy that follows redirects on the server and blocks everything a response does
not allow itself (tests/browser/conftest.py).

Each step opens the page, fills the fields as a person does, sends the form and checks what the
person then sees: the browser is at the page the form leads to (never at the POST's URL), the
page says what happened, it is intact (no CSP violation, styles applied, every link answers 200),
something was written, and reloading the page writes nothing again.

bea works in German on a light theme, admin in English on a dark one. The steps share the
module's site and build on one another in file order (the policy before the pool, the pool
before the allocation), as the board's work does; each checks what its own form changed.
"""
from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from nc_coop.audit.models import AuditEvent
from nc_coop.documents import demo as documents_demo
from nc_coop.documents.models import GovernanceDocument
from nc_coop.documents.queries import all_documents
from nc_coop.quota.models import QuotaChange, QuotaOverride, QuotaRequest
from nc_coop.register.models import Account
from nc_coop.requests.models import MemberRequest
from nc_coop.standin.dav import put_file
from tests.browser.conftest import InNextcloud, Site, open_in_nextcloud
from tests.quota.conftest import GB
from tests.requests.conftest import post

BERLIN = ZoneInfo("Europe/Berlin")  # NC_COOP_TIME_ZONE's default: the app's "today"


def today() -> date:
    return datetime.now(BERLIN).date()


@pytest.fixture(scope="module")
def bea(site: Site, browser: Any) -> Iterator[InNextcloud]:
    person = open_in_nextcloud(browser, site, "bea", language="de")
    assert person.frame.get_attribute("html", "lang") == "de"
    yield person
    person.close()


@pytest.fixture(scope="module")
def admin(site: Site, browser: Any) -> Iterator[InNextcloud]:
    person = open_in_nextcloud(browser, site, "admin", language="en", color_scheme="dark")
    assert person.frame.get_attribute("html", "lang") == "en"
    yield person
    person.close()


# --- The steps ----------------------------------------------------------------------------------------

@contextmanager
def directory_stalled(site: Site) -> Iterator[None]:
    """Hold this site's own slapd (started by the fixture) so that a job that writes to or reads
    from it is still running when its page is shown."""
    os.kill(site.world.directory.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(site.world.directory.pid, signal.SIGCONT)


def as_member(site: Site, user: str, path: str, data: dict[str, str]) -> None:
    """What a member sends from their own pages (through the app's views, with their CSRF token)."""
    answer = post(site.app, site.app.test_client(), path, user, data)
    assert answer.status_code == 200 and answer.headers.get("X-NC-Coop-Continue"), answer.get_data(as_text=True)


def newest(site: Site, column: Any, *where: Any) -> int:
    with Session(site.engine) as session:
        found = session.scalars(select(column).where(*where).order_by(column.desc()).limit(1)).first()
    assert found is not None
    return found


def standin_quota(site: Site, user: str) -> int:
    return site.standin.state.users[user].quota_bytes


def set_dates(person: InNextcloud, values: dict[str, date]) -> None:
    for selector, day in values.items():
        person.frame.fill(selector, day.isoformat())


# --- Requests -----------------------------------------------------------------------------------------

def test_bea_confirms_a_members_notice(site: Site, bea: InNextcloud) -> None:
    alice = site.membership("alice")
    as_member(site, "alice", "/requests/notice", {"membership_id": str(alice), "scope": "all", "step": "send",
                                                  "confirm": "1"})
    rid = newest(site, MemberRequest.id, MemberRequest.submitted_by == "alice", MemberRequest.kind == "notice")
    bea.go(f"/admin/requests/{rid}")
    assert "Kündigung" in bea.frame.inner_text("h1")
    bea.send("button[value=approve]", rf"/admin/requests/{rid}\?decided=1",
         says=["Entschieden", "Das Mitglied wurde in Nextcloud benachrichtigt."],
         grew=["notice", "audit_event"])
    assert bea.frame.locator("button[value=approve]").count() == 0  # decided: no second decision
    told = [n["subject_params"]["rich_subject"] for n in site.standin.state.notifications if n["user"] == "alice"]
    assert "Your notice was confirmed" in told


def test_admin_rejects_an_application_and_notifies_again_once_nextcloud_knows_the_applicant(
        site: Site, admin: InNextcloud) -> None:
    as_member(site, "carol", "/requests/join", {
        "kind": "natural", "given_names": "Carol", "family_name": "Neu", "postal_address": "Am Markt 3, 04109 Leipzig",
        "email": "carol@example.org", "shares": "1", "ack_statute": "1", "ack_payment": "1",
        "ack_notice_period": "1", "ack_nachschuss": "1"})
    rid = newest(site, MemberRequest.id, MemberRequest.submitted_by == "carol", MemberRequest.kind == "join")
    carol = site.standin.state.users.pop("carol")  # Nextcloud does not know her for now: the notice fails
    try:
        admin.go(f"/admin/requests/{rid}")
        assert "Am Markt 3" in admin.frame.inner_text("main")
        admin.frame.fill("#f-reason", "No admissions this year")
        admin.send("button[value=reject]", rf"/admin/requests/{rid}\?decided=1",
             says=["Decided", "The member could not be notified yet.", "The member was not notified",
                   "No admissions this year"],
             grew=["audit_event"])
    finally:
        site.standin.state.users["carol"] = carol

    admin.go(f"/admin/requests/{rid}")
    admin.send("button:has-text('Notify again')", rf"/admin/requests/{rid}\?notified=1",
         says=["The member was notified in Nextcloud.", "deleted after the rejection was sent (§15 Abs. 2 GenG)"],
         grew=["audit_event"])  # the purge of her data (§15 Abs. 2 GenG) is audited
    text = admin.frame.inner_text("main")
    assert "The member was not notified" not in text and "Am Markt 3" not in text
    (told,) = [n for n in site.standin.state.notifications if n["user"] == "carol"]
    assert "No admissions this year" in told["subject_params"]["rich_message"]


# --- Register -----------------------------------------------------------------------------------------

def test_bea_admits_a_member(site: Site, bea: InNextcloud) -> None:
    bea.go("/admin/members/new")
    frame = bea.frame
    frame.select_option("#f-kind", "natural")
    frame.fill("#f-family_name", "Beispiel")
    frame.fill("#f-given_names", "Bob")
    frame.fill("#f-postal_address", "Lindenstraße 4\n04109 Leipzig")
    frame.fill("#f-email", "bob@example.org")
    set_dates(bea, {"#f-admitted_on": today()})
    frame.fill("#f-shares", "2")
    frame.select_option("#f-membership_kind", "regular")
    frame.fill("#f-nextcloud_user", "bob")
    frame.fill("#f-basis_document", "Beitrittserklärung vom 2. März")
    bea.send("button:has-text('Aufnehmen')", r"/admin/members/\d+\?admitted=1",
         says=["Das Mitglied wurde aufgenommen.", "Bob Beispiel", "Beitrittserklärung vom 2. März"],
         grew=["party", "membership", "share_entry", "account", "audit_event"])
    assert re.fullmatch(r"Mitglied Nr\. \d+", bea.frame.inner_text("h1"))


def test_bea_books_a_payment_on_shares(site: Site, bea: InNextcloud) -> None:
    anna = site.membership("anna")
    bea.go(f"/admin/members/{anna}")
    frame = bea.frame
    frame.select_option("#f-type", "deposit")
    set_dates(bea, {"#f-date": today()})
    frame.fill("#f-amount", "250,50")
    frame.fill("#f-reference", "Überweisung Sparkasse")
    bea.send("form.booking:has(#f-type) button[type=submit]", rf"/admin/members/{anna}\?booked=1",
         says=["Die Buchung wurde erfasst.", "250,50\xa0€"], grew=["capital_entry", "audit_event"])


def test_admin_books_a_payment_in_english(site: Site, admin: InNextcloud) -> None:
    jonas = site.membership("jonas")
    admin.go(f"/admin/members/{jonas}")
    frame = admin.frame
    frame.select_option("#f-type", "deposit")
    set_dates(admin, {"#f-date": today()})
    frame.fill("#f-amount", "300.00")
    frame.fill("#f-reference", "Bank transfer")
    admin.send("form.booking:has(#f-type) button[type=submit]", rf"/admin/members/{jonas}\?booked=1",
         says=["The booking was recorded."], grew=["capital_entry", "audit_event"])
    row = admin.frame.locator("table tr", has_text="Bank transfer")
    assert "Payment" in row.inner_text() and "€300.00" in row.inner_text()


def test_bea_appoints_a_representative_and_ends_the_appointment(site: Site, bea: InNextcloud) -> None:
    hoffmann = site.membership("hoffmann")
    bea.go(f"/admin/members/{hoffmann}")
    frame = bea.frame
    frame.select_option("#f-rep-role", "managing_director")
    set_dates(bea, {"#f-rep-effective_date": today() - timedelta(days=30)})
    frame.fill("#f-rep-given_names", "Marie")
    frame.fill("#f-rep-family_name", "Hoffmann")
    frame.fill("#f-rep-email", "marie@hoffmann-it.example")
    frame.fill("#f-rep-basis_document", "Handelsregisterauszug HRB 4711")
    bea.send("form.booking:has(#f-rep-role) button[type=submit]", rf"/admin/members/{hoffmann}\?appointed=1",
         says=["Die Änderung der Vertretung wurde gespeichert.", "Marie Hoffmann"],
         grew=["party", "representation_event", "audit_event"])
    row = bea.frame.locator("#representatives ~ table tr", has_text="Marie Hoffmann")
    assert "Geschäftsführ" in row.inner_text()

    bea.go(f"/admin/members/{hoffmann}")
    row = bea.frame.locator("#representatives ~ table tr", has_text="Marie Hoffmann")
    row.locator("input[type=date]").fill(today().isoformat())
    bea.send("#representatives ~ table tr:has-text('Marie Hoffmann') button",
         rf"/admin/members/{hoffmann}\?appointed=1",
         says=["Die Änderung der Vertretung wurde gespeichert."], grew=["representation_event", "audit_event"])
    row = bea.frame.locator("#representatives ~ table tr", has_text="Marie Hoffmann")
    assert row.locator("button").count() == 0  # ended: nothing left to end


def arrived(frame: Any) -> bool:
    """A new document has replaced the one a form was sent from (see InNextcloud.submit)."""
    try:
        return frame.evaluate("!window.__beforeSubmit && document.readyState === 'complete'"
                              " && !document.querySelector('[data-continue]') && !!document.querySelector('main')")
    except Exception:  # noqa: BLE001 - the document changed while we asked
        return False


def test_bea_confirms_a_link_the_ldap_sync_held_using_the_keyboard(site: Site, bea: InNextcloud) -> None:
    """A directory account linked by alice's member number but not alice (issue 13, point 4)."""
    alice = site.membership("alice")
    with Session(site.engine) as session, session.begin():
        held = Account(nextcloud_user_id="mallory", party_id=site.world.parties["alice"], role="self",
                       created_at=datetime.now(BERLIN), link_source="ldap_member_no", link_status="held",
                       link_note="name_and_email_differ")
        session.add(held)
        session.flush()
        held_id = held.id
    bea.go(f"/admin/members/{alice}")
    frame = bea.frame
    row = frame.locator("#links ~ table tr", has_text="mallory")
    assert "zur Prüfung zurückgehalten" in row.inner_text() and "über die Mitgliedsnummer" in row.inner_text()
    assert "Zur Prüfung zurückgehaltene Verknüpfungen" in frame.inner_text("main")
    before = site.rows()
    frame.evaluate("window.__beforeSubmit = true")
    row.get_by_role("button", name="Verknüpfung von mallory bestätigen").focus()
    bea.page.keyboard.press("Enter")  # as a keyboard user sends it
    lands_on = rf"/admin/members/{alice}\?link=confirm#links"
    deadline = time.monotonic() + 15
    while not arrived(frame):  # asked in the page: a wait_for_function predicate would need 'unsafe-eval'
        assert time.monotonic() < deadline, f"still at {frame.url}"
        time.sleep(0.05)
    bea.landed(lands_on, before, says=["Die Verknüpfung wurde bestätigt"], grew=["audit_event"])
    row = bea.frame.locator("#links ~ table tr", has_text="mallory")
    assert "bestätigt" in row.inner_text() and row.get_by_role("button", name="Verknüpfung von mallory bestätigen").count() == 0
    with Session(site.engine) as session:
        assert session.get(Account, held_id).link_status == "confirmed"
        assert session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(1)) == "account.link_confirmed"


# --- Quotas -------------------------------------------------------------------------------------------

def test_bea_reads_the_usage_from_nextcloud(site: Site, bea: InNextcloud) -> None:
    bea.go("/admin/quota")
    bea.send("button:has-text('Belegung aus Nextcloud lesen')", "/admin/quota",
         grew=["quota_user_state"], background=True)
    row = bea.frame.locator("table tr", has_text="jonas.mueller")
    assert "300 MB" in row.inner_text()  # what the stand-in reports for the LDAP users


def test_bea_previews_and_applies_a_quota_policy(site: Site, bea: InNextcloud) -> None:
    bea.go("/admin/quota/policy")
    frame = bea.frame
    frame.fill("[id='f-base-natural/regular']", "2 GB")
    frame.fill("[id='f-base-association/regular']", "10 GB")
    frame.fill("[id='f-base-legal_person/regular']", "20 GB")
    frame.fill("#f-per_share", "1 GB")
    frame.fill("#f-note", "Beschluss der GV vom 14. Juni 2025")
    before = site.rows()
    frame.click("button[value=preview]")
    frame.wait_for_selector("#preview")
    assert site.rows() == before  # a preview writes nothing
    assert "anna.schmidt" in frame.inner_text("main")
    before = site.rows()
    with directory_stalled(site):  # the LDAP users' quotas cannot be written yet: the page shows the run
        bea.submit("button[value=apply]", r"/admin/quota\?saved=1")
        progress = bea.frame.inner_text("#quota-progress")
        assert "Wird umgesetzt:" in progress and "erledigt" in progress, progress
        assert bea.frame.is_disabled("button:has-text('Jetzt umsetzen')")
    # job-progress.js follows the run and, once it is over, shows the page again by itself
    bea.settle()
    assert "0 Änderungen warten" in bea.frame.inner_text("#quota-progress")
    assert "umgesetzt" in bea.frame.locator("#changes ~ table tr", has_text="anna.schmidt").first.inner_text()
    bea.landed(r"/admin/quota\?saved=1", before, says=["Gespeichert. Die Änderungen werden umgesetzt."],
           grew=["quota_policy_version", "quota_change", "audit_event"], background=True)
    # anna: 2 GB as a person and 1 GB for each of her 3 shares, written to her LDAP entry
    assert site.world.ldap_quota("anna.schmidt") == str(5 * GB)


def test_admin_sets_a_users_quota_and_removes_it(site: Site, admin: InNextcloud) -> None:
    admin.go("/admin/quota")
    frame = admin.frame
    frame.fill("#f-u-user_id", "jonas.mueller")
    frame.fill("#f-u-amount", "7 GB")
    frame.fill("#f-u-reason", "Project archive")
    set_dates(admin, {"#f-u-until": today() + timedelta(days=90)})
    admin.send("form:has(#f-u-user_id) button[type=submit]", r"/admin/quota\?saved=1",
         says=["Saved. The changes are being applied.", "Project archive"],
         grew=["quota_override", "quota_change", "audit_event"], background=True)
    assert site.world.ldap_quota("jonas.mueller") == str(7 * GB)

    admin.go("/admin/quota")
    admin.send("#overrides ~ table tr:has-text('jonas.mueller') button", r"/admin/quota\?saved=1",
         says=["Saved. The changes are being applied."], grew=["quota_change", "audit_event"], background=True)
    assert admin.frame.locator("#overrides ~ table tr", has_text="jonas.mueller").count() == 0
    with Session(site.engine) as session:
        assert session.scalars(select(QuotaOverride.ended_at).where(
            QuotaOverride.nextcloud_user_id == "jonas.mueller")).one() is not None
    assert site.world.ldap_quota("jonas.mueller") == str(5 * GB)  # back to the policy's 2 GB + 3 shares


def test_bea_sets_an_organisations_pool_and_a_fixed_amount_in_it(site: Site, bea: InNextcloud) -> None:
    hoffmann = str(site.world.parties["hoffmann"])
    bea.go("/admin/quota")
    frame = bea.frame
    frame.select_option("#f-o-party_id", hoffmann)
    frame.fill("#f-o-amount", "40 GB")
    frame.fill("#f-o-reason", "Vertrag 2026")
    bea.send("form:has(#f-o-party_id) button[type=submit]", r"/admin/quota\?saved=1",
         says=["Gespeichert. Die Änderungen werden umgesetzt.", "Vertrag 2026"],
         grew=["quota_override", "quota_change", "audit_event"], background=True)
    assert site.world.ldap_quota("marie.hoffmann") == site.world.ldap_quota("lukas.becker") == str(20 * GB)

    bea.go("/admin/quota")
    frame.select_option("#f-a-party_id", hoffmann)
    frame.fill("#f-a-user_id", "marie.hoffmann")
    frame.fill("#f-a-amount", "30 GB")
    bea.send("form:has(#f-a-party_id) button[type=submit]", r"/admin/quota\?saved=1",
         says=["Gespeichert. Die Änderungen werden umgesetzt."],
         grew=["quota_allocation", "quota_change", "audit_event"], background=True)
    assert site.world.ldap_quota("marie.hoffmann") == str(30 * GB)
    assert site.world.ldap_quota("lukas.becker") == str(10 * GB)  # the rest of the pool


def test_bea_approves_a_request_for_more_storage(site: Site, bea: InNextcloud) -> None:
    as_member(site, "alice", "/quota/requests", {"amount": "12 GB", "reason": "Fotoarchiv des Chors"})
    rid = newest(site, QuotaRequest.id, QuotaRequest.requester == "alice")
    bea.go("/admin/quota")
    frame = bea.frame
    assert "Fotoarchiv des Chors" in frame.inner_text("#requests ~ form")
    frame.select_option(f"#f-r{rid}-decision", "approve")
    frame.fill(f"#f-r{rid}-note", "Für ein Jahr")
    set_dates(bea, {f"#f-r{rid}-until": today() + timedelta(days=365)})
    bea.send(f"form:has(#f-r{rid}-decision) button[type=submit]", r"/admin/quota\?saved=1",
         says=["Gespeichert. Die Änderungen werden umgesetzt.", "Keine offenen Anträge."],
         grew=["quota_override", "quota_change", "audit_event"], background=True)
    assert standin_quota(site, "alice") == 12 * GB  # a local user: written through the provisioning API
    told = [n["subject_params"]["rich_subject"] for n in site.standin.state.notifications if n["user"] == "alice"]
    assert "Your request for more storage was approved" in told


def test_bea_applies_a_refused_change_again_once_nextcloud_has_the_user(site: Site, bea: InNextcloud) -> None:
    alice = site.standin.state.users.pop("alice")  # e.g. being moved between backends: Nextcloud answers 404
    try:
        bea.go("/admin/quota")
        bea.frame.fill("#f-u-user_id", "alice")
        bea.frame.fill("#f-u-amount", "15 GB")
        bea.frame.fill("#f-u-reason", "Chorleitung")
        bea.send("form:has(#f-u-user_id) button[type=submit]", r"/admin/quota\?saved=1",
             grew=["quota_override", "quota_change"], background=True)
        refused = bea.frame.locator("#changes ~ table tr", has_text="alice").first.inner_text()
        assert "abgelehnt" in refused, refused
    finally:
        site.standin.state.users["alice"] = alice
    change = newest(site, QuotaChange.id, QuotaChange.nextcloud_user_id == "alice")

    bea.go("/admin/quota")
    bea.frame.check("input[name=retry_now]")
    bea.send("button:has-text('Jetzt umsetzen')", "/admin/quota", grew=["audit_event"], background=True)
    with Session(site.engine) as session:
        assert session.get(QuotaChange, change).status == "done"
    assert standin_quota(site, "alice") == 15 * GB
    assert "umgesetzt" in bea.frame.locator("#changes ~ table tr", has_text="alice").first.inner_text()


# --- Documents ----------------------------------------------------------------------------------------

def test_bea_publishes_a_document_from_the_folder_and_unpublishes_it(site: Site, bea: InNextcloud) -> None:
    bea.go("/admin/documents")
    frame = bea.frame
    row = frame.locator("#picker tr", has_text="Geschäftsbericht 2025.pdf")
    with frame.expect_navigation():
        row.locator("a", has_text="Veröffentlichen").click()  # the picker puts the file into the form
    assert frame.input_value("#f-path") == "Geschäftsbericht 2025.pdf"
    frame.select_option("#f-category", "management_report")
    frame.fill("#f-title", "Geschäftsbericht 2025")
    frame.fill("#f-fiscal_year", "2025")
    frame.check("#f-requires_confirmation")
    bea.send("#publish form button[type=submit]", r"/admin/documents/\d+\?published=1",
         says=["Das Dokument wurde veröffentlicht.", "Geschäftsbericht 2025", "Lesebestätigungen"],
         grew=["governance_document", "document_notification", "audit_event"])
    assert re.search(r"0 von \d+ Mitgliedern haben bestätigt\.", bea.frame.inner_text("#confirmations ~ p"))
    doc = newest(site, GovernanceDocument.id)

    bea.go(f"/admin/documents/{doc}")
    bea.frame.fill("#f-reason", "Falsche Fassung hochgeladen")
    bea.send("form:has(#f-reason) button[type=submit]", rf"/admin/documents/{doc}\?unpublished=1",
         says=["Die Veröffentlichung wurde zurückgenommen. Ihr Verlauf bleibt erhalten.",
               "Falsche Fassung hochgeladen"],
         grew=["document_event", "audit_event"])
    assert bea.frame.locator("form:has(#f-reason)").count() == 0


def test_bea_records_an_assembly(site: Site, bea: InNextcloud) -> None:
    bea.go("/admin/documents")
    set_dates(bea, {"#f-a-held_on": today() + timedelta(days=60)})
    bea.frame.fill("#f-a-title", "Ordentliche Generalversammlung")
    bea.send("button:has-text('Versammlung erfassen')", r"/admin/documents\?recorded=1#assemblies",
         says=["Die Versammlung wurde erfasst."], grew=["general_assembly", "audit_event"])
    row = bea.frame.locator("#assemblies table tr", has_text="Ordentliche Generalversammlung")
    assert row.count() == 1


def test_bea_checks_the_published_files_and_finds_the_one_changed_in_nextcloud(site: Site, bea: InNextcloud) -> None:
    with site.app.app_context(), Session(site.engine) as session:
        standing = len([d for d in all_documents(session) if d.withdrawn_at is None])
    # Someone saves over the published minutes in Nextcloud's Files app.
    put_file(site.standin.state, documents_demo.READER, f"{documents_demo.FOLDER}/Protokoll GV 2025.pdf",
             b"%PDF-1.4 edited after the assembly")
    bea.go("/admin/documents")
    bea.send("button:has-text('Alle veröffentlichten Dateien jetzt prüfen')",
         rf"/admin/documents\?checked={standing}(:|%3A)1",
         says=[f"{standing} veröffentlichte Dateien geprüft, 1 geändert oder fehlend.",
               "Nach der Veröffentlichung in Nextcloud geänderte Dateien"],
         grew=["document_event", "audit_event"])
    flagged = bea.frame.locator(".notecard--error li").inner_text()
    assert "Protokoll der Generalversammlung 2025" in flagged, flagged


# --- LDAP ---------------------------------------------------------------------------------------------

def test_admin_runs_the_ldap_sync_now_and_watches_it(site: Site, admin: InNextcloud) -> None:
    admin.go("/admin/ldap")
    admin.frame.check("input[name=full]")
    before = site.rows()
    with directory_stalled(site):  # the run waits for the directory: the page shows it running
        admin.submit("button:has-text('Sync now')", "/admin/ldap")
        progress = admin.frame.inner_text("#ldap-progress")
        assert "Running:" in progress, progress
        assert admin.frame.is_disabled("button:has-text('Sync now')")
    # job-progress.js polls the runs and, once the run is over, shows the page again by itself
    admin.settle()
    newest_run = admin.frame.locator("table tbody tr").first.inner_text()
    assert "full" in newest_run and "ok" in newest_run and "running" not in newest_run, newest_run
    assert admin.frame.is_enabled("button:has-text('Sync now')")
    admin.landed("/admin/ldap", before, grew=["ldap_sync_run"], background=True)


def test_a_double_click_on_the_booking_button_books_once(site: Site, admin: InNextcloud) -> None:
    """Both clicks send the form (the server sees two POSTs); the form's hidden key makes the
    second book nothing and lead to the page the first led to (issue 13, point 3)."""
    import io  # noqa: PLC0415 - this test only
    import time  # noqa: PLC0415
    from urllib.parse import parse_qs  # noqa: PLC0415

    from nc_coop.register.models import CapitalEntry  # noqa: PLC0415

    alice = site.membership("alice")
    posts: list[str] = []
    app = site.app
    inner = app.wsgi_app

    def counting(environ: dict[str, Any], start_response: Any) -> Any:
        """Notes each POST of this form with what it books (a click on the next page's empty
        form would not be a second submit of this one)."""
        if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"].endswith(f"/admin/members/{alice}"):
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            posts.append(parse_qs(body.decode())["reference"][0] if b"reference=Double" in body else "other")
            if len(posts) == 1:
                time.sleep(0.5)  # a slow answer: the second click surely lands on this page, not the next
        return inner(environ, start_response)

    def entries() -> list[int]:
        with Session(site.engine) as session:
            return list(session.scalars(select(CapitalEntry.id).where(CapitalEntry.membership_id == alice,
                                                                      CapitalEntry.reference == "Double click")))

    admin.go(f"/admin/members/{alice}")
    frame = admin.frame
    frame.select_option("#f-type", "deposit")
    set_dates(admin, {"#f-date": today()})
    frame.fill("#f-amount", "12.34")
    frame.fill("#f-reference", "Double click")
    app.wsgi_app = counting  # type: ignore[method-assign]
    try:
        frame.evaluate("window.__beforeSubmit = true")
        # Two clicks with the mouse, as a person's double click: both on this page, the second
        # while the first POST is on its way (frame.click would wait and hit the next page's form).
        button = frame.locator("form.booking:has(#f-type) button[type=submit]")
        button.scroll_into_view_if_needed()
        box = button.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        admin.page.mouse.click(x, y)
        time.sleep(0.15)  # a person's double click: the first submission's request has left by now
        admin.page.mouse.click(x, y)
        deadline = time.monotonic() + 15
        while True:  # asked in the page: frame.url only updates while Playwright is called
            try:
                state = frame.evaluate("({url: location.href, fresh: !window.__beforeSubmit"
                                       " && document.readyState === 'complete' && !!document.querySelector('main')"
                                       " && !document.querySelector('[data-continue]')})")
            except Exception:  # noqa: BLE001 - the document changed while we asked
                state = {"url": "", "fresh": False}
            if state["fresh"] and state["url"].endswith(f"/admin/members/{alice}?booked=1") and len(posts) >= 2:
                break
            assert time.monotonic() < deadline, (state, posts)
            time.sleep(0.05)
        time.sleep(0.5)  # a POST still on its way would book now
    finally:
        app.wsgi_app = inner  # type: ignore[method-assign]
    assert posts == ["Double click", "Double click"], posts  # the server got the form twice
    assert len(entries()) == 1
    assert "The booking was recorded." in admin.frame.inner_text("main")
    assert admin.frame.locator("table tr", has_text="Double click").count() == 1

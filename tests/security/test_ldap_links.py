# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Issue 13, point 4: a directory account that the LDAP sync links by member number to another
person's membership sees nothing of it until the board confirms the link (real slapd; SQLite,
and PostgreSQL when NC_COOP_TEST_DATABASE_URL is set).

The demo directory gives anna.schmidt member number 1, jonas.mueller 2 and lea.wagner 3. Here
number 1 is Erika Mustermann's (another person), 2 is Jonas Müller's (written otherwise: case,
white space, decomposed ü) and 3 belongs to someone with another name but Lea's e-mail."""
from __future__ import annotations

import json
import unicodedata
from datetime import UTC, date, datetime
from typing import Any

import pytest
from alembic import command
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select, text, update
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from nc_coop import migrate
from nc_coop.audit.chain import verify
from nc_coop.audit.models import AuditEvent
from nc_coop.db import make_engine
from nc_coop.ldapsync.job import run_sync
from nc_coop.ldapsync.models import LdapSyncRun
from nc_coop.migrate import _config
from nc_coop.register.links import NAME_AND_EMAIL_DIFFER, PartyIdentity, hold_reason, link_grants
from nc_coop.register.models import Account, Membership, Party
from nc_coop.register.queries import visible_membership_ids
from nc_coop.register.services import book_capital
from nc_coop.requests.privacy import user_data
from nc_coop.standin import NextcloudStandIn, StandInUser
from nc_coop.web.csrf import csrf_token
from tests.conftest import appapi_headers, get_db_engine
from tests.ldap_support import Slapd
from tests.ldapsync.conftest import OFFICE, admin, admit, settings_for, with_statute


# --- The rule, directly --------------------------------------------------------------------------

def _person(given: str | None, family: str | None, email: str | None = None) -> PartyIdentity:
    return PartyIdentity("natural", given, family, None, email)


@pytest.mark.parametrize(("party", "entry", "held"), [
    (_person("Erika", "Mustermann"), {"given_name": "Anna", "family_name": "Schmidt"}, True),
    (_person("Anna", "Schmidt"), {"given_name": "anna", "family_name": "SCHMIDT"}, False),
    (_person("Jonas", "Mu\u0308ller"), {"given_name": " Jonas ", "family_name": "Müller"}, False),  # NFC
    (_person("Anna  Maria", "Schmidt"), {"given_name": "Anna Maria", "family_name": "Schmidt"}, False),
    (_person("Anna", "Schmidt"), {"display_name": "Anna Schmidt"}, False),
    (_person("X", "Y", "Lea@Coop.Example"), {"given_name": "Lea", "family_name": "Wagner",
                                               "mail": "lea@coop.example"}, False),
    (_person("X", "Y", None), {"given_name": "Lea", "family_name": "Wagner", "mail": None}, True),
    (_person(None, None, None), {"given_name": None, "family_name": None}, True),  # nothing to compare
    (PartyIdentity("association", None, None, "TSV Musterstadt e.V.", None),
     {"display_name": "tsv  musterstadt E.V."}, False),
    (PartyIdentity("association", None, None, "TSV Musterstadt e.V.", None),
     {"given_name": "Anna", "family_name": "Schmidt"}, True),
])
def test_a_link_is_held_unless_name_or_email_match(party: PartyIdentity, entry: dict[str, Any], held: bool) -> None:
    arguments = {"given_name": None, "family_name": None, "display_name": None, "mail": None, **entry}
    assert hold_reason(party, **arguments) == (NAME_AND_EMAIL_DIFFER if held else None)


# --- Through the sync and the app -----------------------------------------------------------------

def _headers(app: Flask, user: str) -> dict[str, str]:
    with app.app_context():
        return {**appapi_headers(user), "X-CSRF-Token": csrf_token(user)}


def _form(app: Flask, user: str) -> dict[str, str]:
    with app.app_context():
        return {"csrf_token": csrf_token(user)}


@pytest.fixture
def world(app: Flask, directory: Slapd, standin: NextcloudStandIn) -> dict[str, Any]:
    """Members 1-3 admitted by the board (Erika with her own login), one full sync run."""
    engine = get_db_engine(app)
    for user, name in (("anna.schmidt", "Anna Schmidt"), ("jonas.mueller", "Jonas Müller"),
                       ("lea.wagner", "Lea Wagner"), ("erika", "Erika Mustermann")):
        standin.state.users[user] = StandInUser(user, name, ["users"])
    with_statute(engine)
    erika = admit(engine, member_no=1, name="Erika Mustermann")
    admit(engine, member_no=2, name=unicodedata.normalize("NFD", "JONAS  müller"))
    someone = admit(engine, member_no=3, name="Somebody Else")
    with Session(engine) as session, session.begin():
        session.execute(update(Party).where(Party.id == someone).values(email="Lea.Wagner@coop.example"))
        session.add(Account(nextcloud_user_id="erika", party_id=erika, role="self", created_at=datetime.now(UTC)))
        first = session.scalar(select(Membership.id).where(Membership.member_no == 1))
        book_capital(session, OFFICE, membership_id=first, kind="deposit", amount_cents=30_000,
                     value_date=date(2024, 1, 20), reference="BANKREF-ERIKA")
    report = run_sync(engine, settings_for(directory), full=True)
    assert report.status == "ok", report.errors
    with Session(engine) as session:
        ids = dict(session.execute(select(Membership.member_no, Membership.id)).all())
        anna = session.scalar(select(Account).where(Account.nextcloud_user_id == "anna.schmidt",
                                                    Account.party_id == erika))
    return {"engine": engine, "report": report, "ids": ids, "anna_account": anna.id, "erika_party": erika}


def _sees(client: FlaskClient, user: str, membership_id: int) -> dict[str, Any]:
    """What ``user`` gets of the membership on every member route."""
    headers = appapi_headers(user)
    page = client.get("/", headers=headers).get_data(as_text=True)
    export = client.get("/api/v1/privacy/export", headers=headers)
    return {"page": "BANKREF-ERIKA" in page or "Erika Mustermann" in page,
            "list": [m["membership_id"] for m in client.get("/api/v1/memberships", headers=headers)
                     .get_json()["memberships"]],
            "api": client.get(f"/api/v1/memberships/{membership_id}", headers=headers).status_code,
            "extract": client.get(f"/memberships/{membership_id}/extract.pdf", headers=headers).status_code,
            "letter": client.get(f"/memberships/{membership_id}/letters/membership.pdf", headers=headers).status_code,
            "export": export.status_code == 200 and ("BANKREF-ERIKA" in export.get_data(as_text=True)
                                                     or "Mustermann" in export.get_data(as_text=True))}


NOTHING = {"page": False, "list": [], "api": 404, "extract": 404, "letter": 404, "export": False}


def _everything(membership_id: int) -> dict[str, Any]:
    return {"page": True, "list": [membership_id], "api": 200, "extract": 200, "letter": 200, "export": True}


def test_a_mismatched_member_number_is_held_and_the_account_sees_nothing(
        app: Flask, client: FlaskClient, world: dict[str, Any]) -> None:
    engine, first = world["engine"], world["ids"][1]
    with Session(engine) as session:
        anna = session.get(Account, world["anna_account"])
        # The link exists (the board sees it and decides), but grants nothing.
        assert (anna.link_status, anna.link_source, anna.link_note) == ("held", "ldap_member_no",
                                                                        NAME_AND_EMAIL_DIFFER)
        assert anna.link_run_id == world["report"].run_id
        assert visible_membership_ids(session, "anna.schmidt") == []
        exported = user_data(session, "anna.schmidt")
        assert exported["accounts"] == [] and exported["parties"] == [] and exported["memberships"] == []
        assert session.scalars(select(Account.id).where(link_grants(), Account.id == anna.id)).all() == []
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "ldap.sync.users_created")).all()
        assert [json.loads(e.diff)["links_held"] for e in events] == [[anna.id]]
    assert _sees(client, "anna.schmidt", first) == NOTHING
    assert _sees(client, "erika", first) == _everything(first)  # the real member still sees her data


def test_matching_name_or_email_links(client: FlaskClient, world: dict[str, Any]) -> None:
    engine, ids = world["engine"], world["ids"]
    with Session(engine) as session:
        for user, number in (("jonas.mueller", 2), ("lea.wagner", 3)):  # by name; by e-mail
            account = session.scalar(select(Account).where(Account.nextcloud_user_id == user,
                                                           Account.link_source == "ldap_member_no"))
            assert (account.link_status, account.link_note) == ("confirmed", None), user
            assert visible_membership_ids(session, user) == [ids[number]]
        # A new person the sync created for an entry without a member's number: linked as before.
        own = session.scalar(select(Account).where(Account.nextcloud_user_id == "felix.schaefer"))
        assert (own.link_source, own.link_status) == ("ldap_new", "confirmed")
    assert client.get(f"/api/v1/memberships/{ids[2]}", headers=appapi_headers("jonas.mueller")).status_code == 200


def test_the_run_report_lists_the_held_link(app: Flask, client: FlaskClient, world: dict[str, Any]) -> None:
    report = world["report"]
    expected = [{"account_id": world["anna_account"], "uid": "anna.schmidt", "member_no": 1,
                 "reason": NAME_AND_EMAIL_DIFFER}]
    assert report.held_links == expected and report.counts["links_held"] == 1
    with Session(world["engine"]) as session:
        assert json.loads(session.get(LdapSyncRun, report.run_id).held_links) == expected
    runs = client.get("/api/v1/admin/ldap/runs", headers=appapi_headers("admin")).get_json()["runs"]
    assert runs[0]["id"] == report.run_id and runs[0]["held_links"] == expected
    page = client.get("/admin/ldap", headers=appapi_headers("admin")).get_data(as_text=True)
    assert "1 link held for review:" in page and "anna.schmidt → member no. 1: name and e-mail differ" in page


def test_another_run_holds_nothing_again_and_keeps_the_link_held(world: dict[str, Any], directory: Slapd) -> None:
    again = run_sync(world["engine"], settings_for(directory), full=True)
    assert again.status == "ok" and again.held_links == []
    with Session(world["engine"]) as session:
        assert session.get(Account, world["anna_account"]).link_status == "held"


def test_non_board_users_cannot_confirm_or_remove(app: Flask, client: FlaskClient, world: dict[str, Any]) -> None:
    first, account = world["ids"][1], world["anna_account"]
    for user in ("anna.schmidt", "erika", "alice"):
        for action in ("confirm", "remove"):
            api = client.post(f"/api/v1/admin/members/{first}/links/{account}/{action}", headers=_headers(app, user))
            assert api.status_code == 403 and api.get_json()["error"], (user, action)
            page = client.post(f"/admin/members/{first}/links/{account}/{action}", data=_form(app, user),
                               headers=appapi_headers(user))
            assert page.status_code == 403
        assert client.get(f"/api/v1/admin/members/{first}/links", headers=appapi_headers(user)).status_code == 403
    with Session(world["engine"]) as session:
        assert session.get(Account, account).link_status == "held"
        assert session.scalars(select(AuditEvent).where(AuditEvent.action.like("account.link_%"))).all() == []
    assert _sees(client, "anna.schmidt", first) == NOTHING


def test_the_board_confirms_then_removes_and_both_are_audited(
        app: Flask, client: FlaskClient, world: dict[str, Any]) -> None:
    engine, first, account = world["engine"], world["ids"][1], world["anna_account"]
    links = client.get(f"/api/v1/admin/members/{first}/links", headers=appapi_headers("admin")).get_json()["links"]
    assert [(link["nextcloud_user"], link["status"], link["source"], link["reason"], link["ldap_uid"],
             link["ldap_member_no"]) for link in links] == [
        ("anna.schmidt", "held", "ldap_member_no", NAME_AND_EMAIL_DIFFER, "anna.schmidt", 1),
        ("erika", "confirmed", "admin", None, None, None)]
    # Not the membership's account: 404; without the form token: 403.
    other = world["ids"][2]
    assert client.post(f"/api/v1/admin/members/{other}/links/{account}/confirm",
                       headers=_headers(app, "admin")).status_code == 404
    assert client.post(f"/api/v1/admin/members/{first}/links/{account}/confirm",
                       headers=appapi_headers("admin")).status_code == 403

    confirmed = client.post(f"/api/v1/admin/members/{first}/links/{account}/confirm", headers=_headers(app, "admin"))
    assert confirmed.status_code == 200
    anna = next(link for link in confirmed.get_json()["links"] if link["account_id"] == account)
    assert (anna["status"], anna["reviewed_by"], anna["source"]) == ("confirmed", "admin", "ldap_member_no")
    assert _sees(client, "anna.schmidt", first) == _everything(first)
    again = client.post(f"/api/v1/admin/members/{first}/links/{account}/confirm", headers=_headers(app, "admin"))
    assert again.status_code == 422 and "confirmed already" in again.get_json()["errors"]["account_id"][0]

    removed = client.post(f"/admin/members/{first}/links/{account}/remove", data=_form(app, "admin"),
                          headers=appapi_headers("admin"))
    assert removed.headers["X-NC-Coop-Continue"].endswith("?link=remove#links")
    assert _sees(client, "anna.schmidt", first) == NOTHING
    assert _sees(client, "erika", first) == _everything(first)
    twice = client.post(f"/api/v1/admin/members/{first}/links/{account}/remove", headers=_headers(app, "admin"))
    assert twice.status_code == 422 and "removed already" in twice.get_json()["errors"]["account_id"][0]
    after = client.post(f"/api/v1/admin/members/{first}/links/{account}/confirm", headers=_headers(app, "admin"))
    assert after.status_code == 422

    with Session(engine) as session:
        row = session.get(Account, account)  # removing deletes nothing: the row stays, marked
        assert (row.link_status, row.link_reviewed_by, row.party_id) == ("removed", "admin", world["erika_party"])
        events = session.scalars(select(AuditEvent).where(AuditEvent.action.like("account.link_%"))
                                 .order_by(AuditEvent.id)).all()
        assert [(e.action, e.actor, e.entity, e.entity_id, json.loads(e.diff)["status"]) for e in events] == [
            ("account.link_confirmed", "admin", "account", str(account), ["held", "confirmed"]),
            ("account.link_removed", "admin", "account", str(account), ["confirmed", "removed"])]
        assert verify(session).ok
    with pytest.raises(DatabaseError, match="never deleted"), engine.begin() as connection:
        connection.execute(text("DELETE FROM account WHERE id = :id"), {"id": account})
    links = client.get(f"/api/v1/admin/members/{first}/links", headers=appapi_headers("admin")).get_json()["links"]
    assert [(link["nextcloud_user"], link["status"]) for link in links] == [("erika", "confirmed"),
                                                                            ("anna.schmidt", "removed")]


def test_a_changed_member_number_links_nothing_anew(client: FlaskClient, world: dict[str, Any],
                                                   directory: Slapd) -> None:
    """An entry's number changes later (a typo): the sync keeps the account's link as it was and
    makes none to the new number's member (Nextcloud keeps the user; the board links by hand)."""
    with admin(directory) as conn:
        conn.modify(directory.user_dn("anna.schmidt"), {"ncCoopMemberNumber": [("MODIFY_REPLACE", ["2"])]})
    report = run_sync(world["engine"], settings_for(directory), full=False)
    assert report.status == "ok" and report.counts["changed"] == 1 and report.held_links == []
    second = world["ids"][2]
    with Session(world["engine"]) as session:
        assert session.scalars(select(Account.party_id).where(Account.nextcloud_user_id == "anna.schmidt")).all() == [
            world["erika_party"]]
        assert visible_membership_ids(session, "anna.schmidt") == []
    assert client.get(f"/api/v1/memberships/{second}", headers=appapi_headers("anna.schmidt")).status_code == 404


def test_a_removed_link_stays_removed_when_the_sync_runs_again(
        app: Flask, client: FlaskClient, world: dict[str, Any], directory: Slapd) -> None:
    first, account = world["ids"][1], world["anna_account"]
    assert client.post(f"/api/v1/admin/members/{first}/links/{account}/remove",
                       headers=_headers(app, "admin")).status_code == 200
    with admin(directory) as conn:  # the entry changes: the sync must not link it anew
        conn.modify(directory.user_dn("anna.schmidt"), {"mail": [("MODIFY_REPLACE", ["anna@neu.example"])]})
    assert run_sync(world["engine"], settings_for(directory), full=True).status == "ok"
    with Session(world["engine"]) as session:
        assert session.get(Account, account).link_status == "removed"
        assert visible_membership_ids(session, "anna.schmidt") == []


# --- Migration 0011: the one-time re-check ------------------------------------------------------------

def _upgrade_to(engine: Engine, revision: str) -> None:
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def _insert(connection: Any, table: str, **values: Any) -> int:
    names = ", ".join(values)
    connection.execute(text(f"INSERT INTO {table} ({names}) VALUES ({', '.join(':' + n for n in values)})"), values)
    return connection.execute(text(f"SELECT MAX(id) FROM {table}")).scalar_one()


def test_the_migration_holds_a_pre_existing_mismatched_link(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        _upgrade_to(engine, "0010")
        long_ago, run_start, later = (datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 3, 1, 10, tzinfo=UTC),
                                      datetime(2026, 3, 1, 10, 0, 5, tzinfo=UTC))
        with engine.begin() as c:
            statute = _insert(c, "statute_version", version=1, adopted_at=date(2019, 5, 1),
                              registered_at=date(2019, 7, 1), params="{}", recorded_at=long_ago)
            parties = {name: _insert(c, "party", kind="natural", given_names=given, family_name=family,
                                     postal_address="Weg 1", email=email, created_at=long_ago)
                       for name, given, family, email in (("erika", "Erika", "Mustermann", None),
                                                          ("jonas", "Jonas", "Müller", None),
                                                          ("old", "Otto", "Alt", None),
                                                          ("felix", "Felix", "Schäfer", None))}
            for number, name in ((1, "erika"), (2, "jonas"), (3, "old")):
                _insert(c, "membership", member_no=number, party_id=parties[name], kind="regular",
                        admitted_on=date(2024, 1, 10), statute_version_id=statute, recorded_at=long_ago,
                        actor="office")
            run = _insert(c, "ldap_sync_run", started_at=run_start, finished_at=later, mode="full", dry_run=False,
                          forced=False, actor="ldap-sync", status="ok", complete=True, counts="{}", errors="")
            accounts = {
                # made by the sync by member number 1, for an entry that is someone else: held
                "anna": _insert(c, "account", nextcloud_user_id="anna.schmidt", party_id=parties["erika"],
                                role="self", created_at=later),
                # made by the sync by member number 2, matching: stays confirmed
                "jonas": _insert(c, "account", nextcloud_user_id="jonas.mueller", party_id=parties["jonas"],
                                 role="self", created_at=later),
                # made by the office before the sync saw the entry (found, not made, by the sync)
                "otto": _insert(c, "account", nextcloud_user_id="otto", party_id=parties["old"], role="self",
                                created_at=long_ago),
                # the sync created the party for the entry
                "felix": _insert(c, "account", nextcloud_user_id="felix.schaefer", party_id=parties["felix"],
                                 role="self", created_at=later),
            }
            for uid, account, party, owns, attrs in (
                    ("anna.schmidt", "anna", "erika", False, {"given_name": "Anna", "family_name": "Schmidt",
                                                              "member_no": 1, "mail": "anna@coop.example"}),
                    ("jonas.mueller", "jonas", "jonas", False, {"given_name": "jonas", "family_name": "MÜLLER",
                                                                "member_no": 2}),
                    ("otto", "otto", "old", False, {"given_name": "Someone", "family_name": "Else", "member_no": 3}),
                    ("felix.schaefer", "felix", "felix", True, {"given_name": "Felix", "family_name": "Schäfer"})):
                _insert(c, "ldap_entry", entry_uuid=f"uuid-{uid}", kind="user", dn=f"uid={uid},ou=people",
                        uid=uid, attrs=json.dumps(attrs), attr_hash="x", party_id=parties[party],
                        account_id=accounts[account], owns_party=owns, first_seen_run_id=run, last_seen_run_id=run,
                        missing_full_runs=0)

        _upgrade_to(engine, "0011")

        with Session(engine) as session:
            state = {name: (a.link_source, a.link_status, a.link_note) for name, a in
                     ((name, session.get(Account, i)) for name, i in accounts.items())}
            assert state == {"anna": ("ldap_member_no", "held", NAME_AND_EMAIL_DIFFER),
                             "jonas": ("ldap_member_no", "confirmed", None),
                             "otto": ("admin", "confirmed", None),
                             "felix": ("ldap_new", "confirmed", None)}
            event = session.scalar(select(AuditEvent).where(AuditEvent.action == "account.links_held"))
            assert json.loads(event.diff)["accounts"] == [accounts["anna"]]
            assert verify(session).ok
            assert visible_membership_ids(session, "anna.schmidt") == []
            assert visible_membership_ids(session, "otto") != []
        migrate.upgrade(engine)  # and on to the head
    finally:
        engine.dispose()

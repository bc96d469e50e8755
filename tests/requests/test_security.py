# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Regressions of the security review of member requests: who sees which person, membership and
request, in the pages, the API and the data export."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from nc_coop.register.models import Account, Membership, Party
from nc_coop.requests.models import MemberRequest
from tests.conftest import appapi_headers
from tests.requests.conftest import post, row_counts

TODAY = date.today()


def _export(client: FlaskClient, user: str) -> dict[str, Any]:
    answer = client.get("/api/v1/privacy/export", headers=appapi_headers(user))
    assert answer.status_code == 200
    return answer.get_json(force=True)


def _party_of(engine: Engine, membership_id: int) -> int:
    with Session(engine) as s:
        return s.get(Membership, membership_id).party_id


def _field_errors(body: str) -> set[str]:
    return set(re.findall(r'<p class="field-error" id="e-([^"]+)">', body))


def _admin_appoint(app: Flask, client: FlaskClient, membership_id: int, **form: str) -> None:
    answer = post(app, client, f"/admin/members/{membership_id}/representatives", "admin", form)
    assert answer.headers.get("X-NC-Coop-Continue"), answer.get_data(as_text=True)[-2000:]


# --- 1: an organisation appoints new people by name only --------------------------------------------

def test_an_organisation_cannot_link_another_member_to_a_login(app: Flask, client: FlaskClient, engine: Engine,
                                                               people: dict[str, int]) -> None:
    org, alice_party = str(people["org"]), _party_of(engine, people["alice"])
    before = row_counts(engine)
    refused = [({"person_party_id": str(alice_party), "family_name": "X", "nextcloud_user": "mallory",
                 "effective_date": TODAY.isoformat()}, "rep-person_party_id"),
               ({"family_name": "X", "effective_date": (TODAY - timedelta(days=1)).isoformat()}, "rep-effective_date"),
               ({"family_name": "X", "nextcloud_user": "a/b<c>", "effective_date": TODAY.isoformat()},
                "rep-nextcloud_user")]
    for form, field in refused:
        answer = post(app, client, "/requests/contact/representatives", "rita",
                      {"membership_id": org, "role": "board_member", **form})
        body = answer.get_data(as_text=True)
        assert answer.status_code == 422 and (field in _field_errors(body) or field == "rep-person_party_id"), form
        assert "The representatives were not changed" in body
    # Ending names only this organisation's appointments: alice holds none.
    answer = post(app, client, "/requests/contact/representatives", "rita", {
        "membership_id": org, "end": "1", "person_party_id": str(alice_party), "role": "board_member",
        "effective_date": TODAY.isoformat()})
    assert answer.status_code == 422
    assert row_counts(engine) == before
    assert "Alice Normal" not in str(_export(client, "mallory"))


def test_the_export_of_a_representative_login_names_no_other_person(app: Flask, client: FlaskClient, engine: Engine,
                                                                    people: dict[str, int]) -> None:
    # Even where the board linked an existing person with some login, that login is not the person.
    _admin_appoint(app, client, people["org"], role="board_member", effective_date="2024-02-01",
                   person_party_id=str(_party_of(engine, people["alice"])), nextcloud_user="mallory")
    data = _export(client, "mallory")
    assert [p["legal_name"] for p in data["parties"]] == ["TSV Musterstadt e.V."]
    assert "Alice Normal" not in str(data) and "alice" not in {p.get("family_name") for p in data["parties"]}
    assert {a["role"] for a in _export(client, "alice")["accounts"]} == {"self"}


# --- 2 and 3: a former representative or a disabled account sees nothing more -----------------------

def test_a_former_representative_exports_nothing_of_the_organisation(app: Flask, client: FlaskClient,
                                                                     engine: Engine, people: dict[str, int]) -> None:
    _admin_appoint(app, client, people["org"], role="board_member", effective_date="2024-02-01",
                   family_name="Ehemalig", nextcloud_user="otto")
    assert [m["id"] for m in _export(client, "otto")["memberships"]] == [people["org"]]
    with Session(engine) as s:
        person = s.scalar(select(Party.id).where(Party.family_name == "Ehemalig"))
    _admin_appoint(app, client, people["org"], end="1", person_party_id=str(person), role="board_member",
                   effective_date="2025-01-31")
    data = _export(client, "otto")
    assert data["memberships"] == [] and data["parties"] == [] and data["accounts"] == []
    assert data["audit_events"] == [] and data["representations"] == []


def test_a_disabled_account_no_longer_reads_the_organisations_requests(app: Flask, client: FlaskClient,
                                                                       engine: Engine, people: dict[str, int]) -> None:
    org = str(people["org"])
    assert post(app, client, "/requests/contact", "rita", {"membership_id": org, "postal_address":
                "Sportplatz 1, 12345 Musterstadt"}).headers.get("X-NC-Coop-Continue")
    with Session(engine) as s:
        rid = s.scalar(select(MemberRequest.id).where(MemberRequest.kind == "contact"))
    headers = appapi_headers("rita")
    assert client.get(f"/api/v1/requests/{rid}", headers=headers).status_code == 200
    with Session(engine) as s:
        s.execute(update(Account).where(Account.nextcloud_user_id == "rita").values(disabled_at=datetime.now(UTC)))
        s.commit()
    assert client.get(f"/api/v1/requests/{rid}", headers=headers).status_code == 404
    assert client.get(f"/requests/{rid}/letter.pdf", headers=headers).status_code == 404
    assert client.get("/api/v1/requests", headers=headers).get_json()["requests"] == []
    data = _export(client, "rita")
    assert data["requests"] == [] and data["memberships"] == [] and data["audit_events"] == []


# --- 4: the export holds the user's own data, not the other side's -----------------------------------

def test_the_export_leaves_out_the_other_sides_login_and_others_events(app: Flask, client: FlaskClient,
                                                                       engine: Engine, people: dict[str, int]) -> None:
    assert post(app, client, "/requests/transfer", "alice", {"membership_id": str(people["alice"]),
                                                             "to_member_no": "2", "amount": "20"}).headers.get("X-NC-Coop-Continue")
    with Session(engine) as s:
        transfer = s.scalar(select(MemberRequest.id).where(MemberRequest.kind == "transfer"))
    assert post(app, client, f"/requests/{transfer}/consent", "bob", {"consent": "1"}).headers.get("X-NC-Coop-Continue")
    with Session(engine) as s:
        row = s.get(MemberRequest, transfer)
        assert (row.submitted_by, row.counterpart_user) == ("alice", "bob")  # both logins are stored
    bobs = _export(client, "bob")
    assert [(r["id"], r["submitted_by"]) for r in bobs["requests"]] == [(transfer, None)]
    assert not [e for e in bobs["audit_events"] if e["entity"] == "member_request"]
    assert "alice" not in str(bobs["requests"]) + str(bobs["audit_events"])
    alices = _export(client, "alice")
    assert [(r["id"], r["counterpart_user"]) for r in alices["requests"]] == [(transfer, None)]
    assert [e["entity_id"] for e in alices["audit_events"] if e["entity"] == "member_request"]
    # The board member who booked it finds other members' bookings in the register, not in her own data.
    assert _export(client, "admin")["audit_events"] == []


# --- 5: a login appointed twice keeps its one account ------------------------------------------------

def test_a_login_appointed_again_reuses_its_account(app: Flask, client: FlaskClient, engine: Engine,
                                                    people: dict[str, int]) -> None:
    org = str(people["org"])
    for role in ("board_member", "managing_director"):
        answer = post(app, client, "/requests/contact/representatives", "rita", {
            "membership_id": org, "role": role, "family_name": "Kassenwart", "nextcloud_user": "otto",
            "effective_date": TODAY.isoformat()})
        assert answer.headers.get("X-NC-Coop-Continue"), role
    # Appointed, ended and appointed again by the board: the login sees the organisation again.
    _admin_appoint(app, client, people["org"], role="partner", effective_date="2024-02-01",
                   family_name="Zweimal", nextcloud_user="carol")
    with Session(engine) as s:
        person = s.scalar(select(Party.id).where(Party.family_name == "Zweimal"))
    _admin_appoint(app, client, people["org"], end="1", person_party_id=str(person), role="partner",
                   effective_date="2024-06-30")
    assert client.get(f"/requests/contact?membership_id={org}", headers=appapi_headers("carol")).status_code == 404
    _admin_appoint(app, client, people["org"], role="partner", effective_date="2025-01-01",
                   person_party_id=str(person), nextcloud_user="carol")
    assert client.get(f"/requests/contact?membership_id={org}", headers=appapi_headers("carol")).status_code == 200
    with Session(engine) as s:
        logins = s.scalars(select(Account.nextcloud_user_id).where(Account.nextcloud_user_id.in_(["carol", "otto"])))
        assert sorted(logins) == ["carol", "otto"]
    page = client.get(f"/requests/contact?membership_id={org}", headers=appapi_headers("rita")).get_data(as_text=True)
    assert page.count("otto") == 2 and page.count("carol") == 2


# --- 8: a representative may join personally ----------------------------------------------------------

def test_a_representative_may_apply_to_join_personally(app: Flask, client: FlaskClient, engine: Engine,
                                                       people: dict[str, int]) -> None:
    assert 'href="requests/join"' in client.get("/requests", headers=appapi_headers("rita")).get_data(as_text=True)
    answer = post(app, client, "/api/v1/requests/join", "rita", json={
        "kind": "natural", "given_names": "Rita", "family_name": "Vertreterin", "postal_address": "Weg 2, Berlin",
        "email": "rita@example.org", "shares": 1, "acknowledged": ["statute", "payment", "notice_period"]})
    assert answer.status_code == 201, answer.get_json()
    answer = post(app, client, "/api/v1/requests/join", "alice", json={
        "kind": "natural", "given_names": "A", "family_name": "N", "postal_address": "Weg 1, Berlin",
        "email": "a@example.org", "shares": 1, "acknowledged": ["statute", "payment", "notice_period"]})
    assert answer.status_code == 422 and "shares" in answer.get_json()["errors"]


# --- 9: whole numbers only ---------------------------------------------------------------------------

def test_a_fraction_of_a_share_is_a_field_error(app: Flask, client: FlaskClient, engine: Engine,
                                                people: dict[str, int]) -> None:
    alice = people["alice"]
    before = row_counts(engine)
    for shares in (2.7, "2.7", True):
        answer = post(app, client, "/api/v1/requests/shares", "alice",
                      json={"membership_id": alice, "shares": shares, "acknowledged": ["payment", "notice_period"]})
        assert answer.status_code == 422 and "shares" in answer.get_json()["errors"], shares
    answer = post(app, client, "/api/v1/requests/transfer", "alice",
                  json={"membership_id": alice, "to_member_no": 2.5, "shares": 1})
    assert answer.status_code == 422 and "to_member_no" in answer.get_json()["errors"]
    answer = post(app, client, "/requests/shares", "alice", {"membership_id": str(alice), "shares": "2.7",
                                                             "ack_payment": "1", "ack_notice_period": "1"})
    assert answer.status_code == 422 and "shares" in _field_errors(answer.get_data(as_text=True))
    assert row_counts(engine) == before
    answer = post(app, client, "/api/v1/requests/shares", "alice",
                  json={"membership_id": alice, "shares": 2, "acknowledged": ["payment", "notice_period"]})
    assert answer.status_code == 201, answer.get_json()
    # Another membership: alice's has its one open request for further shares now.
    answer = post(app, client, "/requests/shares", "rita", {"membership_id": str(people["org"]), "shares": "3",
                                                            "ack_payment": "1", "ack_notice_period": "1"})
    assert answer.headers.get("X-NC-Coop-Continue")

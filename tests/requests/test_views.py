# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The request pages and API: every form refuses invalid input at the field and writes nothing;
every route answers each role as it should (guessed ids are a 404)."""
from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from nc_coop.requests.models import MemberRequest
from tests.conftest import appapi_headers
from tests.requests.conftest import post, row_counts

TODAY = date.today()


def _field_errors(body: str) -> dict[str, list[str]]:
    """{field id: messages} as the form shows them."""
    found: dict[str, list[str]] = {}
    for field, message in re.findall(r'<p class="field-error" id="e-([^"]+)">([^<]*)</p>', body):
        found.setdefault(field, []).append(message)
    return found


# (path, user, form, the field that must show an error) — each is refused and writes nothing.
INVALID_FORMS: list[tuple[str, str, dict[str, str], str]] = [
    ("/requests/join", "carol", {"kind": "natural", "family_name": "Neu", "postal_address": "Weg 1, Berlin",
                                 "email": "carol@example.org", "shares": "1", "ack_statute": "1", "ack_payment": "1",
                                 "ack_notice_period": "1"}, "given_names"),
    ("/requests/join", "carol", {"kind": "natural", "given_names": "Carol", "family_name": "Neu",
                                 "postal_address": "Weg 1, Berlin", "email": "no-mail", "shares": "1"}, "email"),
    ("/requests/join", "carol", {"kind": "natural", "given_names": "Carol", "family_name": "Neu",
                                 "postal_address": "Weg 1, Berlin", "email": "carol@example.org", "shares": "1",
                                 "ack_statute": "1", "ack_notice_period": "1"}, "ack_payment"),
    ("/requests/join", "carol", {"kind": "association", "legal_name": "Verein", "postal_address": "Weg 1, Berlin",
                                 "email": "v@example.org", "shares": "1", "ack_statute": "1", "ack_payment": "1",
                                 "ack_notice_period": "1"}, "shares"),  # associations hold 2 mandatory shares
    ("/requests/join", "alice", {"kind": "natural", "given_names": "A", "family_name": "N",
                                 "postal_address": "Weg 1, Berlin", "email": "a@example.org", "shares": "1",
                                 "ack_statute": "1", "ack_payment": "1", "ack_notice_period": "1"}, "shares"),
    ("/requests/shares", "alice", {"membership_id": "{alice}", "shares": "0", "ack_payment": "1",
                                   "ack_notice_period": "1"}, "shares"),
    ("/requests/shares", "alice", {"membership_id": "{alice}", "shares": "1", "ack_payment": "1"},
     "ack_notice_period"),
    ("/requests/shares", "alice", {"membership_id": "{alice}", "shares": "60", "ack_payment": "1",
                                   "ack_notice_period": "1"}, "shares"),
    ("/requests/notice", "alice", {"membership_id": "{alice}", "scope": "partial", "step": "preview"}, "shares"),
    ("/requests/notice", "alice", {"membership_id": "{alice}", "scope": "partial", "shares": "2",
                                   "step": "preview"}, "shares"),  # would go below the mandatory share
    ("/requests/transfer", "alice", {"membership_id": "{alice}", "to_member_no": "{alice_no}", "amount": "10"},
     "to_member_no"),
    ("/requests/transfer", "alice", {"membership_id": "{alice}", "to_member_no": "{bob_no}", "amount": "zehn"},
     "amount"),
    ("/requests/transfer", "alice", {"membership_id": "{alice}", "to_member_no": "{bob_no}", "shares": "5"},
     "shares"),
    ("/requests/contact", "alice", {"membership_id": "{alice}", "postal_address": "x", "email": "a@example.org"},
     "postal_address"),
    ("/requests/contact", "alice", {"membership_id": "{alice}", "postal_address": "Weg 1, Berlin",
                                    "email": "nope"}, "email"),
    ("/requests/contact/representatives", "rita", {"membership_id": "{org}", "role": "board_member",
                                                   "effective_date": "2025-01-01"}, "rep-family_name"),
    ("/requests/contact/representatives", "rita", {"membership_id": "{org}", "role": "pope", "family_name": "X",
                                                   "effective_date": "2025-01-01"}, "rep-role"),
]


def _fill(form: dict[str, str], people: dict[str, int]) -> dict[str, str]:
    numbers = {"alice_no": "1", "bob_no": "2"}
    return {k: v.format(**{k2: str(v2) for k2, v2 in people.items()}, **numbers) for k, v in form.items()}


@pytest.mark.parametrize(("path", "user", "form", "field"), INVALID_FORMS,
                         ids=[f"{p}:{f}" for p, _, _, f in INVALID_FORMS])
def test_every_form_shows_the_error_at_the_field_and_writes_nothing(
        app: Flask, client: FlaskClient, engine: Engine, people: dict[str, int], path: str, user: str,
        form: dict[str, str], field: str) -> None:
    before = row_counts(engine)
    answer = post(app, client, path, user, _fill(form, people))
    assert answer.status_code == 422
    assert field in _field_errors(answer.get_data(as_text=True)), _field_errors(answer.get_data(as_text=True))
    assert row_counts(engine) == before


def test_an_invalid_decision_shows_the_error_and_writes_nothing(app: Flask, client: FlaskClient, engine: Engine,
                                                               people: dict[str, int]) -> None:
    post(app, client, "/requests/shares", "alice", {"membership_id": str(people["alice"]), "shares": "1",
                                                    "ack_payment": "1", "ack_notice_period": "1"})
    rid = client.get("/api/v1/requests", headers=appapi_headers("alice")).get_json()["requests"][0]["id"]
    before = row_counts(engine)
    for form, field in (({"decision": "reject"}, "reason"), ({"decision": "approve", "date": "2020-01-01"}, "date"),
                        ({"decision": "approve", "date": "gestern"}, "date")):
        answer = post(app, client, f"/admin/requests/{rid}/decision", "bea", form)
        assert answer.status_code == 422 and field in _field_errors(answer.get_data(as_text=True)), form
    assert row_counts(engine) == before


def test_the_json_api_refuses_with_field_errors_and_writes_nothing(app: Flask, client: FlaskClient, engine: Engine,
                                                                  people: dict[str, int]) -> None:
    before = row_counts(engine)
    cases = [("/api/v1/requests/join", {"kind": "natural", "shares": 1}, {"postal_address", "email"}),
             ("/api/v1/requests/shares", {"membership_id": people["alice"], "shares": 1}, {"ack_payment"}),
             ("/api/v1/requests/notice", {"membership_id": people["alice"], "scope": "sometimes"}, {"scope"}),
             ("/api/v1/requests/transfer", {"membership_id": people["alice"], "to_member_no": 0, "shares": 1},
              {"to_member_no"})]
    for path, body, fields in cases:
        answer = post(app, client, path, "alice", json=body)
        assert answer.status_code == 422 and fields <= set(answer.get_json()["errors"]), (path, answer.get_json())
    assert row_counts(engine) == before


# --- Access per route and role ---------------------------------------------------------------------

@pytest.fixture
def decided(app: Flask, client: FlaskClient, engine: Engine, people: dict[str, int]) -> dict[str, int]:
    """An admitted share request of alice's, and a transfer alice offers bob."""
    post(app, client, "/requests/shares", "alice", {"membership_id": str(people["alice"]), "shares": "1",
                                                    "ack_payment": "1", "ack_notice_period": "1"})
    with Session(engine) as s:
        shares_id = s.query(MemberRequest.id).filter_by(kind="shares").scalar()
    assert post(app, client, f"/admin/requests/{shares_id}/decision", "bea", {"decision": "approve"}).headers.get("X-NC-Coop-Continue")
    post(app, client, "/requests/transfer", "alice", {"membership_id": str(people["alice"]), "to_member_no": "2",
                                                      "amount": "20"})
    with Session(engine) as s:
        transfer_id = s.query(MemberRequest.id).filter_by(kind="transfer").scalar()
    return {**people, "shares_request": shares_id, "transfer_request": transfer_id}


ROLES = [None, "alice", "bob", "rita", "admin"]
# path template -> expected status per role (anonymous, member A, member B, representative, admin)
GETS = {
    "/requests": (401, 200, 200, 200, 200),
    "/requests/join": (401, 200, 200, 200, 200),
    "/requests/contact?membership_id={alice}": (401, 200, 404, 404, 404),
    "/requests/contact?membership_id={org}": (401, 404, 404, 200, 404),
    "/requests/contact?membership_id=99999999999999999999": (401, 404, 404, 404, 404),
    "/requests/{shares_request}/letter.pdf": (401, 200, 404, 404, 200),
    "/requests/{transfer_request}/letter.pdf": (401, 404, 404, 404, 404),  # no letter for a pending transfer
    "/requests/987654/letter.pdf": (401, 404, 404, 404, 404),
    "/memberships/{alice}/letters/membership.pdf": (401, 200, 404, 404, 200),
    "/memberships/{org}/letters/membership.pdf": (401, 404, 404, 200, 200),
    "/memberships/{alice}/letters/settlement.pdf": (401, 404, 404, 404, 404),  # no exit: no settlement
    "/api/v1/requests/{shares_request}": (401, 200, 404, 404, 404),
    "/api/v1/requests/{transfer_request}": (401, 200, 200, 404, 404),  # bob is asked to consent
    "/api/v1/requests/9223372036854775808": (401, 404, 404, 404, 404),
    "/api/v1/requests/notice-preview?membership_id={alice}": (401, 200, 404, 404, 404),
    "/api/v1/requests/notice-preview?membership_id={org}": (401, 404, 404, 200, 404),
    "/api/v1/privacy/export": (401, 200, 200, 200, 200),
    "/admin/requests": (401, 403, 403, 403, 200),
    "/admin/requests/{shares_request}": (401, 403, 403, 403, 200),
    "/admin/requests/987654": (401, 403, 403, 403, 404),
    "/api/v1/admin/requests?status=submitted": (401, 403, 403, 403, 200),
    "/api/v1/admin/requests/{transfer_request}": (401, 403, 403, 403, 200),
}


@pytest.mark.parametrize("path", list(GETS))
def test_each_route_answers_each_role(client: FlaskClient, decided: dict[str, int], path: str) -> None:
    got = []
    for user in ROLES:
        headers = appapi_headers(user) if user is not None else {}
        got.append(client.get(path.format(**decided), headers=headers).status_code)
    assert tuple(got) == GETS[path]


def test_only_the_receiving_member_consents_and_only_admins_decide(app: Flask, client: FlaskClient, engine: Engine,
                                                                  decided: dict[str, int]) -> None:
    transfer = decided["transfer_request"]
    before = row_counts(engine)
    for user in ("alice", "rita", "admin"):
        assert post(app, client, f"/requests/{transfer}/consent", user, {"consent": "1"}).status_code == 404
        assert post(app, client, f"/api/v1/requests/{transfer}/consent", user, json={"consent": True}).status_code == 404
    for user in ("alice", "bob", "rita"):
        assert post(app, client, f"/api/v1/admin/requests/{transfer}/decision", user,
                    json={"decision": "approve"}).status_code == 403
    # Acting on another member's membership: the same 404 as for one that does not exist.
    assert post(app, client, "/api/v1/requests/shares", "bob", json={"membership_id": decided["alice"], "shares": 1,
                                                                      "acknowledged": ["payment"]}).status_code == 404
    assert post(app, client, "/requests/notice", "rita", {"membership_id": str(decided["alice"]), "scope": "all",
                                                          "step": "send", "confirm": "1"}).status_code == 404
    assert row_counts(engine) == before
    assert post(app, client, f"/requests/{transfer}/consent", "bob", {"consent": "1"}).headers.get("X-NC-Coop-Continue")
    status = client.get(f"/api/v1/requests/{transfer}", headers=appapi_headers("alice")).get_json()["status"]
    assert status == "approved"


def test_a_representative_keeps_the_organisations_contact_data(app: Flask, client: FlaskClient, engine: Engine,
                                                               people: dict[str, int]) -> None:
    org = str(people["org"])
    assert post(app, client, "/requests/contact", "rita", {"membership_id": org, "postal_address":
                "Sportplatz 1, 12345 Musterstadt", "email": "vorstand@tsv.example"}).headers.get("X-NC-Coop-Continue")
    assert post(app, client, "/requests/contact/representatives", "rita", {
        "membership_id": org, "role": "board_member", "given_names": "Otto", "family_name": "Kassenwart",
        "effective_date": TODAY.isoformat()}).headers.get("X-NC-Coop-Continue")
    page = client.get(f"/requests/contact?membership_id={org}", headers=appapi_headers("rita")).get_data(as_text=True)
    assert "Sportplatz 1, 12345 Musterstadt" in page and "Otto Kassenwart" in page
    export = client.get("/api/v1/privacy/export", headers=appapi_headers("rita"))
    data = json.loads(export.get_data(as_text=True))
    assert export.headers["Content-Disposition"].startswith("attachment")
    assert [p["legal_name"] for p in data["parties"]] == ["TSV Musterstadt e.V."]
    assert {e["action"] for e in data["audit_events"]} >= {"party.contact_change", "representative.appoint"}
    assert data["requests"][0]["kind"] == "contact"


def test_the_letter_names_the_member_in_the_chosen_language(client: FlaskClient, decided: dict[str, int]) -> None:
    import io  # noqa: PLC0415

    for lang, words in (("de", ("Bestätigung weiterer Geschäftsanteile", "Alice Normal", "Mitgliedsnummer")),
                        ("en", ("Confirmation of further shares", "Alice Normal", "Member number"))):
        pdf = client.get(f"/requests/{decided['shares_request']}/letter.pdf?lang={lang}",
                         headers=appapi_headers("alice"))
        text = PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
        assert all(w in text for w in words), (lang, text)


def test_the_receiving_member_is_told_of_a_transfer_offer(app: Flask, client: FlaskClient, standin: Any,
                                                          people: dict[str, int]) -> None:
    assert post(app, client, "/requests/transfer", "alice", {"membership_id": str(people["alice"]),
                                                             "to_member_no": "2", "amount": "20"}).headers.get("X-NC-Coop-Continue")
    offers = [n for n in standin.state.notifications if n["user"] == "bob"]
    assert [n["subject_params"]["rich_subject"] for n in offers] == ["A member offers you a transfer"]
    page = client.get("/requests", headers=appapi_headers("bob")).get_data(as_text=True)
    assert "Agree to receive" in page


def test_refusals_speak_the_members_language(app: Flask, client: FlaskClient, people: dict[str, int]) -> None:
    with app.app_context():
        from nc_coop.web.csrf import csrf_token  # noqa: PLC0415
        token = csrf_token("rita")
    answer = client.post("/requests/transfer", data={"csrf_token": token, "membership_id": str(people["org"]),
                                                     "to_member_no": "3", "amount": "10"},
                         headers=appapi_headers("rita", language="de"))
    assert answer.status_code == 422
    assert _field_errors(answer.get_data(as_text=True))["to_member_no"] == ["Sie können nicht an sich selbst übertragen."]

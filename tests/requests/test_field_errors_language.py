# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Field errors in the member's language: marshmallow's own messages too, in forms and the API."""
from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine

from nc_coop.web.csrf import csrf_token
from tests.conftest import appapi_headers
from tests.requests.conftest import row_counts
from tests.requests.test_views import _field_errors

APPLICATION = {"kind": "natural", "given_names": "Carol", "family_name": "Neu", "email": "kein-mail",
               "postal_address": "Weg", "shares": "zwei", "ack_statute": "1", "ack_payment": "1",
               "ack_notice_period": "1"}


def _post(app: Flask, client: FlaskClient, path: str, user: str, language: str, *,
          data: dict[str, str] | None = None, json: Any = None) -> Any:
    with app.app_context():
        token = csrf_token(user)
    headers = appapi_headers(user, language=language)
    if json is not None:
        return client.post(path, json=json, headers={**headers, "X-CSRF-Token": token})
    return client.post(path, data={"csrf_token": token, **(data or {})}, headers=headers)


def test_a_german_applicant_reads_the_forms_field_errors_in_german(app: Flask, client: FlaskClient,
                                                                   engine: Engine, people: dict[str, int]) -> None:
    before = row_counts(engine)
    answer = _post(app, client, "/requests/join", "carol", "de", data=APPLICATION)
    assert answer.status_code == 422
    errors = _field_errors(answer.get_data(as_text=True))
    assert errors["shares"] == ["Keine gültige ganze Zahl."]
    assert errors["email"] == ["Keine gültige E-Mail-Adresse."]
    assert errors["postal_address"] == ["Die Länge muss zwischen 5 und 1000 liegen."]
    english = _field_errors(_post(app, client, "/requests/join", "carol", "en", data=APPLICATION)
                            .get_data(as_text=True))
    assert english["shares"] == ["Not a valid integer."]
    assert english["postal_address"] == ["Length must be between 5 and 1000."]
    assert row_counts(engine) == before


def test_a_german_member_reads_the_apis_field_errors_in_german(app: Flask, client: FlaskClient, engine: Engine,
                                                               people: dict[str, int]) -> None:
    before = row_counts(engine)
    answer = _post(app, client, "/api/v1/requests/join", "carol", "de",
                   json={"kind": "natural", "given_names": "Carol", "family_name": "Neu", "shares": 0,
                         "email": "carol@example.org", "colour": "blue"})
    assert answer.status_code == 422
    errors = answer.get_json()["errors"]
    assert errors["postal_address"] == ["Pflichtangabe fehlt."]
    assert errors["shares"] == ["Muss mindestens 1 und höchstens 100000 sein."]
    assert errors["colour"] == ["Unbekanntes Feld."]
    answer = _post(app, client, "/api/v1/requests/notice", "alice", "de",
                   json={"membership_id": people["alice"], "scope": "sometimes"})
    assert answer.status_code == 422
    assert answer.get_json()["errors"]["scope"] == ["Muss eines davon sein: all, partial."]
    assert row_counts(engine) == before


def test_a_rule_of_the_register_speaks_german_to_a_german_admin(app: Flask, client: FlaskClient, engine: Engine,
                                                                people: dict[str, int]) -> None:
    """The register's own rules (not marshmallow) refuse in the admin's language too."""
    before = row_counts(engine)
    form = {"type": "reversal", "date": "2024-02-01", "ledger": "capital", "entry_id": "999999", "reason": "Tippfehler"}
    answer = _post(app, client, f"/admin/members/{people['alice']}", "bea", "de", data=form)
    assert answer.status_code == 422
    assert _field_errors(answer.get_data(as_text=True))["entry_id"] == [
        "diese Buchung gibt es bei dieser Mitgliedschaft nicht"]
    api = _post(app, client, f"/api/v1/admin/members/{people['alice']}/bookings", "bea", "de",
                json={"type": "deposit", "date": "2024-02-01", "amount_cents": 0})
    assert api.status_code == 422
    assert api.get_json()["errors"] == {"amount_cents": ["muss eine positive Zahl von Cent sein"]}
    api = _post(app, client, f"/api/v1/admin/members/{people['alice']}/bookings", "bea", "de",
                json={"type": "deposit", "date": "2024-13-01", "amount_cents": 100})
    assert api.get_json()["errors"] == {"date": ["Kein gültiges Datum."]}
    assert row_counts(engine) == before

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The admin desk: admit and book through forms and the JSON API; invalid input changes nothing."""
from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from nc_coop.audit.models import AuditEvent
from nc_coop.register.models import CapitalEntry, Membership, Party, ShareEntry
from nc_coop.web.csrf import csrf_token
from tests.conftest import appapi_headers


def _counts(engine: Engine) -> tuple[int, ...]:
    with Session(engine) as session:
        return tuple(session.scalar(select(func.count()).select_from(t)) for t in
                     (Party, Membership, ShareEntry, CapitalEntry, AuditEvent))


def _post(app: Flask, client: FlaskClient, path: str, data: dict[str, Any], language: str = "en") -> Any:
    with app.app_context():
        token = csrf_token("admin")
    return client.post(path, data={**data, "csrf_token": token}, headers=appapi_headers("admin", language=language))


ADMIT = {"kind": "natural", "family_name": "Mustermann", "given_names": "Erika",
         "postal_address": "Hauptstr. 1, 10115 Berlin", "admitted_on": "2024-01-10", "shares": "2",
         "nextcloud_user": "erika"}


def test_admitting_through_the_form_links_the_account(app: Flask, client: FlaskClient, engine: Engine) -> None:
    response = _post(app, client, "/admin/members/new", ADMIT)
    assert response.headers.get("X-NC-Coop-Continue") == "1?admitted=1"  # relative: /admin/members/1
    page = client.get("/admin/members/1?admitted=1", headers=appapi_headers("admin")).get_data(as_text=True)
    assert "Erika Mustermann" in page and "Member no. 1" in page and "The member was admitted." in page
    with Session(engine) as session:
        assert session.scalar(select(Membership.member_no)) == 1


@pytest.mark.parametrize(("change", "field"), [
    ({"family_name": ""}, "family_name"),
    ({"admitted_on": "31.02.2024"}, "admitted_on"),
    ({"shares": "zwei"}, "shares"),
    ({"shares": "0"}, "shares"),
    ({"kind": "robot"}, "kind"),
    ({"email": "not-an-address"}, "email"),
    ({"postal_address": ""}, "postal_address"),
    ({"admitted_on": "2010-01-01"}, "admitted_on"),  # before any statute version is in force
])
def test_an_invalid_admission_shows_the_error_at_the_field_and_writes_nothing(
        app: Flask, client: FlaskClient, engine: Engine, change: dict[str, str], field: str) -> None:
    before = _counts(engine)
    response = _post(app, client, "/admin/members/new", {**ADMIT, **change})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(rf'<p class="field-error" id="e-{field}">', body), body[-2000:]
    assert 'aria-invalid="true"' in body
    assert _counts(engine) == before


@pytest.fixture
def erika(app: Flask, client: FlaskClient, engine: Engine) -> int:
    assert _post(app, client, "/admin/members/new", ADMIT).headers.get("X-NC-Coop-Continue")
    with Session(engine) as session:
        return session.scalar(select(Membership.id))


@pytest.mark.parametrize(("booking", "field"), [
    ({"type": "deposit", "date": "2024-02-01", "amount": "2.000,01"}, "amount"),  # above 2 × 100 €
    ({"type": "deposit", "date": "2024-02-01", "amount": "zehn"}, "amount"),
    ({"type": "deposit", "date": "2024-02-01"}, "amount"),
    ({"type": "subscribe", "date": "2024-03-01", "shares": "1"}, "shares"),  # §15b: unpaid shares
    ({"type": "notice", "date": "2024-03-01", "shares": "2"}, "shares"),  # below the mandatory share
    ({"type": "payout", "date": "2024-03-01", "amount": "10"}, "date"),  # not after an exit
    ({"type": "transfer", "date": "2024-03-01", "to_member_no": "77", "amount": "10"}, "to_member_no"),
    ({"type": "reversal", "date": "2024-03-01", "ledger": "capital", "entry_id": "1"}, "reason"),
    ({"type": "deposit", "date": "2023-12-31", "amount": "10"}, "date"),  # before the admission
])
def test_an_invalid_booking_shows_the_error_at_the_field_and_writes_nothing(
        app: Flask, client: FlaskClient, engine: Engine, erika: int, booking: dict[str, str], field: str) -> None:
    before = _counts(engine)
    response = _post(app, client, f"/admin/members/{erika}", booking)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(rf'<p class="field-error" id="e-{field}">', body), re.findall(r'field-error" id="e-(\w+)">([^<]*)', body)
    assert _counts(engine) == before


def test_a_valid_booking_is_shown_with_its_dates(app: Flask, client: FlaskClient, engine: Engine, erika: int) -> None:
    response = _post(app, client, f"/admin/members/{erika}",
                     {"type": "deposit", "date": "2024-02-01", "amount": "123,45", "reference": "SEPA-42",
                      "basis_document": "Kontoauszug 2024/02"}, language="de")
    assert response.headers.get("X-NC-Coop-Continue")
    page = client.get(f"/admin/members/{erika}", headers=appapi_headers("admin", language="de")).get_data(as_text=True)
    assert "123,45\xa0€" in page and "SEPA-42" in page and "01.02.2024" in page
    assert "Grundlage: Kontoauszug 2024/02" in page  # the document a booking rests on
    assert "76,55\xa0€" in page  # still to be paid on 2 × 100 €


def test_the_json_api_books_and_refuses_with_field_errors(app: Flask, client: FlaskClient, engine: Engine,
                                                          erika: int) -> None:
    with app.app_context():
        token = csrf_token("admin")
    headers = {**appapi_headers("admin"), "X-CSRF-Token": token}
    ok = client.post(f"/api/v1/admin/members/{erika}/bookings", json={"type": "deposit", "date": "2024-02-01",
                                                                      "amount_cents": 20_000}, headers=headers)
    assert ok.status_code == 201 and "capital_entry_id" in ok.get_json()
    before = _counts(engine)
    for bad, field in (({"type": "deposit", "date": "2024-02-02", "amount_cents": 1}, "amount_cents"),
                       ({"type": "deposit", "date": "2024-02-02", "amount_cents": 1.5}, "amount_cents"),
                       ({"type": "teleport", "date": "2024-02-02"}, "type")):
        refused = client.post(f"/api/v1/admin/members/{erika}/bookings", json=bad, headers=headers)
        assert refused.status_code == 422 and field in refused.get_json()["errors"], refused.get_json()
    assert _counts(engine) == before
    member = client.get(f"/api/v1/admin/members/{erika}", headers=headers).get_json()
    assert (member["capital_cents"], member["outstanding_cents"]) == (20_000, 0)

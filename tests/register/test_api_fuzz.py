# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Schemathesis over the OpenAPI document the app serves: on a seeded register, as a cooperative
admin, no generated request to any operation gets a server error, an undocumented status or a
response its schema does not allow.

The schema is loaded at collection (one pytest item per operation and database) from the same
builder the app serves it with; each item checks that the app serves exactly this document.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from nc_coop.assembly.openapi import describe as describe_assembly
from nc_coop.documents.openapi import describe as describe_documents
from nc_coop.ldapsync.openapi import describe as describe_ldap_sync
from nc_coop.quota.openapi import describe as describe_quota
from nc_coop.register.models import Account
from nc_coop.register.openapi import describe
from nc_coop.register.services import book_capital, receive_notice
from nc_coop.requests.openapi import describe as describe_requests
from nc_coop.web.csrf import csrf_token
from nc_coop.web.openapi import build_document
from tests.conftest import appapi_headers
from tests.register.conftest import OFFICE

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
SEEDED = [1, 2, 3]  # the membership ids of the seeded register (a fresh database each time)

schema = schemathesis.openapi.from_dict(build_document("0.1.0", [describe, describe_ldap_sync, describe_documents,
                                                                 describe_requests, describe_quota,
                                                                 describe_assembly]))


@schema.hook
def flatmap_path_parameters(_context: Any, path_parameters: dict[str, Any] | None) -> Any:
    """Mostly memberships that exist, so that bookings get as far as the rules; now and then the
    generated id."""
    if not path_parameters or "membership_id" not in path_parameters:
        return st.just(path_parameters)
    return st.sampled_from([*SEEDED, path_parameters["membership_id"]]).map(
        lambda mid: {**path_parameters, "membership_id": mid})


@pytest.fixture
def seeded(app: Flask, client: FlaskClient, engine: Engine, member: Callable[..., int]) -> Flask:
    """Three members (the first linked to the admin's account), a deposit and a pending notice;
    and the app serves the document under test."""
    ids = [member("Erika Mustermann", shares=2), member("TSV Musterstadt e.V.", kind="association", shares=3),
           member("Max Beispiel", on=date(2024, 3, 1))]
    assert ids == SEEDED
    with Session(engine) as session:
        book_capital(session, OFFICE, membership_id=ids[0], kind="deposit", amount_cents=15_000,
                     value_date=date(2024, 2, 1), reference="SEPA-1")
        receive_notice(session, OFFICE, membership_id=ids[2], received_on=date.today())
        session.add(Account(nextcloud_user_id="admin", party_id=1, role="self", created_at=datetime.now(UTC)))
        session.commit()
    served = client.get("/api/v1/openapi.json", headers=appapi_headers("admin")).get_json()
    assert served == schema.raw_schema, "the app serves another document: are its describers all listed here?"
    return app


@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_no_request_gets_a_server_error_or_an_undocumented_answer(seeded: Flask, case: Any) -> None:
    with seeded.app_context():
        token = csrf_token("admin")
    case.call_and_validate(app=seeded, headers={**appapi_headers("admin"), "X-CSRF-Token": token}, checks=CHECKS)


# Found by the fuzzer, or next to what it found: numbers beyond the database's integers, text that
# no database can store. (method, path, JSON body, expected status)
ODD_INPUT: list[tuple[str, str, Any, int]] = [
    ("GET", "/api/v1/admin/members/9223372036854775808", None, 404),  # beyond a 64-bit id
    ("GET", "/api/v1/admin/members?q=%C2%B2", None, 200),  # "²".isdigit(), but no number
    ("GET", "/api/v1/admin/members?q=99999999999999999999999", None, 200),  # no such member number
    ("GET", "/api/v1/admin/members?offset=99999999999999999999999", None, 422),
    ("POST", "/api/v1/admin/members/1/bookings",
     {"type": "transfer", "date": "2024-05-01", "to_member_no": 10**20, "shares": 1}, 422),
    ("POST", "/api/v1/admin/members/1/bookings",
     {"type": "reversal", "date": "2024-05-01", "ledger": "capital", "entry_id": 10**20, "reason": "x"}, 422),
    # Text no database can store: NUL (PostgreSQL) and lone surrogates (not UTF-8).
    ("POST", "/api/v1/admin/members/1/bookings",
     {"type": "deposit", "date": "2024-05-01", "amount_cents": 100, "reference": "SEPA\x00"}, 422),
    ("POST", "/api/v1/admin/members/1/bookings",
     {"type": "death", "date": "2024-05-01", "basis_document": "\ud800"}, 422),
    ("POST", "/api/v1/admin/members", {"kind": "natural", "family_name": "Muster\x00mann", "postal_address":
                                        "Hauptstr. 1", "admitted_on": "2024-01-10", "shares": 1}, 422),
    ("POST", "/api/v1/admin/members", {"kind": "natural", "family_name": "Mustermann", "postal_address":
                                        "Hauptstr. 1", "admitted_on": "2024-01-10", "shares": 1,
                                        "email": "erika@\udc00.org"}, 422),
    ("GET", "/api/v1/admin/members?q=a%00b", None, 422),
]


def test_odd_input_is_refused_not_crashed_on(seeded: Flask, client: FlaskClient) -> None:
    with seeded.app_context():
        token = csrf_token("admin")
    answers = [(method, path, body, client.open(path, method=method, json=body, headers={
        **appapi_headers("admin"), "X-CSRF-Token": token}).status_code) for method, path, body, _ in ODD_INPUT]
    assert answers == ODD_INPUT

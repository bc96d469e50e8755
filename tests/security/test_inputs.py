# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Input as strict as the OpenAPI document says, and bad input refused with its field and reason,
never a 500, and nothing written:

- a body that is not JSON (or nested too deeply to parse) gets 400 "not valid JSON" on every POST;
- days only as YYYY-MM-DD, and only from 1900-01-01 to 2999-12-31, in every date field;
- whole numbers in JSON only as JSON integers (forms send text and keep working);
- ids beyond the database's BIGINT in any URL are a 404.
"""
from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from marshmallow import fields
from werkzeug.routing import IntegerConverter

from nc_coop.register.importer import MemberRowSchema
from nc_coop.web.openapi import document
from nc_coop.web.schema import DAY_RANGE, Day, Schema, WholeNumber
from tests.conftest import get_db_engine
from tests.security.seed import SEEDED_IDS, audit_count, headers, post_json, seed

BEYOND_BIGINT = 2**63


@pytest.fixture
def seeded(app: Flask, client: FlaskClient) -> Flask:
    seed(app, get_db_engine(app), client)
    return app


def post_raw(app: Flask, client: FlaskClient, path: str, body: bytes | str,
             content_type: str = "application/json") -> Any:
    return client.post(path, data=body, content_type=content_type, headers=headers(app))


def post_form(app: Flask, client: FlaskClient, path: str, form: dict[str, str]) -> Any:
    sent = headers(app)
    return client.post(path, data={**form, "csrf_token": sent.pop("X-CSRF-Token")},
                       headers={**sent, "Accept": "text/html"})


def json_posts(app: Flask) -> list[str]:
    """Every POST operation of the served document, with the seeded ids in its path."""
    paths = []
    for path, operations in document(app)["paths"].items():
        if "post" in operations:
            for name in ("membership_id", "request_id", "document_id", "override_id", "account_id", "party_id",
                         "assembly_id", "item_id", "proxy_id", "demand_id"):
                path = path.replace("{" + name + "}", str(SEEDED_IDS[0]))
            assert "{" not in path, path
            paths.append(path)
    return paths


# --- Bodies that are not JSON -------------------------------------------------------------------

NOT_JSON = [b"[" * 1500, b"{" * 100_000, b'{"a": ' * 5000, b"{bad", b'{"shares": 1,}', b"\xff\xfe\xfa",
            b'{"shares": NaN}', b"shares=1"]


def test_a_body_that_is_not_json_gets_400_on_every_post_and_writes_nothing(seeded: Flask,
                                                                           client: FlaskClient) -> None:
    engine = get_db_engine(seeded)
    paths = json_posts(seeded)
    assert len(paths) >= 25
    # A route whose row does not exist here (or the documents, not configured here) answers 404
    # before it reads a body; every other one must read it and refuse it.
    absent = {path for path in paths if post_raw(seeded, client, path, b"{}").status_code == 404}
    assert len(set(paths) - absent) >= 15
    before = audit_count(engine)  # (an empty body may have started something above)
    answers = {(path, body[:12]): post_raw(seeded, client, path, body) for path in paths for body in NOT_JSON}
    wrong = {key: (a.status_code, a.get_data(as_text=True)[:200]) for key, a in answers.items()
             if (a.status_code, key[0] in absent) != (404, True)
             and (a.status_code != 400 or "not valid JSON" not in a.get_json()["error"])}
    assert sorted(wrong.items()) == []
    assert audit_count(engine) == before


def test_the_400_says_where_and_is_in_the_users_language(seeded: Flask, client: FlaskClient) -> None:
    answer = post_raw(seeded, client, "/api/v1/requests/shares", b'{"membership_id": 1, "shares": }')
    assert answer.status_code == 400
    assert answer.get_json() == {"error": "The request body is not valid JSON (at character 31)."}
    sent = headers(seeded)
    german = client.post("/api/v1/requests/shares", data=b"[" * 1500, content_type="application/json",
                         headers={**sent, "Accept-Language": "de"})
    assert german.status_code == 400 and "kein gültiges JSON" in german.get_json()["error"]


def test_no_body_still_counts_as_an_empty_object(seeded: Flask, client: FlaskClient) -> None:
    answer = post_raw(seeded, client, "/api/v1/requests/shares", b"")
    assert answer.status_code == 422
    assert set(answer.get_json()["errors"]) == {"membership_id", "shares"}


def test_json_that_is_not_an_object_is_refused_by_the_schema(seeded: Flask, client: FlaskClient) -> None:
    before = audit_count(get_db_engine(seeded))
    for path in ("/api/v1/requests/shares", "/api/v1/admin/quota/overrides/1/end", "/api/v1/admin/ldap/runs"):
        answer = post_raw(seeded, client, path, b"[1, 2]")
        assert answer.status_code == 422, (path, answer.get_data(as_text=True))
        assert answer.get_json()["errors"] == {"_schema": ["Invalid input type."]}
    assert audit_count(get_db_engine(seeded)) == before


# --- Days ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("day", ["20250101", "2025-W01-1", "2025-001", "2025-1-1", "2025-01-01T00:00:00",
                                 " 2025-01-01", "2025-01-01 ", "１２３４-01-01", "2025-02-30", "01.01.2025"])
def test_a_day_is_only_yyyy_mm_dd(seeded: Flask, client: FlaskClient, day: str) -> None:
    engine = get_db_engine(seeded)
    before = audit_count(engine)
    booking = post_json(seeded, client, "/api/v1/admin/members/1/bookings",
                        {"type": "deposit", "date": day, "amount_cents": 100})
    assert booking.status_code == 422
    assert list(booking.get_json()["errors"]) == ["date"]
    admission = post_json(seeded, client, "/api/v1/admin/members", {
        "kind": "natural", "family_name": "Muster", "postal_address": "Hauptstr. 1", "admitted_on": day, "shares": 1})
    assert admission.status_code == 422 and list(admission.get_json()["errors"]) == ["admitted_on"]
    if day == day.strip():  # a form's fields are stripped, as the browser's date input never pads
        form = post_form(seeded, client, "/admin/members/1", {"type": "deposit", "date": day, "amount": "1"})
        assert form.status_code == 422 and "Not a valid date" in form.get_data(as_text=True)
    assert audit_count(engine) == before


def test_the_iso_day_works_in_json_and_in_forms(seeded: Flask, client: FlaskClient) -> None:
    booking = post_json(seeded, client, "/api/v1/admin/members/1/bookings",
                        {"type": "deposit", "date": "2025-01-02", "amount_cents": 100})
    assert booking.status_code == 201, booking.get_data(as_text=True)
    form = post_form(seeded, client, "/admin/members/1", {"type": "deposit", "date": "2025-01-03", "amount": "1"})
    assert form.status_code == 200 and form.headers.get("X-NC-Coop-Continue")


BOOKINGS = [{"type": "notice"}, {"type": "deposit", "amount_cents": 100}, {"type": "death"},
            {"type": "exclusion", "decided_on": "2025-01-02"}]


@pytest.mark.parametrize("day", ["9997-01-01", "9999-12-31", "3000-01-01", "1899-12-31", "0001-01-01"])
def test_every_day_field_keeps_to_1900_to_2999(seeded: Flask, client: FlaskClient, day: str) -> None:
    engine = get_db_engine(seeded)
    before = audit_count(engine)
    for booking in BOOKINGS:
        answer = post_json(seeded, client, "/api/v1/admin/members/1/bookings", {**booking, "date": day})
        assert answer.status_code == 422, (booking, answer.get_data(as_text=True))
        assert answer.get_json()["errors"] == {"date": ["Must be a day from 1900-01-01 to 2999-12-31."]}
    exclusion = post_json(seeded, client, "/api/v1/admin/members/2/bookings",
                          {"type": "exclusion", "date": "2025-01-02", "decided_on": day})
    assert exclusion.get_json()["errors"] == {"decided_on": ["Must be a day from 1900-01-01 to 2999-12-31."]}
    admission = post_json(seeded, client, "/api/v1/admin/members", {
        "kind": "natural", "family_name": "Muster", "postal_address": "Hauptstr. 1", "admitted_on": day, "shares": 1})
    assert admission.get_json()["errors"] == {"admitted_on": ["Must be a day from 1900-01-01 to 2999-12-31."]}
    decision = post_json(seeded, client, "/api/v1/admin/requests/1/decision", {"decision": "approve", "date": day})
    assert decision.status_code == 422 and list(decision.get_json()["errors"]) == ["date"]
    form = post_form(seeded, client, "/admin/members/1", {"type": "notice", "date": day})
    assert form.status_code == 422 and "Must be a day from 1900-01-01 to 2999-12-31." in form.get_data(as_text=True)
    assert audit_count(engine) == before


def test_a_notice_on_the_last_day_allowed_does_not_overflow(seeded: Flask, client: FlaskClient) -> None:
    """The rules add the notice period and the settlement months to the day: from 2999-12-31 that
    stays far below year 10000 (a 500 for a notice dated 9997 before)."""
    answer = post_json(seeded, client, "/api/v1/admin/members/2/bookings", {"type": "notice", "date": "2999-12-31"})
    assert answer.status_code in (201, 422), answer.get_data(as_text=True)


def test_the_german_message_names_the_range(seeded: Flask, client: FlaskClient) -> None:
    sent = headers(seeded)
    answer = client.post("/api/v1/admin/members/1/bookings", json={"type": "notice", "date": "9999-12-31"},
                         headers={**sent, "Accept-Language": "de"})
    assert answer.get_json()["errors"]["date"] == ["Muss ein Tag vom 1900-01-01 bis zum 2999-12-31 sein."]


def schema_classes() -> list[type[Schema]]:
    def subclasses(cls: type[Schema]) -> list[type[Schema]]:
        return [cls, *(s for sub in cls.__subclasses__() for s in subclasses(sub))]

    return [cls for cls in subclasses(Schema) if cls.__module__.startswith("nc_coop.")]  # not the tests' own


def test_every_schema_uses_the_shared_day_and_number_fields(app: Flask) -> None:
    """One rule for days and numbers: a schema with its own fields.Date or fields.Integer would
    take "20250101", 9999-12-31 or "1" in JSON again."""
    own = [f"{cls.__module__}.{cls.__name__}.{name}" for cls in schema_classes()
           for name, field in cls._declared_fields.items()
           if (isinstance(field, fields.Date) and not isinstance(field, Day))
           or (isinstance(field, fields.Integer) and not isinstance(field, WholeNumber))]
    assert len(schema_classes()) > 40
    assert own == []
    assert DAY_RANGE in MemberRowSchema._declared_fields["admitted_on"].validators  # the CSV import's day


def test_the_day_field_as_python_sees_it() -> None:
    day = Day()
    assert day.deserialize("2999-12-31") == date(2999, 12, 31)
    assert day.deserialize(date(2024, 2, 29)) == date(2024, 2, 29)
    for wrong in ("20250101", "2025-W01-1", 20250101, None, "3000-01-01"):
        with pytest.raises(Exception):  # noqa: B017,PT011 - ValidationError, or None refused as null
            day.deserialize(wrong)


# --- Whole numbers ---------------------------------------------------------------------------------

@pytest.mark.parametrize("shares", ["1", 1.0, "  3 ", True, "1e0", 1.5, [1], {"n": 1}])
def test_a_whole_number_in_json_is_a_json_integer(seeded: Flask, client: FlaskClient, shares: Any) -> None:
    engine = get_db_engine(seeded)
    before = audit_count(engine)
    answer = post_json(seeded, client, "/api/v1/requests/shares", {"membership_id": 2, "shares": shares,
                                                                   "acknowledged": ["statute", "payment"]})
    assert answer.status_code == 422
    assert answer.get_json()["errors"] == {"shares": ["Not a valid integer."]}
    booking = post_json(seeded, client, "/api/v1/admin/members/1/bookings",
                        {"type": "deposit", "date": "2025-01-02", "amount_cents": shares})
    assert booking.status_code == 422 and list(booking.get_json()["errors"]) == ["amount_cents"]
    admission = post_json(seeded, client, "/api/v1/admin/members", {
        "kind": "natural", "family_name": "Muster", "postal_address": "Hauptstr. 1", "admitted_on": "2025-01-02",
        "shares": shares})
    assert admission.status_code == 422 and list(admission.get_json()["errors"]) == ["shares"]
    membership = post_json(seeded, client, "/api/v1/requests/notice", {"membership_id": str(shares), "scope": "all"})
    assert membership.status_code == 422 and list(membership.get_json()["errors"]) == ["membership_id"]
    quota = post_json(seeded, client, "/api/v1/admin/quota/overrides", {
        "scope": "organisation", "party_id": shares, "quota": "5 GB", "reason": "test"})
    assert quota.status_code == 422 and "party_id" in quota.get_json()["errors"]
    assert audit_count(engine) == before


def test_a_json_integer_is_taken(seeded: Flask, client: FlaskClient) -> None:
    answer = post_json(seeded, client, "/api/v1/admin/members", {
        "kind": "natural", "family_name": "Muster", "postal_address": "Hauptstr. 1", "admitted_on": "2025-01-02",
        "shares": 3})
    assert answer.status_code == 201, answer.get_data(as_text=True)


def test_forms_send_numbers_as_text_and_keep_working(seeded: Flask, client: FlaskClient) -> None:
    engine = get_db_engine(seeded)
    admitted = post_form(seeded, client, "/admin/members/new", {
        "kind": "natural", "family_name": "Muster", "given_names": "Max", "postal_address": "Hauptstr. 1",
        "admitted_on": "2025-01-02", "shares": "3"})
    assert admitted.status_code == 200 and admitted.headers.get("X-NC-Coop-Continue"), admitted.get_data(as_text=True)
    before = audit_count(engine)
    fraction = post_form(seeded, client, "/admin/members/new", {
        "kind": "natural", "family_name": "Muster", "given_names": "Max", "postal_address": "Hauptstr. 1",
        "admitted_on": "2025-01-02", "shares": "2.5"})
    assert fraction.status_code == 422 and "Not a valid integer." in fraction.get_data(as_text=True)
    assert audit_count(engine) == before


# --- Ids beyond BIGINT in URLs -----------------------------------------------------------------------

def test_an_id_beyond_bigint_in_any_url_is_a_404(seeded: Flask, client: FlaskClient) -> None:
    engine = get_db_engine(seeded)
    before = audit_count(engine)
    sent = headers(seeded)
    answers = {}
    for rule in seeded.url_map.iter_rules():
        if not any(isinstance(c, IntegerConverter) for c in rule._converters.values()):
            continue
        path = rule.rule
        for argument in rule.arguments:
            path = path.replace(f"<int:{argument}>", str(BEYOND_BIGINT))
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            answers[(method, path)] = client.open(path, method=method, headers=sent).status_code
    assert ("GET", f"/admin/members/{BEYOND_BIGINT}/extract.pdf") in answers
    assert len(answers) >= 30
    assert {key: code for key, code in answers.items() if code != 404} == {}
    assert audit_count(engine) == before


def test_the_largest_bigint_still_reaches_the_view(seeded: Flask, client: FlaskClient) -> None:
    answer = client.get(f"/admin/members/{BEYOND_BIGINT - 1}/extract.pdf", headers=headers(seeded))
    assert answer.status_code == 404  # no such member, said by the view
    assert client.get("/admin/members/1/extract.pdf", headers=headers(seeded)).status_code == 200

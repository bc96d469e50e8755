# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The OpenAPI document: served to any user, valid, and describing every /api/v1 route the app has."""
from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from tests.conftest import appapi_headers

DOC = "/api/v1/openapi.json"
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def _routes(app: Flask) -> set[tuple[str, str]]:
    """(OpenAPI path, method) for every /api/v1 rule of the app."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") or rule.rule == "/api/v1":
            path = re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule.rule)
            routes |= {(path, method.lower()) for method in rule.methods or () if method not in IGNORED_METHODS}
    return routes


def test_the_document_is_valid_openapi_and_served_to_any_user(app: Flask, client: FlaskClient) -> None:
    response = client.get(DOC, headers=appapi_headers("alice"))  # not an admin, not a member
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    document = response.get_json()
    validate(document)
    assert document["openapi"].startswith("3.")
    assert client.get(DOC).status_code == 401
    assert client.get(DOC, headers=appapi_headers("")).status_code == 401


def test_the_document_is_built_once_per_app(app: Flask, client: FlaskClient) -> None:
    client.get(DOC, headers=appapi_headers("alice"))
    built = app.extensions["nc_coop.openapi"]
    client.get(DOC, headers=appapi_headers("admin"))
    assert app.extensions["nc_coop.openapi"] is built


def test_every_api_route_is_documented_and_nothing_else(app: Flask, client: FlaskClient) -> None:
    document = client.get(DOC, headers=appapi_headers("alice")).get_json()
    documented = {(path, method) for path, item in document["paths"].items() for method in item
                  if method in {"get", "put", "post", "delete", "patch"}}
    routes = _routes(app)
    assert routes, "no /api/v1 route found: the comparison would prove nothing"
    assert routes - documented == set(), "routes without OpenAPI description"
    assert documented - routes == set(), "described operations the app does not have"


def test_every_operation_names_its_security_and_answers(app: Flask, client: FlaskClient) -> None:
    document = client.get(DOC, headers=appapi_headers("alice")).get_json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["AppApiAuthorization"] == {"type": "apiKey", "in": "header", "name": "AUTHORIZATION-APP-API",
                                              "description": schemes["AppApiAuthorization"]["description"]}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            where = f"{method.upper()} {path}"
            assert operation.get("operationId"), where
            (requirement,) = operation["security"]
            assert {"AppApiAuthorization", "AppApiAppId", "AppApiAppVersion"} <= set(requirement), where
            assert ("CsrfToken" in requirement) == (method == "post"), where
            codes = set(operation["responses"])
            assert "401" in codes and codes & {"200", "201"}, where
            if "/admin/" in path:  # resolving the admin role asks Nextcloud
                assert {"403", "502", "503"} <= codes, where
            if "{membership_id}" in path:
                assert "404" in codes, where
            if method == "post":
                assert {"403", "422"} <= codes and operation["requestBody"]["required"], where

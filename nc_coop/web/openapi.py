# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The JSON API described in OpenAPI 3.0, generated from the marshmallow schemas with apispec.

Served at ``GET /api/v1/openapi.json`` to any authenticated user. Each part of the app with an
API contributes a ``describe(spec)`` function (wired in ``create_app``); the document is built
once per app, at the first request for it, and then served from memory.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, current_app, jsonify
from flask.typing import ResponseReturnValue
from marshmallow import fields

from nc_coop.web.schema import Schema

OPENAPI_VERSION = "3.0.3"
Describer = Callable[[APISpec], None]

bp = Blueprint("openapi", __name__)
_build_lock = threading.Lock()

DESCRIPTION = """\
The JSON API of nc_coop. Nextcloud's AppAPI proxy serves it below
`/index.php/apps/app_api/proxy/nc_coop`; the paths here are relative to that.

Every request carries the headers AppAPI's proxy adds (`AUTHORIZATION-APP-API`, `EX-APP-ID`,
`EX-APP-VERSION`); a request without them, or with a wrong secret or app id, is answered 401.
A state-changing request (POST) must also carry `X-CSRF-Token`, a token the app's pages hold
for the user (each page a fresh one, valid for 8 hours); without a valid one, or from another
origin, it is answered 403. Responses are never cached.
"""


class ErrorOut(Schema):
    error = fields.String(required=True, metadata={"description": "What went wrong, in the user's language"})


class ValidationErrorOut(Schema):
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), required=True,
                         metadata={"description": "Messages per input field (`_schema` for the body as a whole)"})


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": "Error"}}}


# Status code -> the shared response component that documents it.
STANDARD_RESPONSES: dict[int, tuple[str, dict[str, Any]]] = {
    400: ("BadRequest", _error("The request body is not valid JSON (or nested too deeply to read); nothing was "
                               "written")),
    401: ("Unauthorized", _error("The AppAPI headers are missing or wrong, or no user is named")),
    403: ("Forbidden", _error("Not allowed for this user, or (POST) no valid X-CSRF-Token / a foreign Origin")),
    404: ("NotFound", _error("No such resource, or not one this user may see")),
    413: ("TooLarge", _error("The request body is larger than 20 MiB")),
    422: ("Unprocessable", {"description": "The input is invalid; nothing was written",
                            "content": {"application/json": {"schema": "ValidationErrors"}}}),
    502: ("NextcloudRefused", _error("Nextcloud refused nc_coop's request (check the app's registration)")),
    503: ("NextcloudUnavailable", _error("Nextcloud cannot be reached right now")),
}


def error_responses(*codes: int) -> dict[str, Any]:
    """``responses`` entries that refer to the shared error responses."""
    return {str(code): STANDARD_RESPONSES[code][0] for code in codes}


def security(*, csrf: bool = False) -> list[dict[str, list[str]]]:
    """The security requirement of an operation: AppAPI's headers, plus the CSRF token for POST."""
    requirement: dict[str, list[str]] = {"AppApiAuthorization": [], "AppApiAppId": [], "AppApiAppVersion": []}
    if csrf:
        requirement["CsrfToken"] = []
    return [requirement]


def output_schema(spec: APISpec, name: str, schema: type[Schema]) -> None:
    """Register a response schema: every field it dumps is always present in a response."""
    present = [field.data_key or key for key, field in schema().fields.items() if not field.load_only]
    spec.components.schema(name, {"required": present}, schema=schema)


def build_document(version: str, describers: Iterable[Describer]) -> dict[str, Any]:
    spec = APISpec(title="nc_coop", version=version, openapi_version=OPENAPI_VERSION,
                   plugins=[MarshmallowPlugin()],
                   info={"description": DESCRIPTION,
                         "license": {"name": "AGPL-3.0-or-later",
                                     "url": "https://www.gnu.org/licenses/agpl-3.0.html"}})
    for scheme, header, description in (
            ("AppApiAuthorization", "AUTHORIZATION-APP-API", 'base64("<user id>:<app secret>"), set by AppAPI'),
            ("AppApiAppId", "EX-APP-ID", "The app id (nc_coop), set by AppAPI"),
            ("AppApiAppVersion", "EX-APP-VERSION", "The app version, set by AppAPI"),
            ("CsrfToken", "X-CSRF-Token", "The user's form token (the pages' csrf_token), required for POST")):
        spec.components.security_scheme(scheme, {"type": "apiKey", "in": "header", "name": header,
                                                 "description": description})
    output_schema(spec, "Error", ErrorOut)
    output_schema(spec, "ValidationErrors", ValidationErrorOut)
    for name, component in STANDARD_RESPONSES.values():
        spec.components.response(name, component)
    spec.path("/api/v1/openapi.json", operations={"get": {
        "operationId": "openapi", "tags": ["meta"], "summary": "This document",
        "security": security(),
        "responses": {"200": {"description": "The OpenAPI document of the JSON API",
                              "content": {"application/json": {"schema": {"type": "object"}}}},
                      **error_responses(401)},
    }})
    for describe in describers:
        describe(spec)
    document = spec.to_dict()
    # Every POST reads its body as JSON (none counts as {}), so every one may answer 400.
    for operations in document["paths"].values():
        post = operations.get("post")
        if post is not None and "400" not in post["responses"]:
            post["responses"] = {"400": {"$ref": "#/components/responses/BadRequest"}, **post["responses"]}
    return document


def init_app(app: Flask, describers: Iterable[Describer]) -> None:
    app.extensions["nc_coop.openapi.describers"] = list(describers)
    app.register_blueprint(bp)


def document(app: Flask) -> dict[str, Any]:
    """The app's OpenAPI document, built on first use."""
    built = app.extensions.get("nc_coop.openapi")
    if built is None:
        with _build_lock:
            built = app.extensions.get("nc_coop.openapi")
            if built is None:
                settings = app.config["NC_COOP_SETTINGS"]
                built = build_document(settings.app_version, app.extensions["nc_coop.openapi.describers"])
                app.extensions["nc_coop.openapi"] = built
    return built


@bp.get("/api/v1/openapi.json")
def openapi_json() -> ResponseReturnValue:
    return jsonify(document(current_app._get_current_object()))  # type: ignore[attr-defined]

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""What the documents views share: settings, gateway, input validation, Nextcloud errors."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

from flask import abort, current_app, g, jsonify, request
from marshmallow import Schema, ValidationError

from nc_coop.db import get_db
from nc_coop.documents.queries import DocumentView, document_view
from nc_coop.documents.services import Actor
from nc_coop.documents.settings import DocumentsSettings
from nc_coop.nextcloud import NextcloudError, NextcloudGateway, NextcloudUnavailable
from nc_coop.register.schemas import MAX_ID

T = TypeVar("T")
EXTENSION = "nc_coop.documents"


def documents_settings() -> DocumentsSettings | None:
    return current_app.extensions[EXTENSION]


def gateway() -> NextcloudGateway:
    return current_app.extensions["nc_coop.gateway"]


def actor() -> Actor:
    return Actor(g.user_id, g.request_id)


def view_or_404(document_id: int) -> DocumentView:
    """The same 404 for a missing id and an id beyond the database's integers."""
    view = document_view(get_db().session, document_id) if document_id <= MAX_ID else None
    if view is None:
        abort(404)
    return view


def form_data(schema: Schema) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    """A submitted form through ``schema``; empty fields count as absent."""
    raw = {k: v.strip() for k, v in request.form.items() if k != "csrf_token" and v.strip() != ""}
    try:
        return schema.load(raw), {}
    except ValidationError as exc:
        return None, {k: list(v) if isinstance(v, list) else [str(v)] for k, v in exc.normalized_messages().items()}


def json_data(schema: Schema) -> dict[str, Any]:
    body = request.get_json(silent=True)
    try:
        return schema.load(body if isinstance(body, dict) else {})
    except ValidationError as exc:
        unprocessable(exc.normalized_messages())


def unprocessable(errors: dict[str, Any]) -> NoReturn:
    response = jsonify({"errors": errors})
    response.status_code = 422
    abort(response)


def error_json(message: str, status: int) -> NoReturn:
    response = jsonify({"error": message})
    response.status_code = status
    abort(response)


def via_nextcloud(call: Callable[[], T]) -> T:
    """A call to Nextcloud from a view: unreachable is 503, any other refusal 502."""
    try:
        return call()
    except NextcloudUnavailable:
        abort(503)
    except NextcloudError:
        abort(502)

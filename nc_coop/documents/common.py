# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""What the documents views share: settings, gateway, error answers, Nextcloud errors."""
from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn, TypeVar

from flask import abort, current_app, g, jsonify

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

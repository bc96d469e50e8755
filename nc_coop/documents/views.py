# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The members' side: the "Documents" page, downloads streamed after the access check, read
confirmations, and their JSON API. A document the user may not see answers 404, exactly like
one that does not exist."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Flask, Response, abort, g, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from nc_coop.appapi.guard import current_roles
from nc_coop.dates import coop_today
from nc_coop.db import get_db
from nc_coop.documents import admin_views
from nc_coop.documents.common import (
    EXTENSION,
    actor,
    documents_settings,
    error_json,
    gateway,
    via_nextcloud,
    view_or_404,
)
from nc_coop.documents.queries import DocumentView, user_memberships, visible_documents
from nc_coop.documents.rules import Category, RuleViolation, split_statutes, visible_to_member
from nc_coop.documents.schemas import ConfirmResultOut, DocumentsOut, EmptySchema
from nc_coop.documents.services import Withheld, confirm, record_integrity, verified_stream
from nc_coop.documents.settings import load_documents_settings
from nc_coop.web.inputs import json_data, unprocessable
from nc_coop.web.navigation import see_other
from nc_coop.web.urls import rel_url_for

bp = Blueprint("documents", __name__)
# Opened in the browser; anything else (HTML, SVG, office files) is always a download, so that a
# published file can never run as a page of this origin.
INLINE_TYPES = {"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp", "text/plain"}


def init_app(app: Flask, environ: Mapping[str, Any]) -> None:
    """Read NC_COOP_DOCUMENTS_FOLDER / _USER (a malformed one stops start-up, naming it)."""
    app.extensions[EXTENSION] = load_documents_settings(environ)
    app.register_blueprint(bp)
    app.register_blueprint(admin_views.bp)


def _visible() -> list[DocumentView]:
    session = get_db().session
    return visible_documents(session, user_memberships(session, g.user_id), current_roles().is_coop_admin,
                             coop_today())


def _readable_or_404(document_id: int) -> DocumentView:
    """The access check of every per-document route: members by membership and audience,
    cooperative admins everything; all else is the 404 of a missing document."""
    view = view_or_404(document_id)
    session = get_db().session
    windows = user_memberships(session, g.user_id).windows
    if visible_to_member(view.audience, view.published_on, view.withdrawn_at is not None, windows, coop_today()):
        return view
    if not current_roles().is_coop_admin:
        abort(404)
    return view


# --- Page -------------------------------------------------------------------------------------------

@bp.get("/documents")
def documents() -> ResponseReturnValue:
    return _page()


def _page(error: str | None = None, status: int = 200) -> ResponseReturnValue:
    docs = _visible()
    today = coop_today()
    current, older, upcoming = split_statutes([d for d in docs if d.category == Category.STATUTES], today)
    groups = [(c.value, [d for d in docs if d.category == c]) for c in Category if c is not Category.STATUTES]
    is_member = bool(user_memberships(get_db().session, g.user_id).current_ids(today))
    return render_template("documents/documents.html", current_statute=current, older_statutes=older,
                           upcoming_statutes=upcoming, groups=[(c, d) for c, d in groups if d], is_member=is_member,
                           confirmed=request.args.get("confirmed") == "1", error=error, any_documents=bool(docs)), status


@bp.post("/documents/<int:document_id>/confirm")
def confirm_page(document_id: int) -> ResponseReturnValue:
    view = _readable_or_404(document_id)
    session = get_db().session
    try:
        confirm(session, actor(), view, user_memberships(session, g.user_id), coop_today())
    except RuleViolation as exc:
        return _page(exc.message, 422)
    return see_other(rel_url_for("documents.documents", confirmed=1) + f"#document-{view.id}")


# --- Download ---------------------------------------------------------------------------------------

def _download(view: DocumentView, inline: bool) -> Response:
    settings = documents_settings()
    if settings is None:
        error_json(_("Documents are not configured."), 409)
    database = get_db()
    request_id = g.request_id

    def flag(finding: str, sha256: str | None) -> None:
        # Its own transaction: the stream may end after the request, and a refusal rolls the request's back.
        with database.transaction() as session:
            record_integrity(session, "nc_coop", view, finding,
                             sha256=sha256, request_id=request_id)

    try:
        chunks = via_nextcloud(lambda: verified_stream(gateway(), settings, view, request_id, flag))
    except Withheld:
        error_json(_("This document has changed in Nextcloud since it was published and is withheld; "
                     "the board has been told."), 409)
    filename = view.path.rsplit("/", 1)[-1]
    disposition = "inline" if inline and view.content_type in INLINE_TYPES else "attachment"
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "").replace("?", "_")
    return Response(chunks, mimetype=view.content_type, direct_passthrough=True, headers={
        "Content-Length": str(view.size_bytes),
        "Content-Disposition": f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}",
        "X-Document-SHA256": view.sha256,
    })


@bp.get("/documents/<int:document_id>/file")
def file(document_id: int) -> ResponseReturnValue:
    return _download(_readable_or_404(document_id), inline=request.args.get("inline") == "1")


# --- JSON API ---------------------------------------------------------------------------------------

@bp.get("/api/v1/documents")
def api_documents() -> ResponseReturnValue:
    return jsonify(DocumentsOut().dump({"documents": _visible()}))


@bp.get("/api/v1/documents/<int:document_id>/file")
def api_file(document_id: int) -> ResponseReturnValue:
    return _download(_readable_or_404(document_id), inline=False)


@bp.post("/api/v1/documents/<int:document_id>/confirmation")
def api_confirm(document_id: int) -> ResponseReturnValue:
    view = _readable_or_404(document_id)
    json_data(EmptySchema())
    session = get_db().session
    try:
        new = confirm(session, actor(), view, user_memberships(session, g.user_id), coop_today())
    except RuleViolation as exc:
        unprocessable({exc.field: [exc.message]})
    return jsonify(ConfirmResultOut().dump({"confirmed_memberships": new})), 201

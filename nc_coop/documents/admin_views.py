# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The board's side (cooperative admins only): the picker over the documents folder, publishing,
unpublishing, assemblies with their §48(3) deadlines, file checks, read confirmations; as pages
and as a JSON API. An invalid form shows the error at the field and writes nothing."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, g, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import select

from nc_coop.appapi.guard import coop_admin_required
from nc_coop.dates import coop_today, day
from nc_coop.db import get_db
from nc_coop.documents.common import (
    actor,
    documents_settings,
    error_json,
    gateway,
    via_nextcloud,
    view_or_404,
)
from nc_coop.documents.models import DocumentEvent, DocumentNotification, GeneralAssembly
from nc_coop.documents.queries import DocumentView, all_documents, assemblies, confirmations, document_view
from nc_coop.documents.rules import (
    Category,
    RuleViolation,
    dav_path,
    normalise_relative_path,
    relative_to_folder,
)
from nc_coop.documents.schemas import (
    AdminDocumentOut,
    AdminDocumentsOut,
    AssembliesOut,
    AssemblyOut,
    AssemblySchema,
    CheckResultOut,
    ConfirmationsOut,
    EmptySchema,
    FolderOut,
    FolderQuerySchema,
    PublishResultOut,
    PublishSchema,
    UnpublishSchema,
)
from nc_coop.documents.services import check_file, create_assembly, notify_members, publish, recipients, unpublish
from nc_coop.nextcloud import DavEntry, NextcloudNotFound
from nc_coop.register.models import StatuteVersionRow
from nc_coop.web.inputs import form_data, json_data, unprocessable
from nc_coop.web.navigation import see_other
from nc_coop.web.urls import rel_url_for

bp = Blueprint("documents_admin", __name__)


# --- Shared steps -----------------------------------------------------------------------------------

def _folder_entries(raw_dir: str) -> tuple[str, list[dict[str, Any]]]:
    """The picker: the entries of a folder inside the documents folder. ``RuleViolation`` at
    ``dir`` for a path that would leave it; ``NextcloudNotFound`` when it does not exist."""
    settings = documents_settings()
    assert settings is not None
    try:
        relative = normalise_relative_path(raw_dir, allow_empty=True)
    except RuleViolation as exc:
        raise RuleViolation("dir", exc.message) from None
    entries: list[DavEntry] = via_nextcloud(
        lambda: _list(dav_path(settings.folder, relative), settings.user))
    published = {d.path for d in all_documents(get_db().session) if d.withdrawn_at is None}
    listed = []
    for entry in entries:
        inside = relative_to_folder(settings.folder, entry.path)
        if inside is None:  # never offer anything outside the folder, whatever Nextcloud answered
            continue
        listed.append({"path": inside, "name": entry.name, "is_dir": entry.is_dir, "size": entry.size,
                       "content_type": entry.content_type, "last_modified": entry.last_modified,
                       "published": entry.path in published})
    return relative, listed


class FolderMissing(Exception):
    """The folder to list does not exist (or the reading account cannot see it)."""


def _list(path: str, user: str) -> list[DavEntry]:
    try:
        return gateway().list_folder(path, user, g.request_id)
    except NextcloudNotFound:
        raise FolderMissing(path) from None


def _publish(data: dict[str, Any]) -> tuple[DocumentView, int, int]:
    """Publish, commit, then notify: a failed notification never undoes the publication."""
    settings = documents_settings()
    assert settings is not None
    session = get_db().session
    doc = via_nextcloud(lambda: publish(session, actor(), gateway(), settings, data))
    session.commit()
    view = document_view(session, doc.id)
    assert view is not None
    nextcloud = current_app.config["NC_COOP_SETTINGS"]
    link = f"{nextcloud.nextcloud_url}/index.php/apps/app_api/proxy/{nextcloud.app_id}/documents"
    sent, failed = notify_members(
        session, gateway(), view, recipients(session, view, coop_today()),
        text=lambda: (_("New document: %(title)s", title=view.title),
                      _("The cooperative has published a document for its members.")),
        link=link, request_id=g.request_id)
    return view, sent, failed


def _check_all() -> dict[str, list[int] | int]:
    settings = documents_settings()
    assert settings is not None
    session = get_db().session
    found: dict[str, list[int]] = {"file_changed": [], "file_missing": []}
    standing = [d for d in all_documents(session) if d.withdrawn_at is None]
    for view in standing:
        finding = via_nextcloud(lambda v=view: check_file(session, actor(), gateway(), settings, v))
        if finding in found:
            found[finding].append(view.id)
    return {"checked": len(standing), "changed": found["file_changed"], "missing": found["file_missing"]}


# --- Pages ------------------------------------------------------------------------------------------

@bp.get("/admin/documents")
@coop_admin_required
def overview() -> ResponseReturnValue:
    return _overview_page()


def _overview_page(*, errors: dict[str, list[str]] | None = None, assembly_errors: dict[str, list[str]] | None = None,
                   status: int = 200) -> ResponseReturnValue:
    settings = documents_settings()
    session = get_db().session
    today = coop_today()
    docs = all_documents(session)
    picker_error = None
    folder_missing = False
    relative, entries = "", []
    if settings is not None:
        try:
            relative, entries = _folder_entries(request.args.get("dir", ""))
        except RuleViolation as exc:
            picker_error = exc.message
            status = 400 if status == 200 else status
        except FolderMissing:
            if request.args.get("dir", "").strip("/"):
                picker_error = _("There is no such folder in the documents folder (or the reading account cannot "
                                 "see it).")
                status = 404 if status == 200 else status
            else:  # the documents folder itself: a setup step still to do, the page is fine (200)
                folder_missing = True
    form = request.form if (errors or assembly_errors) else {"path": request.args.get("path", "")}
    return render_template(
        "documents/admin.html", configured=settings is not None, folder_missing=folder_missing,
        folder=settings.folder if settings else "",
        reading_user=settings.user if settings else "", dir=relative, entries=entries, picker_error=picker_error,
        documents=docs, assemblies=assemblies(session, today, docs), flagged=[d for d in docs if d.integrity != "ok"
                                                                               and d.withdrawn_at is None],
        statute_choices=[(str(s.id), _("Version %(version)s, in force from %(day)s", version=s.version,
                                       day=day(s.registered_at)))
                         for s in session.scalars(select(StatuteVersionRow).order_by(StatuteVersionRow.version))],
        assembly_choices=[(str(a.id), f"{a.title} ({day(a.held_on)})") for a in
                          session.scalars(select(GeneralAssembly).order_by(GeneralAssembly.held_on.desc()))],
        categories=[c.value for c in Category], errors=errors or {}, assembly_errors=assembly_errors or {},
        form=form, checked=request.args.get("checked"), today=today), status


@bp.post("/admin/documents")
@coop_admin_required
def publish_form() -> ResponseReturnValue:
    if documents_settings() is None:
        abort(409)
    data, errors = form_data(PublishSchema())
    if data is not None:
        try:
            view, _sent, _failed = _publish(data)
        except RuleViolation as exc:
            get_db().session.rollback()
            errors = {exc.field: [exc.message]}
        else:
            return see_other(rel_url_for("documents_admin.detail", document_id=view.id, published=1))
    return _overview_page(errors=errors, status=422)


@bp.post("/admin/documents/assemblies")
@coop_admin_required
def assembly_form() -> ResponseReturnValue:
    data, errors = form_data(AssemblySchema())
    if data is None:
        return _overview_page(assembly_errors=errors, status=422)
    create_assembly(get_db().session, actor(), **data)
    return see_other(rel_url_for("documents_admin.overview", recorded=1) + "#assemblies")


@bp.post("/admin/documents/check")
@coop_admin_required
def check_form() -> ResponseReturnValue:
    if documents_settings() is None:
        abort(409)
    result = _check_all()
    flagged = len(result["changed"]) + len(result["missing"])  # type: ignore[arg-type]
    return see_other(rel_url_for("documents_admin.overview", checked=f"{result['checked']}:{flagged}"))


@bp.get("/admin/documents/<int:document_id>")
@coop_admin_required
def detail(document_id: int) -> ResponseReturnValue:
    return _detail_page(view_or_404(document_id))


def _detail_page(view: DocumentView, errors: dict[str, list[str]] | None = None, status: int = 200) -> ResponseReturnValue:
    session = get_db().session
    events = session.scalars(select(DocumentEvent).where(DocumentEvent.document_id == view.id)
                             .order_by(DocumentEvent.at, DocumentEvent.id)).all()
    notifications = session.scalars(select(DocumentNotification).where(DocumentNotification.document_id == view.id)
                                    .order_by(DocumentNotification.id)).all()
    rows = confirmations(session, view.id, coop_today()) if view.requires_confirmation else []
    return render_template("documents/admin_detail.html", doc=view, events=events, notifications=notifications,
                           confirmations=rows, errors=errors or {}, published=request.args.get("published") == "1",
                           unpublished=request.args.get("unpublished") == "1"), status


@bp.post("/admin/documents/<int:document_id>/unpublish")
@coop_admin_required
def unpublish_form(document_id: int) -> ResponseReturnValue:
    view = view_or_404(document_id)
    data, errors = form_data(UnpublishSchema())
    if data is not None:
        try:
            unpublish(get_db().session, actor(), view, data["reason"])
        except RuleViolation as exc:
            errors = {"reason": [exc.message]}
        else:
            return see_other(rel_url_for("documents_admin.detail", document_id=view.id, unpublished=1))
    return _detail_page(view, errors, 422)


# --- JSON API ---------------------------------------------------------------------------------------

def _configured() -> None:
    if documents_settings() is None:
        error_json(_("Documents are not configured (NC_COOP_DOCUMENTS_FOLDER, NC_COOP_DOCUMENTS_USER)."), 409)


@bp.get("/api/v1/admin/documents")
@coop_admin_required
def api_documents() -> ResponseReturnValue:
    return jsonify(AdminDocumentsOut().dump({"documents": all_documents(get_db().session)}))


@bp.post("/api/v1/admin/documents")
@coop_admin_required
def api_publish() -> ResponseReturnValue:
    data = json_data(PublishSchema())
    _configured()
    try:
        view, sent, failed = _publish(data)
    except RuleViolation as exc:
        get_db().session.rollback()
        unprocessable({exc.field: [exc.message]})
    return jsonify(PublishResultOut().dump({"document": view, "notified": sent, "notification_failures": failed})), 201


@bp.get("/api/v1/admin/documents/files")
@coop_admin_required
def api_files() -> ResponseReturnValue:
    args = _query()
    _configured()
    try:
        relative, entries = _folder_entries(args.get("dir", ""))
    except RuleViolation as exc:
        unprocessable({exc.field: [exc.message]})
    except FolderMissing:
        abort(404)
    return jsonify(FolderOut().dump({"dir": relative, "entries": entries}))


def _query() -> dict[str, Any]:
    try:
        return FolderQuerySchema().load({k: v for k, v in request.args.items() if k == "dir"})
    except ValidationError as exc:
        unprocessable(exc.normalized_messages())


@bp.post("/api/v1/admin/documents/<int:document_id>/unpublish")
@coop_admin_required
def api_unpublish(document_id: int) -> ResponseReturnValue:
    view = view_or_404(document_id)
    data = json_data(UnpublishSchema())
    session = get_db().session
    try:
        unpublish(session, actor(), view, data["reason"])
    except RuleViolation as exc:
        unprocessable({exc.field: [exc.message]})
    return jsonify(AdminDocumentOut().dump(document_view(session, view.id)))


@bp.get("/api/v1/admin/documents/<int:document_id>/confirmations")
@coop_admin_required
def api_confirmations(document_id: int) -> ResponseReturnValue:
    view = view_or_404(document_id)
    rows = confirmations(get_db().session, view.id, coop_today())
    done = sum(1 for r in rows if r.confirmed_at is not None)
    return jsonify(ConfirmationsOut().dump({"confirmed": done, "not_confirmed": len(rows) - done, "members": rows}))


@bp.post("/api/v1/admin/documents/check")
@coop_admin_required
def api_check() -> ResponseReturnValue:
    json_data(EmptySchema())
    _configured()
    return jsonify(CheckResultOut().dump(_check_all()))


@bp.get("/api/v1/admin/assemblies")
@coop_admin_required
def api_assemblies() -> ResponseReturnValue:
    return jsonify(AssembliesOut().dump({"assemblies": assemblies(get_db().session, coop_today())}))


@bp.post("/api/v1/admin/assemblies")
@coop_admin_required
def api_create_assembly() -> ResponseReturnValue:
    data = json_data(AssemblySchema())
    session = get_db().session
    assembly = create_assembly(session, actor(), **data)
    view = next(a for a in assemblies(session, coop_today()) if a.id == assembly.id)
    return jsonify(AssemblyOut().dump(view)), 201

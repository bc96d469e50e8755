# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The board's inbox of requests (cooperative admins only): filter, read, admit or confirm, reject;
as pages and as a JSON API. A decision is committed first and then told to the member in
Nextcloud; a failed notification is shown here and can be sent again. A rejected application is
purged once its rejection has been sent (§15 Abs. 2 GenG)."""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from marshmallow import ValidationError

from nc_coop.appapi.guard import coop_admin_required
from nc_coop.dates import coop_today
from nc_coop.audit.chain import lock_chain
from nc_coop.db import get_db
from nc_coop.requests import services
from nc_coop.requests.common import actor, deliver_decision, flat_errors, form_data, json_data
from nc_coop.requests.models import MemberRequest
from nc_coop.requests.queries import board_view, inbox, request_or_none
from nc_coop.requests.rules import Action, RuleViolation, Status
from nc_coop.requests.schemas import KINDS, STATUSES, AdminRequestOut, AdminRequestsOut, DecisionSchema, InboxQuerySchema
from nc_coop.web.inputs import unprocessable
from nc_coop.web.navigation import see_other
from nc_coop.web.urls import rel_url_for

bp = Blueprint("requests_admin", __name__)


def _today() -> date:
    return coop_today()


def request_or_404(request_id: int) -> MemberRequest:
    r = request_or_none(get_db().session, request_id)
    if r is None:
        abort(404)
    return r


def _decide(r: MemberRequest, data: dict[str, Any]) -> None:
    """Decide, commit, then notify (a failed notification never undoes the decision)."""
    session = get_db().session
    today = _today()
    services.decide(session, actor(), r, action=Action(data["decision"]), on=data.get("date") or today, today=today,
                    reason=data.get("reason"))
    session.commit()
    deliver_decision(session, r)


# --- Pages ------------------------------------------------------------------------------------------

@bp.get("/admin/requests")
@coop_admin_required
def inbox_page() -> ResponseReturnValue:
    try:
        args = InboxQuerySchema().load({k: v for k, v in request.args.items() if k in ("kind", "status") and v})
    except ValidationError:
        args = {"kind": None, "status": None}
    return render_template("requests/admin_inbox.html", requests=inbox(get_db().session, **args), kinds=KINDS,
                           statuses=STATUSES, **args)


@bp.get("/admin/requests/<int:request_id>")
@coop_admin_required
def detail(request_id: int) -> ResponseReturnValue:
    return _detail_page(request_or_404(request_id))


def _detail_page(r: MemberRequest, errors: dict[str, list[str]] | None = None) -> ResponseReturnValue:
    return render_template("requests/admin_detail.html", r=board_view(get_db().session, r), errors=errors or {},
                           form=request.form, today=_today(), decided=request.args.get("decided") == "1",
                           open=r.status == Status.SUBMITTED.value), (422 if errors else 200)


@bp.post("/admin/requests/<int:request_id>/decision")
@coop_admin_required
def decision(request_id: int) -> ResponseReturnValue:
    r = request_or_404(request_id)
    data, errors = form_data(DecisionSchema())
    if data is not None:
        try:
            _decide(r, data)
        except RuleViolation as exc:
            get_db().session.rollback()
            errors = {exc.field: [str(exc.reason)]}
        else:
            return see_other(rel_url_for("requests_admin.detail", request_id=r.id, decided=1))
    return _detail_page(request_or_404(request_id), errors)


@bp.post("/admin/requests/<int:request_id>/notify")
@coop_admin_required
def notify_again(request_id: int) -> ResponseReturnValue:
    """Send a decision's notification again (after Nextcloud was unreachable).

    Checked and sent under the writers' lock, held until the outcome is committed: of two clicks
    the second finds the notification sent (409) and the member is told once. Holding the lock
    over one call to Nextcloud is acceptable for this rare, manual step; a claim that a crash
    could leave behind would block the retry instead."""
    r = request_or_404(request_id)
    lock_chain(get_db().session)
    get_db().session.refresh(r)
    if r.status in (Status.SUBMITTED.value, Status.AWAITING_CONSENT.value) or r.notified_at is not None:
        abort(409)
    deliver_decision(get_db().session, r)
    return see_other(rel_url_for("requests_admin.detail", request_id=r.id, notified=1))


# --- JSON API ---------------------------------------------------------------------------------------

@bp.get("/api/v1/admin/requests")
@coop_admin_required
def api_inbox() -> ResponseReturnValue:
    try:
        args = InboxQuerySchema().load(request.args.to_dict())
    except ValidationError as exc:
        unprocessable(flat_errors(exc.normalized_messages()))
    return jsonify(AdminRequestsOut().dump({"requests": inbox(get_db().session, **args)}))


@bp.get("/api/v1/admin/requests/<int:request_id>")
@coop_admin_required
def api_detail(request_id: int) -> ResponseReturnValue:
    return jsonify(AdminRequestOut().dump(board_view(get_db().session, request_or_404(request_id))))


@bp.post("/api/v1/admin/requests/<int:request_id>/decision")
@coop_admin_required
def api_decision(request_id: int) -> ResponseReturnValue:
    r = request_or_404(request_id)
    data = json_data(DecisionSchema())
    try:
        _decide(r, data)
    except RuleViolation as exc:
        unprocessable({exc.field: [str(exc.reason)]})
    return jsonify(AdminRequestOut().dump(board_view(get_db().session, r))), 201

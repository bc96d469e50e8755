# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The members' side: "Storage" with the user's own usage and quota, the organisations they
represent (every user of it, and the pool), requests for more storage; and their JSON API.

A member sees their own usage and nothing of anybody else; a representative also sees the users
of the organisations they represent while the appointment runs. Any other organisation answers
404, exactly like one that does not exist.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Flask, abort, g, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from nc_coop.appapi.guard import current_roles
from nc_coop.db import get_db
from nc_coop.quota import admin_views
from nc_coop.quota.common import (
    Usage,
    actor,
    json_data,
    live_usage,
    quota_settings,
    size_text,
    today,
    unprocessable,
)
from nc_coop.quota.facts import load_facts, open_changes
from nc_coop.quota.models import QuotaRequest
from nc_coop.quota.policy import QuotaRuleError, reason_text
from nc_coop.quota.runner import QuotaRunner
from nc_coop.quota.schemas import MyQuotaOut, OrganisationUsageOut, RequestOut, RequestSchema, RequestsOut
from nc_coop.quota.services import (
    create_request,
    desired_quotas,
    organisation_pool,
    organisation_users,
    party_name,
    represented_organisations,
)
from nc_coop.quota.settings import EXTENSION, load_quota_settings
from nc_coop.register.schemas import MAX_ID
from nc_coop.web.inputs import form_data
from nc_coop.web.navigation import see_other
from nc_coop.web.urls import rel_url_for

bp = Blueprint("quota", __name__)


def init_app(app: Flask, environ: Mapping[str, Any]) -> QuotaRunner:
    """Read NC_COOP_QUOTA_* (a malformed one stops start-up, naming it), set up the runner."""
    settings = load_quota_settings(environ)
    app.extensions[EXTENSION] = settings
    runner = QuotaRunner(app.extensions["nc_coop.db"], app.extensions["nc_coop.gateway"], settings,
                         lambda: app.extensions["nc_coop.ldapsync"].settings)
    app.extensions["nc_coop.quota.runner"] = runner
    app.register_blueprint(bp)
    app.register_blueprint(admin_views.bp)
    app.add_template_filter(reason_text, "quota_reason")
    return runner  # `nc-coop serve` starts its retry timer (start_schedule); tests and commands do not


# --- What the user may see -----------------------------------------------------------------------------

def _organisation(party_id: int, desired: dict | None = None) -> dict[str, Any]:
    """One organisation's pool and users, with each user's usage as Nextcloud reports it."""
    session = get_db().session
    admin = quota_settings().admin_user
    members = organisation_users(session, party_id)
    if desired is None:
        desired = desired_quotas(session, load_facts(session, today(), only=members), today())
    pending = open_changes(session)
    users = [live_usage(session, u, admin, desired.get(u), pending.get(u)) for u in members]
    pool = organisation_pool(session, party_id, today())
    used = sum(u.used or 0 for u in users)
    return {"party_id": party_id, "name": party_name(session, party_id), "pool": pool, "pool_text": size_text(pool),
            "used": used, "used_text": size_text(used), "users": users}


def _visible_organisation(party_id: int) -> int:
    """The access check of every per-organisation route: its representatives and cooperative
    admins; everyone else gets the 404 of a missing organisation."""
    if party_id > MAX_ID:
        abort(404)
    if party_id in represented_organisations(get_db().session, g.user_id, today()):
        return party_id
    if current_roles().is_coop_admin and organisation_users(get_db().session, party_id):
        return party_id
    abort(404)


def _mine() -> tuple[Usage, list[dict[str, Any]]]:
    session = get_db().session
    represented = represented_organisations(session, g.user_id, today())
    around = [g.user_id, *(u for p in represented for u in organisation_users(session, p))]
    desired = desired_quotas(session, load_facts(session, today(), only=around), today())
    me = live_usage(session, g.user_id, g.user_id, desired.get(g.user_id), open_changes(session).get(g.user_id))
    organisations = [_organisation(p, desired) for p in represented]
    return me, organisations


def _dump_organisation(org: dict[str, Any]) -> dict[str, Any]:
    return OrganisationUsageOut().dump({**org, "users": [u.dump() for u in org["users"]]})


def _my_requests() -> list[QuotaRequest]:
    return list(get_db().session.scalars(select(QuotaRequest).where(QuotaRequest.requester == g.user_id)
                                         .order_by(QuotaRequest.id.desc()).limit(50)))


# --- Pages ---------------------------------------------------------------------------------------------------

@bp.get("/quota")
def my_quota() -> ResponseReturnValue:
    return _page(sent=request.args.get("sent") == "1")


def _page(form: dict[str, str] | None = None, errors: dict[str, list[str]] | None = None,
          status: int = 200, sent: bool = False) -> ResponseReturnValue:
    me, organisations = _mine()
    return render_template("quota/my_quota.html", me=me, organisations=organisations, requests=_my_requests(),
                           form=form or {}, errors=errors or {}, sent=sent, size_text=size_text), status


@bp.get("/quota/organisations/<int:party_id>")
def organisation_page(party_id: int) -> ResponseReturnValue:
    org = _organisation(_visible_organisation(party_id))
    return render_template("quota/organisation.html", org=org, size_text=size_text)


@bp.post("/quota/requests")
def request_page() -> ResponseReturnValue:
    data, errors = form_data(RequestSchema())
    if data is None:
        return _page(dict(_form()), errors, 422)
    try:
        _create(data)
    except QuotaRuleError as exc:
        return _page(dict(_form()), {exc.field: [exc.reason]}, 422)
    return see_other(rel_url_for("quota.my_quota", sent=1))


def _form() -> dict[str, str]:
    return {k: v for k, v in request.form.items() if k != "csrf_token"}


def _create(data: dict[str, Any]) -> QuotaRequest:
    session = get_db().session
    party_id = data.get("party_id")
    if data["scope"] == "organisation":
        if party_id is None:
            raise QuotaRuleError("party_id", _("Choose the organisation you ask for."))
        if party_id not in represented_organisations(session, g.user_id, today()):
            abort(404)
    return create_request(session, actor(), scope=data["scope"], amount=data["amount"], reason=data["reason"],
                          party_id=party_id if data["scope"] == "organisation" else None)


# --- JSON API ------------------------------------------------------------------------------------------------

@bp.get("/api/v1/quota")
def api_my_quota() -> ResponseReturnValue:
    me, organisations = _mine()
    return jsonify(MyQuotaOut().dump({"me": me.dump(), "organisations": [_dump_organisation(o) for o in organisations]}))


@bp.get("/api/v1/quota/organisations/<int:party_id>")
def api_organisation(party_id: int) -> ResponseReturnValue:
    return jsonify(_dump_organisation(_organisation(_visible_organisation(party_id))))


@bp.get("/api/v1/quota/requests")
def api_my_requests() -> ResponseReturnValue:
    return jsonify(RequestsOut().dump({"requests": _my_requests()}))


@bp.post("/api/v1/quota/requests")
def api_create_request() -> ResponseReturnValue:
    data = json_data(RequestSchema())
    try:
        row = _create(data)
    except QuotaRuleError as exc:
        unprocessable({exc.field: [exc.reason]})
    return jsonify(RequestOut().dump(row)), 201

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The admin page of the LDAP sync (runs, "Sync now", progress) and its JSON API; cooperative
admins only. A run started here goes to a background thread; the page polls the API."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Flask, current_app, g, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from nc_coop.appapi.guard import coop_admin_required
from nc_coop.db import get_db
from nc_coop.ldapsync.job import run_rows
from nc_coop.ldapsync.runner import SyncRunner
from nc_coop.ldapsync.schemas import RunsOut, StartSchema, run_dict
from nc_coop.ldapsync.settings import ldap_configured, load_ldap_settings
from nc_coop.web.inputs import json_data
from nc_coop.web.navigation import see_other
from nc_coop.web.urls import rel_url_for

bp = Blueprint("ldapsync", __name__)
RUNS_LISTED = 50


def init_app(app: Flask, environ: Mapping[str, Any]) -> SyncRunner:
    """Read the LDAP settings (a malformed one stops start-up, naming it) and set up the runner.
    Without NC_COOP_LDAP_URL the sync is simply not configured."""
    settings = load_ldap_settings(environ) if ldap_configured(environ) else None
    runner = SyncRunner(app.extensions["nc_coop.db"], settings)
    app.extensions["nc_coop.ldapsync"] = runner
    app.register_blueprint(bp)
    runner.start_schedule()  # only when NC_COOP_LDAP_SCHEDULE_MINUTES > 0 (default 0: off)
    return runner


def _runner() -> SyncRunner:
    return current_app.extensions["nc_coop.ldapsync"]


def _state() -> dict[str, Any]:
    runner = _runner()
    return {"configured": runner.configured, "active": runner.active(),
            "runs": [run_dict(r) for r in run_rows(get_db().session, RUNS_LISTED)]}


def _error(message: str, status: int) -> ResponseReturnValue:
    return jsonify({"error": message}), status


def _start(full: bool, dry_run: bool) -> str | None:
    """Start a run; the reason it cannot start otherwise."""
    runner = _runner()
    if not runner.configured:
        return _("The LDAP sync is not configured (NC_COOP_LDAP_URL and the other NC_COOP_LDAP_ settings).")
    if not runner.start(full=full, dry_run=dry_run, actor=f"ldap-sync:{g.user_id}"):
        return _("A sync is already running.")
    return None


@bp.get("/admin/ldap")
@coop_admin_required
def page() -> ResponseReturnValue:
    return render_template("admin/ldap_sync.html", **_state(), problem=request.args.get("problem"))


@bp.post("/admin/ldap/sync")
@coop_admin_required
def sync_now() -> ResponseReturnValue:
    problem = _start(full=request.form.get("full") == "1", dry_run=request.form.get("dry_run") == "1")
    # The page explains a missing configuration by itself; "busy" needs saying.
    busy = problem is not None and _runner().configured
    return see_other(rel_url_for("ldapsync.page", problem="busy" if busy else None))


@bp.get("/api/v1/admin/ldap/runs")
@coop_admin_required
def api_runs() -> ResponseReturnValue:
    return jsonify(RunsOut().dump(_state()))


@bp.post("/api/v1/admin/ldap/runs")
@coop_admin_required
def api_start() -> ResponseReturnValue:
    data = json_data(StartSchema())
    problem = _start(full=data["full"], dry_run=data["dry_run"])
    if problem:
        return _error(problem, 409)
    return jsonify(RunsOut().dump(_state())), 200

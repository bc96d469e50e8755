# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The endpoints AppAPI calls: /heartbeat, /init and /enabled (APPAPI.md §1.2)."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, g, jsonify, request

from nc_coop.appapi import lifecycle
from nc_coop.db import get_db

bp = Blueprint("appapi", __name__)


@bp.get("/heartbeat")
def heartbeat() -> Response:
    return jsonify({"status": "ok"})


@bp.post("/init")
def init() -> Response:
    """Answer at once; the migrations and the progress reports run in a background thread."""
    state: lifecycle.InitState = current_app.extensions["nc_coop.init"]
    engine = get_db().engine
    assert engine is not None
    lifecycle.start_init(state, engine, current_app.extensions["nc_coop.gateway"], g.request_id)
    return jsonify({})


@bp.put("/enabled")
def enabled() -> Response:
    gateway = current_app.extensions["nc_coop.gateway"]
    flag = request.args.get("enabled", "")
    if flag == "1":
        language = request.accept_languages.best_match(["de", "en"]) or "en"
        error = lifecycle.enable(gateway, language, g.request_id)
    elif flag == "0":
        error = lifecycle.disable(gateway, g.request_id)
    else:
        error = "The query parameter enabled must be 1 or 0"
    return jsonify({"error": error})

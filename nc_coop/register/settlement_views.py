# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Open payouts for cooperative admins: who has left, how much, due when (§73)."""
from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, jsonify, render_template
from flask.typing import ResponseReturnValue

from nc_coop.appapi.guard import coop_admin_required
from nc_coop.dates import coop_today
from nc_coop.db import get_db
from nc_coop.register.settlements import open_settlements

bp = Blueprint("settlements", __name__)


@bp.get("/admin/settlements")
@coop_admin_required
def settlements() -> ResponseReturnValue:
    return render_template("register/admin_settlements.html", rows=open_settlements(get_db().session, coop_today()))


@bp.get("/api/v1/admin/settlements")
@coop_admin_required
def api_settlements() -> ResponseReturnValue:
    rows = open_settlements(get_db().session, coop_today())
    return jsonify({"settlements": [{**asdict(r), "exit_on": r.exit_on.isoformat(), "due_on": r.due_on.isoformat()}
                                    for r in rows]})

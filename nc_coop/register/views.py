# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The member's own view: "My membership" and its JSON API. Only memberships the user is
linked to (as the member or a representative) are ever read; any other id is a 404."""
from __future__ import annotations

from flask import Blueprint, abort, g, jsonify, render_template
from flask.typing import ResponseReturnValue

from nc_coop.appapi.guard import current_roles
from nc_coop.dates import coop_today
from nc_coop.db import get_db
from nc_coop.register.queries import member_overview, visible_membership_ids
from nc_coop.register.schemas import MemberOverviewOut

bp = Blueprint("register", __name__)


def _overviews() -> list:
    session = get_db().session
    return [member_overview(session, mid, coop_today()) for mid in visible_membership_ids(session, g.user_id)]


@bp.get("/")
def my_membership() -> ResponseReturnValue:
    return render_template("register/my_membership.html", roles=current_roles(), overviews=_overviews())


@bp.get("/api/v1/memberships")
def api_my_memberships() -> ResponseReturnValue:
    return jsonify({"memberships": MemberOverviewOut(many=True).dump(_overviews())})


@bp.get("/api/v1/memberships/<int:membership_id>")
def api_membership(membership_id: int) -> ResponseReturnValue:
    session = get_db().session
    if membership_id not in visible_membership_ids(session, g.user_id):
        abort(404)  # the same answer for "not yours" and "does not exist"
    return jsonify(MemberOverviewOut().dump(member_overview(session, membership_id, coop_today())))

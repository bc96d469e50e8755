# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""System status for cooperative admins: is nc_coop installed, migrated and talking to Nextcloud,
and can the quota account do what quota changes need."""
from __future__ import annotations

from flask import Blueprint, current_app, g, render_template

from nc_coop import migrate
from nc_coop.appapi.guard import coop_admin_required
from nc_coop.db import get_db
from nc_coop.quota.account import check_quota_account

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
@coop_admin_required
def status() -> str:
    settings = current_app.config["NC_COOP_SETTINGS"]
    engine = get_db().engine
    assert engine is not None
    current = migrate.current_revision(engine)
    head = migrate.head_revision()
    return render_template(
        "admin/status.html",
        database=engine.dialect.name,
        revision=current,
        head=head,
        migrated=current == head,
        init=current_app.extensions["nc_coop.init"],
        settings=settings,
        quota_checks=check_quota_account(current_app.extensions["nc_coop.gateway"],
                                         current_app.extensions["nc_coop.quota"], g.request_id),
    )

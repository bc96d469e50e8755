# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The member's own page ("My membership"). The register behind it comes with the ledger."""
from __future__ import annotations

from flask import Blueprint, render_template

from nc_coop.appapi.guard import current_roles

bp = Blueprint("register", __name__)


@bp.get("/")
def my_membership() -> str:
    return render_template("register/my_membership.html", roles=current_roles())

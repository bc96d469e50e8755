# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Static files at the paths Nextcloud expects (``js/embed`` → ``/js/embed.js``) and template helpers."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, send_from_directory
from flask_babel import format_currency, get_locale
from werkzeug.exceptions import HTTPException

from nc_coop.dates import day, moment
from nc_coop.nextcloud import NextcloudError
from nc_coop.web import csrf
from nc_coop.web.markup import html_attrs
from nc_coop.web.urls import nextcloud_apps_url, rel_url_for

STATIC = Path(__file__).resolve().parent / "static"
bp = Blueprint("web", __name__)


@bp.get("/<any(js, css, img):kind>/<path:filename>")
def static_file(kind: str, filename: str) -> Response:
    # send_from_directory refuses paths that leave the folder (../, absolute paths).
    response = send_from_directory(STATIC / kind, filename, max_age=0)
    response.headers["Cache-Control"] = "no-cache"  # revalidate by ETag: fresh after an upgrade
    return response


def nav_roles() -> Any:
    """The roles the page header shows (name, admin link); None for anonymous requests.

    An error page must render even when the roles cannot be resolved: a 503 came from exactly
    that, and a second attempt would raise inside the error handler (a bare 500) after waiting
    for Nextcloud's timeout once more. So error pages use roles already resolved, try Nextcloud
    only for 4xx and show a header without them otherwise."""
    from nc_coop.appapi.guard import current_roles  # noqa: PLC0415  (avoids an import cycle)

    if not g.get("user_id"):
        return None
    if "roles" in g:
        return g.roles
    error_code = g.get("error_code")
    if error_code is None:
        return current_roles()
    if error_code >= 500:
        return None
    try:
        return current_roles()
    except (HTTPException, NextcloudError):
        return None


def template_helpers() -> dict[str, Any]:
    from nc_coop.appapi.guard import current_roles  # noqa: PLC0415  (avoids an import cycle)

    settings = current_app.config["NC_COOP_SETTINGS"]
    return {
        "get_locale": get_locale,
        "rel_url_for": rel_url_for,
        "nextcloud_apps_url": nextcloud_apps_url,
        "csrf_token": csrf.csrf_token,
        "current_roles": current_roles,
        "nav_roles": nav_roles,
        "user_id": g.get("user_id", ""),
        "demo": settings.demo,
        "app_version": settings.app_version,
    }


def money(cents: int) -> str:
    """Integer cents as the user's locale writes euros (1.234,56 € / €1,234.56)."""
    return format_currency(Decimal(cents) / 100, "EUR")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.context_processor(template_helpers)
    app.add_template_filter(money)
    app.add_template_filter(html_attrs)
    app.add_template_filter(day)  # dates in the user's locale
    app.add_template_filter(moment)  # points in time in the cooperative's zone, in the user's locale

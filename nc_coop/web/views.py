# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Static files at the paths Nextcloud expects (``js/embed`` → ``/js/embed.js``) and template helpers."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, send_from_directory
from flask_babel import get_locale

from nc_coop.web import csrf
from nc_coop.web.urls import nextcloud_apps_url, rel_url_for

STATIC = Path(__file__).resolve().parent / "static"
bp = Blueprint("web", __name__)


@bp.get("/<any(js, css, img):kind>/<path:filename>")
def static_file(kind: str, filename: str) -> Response:
    # send_from_directory refuses paths that leave the folder (../, absolute paths).
    response = send_from_directory(STATIC / kind, filename, max_age=0)
    response.headers["Cache-Control"] = "no-cache"  # revalidate by ETag: fresh after an upgrade
    return response


def template_helpers() -> dict[str, Any]:
    from nc_coop.appapi.guard import current_roles  # noqa: PLC0415  (avoids an import cycle)

    settings = current_app.config["NC_COOP_SETTINGS"]
    return {
        "get_locale": get_locale,
        "rel_url_for": rel_url_for,
        "nextcloud_apps_url": nextcloud_apps_url,
        "csrf_token": csrf.csrf_token,
        "current_roles": current_roles,
        "user_id": g.get("user_id", ""),
        "demo": settings.demo,
        "app_version": settings.app_version,
    }


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.context_processor(template_helpers)

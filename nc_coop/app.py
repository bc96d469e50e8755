# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The application factory: a readable list of init_app calls; no I/O, no network."""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from nc_coop.config import Settings, load_settings


def _template_folder() -> str:
    """Top-level ``templates/`` in a source checkout; ``nc_coop/templates`` inside a wheel."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "templates", package.parent / "templates"):
        if candidate.is_dir():
            return str(candidate)
    raise RuntimeError("templates/ not found beside or inside the nc_coop package")


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. ``config`` overrides environment settings (tests, the demo).

    Raises ``nc_coop.config.ConfigError`` naming the first missing or malformed setting.
    """
    # Imported here so that `import nc_coop` stays cheap and free of side effects.
    from nc_coop import db
    from nc_coop.admin import views as admin_views
    from nc_coop.appapi import guard
    from nc_coop.appapi import views as appapi_views
    from nc_coop.appapi.lifecycle import InitState
    from nc_coop.assembly import openapi as assembly_openapi
    from nc_coop.assembly import views as assembly_views
    from nc_coop.documents import openapi as documents_openapi
    from nc_coop.documents import views as documents_views
    from nc_coop.ldapsync import openapi as ldap_openapi
    from nc_coop.ldapsync import views as ldap_views
    from nc_coop.nextcloud import NextcloudGateway
    from nc_coop.quota import openapi as quota_openapi
    from nc_coop.quota import views as quota_views
    from nc_coop.register import admin_views as register_admin_views
    from nc_coop.register import openapi as register_openapi
    from nc_coop.register import export_views, settlement_views
    from nc_coop.register import views as register_views
    from nc_coop.requests import openapi as requests_openapi
    from nc_coop.requests import views as requests_views
    from nc_coop.web import hooks, i18n, openapi
    from nc_coop.web import views as web_views
    from nc_coop.web.urls import BoundedIntConverter

    settings: Settings = load_settings(os.environ, config)
    environ = {**os.environ, **{k: str(v) for k, v in (config or {}).items() if v is not None}}
    app = Flask("nc_coop", template_folder=_template_folder(), static_folder=None)
    # No redirects of Werkzeug's own (/admin → /admin/, //x → /x): Nextcloud's proxy would follow
    # them on the server and the browser would keep the old URL (APPAPI.md "Corrections"). Links
    # are relative to whatever path a page is served at, so serving it there is correct.
    app.url_map.strict_slashes = False
    app.url_map.merge_slashes = False
    # Before any route is added: every <int:id> then stops at the database's BIGINT (404 beyond).
    app.url_map.converters["int"] = BoundedIntConverter
    app.config.update(
        NC_COOP_SETTINGS=settings,
        SECRET_KEY=None,  # no Flask sessions: identity comes from AppAPI on every request
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,
        TEMPLATES_AUTO_RELOAD=False,
        # Flask-Babel's own date helpers convert to the same zone as nc_coop.dates.
        BABEL_DEFAULT_TIMEZONE=settings.time_zone.key,
    )
    gateway = NextcloudGateway(settings)
    app.extensions["nc_coop.gateway"] = gateway
    app.extensions["nc_coop.init"] = InitState()

    db.Database().init_app(app, settings.database_url, settings.persistent_storage)
    i18n.init_app(app)
    guard.init_app(app, settings, gateway)
    hooks.init_app(app)
    web_views.init_app(app)
    app.register_blueprint(appapi_views.bp)
    app.register_blueprint(register_views.bp)
    app.register_blueprint(register_admin_views.bp)
    app.register_blueprint(settlement_views.bp)
    app.register_blueprint(export_views.bp)
    app.register_blueprint(admin_views.bp)
    ldap_views.init_app(app, environ)
    documents_views.init_app(app, environ)
    requests_views.init_app(app)
    quota_views.init_app(app, environ)
    assembly_views.init_app(app)
    openapi.init_app(app, [register_openapi.describe, ldap_openapi.describe, documents_openapi.describe,
                              requests_openapi.describe, quota_openapi.describe, assembly_openapi.describe])
    return app

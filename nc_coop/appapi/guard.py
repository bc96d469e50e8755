# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Flask glue: every request but /heartbeat is verified before any view runs."""
from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, Response, abort, current_app, g, jsonify, request

from nc_coop.appapi.auth import AppApiAuthError, verify_headers
from nc_coop.appapi.roles import RoleCache, Roles, roles_from_groups
from nc_coop.config import Settings
from nc_coop.nextcloud import NextcloudError, NextcloudGateway, NextcloudUnavailable
from nc_coop.web.text import printable

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

UNAUTHENTICATED_ENDPOINTS = {"appapi.heartbeat"}
# Called by AppAPI itself with user "": a browser request through the proxy always names a user.
SYSTEM_ENDPOINTS = {"appapi.init", "appapi.enabled"}
# Same-origin static files may be fetched anonymously (the top-menu icon, PUBLIC routes).
PUBLIC_ENDPOINTS = {"web.static_file"}


def init_app(app: Flask, settings: Settings, gateway: NextcloudGateway) -> None:
    app.extensions["nc_coop.roles"] = RoleCache(settings.role_cache_seconds)
    app.before_request(_verify_request)


def _unauthorized() -> Response:
    response = jsonify({"error": "Unauthorized"})
    response.status_code = 401
    return response


def _verify_request() -> Response | None:
    # Identity is per request; nothing resolved for an earlier request may carry over.
    for name in ("user_id", "roles"):
        g.pop(name, None)
    g.request_id = _request_id()
    if request.endpoint in UNAUTHENTICATED_ENDPOINTS:
        return None
    settings: Settings = current_app.config["NC_COOP_SETTINGS"]
    try:
        identity = verify_headers(request.headers, settings.app_id, settings.app_secret)
    except AppApiAuthError as exc:
        log.warning("AppAPI verification failed (%s) for %s %s from %s", exc.reason, request.method,
                    request.path, request.remote_addr)
        return _unauthorized()
    g.user_id = identity.user_id
    if request.endpoint in SYSTEM_ENDPOINTS:
        if identity.user_id != "":
            log.warning("User %s tried the system endpoint %s", printable(identity.user_id), printable(request.path))
            abort(403)
        return None
    if identity.user_id == "" and request.endpoint is not None and request.endpoint not in PUBLIC_ENDPOINTS:
        return _unauthorized()  # a page needs a user; unknown paths fall through to 404
    return None


def _request_id() -> str:
    """Nextcloud's request id when there is one, so that both logs can be correlated."""
    sent = request.headers.get("AA-REQUEST-ID", "")
    if sent and len(sent) <= 64 and sent.replace("-", "").isalnum():
        return sent
    return secrets.token_hex(10)


def current_roles() -> Roles:
    """The current user's roles, resolved at most once per request and cached across requests."""
    if "roles" not in g:
        settings: Settings = current_app.config["NC_COOP_SETTINGS"]
        gateway: NextcloudGateway = current_app.extensions["nc_coop.gateway"]
        cache: RoleCache = current_app.extensions["nc_coop.roles"]

        def resolve(user_id: str) -> Roles:
            user = gateway.get_user(user_id, as_user=user_id, request_id=g.request_id)
            return roles_from_groups(user_id, user.display_name, user.groups, settings.admin_groups)

        try:
            g.roles = cache.get(g.user_id, resolve)
        except NextcloudUnavailable:
            log.error("Nextcloud unreachable while resolving the roles of %s", printable(g.user_id))
            abort(503)
        except NextcloudError as exc:
            # Fail closed, and say it is the registration (secret, app id), not the user.
            log.error("Nextcloud refused the role lookup for %s: %s", g.user_id, exc)
            abort(502)
    return g.roles


def coop_admin_required(view: F) -> F:
    """Cooperative admins only. The proxy cannot decide this (board members are not Nextcloud
    admins, so admin pages are a USER route): this check is the line."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_roles().is_coop_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]

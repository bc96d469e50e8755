# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Form protection: Nextcloud's proxy checks no CSRF token for any verb (APPAPI.md §3.3).

A state-changing request must carry our own token, bound to the user, in the form field
``csrf_token`` or the header ``X-CSRF-Token``, and, when the browser sends an Origin, come from
the same origin as the page. The token is an HMAC of the user id, so it needs no server state.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
from urllib.parse import urlsplit

from flask import abort, current_app, g, request

from nc_coop.appapi.guard import PUBLIC_ENDPOINTS, SYSTEM_ENDPOINTS, UNAUTHENTICATED_ENDPOINTS

log = logging.getLogger(__name__)
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
_EXEMPT = SYSTEM_ENDPOINTS | UNAUTHENTICATED_ENDPOINTS | PUBLIC_ENDPOINTS


def csrf_token(user_id: str | None = None) -> str:
    settings = current_app.config["NC_COOP_SETTINGS"]
    key = hashlib.sha256(b"nc_coop csrf\0" + settings.app_secret.encode()).digest()
    user = user_id if user_id is not None else g.get("user_id", "")
    return hmac.new(key, user.encode("utf-8"), hashlib.sha256).hexdigest()


def protect() -> None:
    """``before_request`` hook, run after AppAPI verification."""
    if request.method in SAFE_METHODS or request.endpoint is None or request.endpoint in _EXEMPT:
        return
    origin = request.headers.get("Origin")
    if origin and urlsplit(origin).netloc != request.host:
        log.warning("Cross-origin %s to %s refused", request.method, request.path)
        abort(403)
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
    if not hmac.compare_digest(sent.encode(), csrf_token().encode()):
        log.warning("%s to %s without a valid form token refused", request.method, request.path)
        abort(403)

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Form protection: Nextcloud's proxy checks no CSRF token for any verb (APPAPI.md §3.3).

A state-changing request must carry our own token in the form field ``csrf_token`` or the header
``X-CSRF-Token`` and, when the browser sends an Origin, come from the same origin as the page
(scheme, host and port). A token is ``<issued-at>.<nonce>.<mac>``: the issue time (Unix seconds,
hex), 16 random bytes and HMAC-SHA256(key, user id | issued-at | nonce). It needs no server
state, belongs to one user, differs on every page and expires after ``TOKEN_LIFETIME`` (a
leaked token is not valid forever); an expired one gets a page that says to reload.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import time
from urllib.parse import urlsplit

from flask import abort, current_app, g, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import Forbidden

from nc_coop.appapi.guard import PUBLIC_ENDPOINTS, SYSTEM_ENDPOINTS, UNAUTHENTICATED_ENDPOINTS
from nc_coop.web.text import printable

log = logging.getLogger(__name__)
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
_EXEMPT = SYSTEM_ENDPOINTS | UNAUTHENTICATED_ENDPOINTS | PUBLIC_ENDPOINTS
TOKEN_LIFETIME = 8 * 3600  # seconds: a working day on one open page
CLOCK_SKEW = 60            # seconds a token may seem to come from the future (several workers)
_TOKEN = re.compile(r"([0-9a-f]{1,12})\.([0-9a-f]{32})\.([0-9a-f]{64})")
_DEFAULT_PORTS = {"http": 80, "https": 443}

EXPIRED_TEXT = _l("This page was open too long and its form has expired. Reload the page and try again; "
                  "what you entered was not saved.")


class FormExpired(Forbidden):
    """403 for a token that was valid once: the page tells the user to reload."""


def _key() -> bytes:
    settings = current_app.config["NC_COOP_SETTINGS"]
    return hashlib.sha256(b"nc_coop csrf\0" + settings.app_secret.encode()).digest()


def _mac(user: str, issued: str, nonce: str) -> str:
    # NUL separates the parts: a Nextcloud user id cannot contain it, so no two inputs collide.
    message = "\0".join((user, issued, nonce)).encode("utf-8", "surrogatepass")
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()


def issue_token(user_id: str, *, now: float | None = None) -> str:
    """A fresh token for ``user_id``, issued at ``now`` (default: the current time)."""
    issued = format(int(time.time() if now is None else now), "x")
    nonce = secrets.token_hex(16)
    return f"{issued}.{nonce}.{_mac(user_id, issued, nonce)}"


def csrf_token(user_id: str | None = None) -> str:
    """The token a page embeds (the current user's, one per request), or a fresh one for
    ``user_id`` (tests, API clients' helpers)."""
    if user_id is not None:
        return issue_token(user_id)
    if "csrf_token" not in g:
        g.csrf_token = issue_token(g.get("user_id", "") or "")
    return str(g.csrf_token)


def check_token(sent: str, user_id: str, *, now: float | None = None) -> bool | None:
    """True: valid for ``user_id``; None: it was valid but has expired; False: not a token of
    this user (or not a token at all)."""
    match = _TOKEN.fullmatch(sent)
    if match is None:
        return False
    issued, nonce, mac = match.groups()
    if not hmac.compare_digest(mac, _mac(user_id, issued, nonce)):  # constant time
        return False
    age = (time.time() if now is None else now) - int(issued, 16)
    if age < -CLOCK_SKEW:
        return False
    return True if age <= TOKEN_LIFETIME else None


def _origin(scheme: str, netloc: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) with the default port filled in, or None if it is not a web origin."""
    try:
        parts = urlsplit(f"{scheme}://{netloc}")
        port = parts.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:
        return None
    if scheme not in _DEFAULT_PORTS or not parts.hostname or port is None:
        return None
    return scheme, parts.hostname.lower(), port


def page_scheme() -> str:
    """The scheme the browser used to reach Nextcloud (and so our pages).

    Flask's ``request.scheme`` is that of the hop from Nextcloud's proxy to us, often plain http
    even when the browser used https; only the Host header is the browser's (APPAPI.md §3.3). So:
    1. ``X-Forwarded-Proto``, set by a TLS-terminating proxy in front of Nextcloud and passed on by
       AppAPI's proxy (a page on another site cannot add it to a cross-site request: it is not a
       CORS-safelisted header);
    2. else NEXTCLOUD_URL's scheme, if NEXTCLOUD_URL names the same host and port as the request
       (then it is the address the browser uses);
    3. else the scheme Flask sees (Nextcloud reached directly over an internal address).
    """
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    if forwarded in _DEFAULT_PORTS:
        return forwarded
    configured = urlsplit(current_app.config["NC_COOP_SETTINGS"].nextcloud_url)
    mine = _origin(configured.scheme, request.host)
    if mine is not None and _origin(configured.scheme, configured.netloc) == mine:
        return configured.scheme
    return request.scheme


def same_origin(origin: str) -> bool:
    """Whether the browser's Origin header names this page's origin.

    A browser's own ``Sec-Fetch-Site`` (no page can set it; sent over https) already compares the
    full origin, scheme included, with the address the browser used: when present, it must say
    "same-origin". Otherwise the Origin's scheme must be ``page_scheme()`` and its host and port
    the Host the request came with ("null", an opaque origin, is never ours)."""
    parts = urlsplit(origin)
    if parts.path or parts.query or parts.fragment or parts.username is not None:
        return False
    scheme = parts.scheme.lower()
    sent, here = _origin(scheme, parts.netloc), _origin(scheme, request.host)  # same default port
    if sent is None or sent != here:
        return False
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    return scheme == page_scheme()


def protect() -> None:
    """``before_request`` hook, run after AppAPI verification."""
    if request.method in SAFE_METHODS or request.endpoint is None or request.endpoint in _EXEMPT:
        return
    origin = request.headers.get("Origin")
    if origin and not same_origin(origin):
        log.warning("Cross-origin %s to %s refused", request.method, printable(request.path))
        abort(403)
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
    verdict = check_token(sent, g.get("user_id", "") or "")
    if verdict is None:
        log.info("%s to %s with an expired form token refused", request.method, printable(request.path))
        raise FormExpired()
    if not verdict:
        log.warning("%s to %s without a valid form token refused", request.method, printable(request.path))
        abort(403)

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Verifying that a request comes from Nextcloud (AppAPI) and who the user is.

AppAPI sends ``AUTHORIZATION-APP-API: base64("<user>:<APP_SECRET>")`` with ``EX-APP-ID`` on
every request except ``/heartbeat`` (APPAPI.md §2.1). The user is "" for system calls (/init,
/enabled) and for anonymous requests to PUBLIC routes.
"""
from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from dataclasses import dataclass


class AppApiAuthError(Exception):
    """Verification failed. ``reason`` is a fixed code that is safe to log; it holds no header value."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class AppApiIdentity:
    user_id: str  # "" for system calls and anonymous PUBLIC routes


def verify_headers(headers: Mapping[str, str], app_id: str, app_secret: str) -> AppApiIdentity:
    """Return the identity the headers prove, or raise ``AppApiAuthError``.

    The secret is compared with ``hmac.compare_digest`` so timing says nothing about it, and the
    app id check runs regardless of the secret check's outcome.
    """
    sent_app_id = headers.get("EX-APP-ID", "")
    token = headers.get("AUTHORIZATION-APP-API", "")
    if not token:
        raise AppApiAuthError("missing_authorization")
    if not headers.get("EX-APP-VERSION", ""):
        raise AppApiAuthError("missing_app_version")
    try:
        decoded = base64.b64decode(token.encode("ascii"), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        raise AppApiAuthError("malformed_authorization") from None
    user_id, colon, secret = decoded.partition(":")
    if not colon:
        raise AppApiAuthError("malformed_authorization")
    secret_ok = hmac.compare_digest(secret.encode("utf-8"), app_secret.encode("utf-8"))
    app_ok = hmac.compare_digest(sent_app_id.encode("utf-8"), app_id.encode("utf-8"))
    if not (secret_ok and app_ok):
        raise AppApiAuthError("wrong_app_id" if secret_ok else "wrong_secret")
    return AppApiIdentity(user_id=user_id)

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Typed errors for calls to Nextcloud, independent of the client library underneath."""
from __future__ import annotations


class NextcloudError(Exception):
    """A call to Nextcloud failed. ``status`` is the HTTP or OCS status code when there is one."""

    def __init__(self, call: str, status: int | None = None, message: str = "") -> None:
        self.call = call
        self.status = status
        self.message = message
        detail = f" [{status}]" if status is not None else ""
        super().__init__(f"{call}{detail}{': ' + message if message else ''}")


class NextcloudUnavailable(NextcloudError):
    """Nextcloud did not answer in time or could not be reached; retrying later may work."""


class NextcloudUnauthorized(NextcloudError):
    """Nextcloud refused the ExApp's credentials (HTTP 401, OCS 997): wrong secret or app id."""


class NextcloudForbidden(NextcloudError):
    """The impersonated user may not do this (OCS 403)."""


class NextcloudPasswordConfirmationRequired(NextcloudForbidden):
    """Nextcloud 34 answers this to provisioning edits made with AppAPI auth (APPAPI.md §B)."""


class NextcloudNotFound(NextcloudError):
    """The object does not exist or is not visible to the impersonated user (OCS 404/998)."""

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Every call nc_coop makes to Nextcloud goes through ``NextcloudGateway``.

nc_py_api's sync ``NextcloudApp`` is used underneath; it is deprecated and removed in 0.31, so
this module is the one place to change when switching to ``AsyncNextcloudApp``. A client keeps
a mutable current user, so one is created per call and never shared between threads.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import niquests
from nc_py_api import NextcloudApp, NextcloudException

from nc_coop.config import Settings
from nc_coop.nextcloud.errors import (
    NextcloudError,
    NextcloudForbidden,
    NextcloudNotFound,
    NextcloudPasswordConfirmationRequired,
    NextcloudUnauthorized,
    NextcloudUnavailable,
)

T = TypeVar("T")
UNLIMITED_QUOTA = -3  # what Nextcloud reports for "no quota set"


@dataclass(frozen=True)
class NextcloudUser:
    user_id: str
    display_name: str
    email: str
    groups: tuple[str, ...]
    enabled: bool
    backend: str
    language: str
    quota_bytes: int  # -3 means unlimited
    used_bytes: int


class NextcloudGateway:
    """Typed calls to Nextcloud with a timeout on every one and errors as typed exceptions."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def _client(self, user: str, request_id: str | None) -> NextcloudApp:
        s = self._settings
        headers = {"AA-REQUEST-ID": request_id} if request_id else {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # the sync client warns; see module doc
            return NextcloudApp(
                nextcloud_url=s.nextcloud_url, app_id=s.app_id, app_version=s.app_version,
                app_secret=s.app_secret, aa_version=s.aa_version, user=user, headers=headers,
                npa_timeout=s.nextcloud_timeout, npa_timeout_dav=s.nextcloud_timeout * 3,
            )

    def _call(self, call: str, user: str, request_id: str | None, fn: Callable[[NextcloudApp], T]) -> T:
        nc = self._client(user, request_id)
        try:
            return fn(nc)
        except NextcloudException as exc:
            raise _typed_error(call, exc) from None
        except (niquests.exceptions.ConnectionError, niquests.exceptions.Timeout) as exc:
            raise NextcloudUnavailable(call, None, type(exc).__name__) from None
        finally:
            nc._session.adapter.close()  # noqa: SLF001  no public close() in 0.30
            nc._session.adapter_dav.close()  # noqa: SLF001

    # --- AppAPI lifecycle (system calls, user "") -------------------------------------------

    def set_init_status(self, progress: int, error: str = "", request_id: str | None = None) -> None:
        """Report /init progress; at 100 Nextcloud calls /heartbeat and /enabled back at once."""
        self._call("set_init_status", "", request_id, lambda nc: nc.set_init_status(progress, error))

    def register_top_menu(self, name: str, display_name: str, icon: str, admin_required: bool,
                          request_id: str | None = None) -> None:
        self._call("register_top_menu", "", request_id,
                   lambda nc: nc.ui.top_menu.register(name, display_name, icon, admin_required))

    def unregister_top_menu(self, name: str, request_id: str | None = None) -> None:
        """Removing an entry that is already gone is not an error (AppAPI answers OCS 404)."""
        self._call("unregister_top_menu", "", request_id, lambda nc: nc.ui.top_menu.unregister(name))

    def set_top_menu_script(self, name: str, path: str, request_id: str | None = None) -> None:
        """``path`` is relative to the ExApp and without ``.js`` (AppAPI adds it)."""
        self._call("set_script", "", request_id,
                   lambda nc: nc.ui.resources.set_script("top_menu", name, path))

    def delete_top_menu_script(self, name: str, path: str, request_id: str | None = None) -> None:
        self._call("delete_script", "", request_id,
                   lambda nc: nc.ui.resources.delete_script("top_menu", name, path))

    # --- Users --------------------------------------------------------------------------------

    def get_user(self, user_id: str, as_user: str, request_id: str | None = None) -> NextcloudUser:
        """A user's details as ``as_user`` sees them (the user themselves, or an admin)."""
        info = self._call("get_user", as_user, request_id, lambda nc: nc.users.get_user(user_id))
        quota = info.quota or {}
        return NextcloudUser(
            user_id=info.user_id, display_name=info.display_name, email=info.email or "",
            groups=tuple(info.groups), enabled=info.enabled, backend=info.backend,
            language=info.language or "", quota_bytes=int(quota.get("quota", UNLIMITED_QUOTA)),
            used_bytes=int(quota.get("used", 0)),
        )


def _typed_error(call: str, exc: NextcloudException) -> NextcloudError:
    status, reason = exc.status_code, str(exc.reason or "")
    if status in (401, 997):
        return NextcloudUnauthorized(call, status, reason)
    if status in (404, 998):
        return NextcloudNotFound(call, status, reason)
    if status == 403 and "password confirmation is required" in reason.lower():
        return NextcloudPasswordConfirmationRequired(call, status, reason)
    if status == 403:
        return NextcloudForbidden(call, status, reason)
    if status == 408:
        return NextcloudUnavailable(call, status, reason)
    return NextcloudError(call, status, reason)

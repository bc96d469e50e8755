# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Every call nc_coop makes to Nextcloud goes through ``NextcloudGateway``.

nc_py_api's sync ``NextcloudApp`` is used underneath; it is deprecated and removed in 0.31, so
this module is the one place to change when switching to ``AsyncNextcloudApp``. A client keeps
a mutable current user, so one is created per call and never shared between threads.
"""
from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import quote

import niquests
from nc_py_api import Nextcloud, NextcloudApp, NextcloudException
from nc_py_api._exceptions import check_error  # noqa: PLC2701  DAV errors typed like the others
from nc_py_api.files import FsNode

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


@dataclass(frozen=True)
class DavEntry:
    """A file or folder in a user's files (WebDAV PROPFIND)."""

    path: str  # in the user's files, with a leading "/": "/Governance/Satzung 2025.pdf"
    name: str
    is_dir: bool
    size: int
    etag: str
    content_type: str
    file_id: str
    last_modified: datetime | None


class DavDownload:
    """An open WebDAV GET: headers at once, the body in chunks, never all in memory.
    Use as a context manager, or call ``close()``; the connection is released either way."""

    def __init__(self, nc: NextcloudApp, response: Any) -> None:
        self._nc = nc
        self._response = response
        headers = response.headers
        self.etag: str = (headers.get("ETag") or headers.get("OC-ETag") or "").strip('"')
        self.content_type: str = headers.get("Content-Type") or "application/octet-stream"
        length = headers.get("Content-Length")
        self.size: int | None = int(length) if length and length.isdigit() else None

    def chunks(self, size: int = 64 * 1024) -> Iterator[bytes]:
        try:
            for chunk in self._response.iter_content(chunk_size=size):
                if chunk:
                    yield chunk
        except (niquests.exceptions.ConnectionError, niquests.exceptions.Timeout) as exc:
            raise NextcloudUnavailable("dav_get", None, type(exc).__name__) from None

    def close(self) -> None:
        try:
            self._response.close()
        finally:
            self._nc._session.adapter.close()  # noqa: SLF001  no public close() in 0.30
            self._nc._session.adapter_dav.close()  # noqa: SLF001

    def __enter__(self) -> DavDownload:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


_UNSAFE_DAV = re.compile(r"[\x00-\x1f\x7f\\]")


def _checked_dav_path(path: str) -> str:
    """The second line against path traversal (the first is the caller's): an absolute path
    without '.', '..' or empty segments. Nextcloud refuses '..' too (HTTP 400 InvalidPath)."""
    if not path.startswith("/") or _UNSAFE_DAV.search(path):
        raise ValueError(f"not a safe WebDAV path: {path!r}")
    if path != "/" and any(s in ("", ".", "..") for s in path[1:].rstrip("/").split("/")):
        raise ValueError(f"not a safe WebDAV path: {path!r}")
    return path


def _dav_entry(node: FsNode) -> DavEntry:
    return DavEntry(
        path="/" + node.user_path.rstrip("/"), name=node.name, is_dir=node.is_dir, size=int(node.info.size or 0),
        etag=(node.etag or "").strip('"'), content_type=node.info.mimetype or "",
        file_id=str(node.file_id or ""), last_modified=node.info.last_modified,
    )


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

    def _basic_client(self, login: str, password: str, request_id: str | None) -> Nextcloud:
        """A client with basic auth (a login and its password), not AppAPI's headers."""
        s = self._settings
        headers = {"AA-REQUEST-ID": request_id} if request_id else {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # the sync client warns; see module doc
            return Nextcloud(nextcloud_url=s.nextcloud_url, nc_auth_user=login, nc_auth_pass=password,
                             headers=headers, npa_timeout=s.nextcloud_timeout,
                             npa_timeout_dav=s.nextcloud_timeout * 3)

    def _call(self, call: str, user: str, request_id: str | None, fn: Callable[[NextcloudApp], T]) -> T:
        return self._run(call, self._client(user, request_id), fn)

    def _run(self, call: str, nc: Any, fn: Callable[[Any], T]) -> T:
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
        return _nextcloud_user(self._call("get_user", as_user, request_id, lambda nc: nc.users.get_user(user_id)))

    def get_user_with_password(self, user_id: str, login: str, password: str,
                               request_id: str | None = None) -> NextcloudUser:
        """A user's details read with basic auth of ``login`` and its password (not AppAPI's
        headers): a refused login is ``NextcloudUnauthorized``. Changes nothing."""
        return _nextcloud_user(self._run("get_user", self._basic_client(login, password, request_id),
                                         lambda nc: nc.users.get_user(user_id)))

    def search_users(self, term: str, as_user: str, request_id: str | None = None) -> list[str]:
        """User ids matching ``term`` (``GET /cloud/users?search=``), as ``as_user``, who must be an
        admin (a normal user gets OCS 403). With user_ldap, a search that matches an LDAP user
        re-reads its attributes and applies a changed quota at once; a single-user GET does not
        (recorded on Nextcloud 34: ldap_quota_refresh_by_user_search.json)."""
        found = self._call("search_users", as_user, request_id, lambda nc: nc.users.get_list(term))
        return [str(u) for u in found or ()]

    def set_quota_with_password(self, user_id: str, quota: str, login: str, password: str,
                                request_id: str | None = None) -> None:
        """Set a quota through the provisioning API with basic auth of an admin account and its
        LOGIN password: the only way Nextcloud 34 accepts (an app password or AppAPI auth gets
        "Password confirmation is required"). ``quota``: bytes as digits, or "none"."""
        self._run("set_quota", self._basic_client(login, password, request_id),
                  lambda nc: nc.users.edit(user_id, quota=quota))

    def set_quota_appapi(self, user_id: str, quota: str, as_user: str, request_id: str | None = None) -> None:
        """The AppAPI-authenticated quota PUT. Nextcloud 34 refuses it
        (``NextcloudPasswordConfirmationRequired``); nc_coop sends it only when told to
        (NC_COOP_QUOTA_TRY_APPAPI=1), to show that refusal."""
        self._call("set_quota", as_user, request_id, lambda nc: nc.users.edit(user_id, quota=quota))

    # --- Files (WebDAV, as a user: the account whose files they are) ----------------------------

    def list_folder(self, path: str, as_user: str, request_id: str | None = None) -> list[DavEntry]:
        """The entries of a folder (PROPFIND depth 1), folders first, then by name."""
        folder = _checked_dav_path(path)
        nodes = self._call("dav_propfind", as_user, request_id, lambda nc: nc.files.listdir(folder, depth=1))
        return sorted((_dav_entry(n) for n in nodes), key=lambda e: (not e.is_dir, e.name.lower()))

    def stat(self, path: str, as_user: str, request_id: str | None = None) -> DavEntry:
        """One file or folder (PROPFIND depth 0); ``NextcloudNotFound`` when there is none."""
        target = _checked_dav_path(path)
        nodes = self._call("dav_propfind", as_user, request_id,
                           lambda nc: nc.files.listdir(target, depth=0, exclude_self=False))
        if not nodes:
            raise NextcloudNotFound("dav_propfind", 404, "not found")
        return _dav_entry(nodes[0])

    def open_file(self, path: str, as_user: str, request_id: str | None = None) -> DavDownload:
        """Start a streamed GET of a file; the caller reads ``chunks()`` and closes it."""
        target = _checked_dav_path(path)
        nc = self._client(as_user, request_id)
        try:
            response = nc._session.adapter_dav.get(  # noqa: SLF001  nc_py_api streams only into files
                quote(f"/files/{as_user}{target}"), stream=True)
            if response.status_code >= 400:
                response.close()
            check_error(response, "dav_get")
            return DavDownload(nc, response)
        except NextcloudException as exc:
            nc._session.adapter_dav.close()  # noqa: SLF001
            raise _typed_error("dav_get", exc) from None
        except (niquests.exceptions.ConnectionError, niquests.exceptions.Timeout) as exc:
            nc._session.adapter_dav.close()  # noqa: SLF001
            raise NextcloudUnavailable("dav_get", None, type(exc).__name__) from None

    def upload_file(self, path: str, content: bytes, content_type: str, as_user: str,
                    request_id: str | None = None) -> str:
        """Write a file (WebDAV PUT, recorded on Nextcloud 34: dav_put_minutes_as_admin.json) in
        ``as_user``'s files, replacing one that is there; returns its ETag."""
        target = _checked_dav_path(path)

        def put(nc: NextcloudApp) -> str:
            response = nc._session.adapter_dav.put(  # noqa: SLF001  nc_py_api's upload sends no type
                quote(f"/files/{as_user}{target}"), data=content, headers={"Content-Type": content_type})
            check_error(response, "dav_put")
            return (response.headers.get("OC-ETag") or response.headers.get("ETag") or "").strip('"')

        return self._call("dav_put", as_user, request_id, put)

    # --- Other apps: Talk, calendar ------------------------------------------------------------

    def capabilities(self, as_user: str, request_id: str | None = None) -> dict[str, Any]:
        """The capabilities as ``as_user`` gets them (an app announces itself there: Talk as
        ``spreed``; the recorded Nextcloud 34 has none: ocs_capabilities.json)."""
        return dict(self._call("capabilities", as_user, request_id, lambda nc: nc.capabilities))

    def create_talk_room(self, name: str, as_user: str, request_id: str | None = None) -> str:
        """A Talk group conversation owned by ``as_user`` (Talk's documented API v4:
        POST /ocs/v2.php/apps/spreed/api/v4/room, roomType 2); returns its token."""
        data = self._call("talk_create_room", as_user, request_id, lambda nc: nc.ocs(
            "POST", "/ocs/v2.php/apps/spreed/api/v4/room", json={"roomType": 2, "roomName": name[:255]}))
        return str(data["token"])

    def add_talk_participant(self, token: str, user_id: str, as_user: str, request_id: str | None = None) -> None:
        """Add a Nextcloud user to a conversation (documented: POST …/room/{token}/participants)."""
        self._call("talk_add_participant", as_user, request_id, lambda nc: nc.ocs(
            "POST", f"/ocs/v2.php/apps/spreed/api/v4/room/{quote(token, safe='')}/participants",
            json={"newParticipant": user_id, "source": "users"}))

    def put_calendar_event(self, calendar: str, name: str, ics: str, as_user: str,
                           request_id: str | None = None) -> str:
        """Create a calendar object (CalDAV PUT, RFC 4791 5.3.2, with If-None-Match: * so an
        existing one is never replaced) in ``as_user``'s calendar; returns its path. A missing
        calendar is ``NextcloudNotFound``; an existing object a ``NextcloudError`` with 412."""
        path = f"/calendars/{quote(as_user, safe='')}/{quote(calendar, safe='')}/{quote(name, safe='')}"

        def put(nc: NextcloudApp) -> str:
            response = nc._session.adapter_dav.put(  # noqa: SLF001  nc_py_api has no CalDAV
                path, data=ics.encode(), headers={"Content-Type": "text/calendar; charset=utf-8",
                                                  "If-None-Match": "*"})
            check_error(response, "caldav_put")
            return path

        return self._call("caldav_put", as_user, request_id, put)

    # --- Notifications --------------------------------------------------------------------------

    def notify(self, user_id: str, subject: str, message: str, link: str, request_id: str | None = None) -> str:
        """A Nextcloud notification to ``user_id`` (AppAPI sends it to the impersonated user;
        an empty user is refused with OCS 996). Returns the notification's object id."""
        if not user_id:
            raise ValueError("a notification needs a user")
        return self._call("notify", user_id, request_id,
                          lambda nc: nc.notifications.create(subject, message, link=link))


def _nextcloud_user(info: Any) -> NextcloudUser:
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

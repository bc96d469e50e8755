# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""What the stand-in Nextcloud knows: users, groups, the registered ExApp and its UI entries."""
from __future__ import annotations

import base64
import re
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ACCESS_LEVELS = {"PUBLIC": 0, "USER": 1, "ADMIN": 2}


@dataclass
class StandInUser:
    user_id: str
    display_name: str
    groups: list[str]
    email: str = ""
    backend: str = "Database"
    language: str = "en"
    quota_bytes: int = -3  # unlimited, as Nextcloud reports it
    used_bytes: int = 0
    app_passwords: list[str] = field(default_factory=list)
    ldap_dn: str | None = None  # backend "LDAP": the entry user_ldap maps this user to

    @property
    def password(self) -> str:
        """The recordings' convention: every lab user's login password is ``<user>-password``."""
        return f"{self.user_id}-password"

    @property
    def is_admin(self) -> bool:
        return "admin" in self.groups


@dataclass(frozen=True)
class Route:
    url: str
    verb: str
    access_level: int
    headers_to_exclude: tuple[str, ...] = ()

    def matches(self, path: str, method: str) -> bool:
        """AppAPI's rule: ``~^(?:url)~i`` against "/"+path, and the verb as a substring."""
        return bool(re.match(f"^(?:{self.url})", path, re.IGNORECASE)) and method.upper() in self.verb.upper()


@dataclass
class ExApp:
    app_id: str
    secret: str
    version: str
    url: str  # where the stand-in reaches the ExApp, e.g. http://127.0.0.1:23000
    routes: list[Route]
    enabled: bool = False
    init_progress: int = 0
    init_error: str = ""

    def auth_header(self, user_id: str) -> str:
        return base64.b64encode(f"{user_id}:{self.secret}".encode()).decode()


@dataclass
class Call:
    """One request the ExApp made to the stand-in, for tests to assert on."""

    method: str
    path: str
    as_user: str | None  # None when authentication failed
    status: int
    ocs_status: int | None
    json: Any = None
    via: str | None = None  # "appapi", "password", "app_password", "anonymous"


def routes_from_info_xml(path: Path) -> list[Route]:
    """The routes of ``appinfo/info.xml`` as AppAPI parses them (access level names → ints)."""
    root = ET.parse(path).getroot()
    routes = []
    for node in root.iterfind("./external-app/routes/route"):
        excluded = (node.findtext("headers_to_exclude") or "[]").strip()
        routes.append(Route(
            url=node.findtext("url", "").strip(),
            verb=node.findtext("verb", "").strip(),
            access_level=ACCESS_LEVELS[node.findtext("access_level", "").strip().upper()],
            # AppAPI ≤ 34 stores a string body as [] (APPAPI.md §3.1); we honour real lists only.
            headers_to_exclude=tuple(h.strip('" ').lower() for h in excluded.strip("[]").split(",") if h.strip('" ')),
        ))
    return routes


def default_users() -> list[StandInUser]:
    """The users of the recorded lab, plus a cooperative board member for admin-group tests."""
    return [
        StandInUser("admin", "admin", ["admin"], "admin@example.org", used_bytes=1_048_576),
        StandInUser("alice", "Alice Normal", ["testers"], "alice@example.org",
                    quota_bytes=5_368_709_120, used_bytes=20_174_294),
    ]


@dataclass
class StandInState:
    users: dict[str, StandInUser]
    exapp: ExApp | None = None
    top_menu: dict[str, dict[str, Any]] = field(default_factory=dict)
    scripts: list[dict[str, str]] = field(default_factory=list)
    styles: list[dict[str, str]] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    sessions: dict[str, str] = field(default_factory=dict)  # stand-in login cookie → user id
    files: dict[tuple[str, str], Any] = field(default_factory=dict)  # (owner, path) → dav.DavNode
    ldap: Any = None  # userldap.LdapSource: where LDAP-backed users' quotas come from
    # AppAPI's PHP proxy follows the ExApp's redirects (APPAPI.md "Corrections"); HaRP and a plain
    # reverse proxy pass them to the browser. False plays the latter, for the tests of both paths.
    proxy_follows_redirects: bool = True
    # Talk and CalDAV calendars: the recorded server has no Talk (no ``spreed`` capability in
    # ocs_capabilities.json) and nothing of CalDAV was recorded, so both are off by default. On,
    # the stand-in answers from Talk's and CalDAV's documented APIs, not from recordings (talk.py).
    talk_enabled: bool = False
    caldav_enabled: bool = False
    talk_rooms: dict[str, dict[str, Any]] = field(default_factory=dict)  # token → room
    calendar_objects: dict[str, str] = field(default_factory=dict)  # path → iCalendar text
    lock: threading.RLock = field(default_factory=threading.RLock)

    def groups(self) -> list[str]:
        return sorted({g for user in self.users.values() for g in user.groups})

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""A user's roles in nc_coop, resolved through Nextcloud and cached briefly."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Roles:
    user_id: str
    display_name: str
    groups: tuple[str, ...]
    is_coop_admin: bool  # a Nextcloud admin or in one of NC_COOP_ADMIN_GROUPS (board, office)


def roles_from_groups(user_id: str, display_name: str, groups: tuple[str, ...],
                      admin_groups: tuple[str, ...]) -> Roles:
    """Cooperative admins are the Nextcloud ``admin`` group plus the configured groups."""
    is_admin = "admin" in groups or any(group in groups for group in admin_groups)
    return Roles(user_id=user_id, display_name=display_name, groups=groups, is_coop_admin=is_admin)


class RoleCache:
    """Per-user roles for ``ttl`` seconds; a changed group membership shows within that time."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._entries: dict[str, tuple[float, Roles]] = {}
        self._lock = threading.Lock()

    def get(self, user_id: str, resolve: Callable[[str], Roles]) -> Roles:
        now = self._clock()
        with self._lock:
            hit = self._entries.get(user_id)
            if hit and now - hit[0] < self._ttl:
                return hit[1]
        roles = resolve(user_id)  # outside the lock: a slow Nextcloud must not block other users
        with self._lock:
            self._entries[user_id] = (now, roles)
            if len(self._entries) > 10_000:  # bound memory; users come back within the TTL anyway
                self._entries.clear()
        return roles

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

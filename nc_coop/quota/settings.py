# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Quota settings (``NC_COOP_QUOTA_*``), read when the app is built.

Nextcloud 34 refuses quota edits made with AppAPI auth and with app passwords ("Password
confirmation is required", APPAPI.md §B), so local (non-LDAP) users get their quota through a
dedicated admin account's login password. It is a secret: never in ``repr``, logs or errors.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from nc_coop.config import ConfigError, env_setting, env_value, parse_bool, parse_int, read_secret

PREFIX = "NC_COOP_QUOTA_"
EXTENSION = "nc_coop.quota"
_USER_ID = re.compile(r"^[A-Za-z0-9 _.@'-]{1,64}$")  # Nextcloud user ids (lib/private/User/Manager.php)


@dataclass(frozen=True)
class QuotaSettings:
    admin_user: str | None = None  # the admin account for the refresh search, reads and provisioning writes
    admin_password: str | None = field(default=None, repr=False)  # its LOGIN password (not an app password)
    local_users: bool = True  # write quotas of non-LDAP users through the provisioning API
    try_appapi: bool = False  # only to show Nextcloud's refusal: send the AppAPI-authenticated PUT
    concurrency: int = 4  # provisioning writes at once
    batch_size: int = 500  # changes claimed per round
    backoff_seconds: int = 60  # first retry delay; doubles per attempt
    backoff_max_seconds: int = 6 * 3600
    retry_minutes: int = 5  # the app applies due changes this often (0: only on demand)

    @property
    def provisioning_enabled(self) -> bool:
        """Local users can be written: by login password, or (to show the refusal) by AppAPI."""
        return self.local_users and (bool(self.admin_user and self.admin_password) or self.try_appapi)

    def secret_values(self) -> tuple[str, ...]:
        return (self.admin_password,) if self.admin_password else ()

    def backoff(self, attempts: int) -> int:
        """Seconds until the next attempt after ``attempts`` failed ones: 60, 120, 240, … capped."""
        return min(self.backoff_seconds * 2 ** max(attempts - 1, 0), self.backoff_max_seconds)


def load_quota_settings(environ: Mapping[str, Any]) -> QuotaSettings:
    """``ConfigError`` naming the first bad variable; the password's value is never in a message."""

    def get(suffix: str) -> str | None:
        return env_value(environ, PREFIX + suffix)

    def opt(suffix: str, default: Any, parse: Callable[[str, str], Any]) -> Any:
        return env_setting(environ, PREFIX + suffix, default, parse)

    user = get("ADMIN_USER")
    if user is not None and (not _USER_ID.match(user.strip())):
        raise ConfigError(PREFIX + "ADMIN_USER", f"must be a Nextcloud user id, got {user!r}")
    password = read_secret(environ, PREFIX + "ADMIN_PASSWORD")
    if password and user is None:
        raise ConfigError(PREFIX + "ADMIN_USER", f"is required when {PREFIX}ADMIN_PASSWORD is set")
    return QuotaSettings(
        admin_user=user.strip() if user else None, admin_password=password or None,
        local_users=opt("LOCAL_USERS", True, parse_bool),
        try_appapi=opt("TRY_APPAPI", False, parse_bool),
        concurrency=opt("CONCURRENCY", 4, parse_int(1, 32)),
        retry_minutes=opt("RETRY_MINUTES", 5, parse_int(0, 1440)),
    )

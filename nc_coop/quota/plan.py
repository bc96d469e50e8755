# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The plan: which users' quotas differ from what the policy wants, and where to write them.

Pure: the desired quotas (policy.effective_quotas) against what the backends hold now. Only
users whose quota changes are in the plan; applying it is the job of the apply step, which
records every change and retries failed writes.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from nc_coop.quota.policy import Desired

LDAP = "ldap"  # the quota attribute that user_ldap reads (overrides any other quota)
PROVISIONING = "provisioning"  # Nextcloud's provisioning API with an admin login password


@dataclass(frozen=True)
class Current:
    """Where a user's quota lives and what it is now (None: not set, Nextcloud's default)."""

    backend: str
    amount: int | None


@dataclass(frozen=True)
class Change:
    user_id: str
    backend: str
    old: int | None
    new: int
    reason: str


@dataclass(frozen=True)
class Plan:
    changes: list[Change]
    unchanged: int
    unmanaged: int  # the policy leaves them to Nextcloud
    unknown: list[str]  # users the policy covers but no backend knows (not in LDAP, not in Nextcloud)


def plan_changes(desired: Mapping[str, Desired], current: Mapping[str, Current],
                 provisioning_enabled: bool = True) -> Plan:
    """One change per user whose desired quota differs from the current one, sorted by user."""
    changes: list[Change] = []
    unchanged = unmanaged = 0
    unknown: list[str] = []
    for user_id in sorted(desired):
        want = desired[user_id]
        if want.amount is None:
            unmanaged += 1
            continue
        now = current.get(user_id)
        if now is None or (now.backend == PROVISIONING and not provisioning_enabled):
            unknown.append(user_id)
            continue
        if now.amount == want.amount:
            unchanged += 1
            continue
        changes.append(Change(user_id, now.backend, now.amount, want.amount, want.reason))
    return Plan(changes, unchanged, unmanaged, unknown)

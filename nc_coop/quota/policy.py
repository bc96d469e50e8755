# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The quota policy: how much storage each user should have, computed from the register.

Plain functions over plain data, no database: the effective quota is derived each time from the
register (membership, its kind, the shares held) and the policy, never stored a second time.

* A member party's quota is a base amount for its kind of party and kind of membership, plus an
  amount per share held (which may be zero). A party that is not a member gets nothing from it.
* An organisation's quota is a pool over its users: split equally by default; admins may give
  some users a fixed amount, and the rest share what is left equally.
* A user's quota is their own membership's quota plus their portion of each organisation pool
  they belong to; a user with neither gets the policy's amount for non-members, or is left to
  Nextcloud's own default when that is not set.
* Overrides (per user, or per organisation pool) carry a reason and an optional last day; while
  they run they replace what the rules above would give.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l

from nc_coop.quota.units import UNLIMITED, format_quota


class QuotaRuleError(ValueError):
    """A policy or allocation that cannot hold; ``field`` names the input."""

    def __init__(self, field: str, reason: object) -> None:
        self.field = field
        self.reason = str(reason)  # a lazy message becomes text in the language of the request
        super().__init__(f"{field}: {self.reason}")


@dataclass(frozen=True)
class Policy:
    """Base amounts per (party kind, membership kind), bytes per share, and the non-member amount.
    Amounts are bytes or ``UNLIMITED``; a missing base means that kind gets nothing by default."""

    base: Mapping[tuple[str, str], int] = field(default_factory=dict)
    per_share: int = 0
    non_member: int | None = None  # None: nc_coop leaves such users to Nextcloud's default

    def __post_init__(self) -> None:
        for (party_kind, membership_kind), amount in self.base.items():
            _check_amount(f"base.{party_kind}.{membership_kind}", amount)
        if self.per_share < 0:
            raise QuotaRuleError("per_share", _l("must be zero or more"))
        if self.non_member is not None:
            _check_amount("non_member", self.non_member)


def _check_amount(name: str, amount: int) -> None:
    if amount != UNLIMITED and amount < 0:
        raise QuotaRuleError(name, _l("must be a size or unlimited"))


@dataclass(frozen=True)
class Override:
    amount: int
    reason: str
    until: date | None = None  # the last day it applies; None: until removed

    def applies_on(self, day: date) -> bool:
        return self.until is None or day <= self.until


@dataclass(frozen=True)
class PartyFacts:
    """What the register says about one party on the day: its kind, and its running membership's
    kind and shares (``membership_kind`` None: not a member on that day)."""

    party_id: int
    party_kind: str
    membership_kind: str | None
    shares: int = 0


@dataclass(frozen=True)
class UserFacts:
    """A Nextcloud user: their own party (linked as "self"), and the organisations they work for."""

    user_id: str
    own_party_id: int | None = None
    organisation_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Desired:
    """The quota a user should have (``amount`` None: not managed by nc_coop) and why."""

    amount: int | None
    reason: str


def party_quota(policy: Policy, party: PartyFacts | None) -> int | None:
    """A member party's quota: base for its kinds plus per share; None when not a member or the
    policy gives that kind nothing."""
    if party is None or party.membership_kind is None:
        return None
    base = policy.base.get((party.party_kind, party.membership_kind))
    if base is None:
        return None
    if base == UNLIMITED:
        return UNLIMITED
    return base + policy.per_share * party.shares


def add(amounts: Iterable[int]) -> int:
    """Sum of quotas where one unlimited part makes the whole unlimited."""
    total = 0
    for amount in amounts:
        if amount == UNLIMITED:
            return UNLIMITED
        total += amount
    return total


def check_allocations(pool: int | None, allocations: Mapping[str, int], users: Iterable[str]) -> None:
    """Fixed per-user amounts must go to the organisation's users and fit into its pool."""
    members = set(users)
    for user_id, amount in allocations.items():
        if user_id not in members:
            raise QuotaRuleError("user_id", _l("%(user)s is not a user of this organisation", user=user_id))
        if amount < 0:
            raise QuotaRuleError("amount", _l("a fixed amount within the pool must be a size, not unlimited"))
    if pool is None:
        if allocations:
            raise QuotaRuleError("amount", _l("this organisation has no pool to divide (not a member, no override)"))
        return
    if pool != UNLIMITED and sum(allocations.values()) > pool:
        raise QuotaRuleError("amount", _l("the fixed amounts (%(fixed)s) exceed the pool of %(pool)s",
                                          fixed=format_quota(sum(allocations.values())), pool=format_quota(pool)))


def pool_portions(pool: int | None, users: Iterable[str], allocations: Mapping[str, int]) -> dict[str, int]:
    """Each user's portion of one organisation pool: fixed amounts first, the rest split equally
    (whole bytes; the few bytes left over by the division stay unassigned)."""
    members = sorted(set(users))
    if pool is None or not members:
        return {}
    if pool == UNLIMITED:
        return {user: allocations.get(user, UNLIMITED) for user in members}
    fixed = {user: amount for user, amount in allocations.items() if user in members}
    rest = [user for user in members if user not in fixed]
    remaining = max(pool - sum(fixed.values()), 0)
    equal = remaining // len(rest) if rest else 0
    return {**fixed, **{user: equal for user in rest}}


def effective_quotas(policy: Policy, users: Iterable[UserFacts], parties: Mapping[int, PartyFacts],
                     today: date, *, user_overrides: Mapping[str, Override] | None = None,
                     organisation_overrides: Mapping[int, Override] | None = None,
                     allocations: Mapping[int, Mapping[str, int]] | None = None) -> dict[str, Desired]:
    """The desired quota of every user, with a short reason an admin can read."""
    user_overrides = user_overrides or {}
    organisation_overrides = organisation_overrides or {}
    allocations = allocations or {}
    users = list(users)
    members_of: dict[int, list[str]] = {}
    for user in users:
        for organisation_id in user.organisation_ids:
            members_of.setdefault(organisation_id, []).append(user.user_id)
    portions: dict[int, dict[str, int]] = {}
    for organisation_id, member_ids in members_of.items():
        override = organisation_overrides.get(organisation_id)
        pool = override.amount if override and override.applies_on(today) else \
            party_quota(policy, parties.get(organisation_id))
        portions[organisation_id] = pool_portions(pool, member_ids, allocations.get(organisation_id, {}))
    result: dict[str, Desired] = {}
    for user in users:
        override = user_overrides.get(user.user_id)
        if override is not None and override.applies_on(today):
            result[user.user_id] = Desired(override.amount, f"override: {override.reason}")
            continue
        parts: list[tuple[int, str]] = []
        own = party_quota(policy, parties.get(user.own_party_id)) if user.own_party_id is not None else None
        if own is not None:
            parts.append((own, "own membership"))
        for organisation_id in user.organisation_ids:
            portion = portions.get(organisation_id, {}).get(user.user_id)
            if portion is not None:
                parts.append((portion, f"organisation #{organisation_id}"))
        if parts:
            result[user.user_id] = Desired(add(p for p, _ in parts), " + ".join(why for _, why in parts))
        else:
            result[user.user_id] = Desired(policy.non_member, "not a member" if policy.non_member is not None
                                           else "not managed")
    return result


# The reasons above are English and kept so in the change history (and the CLI's output); pages
# show them in the reader's language.
_REASON_WORDS = {"own membership": _l("own membership"), "not a member": _l("not a member"),
                 "not managed": _l("not managed")}
_ORGANISATION = re.compile(r"organisation #(\d+)\Z")
_REQUEST = re.compile(r"request #(\d+)(?:: (.*))?\Z", re.S)  # services.decide_request's override reason


def reason_text(reason: str | None) -> str:
    """A reason written by ``effective_quotas``, or an override's reason, in the current language;
    free text (an admin's own reason) stays as written."""
    if not reason:
        return ""
    if reason.startswith("override: "):
        return str(_l("override: %(reason)s", reason=_override_reason(reason.removeprefix("override: "))))
    if _REQUEST.match(reason):
        return _override_reason(reason)
    return " + ".join(_reason_part(part) for part in reason.split(" + "))


def _reason_part(part: str) -> str:
    if part in _REASON_WORDS:
        return str(_REASON_WORDS[part])
    organisation = _ORGANISATION.match(part)
    if organisation:
        return str(_l("organisation #%(id)s", id=organisation.group(1)))
    return part


def _override_reason(text: str) -> str:
    request = _REQUEST.match(text)
    if request is None:
        return text
    if request.group(2) is None:
        return str(_l("request #%(id)s", id=request.group(1)))
    return str(_l("request #%(id)s: %(note)s", id=request.group(1), note=request.group(2)))

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""What the plan needs from the database, read in bulk: a fixed number of queries whatever the
number of users (bench/quota.py plans 100,000 users in a few seconds this way).

* Users: every Nextcloud user nc_coop knows (accounts, LDAP users, users seen by a quota read),
  with their own party (an account linked as "self") and the organisations they work for (the
  LDAP sync's organisation users that have not ended).
* Parties: every membership running on the day, its kind, and the shares held (the same rules
  as the §30 list: admitted on or before the day, not gone before it).
* Where each user's quota lives: the LDAP quota attribute for users of the directory, the
  provisioning API for the others, and its last known value.
"""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session, aliased

from nc_coop.ldapsync.models import LdapEntry, LdapOrgUser
from nc_coop.quota.models import (
    OPEN_STATUSES,
    QuotaAllocation,
    QuotaChange,
    QuotaOverride,
    QuotaPolicyVersion,
    QuotaUserState,
)
from nc_coop.quota.plan import LDAP, PROVISIONING, Current
from nc_coop.quota.policy import Override, PartyFacts, Policy, UserFacts
from nc_coop.quota.units import from_ldap_value
from nc_coop.register.exports import END_OF_DAY_SHARE_KINDS, share_positions
from nc_coop.register.links import link_grants
from nc_coop.register.models import Account, Membership, MembershipEvent, Party, ShareEntry
from nc_coop.register.status import Event, EventKind, exit_event


@dataclass(frozen=True)
class Facts:
    users: list[UserFacts]
    parties: dict[int, PartyFacts]
    ldap_attrs: dict[str, str]  # user id → the LDAP entry's mapped attributes (JSON, parsed when needed)
    current: dict[str, Current]
    state_names: dict[str, str]  # display names Nextcloud reported
    used_bytes: dict[str, int | None]

    def display_name(self, user_id: str) -> str | None:
        attrs = self.ldap_attrs.get(user_id)
        name = json.loads(attrs).get("display_name") if attrs else None
        return name or self.state_names.get(user_id)


# --- Policy inputs ------------------------------------------------------------------------------

def policy_from_params(params: dict) -> Policy:
    base = {tuple(key.split("/", 1)): int(amount) for key, amount in (params.get("base") or {}).items()}
    non_member = params.get("non_member")
    return Policy(base=base, per_share=int(params.get("per_share") or 0),  # type: ignore[arg-type]
                  non_member=int(non_member) if non_member is not None else None)


def policy_to_params(policy: Policy) -> dict:
    return {"base": {f"{party}/{membership}": amount for (party, membership), amount in sorted(policy.base.items())},
            "per_share": policy.per_share, "non_member": policy.non_member}


def current_policy(session: Session) -> tuple[Policy, QuotaPolicyVersion | None]:
    """The newest policy version; without one nc_coop manages nobody (an empty policy)."""
    row = session.scalars(select(QuotaPolicyVersion).order_by(QuotaPolicyVersion.id.desc()).limit(1)).first()
    return (policy_from_params(json.loads(row.params)), row) if row else (Policy(), None)


def active_overrides(session: Session, today: date) -> tuple[dict[str, Override], dict[int, Override]]:
    """Overrides not removed and not past their last day; the newest wins."""
    users: dict[str, Override] = {}
    organisations: dict[int, Override] = {}
    rows = session.scalars(select(QuotaOverride).where(QuotaOverride.ended_at.is_(None))
                           .order_by(QuotaOverride.id))
    for row in rows:
        override = Override(row.amount, row.reason, row.until)
        if not override.applies_on(today):
            continue
        if row.scope == "user" and row.nextcloud_user_id:
            users[row.nextcloud_user_id] = override
        elif row.scope == "organisation" and row.party_id is not None:
            organisations[row.party_id] = override
    return users, organisations


def allocations(session: Session) -> dict[int, dict[str, int]]:
    result: dict[int, dict[str, int]] = defaultdict(dict)
    for party_id, user_id, amount in session.execute(
            select(QuotaAllocation.party_id, QuotaAllocation.nextcloud_user_id, QuotaAllocation.amount)):
        result[party_id][user_id] = amount
    return dict(result)


def open_changes(session: Session) -> dict[str, int]:
    """The newest queued or running change per user: user id → the quota it will set."""
    rows = session.execute(select(QuotaChange.nextcloud_user_id, QuotaChange.new_amount)
                           .where(QuotaChange.status.in_(OPEN_STATUSES)).order_by(QuotaChange.id))
    return {user_id: amount for user_id, amount in rows}


# --- Register facts -------------------------------------------------------------------------------

def party_facts(session: Session, today: date, party_ids: Collection[int] | None = None) -> dict[int, PartyFacts]:
    """Every party (or those of ``party_ids``) with a membership running on ``today``: kinds and
    shares held."""
    conn = session.connection()  # Core rows (see load_facts)
    query = (select(Membership.id, Membership.party_id, Membership.kind, Party.kind)
             .join(Party, Party.id == Membership.party_id).where(Membership.admitted_on <= today))
    if party_ids is not None:
        query = query.where(Membership.party_id.in_(list(party_ids)))
    memberships = conn.execute(query).all()
    events_query = select(MembershipEvent.membership_id, MembershipEvent.id, MembershipEvent.kind,
                          MembershipEvent.event_date, MembershipEvent.effective_date, MembershipEvent.reverses_id)
    if party_ids is not None:
        events_query = events_query.where(MembershipEvent.membership_id.in_([m[0] for m in memberships]))
    events: dict[int, list[Event]] = defaultdict(list)
    for membership_id, event_id, kind, event_date, effective_date, reverses_id in conn.execute(events_query).all():
        events[membership_id].append(Event(event_id, EventKind(kind), event_date, effective_date, reverses_id))
    gone = set()
    for membership_id, evs in events.items():
        leaving = exit_event(evs)
        if leaving is not None and leaving.effective_date is not None and leaving.effective_date < today:
            gone.add(membership_id)
    shares = _share_positions_all(session, today) if party_ids is None else \
        share_positions(session, [m[0] for m in memberships], today)
    result: dict[int, PartyFacts] = {}
    for membership_id, party_id, membership_kind, party_kind in memberships:
        if membership_id in gone:
            continue
        # One running membership per party (the register's rule); the first one read stands.
        result.setdefault(party_id, PartyFacts(party_id, party_kind, membership_kind,
                                               shares.get(membership_id, 0)))
    return result


def _share_positions_all(session: Session, day: date) -> dict[int, int]:
    """register.exports.share_positions for every membership at once (no IN list)."""
    original = aliased(ShareEntry)
    end_of_day = func.coalesce(original.kind, ShareEntry.kind).in_(END_OF_DAY_SHARE_KINDS)
    held = func.sum(case((and_(ShareEntry.effective_date == day, end_of_day), 0), else_=ShareEntry.delta))
    rows = session.connection().execute(select(ShareEntry.membership_id, held)
                           .outerjoin(original, original.id == ShareEntry.reverses_id)
                           .where(ShareEntry.effective_date <= day).group_by(ShareEntry.membership_id)).all()
    return {membership_id: int(total or 0) for membership_id, total in rows}


def _users_around(session: Session, users: Iterable[str]) -> list[str]:
    """``users`` and every user of the organisations they work for (a pool is split over all)."""
    wanted = list(dict.fromkeys(users))
    organisations = select(LdapOrgUser.org_party_id).join(Account, Account.id == LdapOrgUser.account_id).where(
        Account.nextcloud_user_id.in_(wanted), LdapOrgUser.ended_at.is_(None), LdapOrgUser.org_party_id.is_not(None))
    colleagues = session.connection().execute(
        select(Account.nextcloud_user_id).join(LdapOrgUser, LdapOrgUser.account_id == Account.id)
        .where(LdapOrgUser.org_party_id.in_(organisations), LdapOrgUser.ended_at.is_(None))).scalars().all()
    return list(dict.fromkeys([*wanted, *colleagues]))


def load_facts(session: Session, today: date, only: Iterable[str] | None = None) -> Facts:
    """Users, parties, quota locations and last known values, in seven queries; with ``only``,
    just those users and the users of their organisations (a member's page)."""
    conn = session.connection()  # Core rows: the ORM's per-row processing costs seconds at 100,000 users
    scope = _users_around(session, only) if only is not None else None

    def limited(query: Any) -> Any:
        return query if scope is None else query.where(Account.nextcloud_user_id.in_(scope))

    own: dict[str, int] = {}
    known: set[str] = set()
    for user_id, party_id, role in conn.execute(limited(
            select(Account.nextcloud_user_id, Account.party_id, Account.role)
            .where(link_grants()).order_by(Account.id))).all():  # a held link gives no member's quota
        known.add(user_id)
        if role == "self":
            own.setdefault(user_id, party_id)
    organisations: dict[str, set[int]] = defaultdict(set)
    for user_id, party_id in conn.execute(limited(
            select(Account.nextcloud_user_id, LdapOrgUser.org_party_id)
            .join(Account, Account.id == LdapOrgUser.account_id)
            .where(LdapOrgUser.ended_at.is_(None), LdapOrgUser.org_party_id.is_not(None),
                   Account.disabled_at.is_(None)))).all():
        organisations[user_id].add(party_id)
    ldap: dict[str, str] = dict(conn.execute(limited(  # type: ignore[arg-type]
        select(Account.nextcloud_user_id, LdapEntry.attrs).join(Account, Account.id == LdapEntry.account_id)
        .where(LdapEntry.kind == "user", LdapEntry.disabled_at.is_(None)))).all())
    # Plain rows, not ORM objects: building 100,000 instances would cost more than the query.
    state_query = select(QuotaUserState.nextcloud_user_id, QuotaUserState.backend, QuotaUserState.amount,
                         QuotaUserState.used_bytes, QuotaUserState.display_name)
    if scope is not None:
        state_query = state_query.where(QuotaUserState.nextcloud_user_id.in_(scope))
    states = {row[0]: row for row in conn.execute(state_query).all()}
    current: dict[str, Current] = {}
    used: dict[str, int | None] = {}
    names: dict[str, str] = {}
    for user_id in known | set(ldap) | set(states):
        state = states.get(user_id)
        backend = LDAP if user_id in ldap else PROVISIONING
        if state is not None and state[1] == backend:
            amount = state[2]  # what nc_coop last wrote or read
        elif backend == LDAP:
            amount = from_ldap_value(json.loads(ldap[user_id]).get("quota"))  # the directory, as last synced
        else:
            amount = None
        current[user_id] = Current(backend, amount)
        if state is not None:
            used[user_id] = state[3]
            if state[4]:
                names[user_id] = state[4]
    users = [UserFacts(user_id, own.get(user_id), tuple(sorted(organisations.get(user_id, ()))))
             for user_id in sorted(current)]
    parties = None if scope is None else {*own.values(), *(p for ps in organisations.values() for p in ps)}
    return Facts(users, party_facts(session, today, parties), ldap, current, names, used)


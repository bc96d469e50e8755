# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Quota services: the plan from the register, the policy and the current values; queueing its
changes; overrides, pool allocations, policy versions and requests for more storage.

Every service flushes only and records an audit event; the caller commits (one unit of work per
request or command). Writing to LDAP or Nextcloud is nc_coop.quota.apply's job.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TypeVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nc_coop.audit.chain import lock_chain, record
from nc_coop.ldapsync.models import LdapOrgUser
from nc_coop.quota.facts import (
    Facts,
    active_overrides,
    allocations,
    current_policy,
    load_facts,
    open_changes,
    party_facts,
    policy_to_params,
)
from nc_coop.quota.models import (
    OPEN_STATUSES,
    QUEUED,
    REFUSED,
    SUPERSEDED,
    QuotaAllocation,
    QuotaChange,
    QuotaOverride,
    QuotaPolicyVersion,
    QuotaRequest,
)
from nc_coop.quota.plan import Change, Plan, plan_changes
from nc_coop.quota.policy import Desired, Policy, QuotaRuleError, check_allocations, effective_quotas, party_quota
from nc_coop.quota.units import UNLIMITED
from nc_coop.register.links import account_grants
from nc_coop.register.models import Account, Party

OPEN, APPROVED, REJECTED = "open", "approved", "rejected"
Locked = TypeVar("Locked", QuotaOverride, QuotaRequest)


@dataclass(frozen=True)
class Actor:
    user_id: str
    request_id: str | None = None


@dataclass(frozen=True)
class QuotaPlan:
    plan: Plan
    desired: dict[str, Desired]
    facts: Facts
    already_queued: list[str] = field(default_factory=list)  # users whose queued change sets the same quota


def now() -> datetime:
    return datetime.now(UTC)


# --- Plan and queue -----------------------------------------------------------------------------------

def desired_quotas(session: Session, facts: Facts, today: date, policy: Policy | None = None) -> dict[str, Desired]:
    """Every known user's quota under ``policy`` (default: the one in force) and the overrides."""
    policy = policy if policy is not None else current_policy(session)[0]
    user_overrides, organisation_overrides = active_overrides(session, today)
    return effective_quotas(policy, facts.users, facts.parties, today, user_overrides=user_overrides,
                            organisation_overrides=organisation_overrides, allocations=allocations(session))


def build_plan(session: Session, today: date, *, policy: Policy | None = None, provisioning_enabled: bool = True,
               users: Iterable[str] | None = None) -> QuotaPlan:
    """The changes that would bring every user (or only ``users``) to the desired quota. Pools are
    split over all their users first, so a subset gets the same amounts as a full plan."""
    wanted = set(users) if users is not None else None
    facts = load_facts(session, today, only=wanted)
    desired = desired_quotas(session, facts, today, policy)
    if wanted is not None:
        desired = {u: d for u, d in desired.items() if u in wanted}
    plan = plan_changes(desired, facts.current, provisioning_enabled)
    queued = open_changes(session)
    same = [c.user_id for c in plan.changes if queued.get(c.user_id) == c.new]
    if same:
        skip = set(same)
        plan = Plan([c for c in plan.changes if c.user_id not in skip], plan.unchanged, plan.unmanaged, plan.unknown)
    return QuotaPlan(plan, desired, facts, same)


def queue_changes(session: Session, actor: Actor, changes: list[Change]) -> list[int]:
    """Queue ``changes``; a change still waiting for the same user is superseded (never both applied)."""
    if not changes:
        return []
    at = now()
    users = [c.user_id for c in changes]
    for start in range(0, len(users), 500):
        session.execute(update(QuotaChange).where(QuotaChange.nextcloud_user_id.in_(users[start:start + 500]),
                                                  QuotaChange.status == QUEUED)
                        .values(status=SUPERSEDED, finished_at=at))
    rows = [QuotaChange(nextcloud_user_id=c.user_id, backend=c.backend, old_amount=c.old, new_amount=c.new,
                        reason=c.reason[:2000], actor=actor.user_id, created_at=at, status=QUEUED, attempts=0,
                        next_attempt_at=at) for c in changes]
    session.add_all(rows)
    session.flush()
    ids = [row.id for row in rows]
    record(session, actor=actor.user_id, action="quota.changes_queued", entity="quota_change",
           entity_id=f"{ids[0]}-{ids[-1]}",
           diff={"count": len(ids), "changes": [[r.id, r.nextcloud_user_id, r.old_amount, r.new_amount]
                                                for r in rows[:1000]]},
           request_id=actor.request_id)
    return ids


def plan_and_queue(session: Session, actor: Actor, today: date, *, provisioning_enabled: bool = True,
                   users: Iterable[str] | None = None) -> list[int]:
    quota_plan = build_plan(session, today, provisioning_enabled=provisioning_enabled, users=users)
    return queue_changes(session, actor, quota_plan.plan.changes)


def requeue_refused(session: Session, actor: Actor) -> int:
    """Give refused changes another try (after the configuration was fixed)."""
    rows = session.scalars(select(QuotaChange).where(QuotaChange.status == REFUSED)).all()
    at = now()
    for row in rows:
        row.status, row.next_attempt_at, row.finished_at = QUEUED, at, None
    if rows:
        record(session, actor=actor.user_id, action="quota.changes_requeued", entity="quota_change",
               diff={"ids": [r.id for r in rows[:1000]]}, request_id=actor.request_id)
    session.flush()
    return len(rows)


# --- Policy, overrides, allocations --------------------------------------------------------------------

def set_policy(session: Session, actor: Actor, policy: Policy, note: str) -> QuotaPolicyVersion:
    row = QuotaPolicyVersion(params=json.dumps(policy_to_params(policy), sort_keys=True), note=note,
                             created_at=now(), actor=actor.user_id)
    session.add(row)
    session.flush()
    record(session, actor=actor.user_id, action="quota.policy_set", entity="quota_policy_version",
           entity_id=str(row.id), diff=policy_to_params(policy) | {"note": note}, request_id=actor.request_id)
    return row


def _end_active(session: Session, actor: Actor, *conditions: object) -> None:
    for row in session.scalars(select(QuotaOverride).where(QuotaOverride.ended_at.is_(None), *conditions)):
        row.ended_at, row.ended_by = now(), actor.user_id


def set_override(session: Session, actor: Actor, *, scope: str, amount: int, reason: str, until: date | None,
                 user_id: str | None = None, party_id: int | None = None,
                 request_id: int | None = None) -> QuotaOverride:
    """A fixed quota for a user or an organisation's pool; it replaces the previous one."""
    if scope == "user":
        assert user_id
        _end_active(session, actor, QuotaOverride.scope == "user", QuotaOverride.nextcloud_user_id == user_id)
    else:
        assert party_id is not None
        _end_active(session, actor, QuotaOverride.scope == "organisation", QuotaOverride.party_id == party_id)
    row = QuotaOverride(scope=scope, nextcloud_user_id=user_id if scope == "user" else None,
                        party_id=party_id if scope == "organisation" else None, amount=amount, reason=reason,
                        until=until, request_id=request_id, created_at=now(), actor=actor.user_id)
    session.add(row)
    session.flush()
    record(session, actor=actor.user_id, action="quota.override_set", entity="quota_override", entity_id=str(row.id),
           diff={"scope": scope, "user": user_id, "party_id": party_id, "amount": amount, "reason": reason,
                 "until": until.isoformat() if until else None}, request_id=actor.request_id)
    return row


def _locked(session: Session, model: type[Locked], row_id: int) -> Locked | None:
    """The row re-read under the writers' lock, for a check-then-act that must happen once: the
    audit chain's lock (SQLite: the database write lock), then on PostgreSQL a row lock; the same
    order as the register's bookings. A second caller waits for the first to commit and then sees
    its outcome."""
    lock_chain(session)
    return session.scalars(select(model).where(model.id == row_id).with_for_update()
                           .execution_options(populate_existing=True)).one_or_none()


def end_override(session: Session, actor: Actor, override_id: int) -> QuotaOverride | None:
    """End a running override (None: there is no such override). Ending one twice is refused."""
    row = _locked(session, QuotaOverride, override_id)
    if row is None:
        return None
    if row.ended_at is not None:
        raise QuotaRuleError("override_id", _l("this override has been removed already"))
    row.ended_at, row.ended_by = now(), actor.user_id
    record(session, actor=actor.user_id, action="quota.override_ended", entity="quota_override",
           entity_id=str(row.id), request_id=actor.request_id)
    session.flush()
    return row


def organisation_users(session: Session, party_id: int) -> list[str]:
    """The organisation's Nextcloud users: group members the LDAP sync linked, not ended."""
    return sorted(set(session.scalars(
        select(Account.nextcloud_user_id).join(LdapOrgUser, LdapOrgUser.account_id == Account.id)
        .where(LdapOrgUser.org_party_id == party_id, LdapOrgUser.ended_at.is_(None),
               Account.disabled_at.is_(None)))))


def organisation_pool(session: Session, party_id: int, today: date) -> int | None:
    """The pool to split: a running organisation override, else the policy's amount."""
    _, organisation_overrides = active_overrides(session, today)
    override = organisation_overrides.get(party_id)
    if override is not None:
        return override.amount
    return party_quota(current_policy(session)[0], party_facts(session, today, [party_id]).get(party_id))


def set_allocation(session: Session, actor: Actor, party_id: int, user_id: str, amount: int | None,
                   today: date) -> None:
    """A fixed amount for ``user_id`` within the pool (None: back to the equal split)."""
    existing = {row.nextcloud_user_id: row for row in
                session.scalars(select(QuotaAllocation).where(QuotaAllocation.party_id == party_id))}
    wanted = {u: row.amount for u, row in existing.items()}
    if amount is None:
        wanted.pop(user_id, None)
    else:
        wanted[user_id] = amount
    check_allocations(organisation_pool(session, party_id, today), wanted, organisation_users(session, party_id))
    if amount is None:
        if user_id in existing:
            session.delete(existing[user_id])
    elif user_id in existing:
        existing[user_id].amount, existing[user_id].set_at, existing[user_id].actor = amount, now(), actor.user_id
    else:
        session.add(QuotaAllocation(party_id=party_id, nextcloud_user_id=user_id, amount=amount, set_at=now(),
                                    actor=actor.user_id))
    session.flush()
    record(session, actor=actor.user_id, action="quota.allocation_set", entity="party", entity_id=str(party_id),
           diff={"user": user_id, "amount": amount}, request_id=actor.request_id)


# --- Who sees what ---------------------------------------------------------------------------------------

def represented_organisations(session: Session, user_id: str, today: date) -> list[int]:
    """Organisations ``user_id`` represents today (an appointment with a login that runs)."""
    return sorted(set(session.scalars(
        select(Account.party_id).join(Party, Party.id == Account.party_id)
        .where(Account.nextcloud_user_id == user_id, Account.role == "representative", Party.kind != "natural",
               account_grants(today)))))


def party_name(session: Session, party_id: int) -> str:
    party = session.get(Party, party_id)
    if party is None:
        return f"#{party_id}"
    return party.legal_name or " ".join(p for p in (party.given_names, party.family_name) if p) or f"#{party_id}"


# --- Requests for more storage -------------------------------------------------------------------------

def create_request(session: Session, actor: Actor, *, scope: str, amount: int, reason: str,
                   party_id: int | None = None) -> QuotaRequest:
    """``scope`` "user": for the requester; "organisation": for a pool the requester represents
    (the caller checks that). One open request per requester and target at a time."""
    if amount != UNLIMITED and amount <= 0:
        raise QuotaRuleError("amount", _l("must be more than nothing"))
    # The writers' lock before the check (SQLite: the write lock, which the savepoint below also
    # needs: released outside a transaction, it would commit). The index is the database's guard.
    lock_chain(session)
    duplicate = session.scalar(select(QuotaRequest.id).where(
        QuotaRequest.requester == actor.user_id, QuotaRequest.scope == scope, QuotaRequest.status == OPEN,
        (QuotaRequest.party_id == party_id) if party_id is not None else QuotaRequest.party_id.is_(None)))
    if duplicate is not None:
        raise QuotaRuleError("amount", _l("you have an open request for this already; wait for the decision"))
    row = QuotaRequest(requester=actor.user_id, scope=scope, party_id=party_id if scope == "organisation" else None,
                       amount=amount, reason=reason, created_at=now(), status=OPEN)
    try:
        # A writer that does not take the lock can still pass the check; the partial unique
        # indexes (migration 0010) refuse its twin. The savepoint keeps the transaction usable.
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise QuotaRuleError("amount", _l("you have an open request for this already; wait for the decision")) from None
    record(session, actor=actor.user_id, action="quota.request_created", entity="quota_request",
           entity_id=str(row.id), diff={"scope": scope, "party_id": row.party_id, "amount": amount},
           request_id=actor.request_id)
    return row


def decide_request(session: Session, actor: Actor, request_row: QuotaRequest, *, approve: bool, note: str,
                   until: date | None = None, amount: int | None = None) -> QuotaOverride | None:
    """Approve (an override of the requested or a corrected amount) or reject an open request.
    ``request_row`` is re-read under the lock: of two decisions at once, the second is refused."""
    if _locked(session, QuotaRequest, request_row.id) is None or request_row.status != OPEN:
        raise QuotaRuleError("status", _l("this request has been decided already"))
    override = None
    if approve:
        granted = amount if amount is not None else request_row.amount
        reason = f"request #{request_row.id}" + (f": {note}" if note else "")
        override = set_override(session, actor, scope=request_row.scope, amount=granted, reason=reason, until=until,
                                user_id=request_row.requester if request_row.scope == "user" else None,
                                party_id=request_row.party_id, request_id=request_row.id)
    request_row.status = APPROVED if approve else REJECTED
    request_row.decided_at, request_row.decided_by, request_row.decision_note = now(), actor.user_id, note or None
    session.flush()
    record(session, actor=actor.user_id, action="quota.request_decided", entity="quota_request",
           entity_id=str(request_row.id), diff={"status": request_row.status}, request_id=actor.request_id)
    return override


def users_of_override(session: Session, override: QuotaOverride) -> list[str]:
    """Whose quota an override changes: the user, or every user of the organisation."""
    if override.scope == "user" and override.nextcloud_user_id:
        return [override.nextcloud_user_id]
    return organisation_users(session, override.party_id) if override.party_id is not None else []


def open_change_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(QuotaChange)
                          .where(QuotaChange.status.in_(OPEN_STATUSES))) or 0

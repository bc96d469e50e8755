# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Applying queued quota changes: claim, write, record. Safe to run from several workers.

1. **Claim** (own transaction): one conditional UPDATE moves due changes from ``queued`` to
   ``applying`` with this round's token and a lease. The status in the WHERE clause makes it a
   compare-and-set: on PostgreSQL a second worker blocks on the row lock, re-checks the status
   and skips the row; on SQLite writers are serialised anyway. So a change is written by one
   worker only. A worker that dies leaves its rows to be reclaimed when the lease runs out.
2. **Write** (no transaction open): LDAP users in batches on one connection, then Nextcloud's
   refresh search and a read-back ("confirmed" or "not yet visible"); local users through the
   provisioning API with a bounded number of requests at once.
3. **Record** (own transaction): done, or back to the queue with the error and an exponential
   backoff; a refusal that retrying cannot fix is ``refused``. Each result is audited.

Nothing is lost when LDAP or Nextcloud is down: the change stays queued in the database and a
later run (``nc-coop quota retry``, the admin page, a restart) applies it once.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from nc_coop.audit.chain import lock_chain, record
from nc_coop.ldapsync.models import LdapEntry
from nc_coop.ldapsync.reader import LdapError
from nc_coop.ldapsync.settings import LdapSettings
from nc_coop.ldapsync.writer import DirectoryWriter, QuotaWrite
from nc_coop.nextcloud import (
    NextcloudError,
    NextcloudGateway,
    NextcloudNotFound,
    NextcloudPasswordConfirmationRequired,
)
from nc_coop.quota.models import (
    APPLYING,
    CONFIRMED,
    DONE,
    NOT_YET_VISIBLE,
    QUEUED,
    REFUSED,
    QuotaChange,
    QuotaUserState,
)
from nc_coop.quota.plan import LDAP
from nc_coop.quota.settings import QuotaSettings
from nc_coop.quota.units import to_ldap_value
from nc_coop.register.models import Account

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=10)
Progress = Callable[[int, int], None]  # (changes finished, changes claimed so far)


@dataclass
class Outcome:
    ok: bool
    error: str | None = None
    permanent: bool = False  # retrying cannot help (refused, user gone)
    confirmation: str | None = None
    used_bytes: int | None = None


@dataclass
class ApplyReport:
    claimed: int = 0
    done: int = 0
    failed: int = 0  # back in the queue
    refused: int = 0
    confirmed: int = 0
    not_yet_visible: int = 0
    ldap_writes: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Claimed:
    id: int
    user_id: str
    backend: str
    new_amount: int


def _now() -> datetime:
    return datetime.now(UTC)


def _claim(factory: sessionmaker[Session], token: str, limit: int, force: bool) -> list[Claimed]:
    at = _now()
    due = QuotaChange.status == QUEUED if force else and_(QuotaChange.status == QUEUED,
                                                          QuotaChange.next_attempt_at <= at)
    claimable = or_(due, and_(QuotaChange.status == APPLYING, QuotaChange.claimed_until < at))
    with factory() as session, session.begin():
        ids = session.scalars(select(QuotaChange.id).where(claimable).order_by(QuotaChange.id).limit(limit)).all()
        if not ids:
            return []
        session.execute(update(QuotaChange).where(QuotaChange.id.in_(ids), claimable)
                        .values(status=APPLYING, claimed_by=token, claimed_until=at + LEASE)
                        .execution_options(synchronize_session=False))
    with factory() as session:
        rows = session.execute(select(QuotaChange.id, QuotaChange.nextcloud_user_id, QuotaChange.backend,
                                      QuotaChange.new_amount)
                               .where(QuotaChange.claimed_by == token, QuotaChange.status == APPLYING)
                               .order_by(QuotaChange.id)).all()
    return [Claimed(*row) for row in rows]


def _ldap_targets(factory: sessionmaker[Session], user_ids: list[str]) -> dict[str, tuple[str, str, str | None]]:
    """user id → (dn, entryUUID, display name) of the LDAP entry linked to the user's account."""
    import json  # noqa: PLC0415

    targets: dict[str, tuple[str, str, str | None]] = {}
    with factory() as session:
        for start in range(0, len(user_ids), 500):
            for user_id, dn, entry_uuid, attrs in session.execute(
                    select(Account.nextcloud_user_id, LdapEntry.dn, LdapEntry.entry_uuid, LdapEntry.attrs)
                    .join(Account, Account.id == LdapEntry.account_id)
                    .where(LdapEntry.kind == "user", LdapEntry.disabled_at.is_(None),
                           Account.nextcloud_user_id.in_(user_ids[start:start + 500]))):
                targets[user_id] = (dn, entry_uuid, json.loads(attrs).get("display_name"))
    return targets


class Applier:
    """Applies the queue with the given gateway and settings (one instance per run)."""

    def __init__(self, factory: sessionmaker[Session], gateway: NextcloudGateway | None, settings: QuotaSettings,
                 ldap: LdapSettings | None, *, actor: str = "nc_coop", request_id: str | None = None,
                 confirm: bool = True) -> None:
        self.factory = factory
        self.gateway = gateway
        self.settings = settings
        self.ldap = ldap
        self.actor = actor
        self.request_id = request_id
        self.confirm = confirm and gateway is not None

    def run(self, *, force: bool = False, limit: int | None = None, progress: Progress | None = None) -> ApplyReport:
        """Apply due changes (``force``: also those waiting for their backoff) until none is left."""
        report = ApplyReport()
        while limit is None or report.claimed < limit:
            size = self.settings.batch_size if limit is None else min(self.settings.batch_size, limit - report.claimed)
            token = uuid.uuid4().hex
            claimed = _claim(self.factory, token, size, force)
            if not claimed:
                break
            report.claimed += len(claimed)
            outcomes = self._write(claimed, report)
            self._record(token, claimed, outcomes, report)
            if progress is not None:
                progress(report.done + report.failed + report.refused, report.claimed)
            if all(not o.ok and not o.permanent for o in outcomes.values()):
                break  # the backend is down: the rest waits for the next run instead of failing the same way
        return report

    # --- writing -------------------------------------------------------------------------------

    def _write(self, claimed: list[Claimed], report: ApplyReport) -> dict[int, Outcome]:
        ldap = [c for c in claimed if c.backend == LDAP]
        local = [c for c in claimed if c.backend != LDAP]
        outcomes: dict[int, Outcome] = {}
        if ldap:
            outcomes.update(self._write_ldap(ldap, report))
        if local:
            outcomes.update(self._write_local(local))
        return outcomes

    def _write_ldap(self, changes: list[Claimed], report: ApplyReport) -> dict[int, Outcome]:
        if self.ldap is None:
            return {c.id: Outcome(False, "the LDAP quota attribute cannot be written: NC_COOP_LDAP_URL is not set")
                    for c in changes}
        targets = _ldap_targets(self.factory, [c.user_id for c in changes])
        outcomes: dict[int, Outcome] = {}
        writes = []
        for change in changes:
            target = targets.get(change.user_id)
            if target is None:
                outcomes[change.id] = Outcome(False, "no LDAP entry is linked to this user (any more)", permanent=True)
            else:
                writes.append(QuotaWrite(change.id, target[0], target[1], to_ldap_value(change.new_amount)))
        try:
            with DirectoryWriter(self.ldap) as writer:
                for write in writes:
                    result = writer.set_quota(write)
                    outcomes[write.key] = Outcome(result.ok, result.error)
                report.ldap_writes += writer.writes
        except LdapError as exc:
            message = str(exc)
            for write in writes:
                outcomes.setdefault(write.key, Outcome(False, message))
        written = [c for c in changes if outcomes.get(c.id, Outcome(False)).ok]
        if self.confirm and written:
            for change in written:
                outcomes[change.id] = self._confirm_ldap(change, targets[change.user_id][2] or change.user_id)
        return outcomes

    def _confirm_ldap(self, change: Claimed, display_name: str) -> Outcome:
        """Nextcloud applies an LDAP quota at once when an admin's user search matches the user;
        then the quota is read back. The write stands either way: Nextcloud also applies it at
        the user's next login or background refresh."""
        assert self.gateway is not None
        admin = self.settings.admin_user
        if not admin:
            return Outcome(True, "written; not confirmed: NC_COOP_QUOTA_ADMIN_USER is not set", confirmation=NOT_YET_VISIBLE)
        try:
            self.gateway.search_users(display_name, as_user=admin, request_id=self.request_id)
            user = self.gateway.get_user(change.user_id, as_user=admin, request_id=self.request_id)
        except NextcloudError as exc:
            return Outcome(True, f"written; Nextcloud could not confirm it: {exc}", confirmation=NOT_YET_VISIBLE)
        if user.quota_bytes == change.new_amount:
            return Outcome(True, confirmation=CONFIRMED, used_bytes=user.used_bytes)
        return Outcome(True, f"written; Nextcloud still shows {user.quota_bytes}", confirmation=NOT_YET_VISIBLE,
                       used_bytes=user.used_bytes)

    def _write_local(self, changes: list[Claimed]) -> dict[int, Outcome]:
        with ThreadPoolExecutor(max_workers=self.settings.concurrency, thread_name_prefix="quota-put") as pool:
            return dict(zip([c.id for c in changes], pool.map(self._put, changes), strict=True))

    def _put(self, change: Claimed) -> Outcome:
        s = self.settings
        value = to_ldap_value(change.new_amount)  # digits (bytes) or "none": what Nextcloud parses too
        if self.gateway is None:
            return Outcome(False, "no connection to Nextcloud")
        try:
            if s.try_appapi:
                # Only on request (NC_COOP_QUOTA_TRY_APPAPI=1): Nextcloud 34 refuses this.
                self.gateway.set_quota_appapi(change.user_id, value, as_user=s.admin_user or change.user_id,
                                              request_id=self.request_id)
            elif s.admin_user and s.admin_password and s.local_users:
                self.gateway.set_quota_with_password(change.user_id, value, s.admin_user, s.admin_password,
                                                     request_id=self.request_id)
            else:
                return Outcome(False, "local users' quotas are not written: set NC_COOP_QUOTA_ADMIN_USER and "
                                      "NC_COOP_QUOTA_ADMIN_PASSWORD (NC_COOP_QUOTA_LOCAL_USERS=1)", permanent=True)
        except NextcloudPasswordConfirmationRequired as exc:
            return Outcome(False, f"Nextcloud refused: {exc.message or 'Password confirmation is required'}",
                           permanent=True)
        except NextcloudNotFound as exc:
            if s.try_appapi:
                return Outcome(False, f"Nextcloud: {exc}", permanent=True)
            # Nextcloud 34's answer to a quota PUT by an account outside the admin group is OCS 998
            # (APPAPI.md "Corrections"): name that cause, not only "set_quota [404]".
            return Outcome(False, f"Nextcloud: {exc}: the quota account {s.admin_user} must be in Nextcloud's "
                                  "admin group (or the user no longer exists)", permanent=True)
        except NextcloudError as exc:
            return Outcome(False, f"Nextcloud: {exc}")
        if not self.confirm or not s.admin_user:
            return Outcome(True)
        try:
            user = self.gateway.get_user(change.user_id, as_user=s.admin_user, request_id=self.request_id)
        except NextcloudError as exc:
            return Outcome(True, f"written; not read back: {exc}", confirmation=NOT_YET_VISIBLE)
        if user.quota_bytes == change.new_amount:
            return Outcome(True, confirmation=CONFIRMED, used_bytes=user.used_bytes)
        return Outcome(True, f"written; Nextcloud shows {user.quota_bytes}", confirmation=NOT_YET_VISIBLE,
                       used_bytes=user.used_bytes)

    # --- recording -----------------------------------------------------------------------------

    def _record(self, token: str, claimed: list[Claimed], outcomes: dict[int, Outcome], report: ApplyReport) -> None:
        at = _now()
        with self.factory() as session, session.begin():
            # Our claim is read under the writers' lock and row locks: a worker reclaiming an
            # expired lease meanwhile either committed first (then the rows are not ours any more)
            # or waits for this commit; never both record one change.
            lock_chain(session)
            rows = session.scalars(select(QuotaChange).where(QuotaChange.claimed_by == token,
                                                             QuotaChange.status == APPLYING)
                                   .with_for_update()).all()
            states = {s.nextcloud_user_id: s for s in session.scalars(
                select(QuotaUserState).where(QuotaUserState.nextcloud_user_id.in_([r.nextcloud_user_id for r in rows])))}
            for row in rows:
                outcome = outcomes.get(row.id, Outcome(False, "not attempted"))
                row.attempts += 1
                row.claimed_until = None
                row.last_error = (outcome.error or None) and outcome.error[:2000]
                if outcome.ok:
                    row.status, row.finished_at, row.confirmation = DONE, at, outcome.confirmation
                    report.done += 1
                    report.confirmed += outcome.confirmation == CONFIRMED
                    report.not_yet_visible += outcome.confirmation == NOT_YET_VISIBLE
                    state = states.get(row.nextcloud_user_id)
                    if state is None:
                        state = QuotaUserState(nextcloud_user_id=row.nextcloud_user_id)
                        session.add(state)
                        states[row.nextcloud_user_id] = state
                    state.backend, state.amount, state.observed_at = row.backend, row.new_amount, at
                    if outcome.used_bytes is not None:
                        state.used_bytes = outcome.used_bytes
                elif outcome.permanent:
                    row.status, row.finished_at = REFUSED, at
                    report.refused += 1
                else:
                    row.status = QUEUED
                    row.next_attempt_at = at + timedelta(seconds=self.settings.backoff(row.attempts))
                    report.failed += 1
                if not outcome.ok and outcome.error and outcome.error not in report.errors:
                    report.errors.append(outcome.error)
                record(session, actor=self.actor, action=f"quota.change_{row.status}", entity="quota_change",
                       entity_id=str(row.id), diff={"user": row.nextcloud_user_id, "backend": row.backend,
                                                    "old": row.old_amount, "new": row.new_amount,
                                                    "attempt": row.attempts, "confirmation": row.confirmation,
                                                    "error": row.last_error},
                       request_id=self.request_id)
        for message in report.errors[-3:]:
            log.warning("quota change not applied: %s", message)

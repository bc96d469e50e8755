# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""One sync run: lease, read the directory, diff, guard, write, record.

The order matters for safety:
1. Take the lease (one real run at a time; dry runs take none and write nothing).
2. Read everything from the directory before writing anything: an LDAP error (bind, timeout,
   a page that fails, slapd gone) ends the run as ``failed`` with nothing applied.
3. In ONE database transaction: diff against the stored hashes, check the mass-disable guard
   (refused: roll back, nothing applied), write in batches of 1000 with one audit event per
   batch, advance the watermark, finish the run row; commit. Any failure rolls all of it back.
4. A read that the server cut short (size or time limit, a referral) is ``incomplete``: new and
   changed entries are applied, but nothing is marked missing, disabled or ended, and the
   watermark stays where it was.
Incremental runs never mark anything missing either; only complete full runs find deletions.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from nc_coop.audit.chain import lock_chain
from nc_coop.db import Database
from nc_coop.ldapsync.apply import Applier, chunks
from nc_coop.ldapsync.lease import Lease
from nc_coop.ldapsync.models import STATE_NAME, LdapEntry, LdapOrgUser, LdapSyncRun, LdapSyncState
from nc_coop.ldapsync.plan import (
    GROUP,
    USER,
    DirGroup,
    DirUser,
    EntryPlan,
    Stored,
    disable_refusal,
    plan_entries,
    plan_memberships,
)
from nc_coop.ldapsync.reader import DirectoryReader, LdapError
from nc_coop.ldapsync.settings import LdapSettings

log = logging.getLogger(__name__)

Progress = Callable[[str, int, "int | None"], None]
COUNT_KEYS = ("users_read", "groups_read", "created", "changed", "unchanged", "missing", "disabled", "restored",
              "memberships_changed")
SUMMARY_LIMIT = 50  # names listed per category in a dry run's plan


@dataclass
class SyncReport:
    """What a run did. ``status``: ok, incomplete, refused or failed; ``applied``: data written."""

    run_id: int | None
    mode: str  # full | incremental
    dry_run: bool
    applied: bool
    status: str
    complete: bool = False
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_KEYS, 0))
    errors: list[str] = field(default_factory=list)
    plan: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class _Refused(Exception):
    """The guard stopped the run before writing."""


def _engine(target: Engine | Database) -> Engine:
    engine = target.engine if isinstance(target, Database) else target
    if engine is None:
        raise ValueError("Database.init_app was not called")
    return engine


def _now() -> datetime:
    return datetime.now(UTC)


def _one_line(text: str) -> str:
    return " ".join(text.split())[:500]


# --- Run records ------------------------------------------------------------------------------

def _start_run(engine: Engine, report: SyncReport, *, force: bool, actor: str, status: str = "running") -> int:
    with Session(engine) as session, session.begin():
        if status == "running" and not report.dry_run:
            # We hold the lease, so a real run still "running" was cut off (process killed).
            session.execute(update(LdapSyncRun).where(LdapSyncRun.status == "running", LdapSyncRun.dry_run.is_(False))
                            .values(status="failed", finished_at=_now(), errors="interrupted before it finished"))
        run = LdapSyncRun(started_at=_now(), mode=report.mode, dry_run=report.dry_run, forced=force, actor=actor,
                          status=status, complete=False, counts=json.dumps(report.counts), errors="")
        if status != "running":
            run.finished_at = run.started_at
            run.errors = "\n".join(report.errors)
        session.add(run)
        session.flush()
        return run.id


def _finish_values(report: SyncReport, high_water: str | None) -> dict[str, Any]:
    return {"finished_at": _now(), "status": report.status, "complete": report.complete,
            "counts": json.dumps(report.counts), "errors": "\n".join(_one_line(e) for e in report.errors),
            "plan": json.dumps(report.plan, ensure_ascii=False) if report.dry_run else None,
            "server_high_water": high_water}


def _finish_run(engine: Engine, report: SyncReport, high_water: str | None) -> None:
    with Session(engine) as session, session.begin():
        session.execute(update(LdapSyncRun).where(LdapSyncRun.id == report.run_id)
                        .values(**_finish_values(report, high_water)))


def watermark(engine: Engine) -> str | None:
    with Session(engine) as session:
        return session.scalar(select(LdapSyncState.high_water).where(LdapSyncState.name == STATE_NAME))


# --- Reading ----------------------------------------------------------------------------------

@dataclass
class _Read:
    users: list[DirUser]
    groups: list[DirGroup]
    complete: bool
    reasons: list[str]
    skipped: list[str]
    high_water: str | None


def _read(settings: LdapSettings, since: str | None, progress: Progress | None) -> _Read:
    def page(phase: str) -> Callable[[int], None] | None:
        return (lambda n: progress(phase, n, None)) if progress else None

    with DirectoryReader(settings) as reader:
        users = list(reader.users(since=since, on_page=page("users")))
        groups = list(reader.groups(since=since, on_page=page("groups")))
        return _Read(users, groups, reader.complete, reader.incomplete_reasons, reader.skipped, reader.high_water)


# --- Planning (inside the write transaction) -------------------------------------------------------

def _stored(session: Session, kind: str, uuids: Iterable[str] | None) -> dict[str, Stored]:
    """Stored entries of one kind: all of them (full run) or those with the given entryUUIDs."""
    columns = (LdapEntry.id, LdapEntry.entry_uuid, LdapEntry.kind, LdapEntry.dn, LdapEntry.attr_hash,
               LdapEntry.missing_full_runs, LdapEntry.disabled_at.is_not(None), LdapEntry.account_id,
               LdapEntry.party_id)
    if uuids is None:
        rows = session.execute(select(*columns).where(LdapEntry.kind == kind)).all()
    else:
        rows = []
        for batch in chunks(sorted(set(uuids))):
            rows += session.execute(select(*columns).where(LdapEntry.kind == kind, LdapEntry.entry_uuid.in_(batch))).all()
    return {r[1]: Stored(*r) for r in rows}


def _linked_accounts(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(LdapEntry).where(
        LdapEntry.kind == USER, LdapEntry.account_id.is_not(None), LdapEntry.disabled_at.is_(None))) or 0


def _summary(plan: EntryPlan, name: Callable[[Any], str]) -> dict[str, list[str]]:
    return {"created": [name(r) for r in plan.created[:SUMMARY_LIMIT]],
            "changed": [name(r) for _, r in plan.changed[:SUMMARY_LIMIT]],
            "missing": [s.dn for s, _ in plan.missing[:SUMMARY_LIMIT]],
            "disabled": [s.dn for s in plan.to_disable[:SUMMARY_LIMIT]],
            "restored": [s.dn for s in plan.restored[:SUMMARY_LIMIT]]}


def _add_counts(report: SyncReport, *plans: EntryPlan) -> None:
    for plan in plans:
        for key, value in plan.counts().items():
            report.counts[key] += value


def _resolve_members(session: Session, applier: Applier, groups: list[DirGroup], *, full: bool) -> None:
    """Member DNs the run's read did not cover (incremental): look them up among stored users
    that are not disabled. A full run knows every user it saw; a DN not among them is no user."""
    if full:
        return
    wanted = sorted({dn for g in groups for dn in g.members} - applier.user_by_dn.keys())
    for batch in chunks(wanted):
        for dn, entry_id, account_id in session.execute(
                select(LdapEntry.dn, LdapEntry.id, LdapEntry.account_id)
                .where(LdapEntry.kind == USER, LdapEntry.dn.in_(batch), LdapEntry.disabled_at.is_(None))):
            applier.user_by_dn[dn] = (entry_id, account_id)


def _active_pairs(session: Session, group_ids: list[int]) -> dict[int, dict[int, int]]:
    active: dict[int, dict[int, int]] = {}
    for batch in chunks(group_ids):
        for row_id, group_id, user_id in session.execute(
                select(LdapOrgUser.id, LdapOrgUser.group_entry_id, LdapOrgUser.user_entry_id)
                .where(LdapOrgUser.group_entry_id.in_(batch), LdapOrgUser.ended_at.is_(None))):
            active.setdefault(group_id, {})[user_id] = row_id
    return active


def _plan_and_write(session: Session, lease: Lease | None, read: _Read, settings: LdapSettings,
                    report: SyncReport, *, force: bool, actor: str, progress: Progress | None) -> None:
    """Diff, guard, write. Raises ``_Refused`` before writing anything the guard forbids."""
    full = report.mode == "full"
    find_missing = full and read.complete
    if not report.dry_run:
        lock_chain(session)  # SQLite: take the write lock now (BEGIN IMMEDIATE); PostgreSQL: the chain
    if lease is not None and not lease.confirm(session):
        raise _Refused("the sync lease expired and another run took it over")
    user_plan = plan_entries(_stored(session, USER, None if full else (u.entry_uuid for u in read.users)),
                             read.users, find_missing=find_missing, missing_runs=settings.missing_runs)
    group_plan = plan_entries(_stored(session, GROUP, None if full else (g.entry_uuid for g in read.groups)),
                              read.groups, find_missing=find_missing and bool(settings.group_base),
                              missing_runs=settings.missing_runs)
    for plan, what in ((user_plan, "user"), (group_plan, "group")):
        if plan.duplicates:
            report.errors.append(f"{len(plan.duplicates)} {what} entryUUID(s) returned twice; the first was used")
    _add_counts(report, user_plan, group_plan)
    linked = _linked_accounts(session)
    limit = settings.disable_limit(linked)
    report.plan = {"users": _summary(user_plan, lambda u: u.uid), "groups": _summary(group_plan, lambda g: g.name),
                   "linked_accounts": linked, "disable_limit": limit}
    refusal = disable_refusal(len(user_plan.to_disable), linked, limit)
    if refusal and not force:
        raise _Refused(refusal)
    if refusal:
        report.errors.append(f"forced: {refusal.split(';')[0]}")
    if report.dry_run:
        _plan_memberships_only(session, read, user_plan, group_plan, report, full=full)
        return

    applier = Applier(session, run_id=report.run_id or 0, actor=actor, now=_now(), group_kind=settings.group_kind)
    total = sum(report.counts[k] for k in ("created", "changed", "missing", "restored")) + len(read.groups)
    done = 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress("write", done, total)

    applier.seen(USER, user_plan.unchanged)
    applier.create_users(user_plan.created)  # type: ignore[arg-type]
    step(len(user_plan.created))
    applier.change(USER, user_plan.changed)
    step(len(user_plan.changed))
    applier.restore(USER, user_plan.restored)
    step(len(user_plan.restored))
    applier.mark_missing(USER, user_plan.missing)
    applier.disable(USER, user_plan.to_disable)
    step(len(user_plan.missing))

    applier.seen(GROUP, group_plan.unchanged)
    applier.create_groups(group_plan.created)  # type: ignore[arg-type]
    applier.change(GROUP, group_plan.changed)
    applier.restore(GROUP, group_plan.restored)
    applier.mark_missing(GROUP, group_plan.missing)
    ended_by_disable = applier.disable(GROUP, group_plan.to_disable)
    step(len(read.groups))

    _resolve_members(session, applier, read.groups, full=full)
    desired = {applier.group_ids[g.entry_uuid][0]: {applier.user_by_dn[dn][0] for dn in g.members
                                                     if dn in applier.user_by_dn}
               for g in read.groups if g.entry_uuid in applier.group_ids}
    added, ended = plan_memberships(desired, _active_pairs(session, list(desired)), may_end=read.complete)
    ended = sorted(set(ended) | set(ended_by_disable))
    applier.memberships(added, ended, party_of_group={e: p for e, p in applier.group_ids.values()},
                        account_of_user={e: a for e, a in applier.user_by_dn.values()})
    report.counts["memberships_changed"] = len(added) + len(ended)


def _plan_memberships_only(session: Session, read: _Read, user_plan: EntryPlan, group_plan: EntryPlan,
                           report: SyncReport, *, full: bool) -> None:
    """A dry run's count of organisation-user changes, for groups and users already stored
    (new ones would all be additions)."""
    known_users = {s.dn: s.id for s in user_plan.unchanged} | {r.dn: s.id for s, r in user_plan.changed}
    if not full:
        wanted = sorted({dn for g in read.groups for dn in g.members} - known_users.keys())
        for batch in chunks(wanted):
            known_users.update(session.execute(select(LdapEntry.dn, LdapEntry.id).where(
                LdapEntry.kind == USER, LdapEntry.dn.in_(batch), LdapEntry.disabled_at.is_(None))).tuples().all())
    stored_groups = {s.entry_uuid: s.id for s in group_plan.unchanged} | {s.entry_uuid: s.id for s, _ in group_plan.changed}
    desired = {stored_groups[g.entry_uuid]: {known_users[dn] for dn in g.members if dn in known_users}
               for g in read.groups if g.entry_uuid in stored_groups}
    added, ended = plan_memberships(desired, _active_pairs(session, list(desired)), may_end=read.complete)
    new_users = {u.dn for u in user_plan.created}
    added_new = sum(1 for g in read.groups for dn in g.members
                    if dn in new_users or (g.entry_uuid not in stored_groups and dn in known_users))
    report.counts["memberships_changed"] = len(added) + len(ended) + added_new


# --- The run ----------------------------------------------------------------------------------

def run_sync(engine_or_database: Engine | Database, settings: LdapSettings, *, full: bool, dry_run: bool = False,
             force: bool = False, actor: str = "ldap-sync", progress: Progress | None = None) -> SyncReport:
    """Reconcile the directory into the register; return what happened (never raises for LDAP,
    guard or database failures: they are the report's ``status`` and ``errors``).

    ``engine_or_database``: a SQLAlchemy ``Engine`` (e.g. ``nc_coop.db.make_engine(url)``, as
    bench/register.py builds) or an initialised ``nc_coop.db.Database`` (its engine is used; no
    Flask request or app context is needed). The database must be migrated.
    ``full``: read every entry (finds deletions and group moves); otherwise only entries created
    or modified since the last successful run (a first run is always full).
    ``dry_run``: read and diff, record the run with its plan (``ldap_sync_run`` gets one row),
    write nothing else. ``force``: pass the mass-disable guard. ``actor``: who the audit log
    names. ``progress(phase, done, total)``: phase "users" or "groups" after each page (entries
    read so far, total None), then "write" (entries written, total).
    """
    engine = _engine(engine_or_database)
    since = None if full else watermark(engine)
    report = SyncReport(run_id=None, mode="full" if full or since is None else "incremental", dry_run=dry_run,
                        applied=False, status="running")
    lease = None if dry_run else Lease(engine)
    if lease is not None and not lease.acquire():
        report.status = "refused"
        report.errors.append("another LDAP sync is running; try again when it has finished")
        report.run_id = _start_run(engine, report, force=force, actor=actor, status="refused")
        return report
    try:
        report.run_id = _start_run(engine, report, force=force, actor=actor)
        try:
            read = _read(settings, since, progress)
        except LdapError as exc:
            report.status = "failed"
            report.errors.append(_redact(str(exc), settings))
            _finish_run(engine, report, None)
            return report
        except Exception as exc:  # noqa: BLE001 - e.g. a TLS setup error inside ldap3: fail the run, say why
            log.exception("LDAP sync run %s failed while reading the directory", report.run_id)
            report.status = "failed"
            report.errors.append(f"reading the directory failed: {type(exc).__name__}: "
                                 f"{_redact(_one_line(str(exc)), settings)[:300]}")
            _finish_run(engine, report, None)
            return report
        report.complete = read.complete
        report.counts["users_read"], report.counts["groups_read"] = len(read.users), len(read.groups)
        report.errors += read.reasons + read.skipped[:20]
        if len(read.skipped) > 20:
            report.errors.append(f"… and {len(read.skipped) - 20} more entries skipped")
        high_water = read.high_water or since
        try:
            with Session(engine) as session, session.begin():
                _plan_and_write(session, lease, read, settings, report, force=force, actor=actor, progress=progress)
                report.status = "ok" if read.complete else "incomplete"
                if not dry_run:  # a dry run wrote nothing; its run row is finished below
                    if read.complete:
                        # Same transaction as the data: a run that fails leaves the watermark alone.
                        session.execute(update(LdapSyncState).where(LdapSyncState.name == STATE_NAME).values(
                            high_water=high_water, last_run_id=report.run_id,
                            **({"last_full_at": _now()} if report.mode == "full" else {})))
                    session.execute(update(LdapSyncRun).where(LdapSyncRun.id == report.run_id)
                                    .values(**_finish_values(report, high_water)))
                    report.applied = True
        except _Refused as exc:
            report.status, report.applied = "refused", False
            report.errors.append(str(exc))
        except Exception as exc:  # noqa: BLE001 - any database failure: nothing applied, say why
            log.exception("LDAP sync run %s failed while writing; nothing was applied", report.run_id)
            report.status, report.applied = "failed", False
            report.errors.append(f"writing failed, nothing was applied: {type(exc).__name__}: "
                                 f"{_redact(_one_line(str(exc)), settings)[:300]}")
        if not report.applied:
            _finish_run(engine, report, high_water)
        return report
    finally:
        if lease is not None:
            lease.release()


def _redact(text: str, settings: LdapSettings) -> str:
    for secret in settings.secret_values():
        text = text.replace(secret, "[redacted]")
    return text


def run_rows(session: Session, limit: int = 50) -> list[LdapSyncRun]:
    return list(session.scalars(select(LdapSyncRun).order_by(LdapSyncRun.id.desc()).limit(limit)))


def counts_of(run: LdapSyncRun) -> Mapping[str, int]:
    try:
        return json.loads(run.counts or "{}")
    except ValueError:
        return {}

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""One sync run: lease, read the directory, diff, guard, write, record.

The order matters for safety:
1. Take the lease (one real run at a time; dry runs take none and write nothing).
2. A reader thread pages through the groups, then the users (nc_coop.ldapsync.reader), and hands
   each page on through a bounded queue (a few pages: memory stays bounded at any N).
3. Everything is written in ONE database transaction, while the directory is still being read:
   each page is diffed against the stored hashes (preloaded for a full run, looked up per page
   for an incremental one) and its new, changed and restored entries are written at once, in
   batches of up to a page with one audit event per batch; with each page of users, the
   organisation users they start (the groups were read first). When the read has ended: the
   missing entries (complete full runs only), the mass-disable guard, the organisation users
   that end (and, incremental, the members this read did not return), the watermark and the
   run row; commit.
4. Any failure before the commit applies nothing: an LDAP error (bind, timeout, a page that
   fails, slapd gone between two pages) or an exception while writing rolls the whole
   transaction back and stops the reader thread (the run is ``failed``); a refusal of the guard
   rolls back what the pages wrote (``refused``). The reader thread is always stopped and joined
   before run_sync returns.
5. A read that the server cut short (size or time limit, a referral) is ``incomplete``: new and
   changed entries are applied, but nothing is marked missing, disabled or ended, and the
   watermark stays where it was.
Incremental runs never mark anything missing either; only complete full runs find deletions.

Locks: the write lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: the audit chain's advisory lock) is
taken only when the first write is needed, so a run that finds nothing to change does not block
other writers while it reads. A run that does write holds it from its first write to the commit,
that is, while it reads the rest of the directory: on SQLite a large first full sync (100,000
users: about 20 s) keeps the web requests' writes waiting (up to the 30-s busy timeout) for
that long; run it when the app is quiet, or on PostgreSQL.
"""
from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from nc_coop.audit.chain import lock_chain
from nc_coop.db import Database
from nc_coop.ldapsync.apply import Applier, chunks, one_of
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
    plan_missing,
)
from nc_coop.ldapsync.reader import DirectoryReader, LdapError
from nc_coop.ldapsync.settings import LdapSettings

log = logging.getLogger(__name__)

Progress = Callable[[str, int, "int | None"], None]
COUNT_KEYS = ("users_read", "groups_read", "created", "changed", "unchanged", "missing", "disabled", "restored",
              "memberships_changed", "links_held")
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
    # Accounts linked by member number and held for review: {account_id, uid, member_no, reason}
    held_links: list[dict[str, Any]] = field(default_factory=list)

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
            "held_links": json.dumps(report.held_links, ensure_ascii=False) if report.held_links else None,
            "server_high_water": high_water}


def _finish_run(engine: Engine, report: SyncReport, high_water: str | None) -> None:
    with Session(engine) as session, session.begin():
        session.execute(update(LdapSyncRun).where(LdapSyncRun.id == report.run_id)
                        .values(**_finish_values(report, high_water)))


def watermark(engine: Engine) -> str | None:
    with Session(engine) as session:
        return session.scalar(select(LdapSyncState.high_water).where(LdapSyncState.name == STATE_NAME))


# --- Reading: a thread that pages through the directory while the caller writes -----------------

QUEUE_PAGES = 4  # pages read ahead of the writer: bounds the records held at once
SQLITE_CACHE_KIB = 32 * 1024  # SQLite's page cache during a run (see _Sync.run)


@dataclass
class _ReadEnd:
    complete: bool
    reasons: list[str]
    skipped: list[str]
    high_water: str | None


class _Stopped(Exception):
    """The writer gave up (an error, the guard); the reader thread ends without reading on."""


class _ReadFailed(Exception):
    """The directory could not be read to the end; ``message`` is the run's one-line error."""


class _Pipeline:
    """Reads groups, then users, in a thread of its own and hands them on page by page through a
    bounded queue: ``("groups", [DirGroup])``, ``("users", [DirUser])``, then ``("end", _ReadEnd)``
    or ``("error", exception)``. ldap3 decodes in Python while the writer waits for the database
    (psycopg and sqlite3 release the GIL), so reading and writing overlap.

    ``progress(phase, read, None)`` is called from the reader thread after each page and before
    that page is handed on or the next one is asked for: a callback that stops the server or
    waits there stops the read at that page. ``close()`` stops the thread and waits for it."""

    def __init__(self, settings: LdapSettings, since: str | None, progress: Progress | None) -> None:
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=QUEUE_PAGES)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(settings, since, progress),
                                        name="ldap-sync-reader", daemon=True)

    def start(self) -> _Pipeline:
        self._thread.start()
        return self

    def _put(self, item: tuple[str, Any]) -> None:
        while True:
            if self._stop.is_set():
                raise _Stopped
            try:
                self._queue.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def _pages(self, phase: str, stream: Callable[..., Iterable[Any]], since: str | None,
               progress: Progress | None) -> None:
        batch: list[Any] = []

        def on_page(read: int) -> None:
            nonlocal batch
            if self._stop.is_set():
                raise _Stopped
            if progress is not None:
                progress(phase, read, None)
            self._put((phase, batch))
            batch = []

        for record in stream(since=since, on_page=on_page):
            batch.append(record)
        if batch:  # a read the server cut short ends without a last on_page
            self._put((phase, batch))

    def _run(self, settings: LdapSettings, since: str | None, progress: Progress | None) -> None:
        try:
            with DirectoryReader(settings) as reader:
                # Groups first (5,000 groups: about a second): then each page of users can get its
                # organisation users written with it, while the next pages are read.
                self._pages("groups", reader.groups, since, progress)
                self._pages("users", reader.users, since, progress)
                end = _ReadEnd(reader.complete, reader.incomplete_reasons, reader.skipped, reader.high_water)
            self._put(("end", end))
        except _Stopped:
            pass
        except BaseException as exc:  # noqa: BLE001 - handed to the writer, which fails the run
            try:
                self._put(("error", exc))
            except _Stopped:
                pass

    def get(self) -> tuple[str, Any]:
        while True:
            try:
                return self._queue.get(timeout=0.5)
            except queue.Empty:
                if not self._thread.is_alive() and self._queue.empty():
                    raise _ReadFailed("reading the directory failed: the reader stopped without a result") from None

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


def _read_failure(exc: BaseException, settings: LdapSettings, run_id: int | None) -> _ReadFailed:
    if isinstance(exc, LdapError):
        return _ReadFailed(_redact(str(exc), settings))
    # e.g. a TLS setup error inside ldap3: fail the run, say why
    log.error("LDAP sync run %s failed while reading the directory", run_id, exc_info=exc)
    return _ReadFailed(f"reading the directory failed: {type(exc).__name__}: "
                       f"{_redact(_one_line(str(exc)), settings)[:300]}")


# --- Planning and writing (one transaction) ----------------------------------------------------------

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
            rows += session.execute(select(*columns).where(LdapEntry.kind == kind, one_of(session, LdapEntry.entry_uuid, batch))).all()
    return {r[1]: Stored(*r) for r in rows}


def _linked_accounts(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(LdapEntry).where(
        LdapEntry.kind == USER, LdapEntry.account_id.is_not(None), LdapEntry.disabled_at.is_(None))) or 0


class _Tally:
    """Counts and the first names per category (a dry run's plan) of one kind, over all pages."""

    def __init__(self, name: Callable[[Any], str]) -> None:
        self.name = name
        self.counts = dict.fromkeys(("created", "changed", "unchanged", "missing", "disabled", "restored"), 0)
        self.summary: dict[str, list[str]] = {k: [] for k in ("created", "changed", "missing", "disabled", "restored")}
        self.duplicates = 0

    def _list(self, key: str, names: Iterable[str]) -> None:
        room = SUMMARY_LIMIT - len(self.summary[key])
        if room > 0:
            self.summary[key] += list(names)[:room]

    def add(self, plan: EntryPlan) -> None:
        for key, value in plan.counts().items():
            self.counts[key] += value
        self.duplicates += len(plan.duplicates)
        self._list("created", (self.name(r) for r in plan.created[:SUMMARY_LIMIT]))
        self._list("changed", (self.name(r) for _, r in plan.changed[:SUMMARY_LIMIT]))
        self._list("restored", (s.dn for s in plan.restored[:SUMMARY_LIMIT]))
        self._list("missing", (s.dn for s, _ in plan.missing[:SUMMARY_LIMIT]))
        self._list("disabled", (s.dn for s in plan.to_disable[:SUMMARY_LIMIT]))


def _resolve_members(session: Session, user_by_dn: dict[str, Any], groups: list[DirGroup], *, full: bool,
                     value: Callable[[Any], Any]) -> None:
    """Member DNs the run's read did not cover (incremental): look them up among stored users
    that are not disabled. A full run knows every user it saw; a DN not among them is no user."""
    if full:
        return
    wanted = sorted({dn for g in groups for dn in g.members} - user_by_dn.keys())
    for batch in chunks(wanted):
        for dn, entry_id, account_id in session.execute(
                select(LdapEntry.dn, LdapEntry.id, LdapEntry.account_id)
                .where(LdapEntry.kind == USER, one_of(session, LdapEntry.dn, batch), LdapEntry.disabled_at.is_(None))):
            user_by_dn[dn] = value((entry_id, account_id))


def _active_pairs(session: Session, group_ids: list[int]) -> dict[int, dict[int, int]]:
    active: dict[int, dict[int, int]] = {}
    for batch in chunks(group_ids):
        for row_id, group_id, user_id in session.execute(
                select(LdapOrgUser.id, LdapOrgUser.group_entry_id, LdapOrgUser.user_entry_id)
                .where(one_of(session, LdapOrgUser.group_entry_id, batch), LdapOrgUser.ended_at.is_(None))):
            active.setdefault(group_id, {})[user_id] = row_id
    return active


class _Sync:
    """The writer's side of a run: plans each page as it arrives and writes what changed, in the
    caller's one transaction; missing entries, the guard and the organisation users once the
    read has ended."""

    def __init__(self, session: Session, lease: Lease | None, settings: LdapSettings, report: SyncReport, *,
                 force: bool, actor: str, progress: Progress | None) -> None:
        self.lease, self.settings, self.report = lease, settings, report  # the session: see ``session``
        self.force, self.progress = force, progress
        self.full = report.mode == "full"
        self.dry_run = report.dry_run
        self.writing = False
        self.applier = Applier(session, run_id=report.run_id or 0, actor=actor, now=_now(),
                               group_kind=settings.group_kind)
        self.users, self.groups = _Tally(lambda u: u.uid), _Tally(lambda g: g.name)
        self.seen_users: set[str] = set()
        self.seen_groups: set[str] = set()
        self.read_groups: list[DirGroup] = []
        # Dry runs only: what the organisation-user count needs (a real run has the applier's maps).
        self.known_users: dict[str, int] = {}
        self.new_users: set[str] = set()
        self.known_groups: dict[str, int] = {}
        self.written = 0
        # Real runs: organisation users written page by page (see user_page).
        self.groups_of_dn: dict[str, list[int]] | None = None  # member DN -> group entry ids
        self.active: dict[int, dict[int, int]] = {}  # group entry id -> {user entry id: ldap_org_user id}
        self.party_of_group: dict[int, int | None] = {}
        self.memberships_added = 0
        self.end: _ReadEnd | None = None  # when the read has ended

    @property
    def session(self) -> Session:
        """The run's session, once the applier's background inserts are written (see apply.py)."""
        return self.applier.session

    def begin_writes(self) -> None:
        """Before the first write. SQLite: take the write lock now (BEGIN IMMEDIATE), so that a
        run that finds nothing to change never blocks the web requests' writes while it reads;
        PostgreSQL: the audit chain's lock. Then check that the lease is still ours."""
        if self.writing:
            return
        lock_chain(self.session)
        if self.lease is not None and not self.lease.confirm(self.session):
            raise _Refused("the sync lease expired and another run took it over")
        self.writing = True

    def _stored(self, kind: str, preloaded: dict[str, Stored] | None, records: list[Any]) -> Mapping[str, Stored]:
        if preloaded is not None:
            return preloaded
        return _stored(self.session, kind, (r.entry_uuid for r in records))

    def run(self, pipeline: _Pipeline) -> _ReadEnd:
        connection = self.session.connection()
        if connection.dialect.name != "sqlite":
            # PostgreSQL: the bulk inserts overlap with building the next batches.
            with self.applier.background(preload=self.full and not self.dry_run):
                return self._run(pipeline)
        # SQLite: a larger page cache for this run (entryUUIDs and DNs go into their indexes in
        # random order; with the default 2 MB a 100,000-user sync rereads index pages all the
        # time), then the connection's own setting again before it goes back to the pool.
        before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
        connection.exec_driver_sql(f"PRAGMA cache_size = {-SQLITE_CACHE_KIB}")
        try:
            return self._run(pipeline)
        finally:
            try:
                connection.exec_driver_sql(f"PRAGMA cache_size = {int(before)}")
            except Exception:  # noqa: BLE001 - the connection is broken; the run's own error counts
                log.warning("could not restore SQLite's cache_size after LDAP sync run %s", self.report.run_id)

    def _run(self, pipeline: _Pipeline) -> _ReadEnd:
        # A full run compares against every stored entry (and finds the missing ones at the end);
        # an incremental one looks up each page's entries.
        self.stored_users = _stored(self.session, USER, None) if self.full else None
        self.stored_groups = _stored(self.session, GROUP, None) if self.full else None
        self.linked = _linked_accounts(self.session)  # before anything is written: what the guard compares with
        while True:
            kind, payload = pipeline.get()
            if kind == "users":
                self.user_page(payload)
            elif kind == "groups":
                self.group_page(payload)
            elif kind == "error":
                raise _read_failure(payload, self.settings, self.report.run_id)
            else:
                self.finish(payload)
                return payload

    def user_page(self, records: list[DirUser]) -> None:
        self.report.counts["users_read"] += len(records)
        plan = plan_entries(self._stored(USER, self.stored_users, records), records, find_missing=False,
                            missing_runs=self.settings.missing_runs, seen_ids=self.seen_users)
        self.users.add(plan)
        if self.dry_run:
            self.known_users.update((s.dn, s.id) for s in plan.unchanged)
            self.known_users.update((r.dn, s.id) for s, r in plan.changed)
            self.new_users.update(r.dn for r in plan.created)
            return
        a = self.applier
        a.seen(USER, plan.unchanged)
        if plan.created or plan.changed or plan.restored:
            self.begin_writes()
            a.create_users(plan.created)  # type: ignore[arg-type]
            a.change(USER, plan.changed)
            a.restore(USER, plan.restored)
            self.written += len(plan.created) + len(plan.changed) + len(plan.restored)
        self.page_memberships(records)

    def page_memberships(self, records: list[DirUser]) -> None:
        """The organisation users of this page's users that are not active yet: the groups were
        read first, so they are written with the page (ends need every user: see finish)."""
        a = self.applier
        if self.groups_of_dn is None:
            groups_of_dn: dict[str, list[int]] = {}
            for group in self.read_groups:
                if group.entry_uuid in a.group_ids:
                    group_id = a.group_ids[group.entry_uuid][0]
                    for dn in group.members:
                        groups_of_dn.setdefault(dn, []).append(group_id)
            self.groups_of_dn = groups_of_dn
            self.active = _active_pairs(self.session, sorted({g for ids in groups_of_dn.values() for g in ids}))
            self.party_of_group = {e: p for e, p in a.group_ids.values()}
        added: list[tuple[int, int]] = []
        accounts: dict[int, int | None] = {}
        for record in records:
            group_ids = self.groups_of_dn.get(record.dn)
            user = a.user_by_dn.get(record.dn) if group_ids else None
            if user is None:
                continue
            user_id, accounts[user_id] = user
            for group_id in group_ids:  # type: ignore[union-attr]
                current = self.active.setdefault(group_id, {})
                if user_id not in current:
                    current[user_id] = 0  # added in this run: desired, so never ended below
                    added.append((group_id, user_id))
        if added:
            self.begin_writes()
            a.memberships(added, [], party_of_group=self.party_of_group, account_of_user=accounts)
            self.memberships_added += len(added)

    def group_page(self, records: list[DirGroup]) -> None:
        self.report.counts["groups_read"] += len(records)
        plan = plan_entries(self._stored(GROUP, self.stored_groups, records), records, find_missing=False,
                            missing_runs=self.settings.missing_runs, seen_ids=self.seen_groups)
        self.groups.add(plan)
        self.read_groups += records
        if self.dry_run:
            self.known_groups.update((s.entry_uuid, s.id) for s in plan.unchanged)
            self.known_groups.update((s.entry_uuid, s.id) for s, _ in plan.changed)
            return
        a = self.applier
        a.seen(GROUP, plan.unchanged)
        if plan.created or plan.changed or plan.restored:
            self.begin_writes()
            a.create_groups(plan.created)  # type: ignore[arg-type]
            a.change(GROUP, plan.changed)
            a.restore(GROUP, plan.restored)
            self.written += len(plan.created) + len(plan.changed) + len(plan.restored)

    def finish(self, end: _ReadEnd) -> None:
        """The read has ended: missing entries (complete full runs only), the guard, organisation users."""
        report, settings = self.report, self.settings
        self.end = end
        report.complete = end.complete
        report.errors += end.reasons + end.skipped[:20]
        if len(end.skipped) > 20:
            report.errors.append(f"… and {len(end.skipped) - 20} more entries skipped")
        find_missing = self.full and end.complete
        missing_users: tuple[list[tuple[Stored, int]], list[Stored]] = ([], [])
        missing_groups: tuple[list[tuple[Stored, int]], list[Stored]] = ([], [])
        if find_missing and self.stored_users is not None:
            missing_users = plan_missing(self.stored_users, self.seen_users, missing_runs=settings.missing_runs)
        if find_missing and settings.group_base and self.stored_groups is not None:
            missing_groups = plan_missing(self.stored_groups, self.seen_groups, missing_runs=settings.missing_runs)
        for tally, (missing, to_disable) in ((self.users, missing_users), (self.groups, missing_groups)):
            tally.add(EntryPlan(missing=missing, to_disable=to_disable))
        for tally, what in ((self.users, "user"), (self.groups, "group")):
            if tally.duplicates:
                report.errors.append(f"{tally.duplicates} {what} entryUUID(s) returned twice; the first was used")
        for tally in (self.users, self.groups):
            for key, value in tally.counts.items():
                report.counts[key] += value
        limit = settings.disable_limit(self.linked)
        report.plan = {"users": self.users.summary, "groups": self.groups.summary,
                       "linked_accounts": self.linked, "disable_limit": limit}
        refusal = disable_refusal(len(missing_users[1]), self.linked, limit)
        if refusal and not self.force:
            raise _Refused(refusal)
        if refusal:
            report.errors.append(f"forced: {refusal.split(';')[0]}")
        if self.dry_run:
            self.plan_memberships_only(end)
            return

        a = self.applier
        self.begin_writes()  # the watermark and the run row are written in any case
        # "write": entries written so far, of all this run writes (the pages' entries are written).
        total = self.written + len(missing_users[0]) + len(missing_groups[0])
        if self.progress:
            self.progress("write", self.written, total)
        a.mark_missing(USER, missing_users[0])
        a.disable(USER, missing_users[1])
        a.mark_missing(GROUP, missing_groups[0])
        ended_by_disable = a.disable(GROUP, missing_groups[1])
        self.written = total

        self.page_memberships([])  # no user read: the groups' maps all the same
        groups = self.read_groups
        _resolve_members(self.session, a.user_by_dn, groups, full=self.full, value=lambda v: v)
        desired = {a.group_ids[g.entry_uuid][0]: {a.user_by_dn[dn][0] for dn in g.members if dn in a.user_by_dn}
                   for g in groups if g.entry_uuid in a.group_ids}
        # What the pages added is in self.active already; what is left to add are members that
        # the read did not return (incremental: stored users), then the ends.
        added, ended = plan_memberships(desired, self.active, may_end=end.complete)
        ended = sorted(set(ended) | set(ended_by_disable))
        a.memberships(added, ended, party_of_group=self.party_of_group,
                      account_of_user={user_id: account for user_id, account in a.user_by_dn.values()}
                      if added else {})
        report.counts["memberships_changed"] = self.memberships_added + len(added) + len(ended)
        if self.progress:
            self.progress("write", total, total)

    def plan_memberships_only(self, end: _ReadEnd) -> None:
        """A dry run's count of organisation-user changes, for groups and users already stored
        (new ones would all be additions)."""
        known_users, groups = self.known_users, self.read_groups
        _resolve_members(self.session, known_users, groups, full=self.full, value=lambda v: v[0])
        stored_groups = self.known_groups
        desired = {stored_groups[g.entry_uuid]: {known_users[dn] for dn in g.members if dn in known_users}
                   for g in groups if g.entry_uuid in stored_groups}
        added, ended = plan_memberships(desired, _active_pairs(self.session, list(desired)), may_end=end.complete)
        new_users = self.new_users
        added_new = sum(1 for g in groups for dn in g.members
                        if dn in new_users or (g.entry_uuid not in stored_groups and dn in known_users))
        self.report.counts["memberships_changed"] = len(added) + len(ended) + added_new


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
        high_water = since
        sync: _Sync | None = None
        pipeline = _Pipeline(settings, since, progress).start()
        try:
            with Session(engine) as session, session.begin():
                sync = _Sync(session, lease, settings, report, force=force, actor=actor, progress=progress)
                end = sync.run(pipeline)
                high_water = end.high_water or since
                report.status = "ok" if end.complete else "incomplete"
                if not dry_run:  # a dry run wrote nothing; its run row is finished below
                    report.held_links = list(sync.applier.held_links)
                    report.counts["links_held"] = len(report.held_links)
                    if end.complete:
                        # Same transaction as the data: a run that fails leaves the watermark alone.
                        session.execute(update(LdapSyncState).where(LdapSyncState.name == STATE_NAME).values(
                            high_water=high_water, last_run_id=report.run_id,
                            **({"last_full_at": _now()} if report.mode == "full" else {})))
                    session.execute(update(LdapSyncRun).where(LdapSyncRun.id == report.run_id)
                                    .values(**_finish_values(report, high_water)))
                    report.applied = True
        except _ReadFailed as exc:  # the directory: nothing applied (the transaction rolled back)
            report.status, report.applied = "failed", False
            report.errors.append(str(exc))
            high_water = None
        except _Refused as exc:
            report.status, report.applied = "refused", False
            report.errors.append(str(exc))
        except Exception as exc:  # noqa: BLE001 - any database failure: nothing applied, say why
            log.exception("LDAP sync run %s failed while writing; nothing was applied", report.run_id)
            report.status, report.applied = "failed", False
            report.errors.append(f"writing failed, nothing was applied: {type(exc).__name__}: "
                                 f"{_redact(_one_line(str(exc)), settings)[:300]}")
        finally:
            pipeline.close()  # stops the reader thread if the writer gave up early, and waits for it
        if not report.applied:
            report.held_links, report.counts["links_held"] = [], 0  # rolled back: nothing was linked
            if sync is not None and sync.end is not None:  # refused or failed after the read had ended
                high_water = sync.end.high_water or since
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


def held_links_of(run: LdapSyncRun) -> list[dict[str, Any]]:
    """The links by member number this run held for review (account_id, uid, member_no, reason)."""
    try:
        return list(json.loads(run.held_links or "[]"))
    except ValueError:
        return []


def counts_of(run: LdapSyncRun) -> Mapping[str, int]:
    try:
        return json.loads(run.counts or "{}")
    except ValueError:
        return {}

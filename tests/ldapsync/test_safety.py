# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""What must never happen: a truncated read disabling members, a dead server half-applying a run,
two syncs writing at once, a filter value widening a search, a password in a record."""
from __future__ import annotations

import threading
import time

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from nc_coop.ldapsync.job import SyncReport, run_sync
from nc_coop.ldapsync.lease import Lease
from nc_coop.ldapsync.models import STATE_NAME, LdapOrgUser, LdapSyncRun, LdapSyncState
from nc_coop.ldapsync.reader import DirectoryReader
from nc_coop.register.models import Account
from tests.ldap_support import PASSWORDS, Slapd, stop_slapd
from tests.ldapsync.conftest import BULK, add_person, admin, entries, settings_for, table_counts


def test_a_size_limited_account_removes_nobody_and_the_run_is_incomplete(engine: Engine,
                                                                         big_directory: Slapd) -> None:
    full = run_sync(engine, settings_for(big_directory, NC_COOP_LDAP_PAGE_SIZE="200"), full=True)
    assert full.status == "ok" and full.counts["users_read"] == BULK + 8
    with admin(big_directory) as conn:
        add_person(conn, big_directory, "aaa.neu")  # a change the truncated read may still bring
    before = {uid: (e.missing_full_runs, e.disabled_at) for uid, e in entries(engine).items()}
    with Session(engine) as session:
        active_before = session.scalars(select(LdapOrgUser.id).where(LdapOrgUser.ended_at.is_(None))).all()

    limited = settings_for(big_directory, limited="1", NC_COOP_LDAP_PAGE_SIZE="200", NC_COOP_LDAP_MISSING_RUNS="1",
                           NC_COOP_LDAP_MAX_DISABLE="100000")  # no guard to hide behind
    report = run_sync(engine, limited, full=True)

    assert (report.status, report.complete) == ("incomplete", False)
    assert report.counts["users_read"] == 500  # what ldap3 silently returned
    assert report.counts["missing"] == report.counts["disabled"] == 0
    assert any("sizeLimitExceeded (4)" in e for e in report.errors)
    after = entries(engine)
    assert {uid: (e.missing_full_runs, e.disabled_at) for uid, e in after.items() if uid in before} == before
    with Session(engine) as session:
        assert session.scalars(select(LdapOrgUser.id).where(LdapOrgUser.ended_at.is_(None))).all() == active_before
        run = session.get(LdapSyncRun, report.run_id)
        assert (run.status, run.complete) == ("incomplete", False)
        assert all(a.disabled_at is None for a in session.scalars(select(Account)))


def test_slapd_stopped_between_two_pages_leaves_the_register_unchanged(engine: Engine, directory: Slapd) -> None:
    settings = settings_for(directory, NC_COOP_LDAP_PAGE_SIZE="2", NC_COOP_LDAP_MISSING_RUNS="1")
    assert run_sync(engine, settings, full=True).status == "ok"
    with admin(directory) as conn:
        conn.delete(directory.user_dn("lea.wagner"))
        conn.modify(directory.user_dn("jonas.mueller"), {"mail": [("MODIFY_REPLACE", ["j@neu.example"])]})
        add_person(conn, directory, "aaa.neu")
    before = table_counts(engine)
    stored = {uid: (e.attr_hash, e.missing_full_runs, e.disabled_at) for uid, e in entries(engine).items()}
    pages: list[int] = []

    def stop_after_first_page(phase: str, done: int, total: int | None) -> None:
        pages.append(done)
        if len(pages) == 1:
            stop_slapd(directory.workdir)  # the fixture's stop is then a no-op

    report = run_sync(engine, settings, full=True, progress=stop_after_first_page)

    assert pages == [2]
    assert (report.status, report.applied) == ("failed", False)
    assert len(report.errors) == 1 and "\n" not in report.errors[0] and "after 2 entries" in report.errors[0]
    assert not any(p in report.errors[0] for p in PASSWORDS)
    assert table_counts(engine) == {**before, "ldap_sync_run": before["ldap_sync_run"] + 1}
    assert {uid: (e.attr_hash, e.missing_full_runs, e.disabled_at) for uid, e in entries(engine).items()} == stored
    with Session(engine) as session:
        assert session.get(LdapSyncRun, report.run_id).status == "failed"


def test_a_refused_bind_fails_the_run_and_names_no_password(engine: Engine, slapd: Slapd) -> None:
    settings = settings_for(slapd, NC_COOP_LDAP_BIND_PASSWORD="wrong-password-123")
    report = run_sync(engine, settings, full=True)
    assert (report.status, report.applied) == ("failed", False)
    assert "bind as cn=nc_coop-sync,ou=services,dc=coop,dc=example refused" in report.errors[0]
    assert "invalidCredentials" in report.errors[0] and "wrong-password-123" not in report.errors[0]
    assert "wrong-password-123" not in repr(settings) and "wrong-password-123" not in repr(report)
    assert table_counts(engine)["ldap_entry"] == 0


def test_an_unreachable_server_fails_the_run(engine: Engine, slapd: Slapd) -> None:
    settings = settings_for(slapd, NC_COOP_LDAP_URL="ldap://127.0.0.1:9", NC_COOP_LDAP_TIMEOUT="2")
    report = run_sync(engine, settings, full=True)
    assert report.status == "failed" and "cannot reach the directory at ldap://127.0.0.1:9" in report.errors[0]


def test_a_second_server_is_used_when_the_first_is_down(engine: Engine, slapd: Slapd) -> None:
    settings = settings_for(slapd, NC_COOP_LDAP_URL=f"ldap://127.0.0.1:9,{slapd.url}", NC_COOP_LDAP_TIMEOUT="2")
    assert run_sync(engine, settings, full=True).status == "ok"


def test_two_concurrent_syncs_never_both_write(engine: Engine, slapd: Slapd) -> None:
    settings = settings_for(slapd, NC_COOP_LDAP_PAGE_SIZE="3")
    first_reading, second_done = threading.Event(), threading.Event()
    reports: dict[str, SyncReport] = {}

    def hold(phase: str, done: int, total: int | None) -> None:
        first_reading.set()
        assert second_done.wait(30), "the second sync did not finish"

    def first() -> None:
        reports["first"] = run_sync(engine, settings, full=True, progress=hold)

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert first_reading.wait(30)
        reports["second"] = run_sync(engine, settings, full=True)  # while the first holds the lease
    finally:
        second_done.set()
        thread.join(60)

    assert (reports["second"].status, reports["second"].applied) == ("refused", False)
    assert "another LDAP sync is running" in reports["second"].errors[0]
    assert (reports["first"].status, reports["first"].applied) == ("ok", True)
    counts = table_counts(engine)
    assert (counts["ldap_entry"], counts["account"], counts["ldap_org_user"]) == (11, 8, 6)  # written once
    # The lease is free again: the next run goes ahead.
    assert run_sync(engine, settings, full=True).status == "ok"


def test_concurrent_syncs_from_many_threads_write_once(engine: Engine, slapd: Slapd) -> None:
    settings = settings_for(slapd)
    barrier = threading.Barrier(4)
    reports: list[SyncReport] = []

    def run() -> None:
        barrier.wait()
        reports.append(run_sync(engine, settings, full=True))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(reports) == 4 and all(r.status in {"ok", "refused"} for r in reports)
    assert sum(r.counts["created"] for r in reports if r.applied) == 11  # every entry created exactly once
    assert table_counts(engine)["ldap_entry"] == 11


def test_a_uid_with_filter_syntax_matches_nothing_extra(engine: Engine, directory: Slapd) -> None:
    weird = "*)(uid=*"
    with admin(directory) as conn:  # the DN escapes the value as RFC 4514 hex pairs
        add_person(conn, directory, weird, dn=f"uid=\\2A\\29\\28uid\\3D\\2A,{directory.people_base}")
    settings = settings_for(directory)
    with DirectoryReader(settings) as reader:
        found = reader.find_users(weird)
        assert [u.uid for u in found] == [weird]
        assert reader.find_users("*") == []
        assert [u.uid for u in reader.find_users("anna.schmidt")] == ["anna.schmidt"]
        assert reader.find_users("anna.schmidt)(uid=*") == []
    report = run_sync(engine, settings, full=True)
    assert report.counts["created"] == 12
    with Session(engine) as session:
        assert session.scalars(select(Account.nextcloud_user_id).where(Account.nextcloud_user_id == weird)).all() == [weird]


def test_entries_without_uid_are_skipped_and_reported(engine: Engine, directory: Slapd) -> None:
    with admin(directory) as conn:
        conn.add(f"cn=No Uid,{directory.people_base}", ["inetOrgPerson"], {"cn": "No Uid", "sn": "Uid"})
    report = run_sync(engine, settings_for(directory), full=True)
    assert report.status == "ok" and report.counts["users_read"] == 8
    assert report.errors == ["cn=no uid,ou=people,dc=coop,dc=example: no uid; skipped"]


def test_a_second_sync_is_refused_at_once_while_the_first_writes(engine: Engine) -> None:
    """A running sync holds SQLite's write lock through its write phase. A second start used to
    wait out the 30 s busy timeout and fail with "database is locked"; it is refused at once now
    (PostgreSQL's advisory lock never waited)."""
    first = Lease(engine)
    assert first.acquire()
    writer = engine.connect()
    try:  # the first run's open write transaction
        writer.execute(update(LdapSyncState).where(LdapSyncState.name == STATE_NAME)
                       .values(high_water="20260101000000Z"))
        started = time.monotonic()
        second = Lease(engine)
        assert second.acquire() is False
        assert time.monotonic() - started < 5
    finally:
        writer.rollback()
        writer.close()
        first.release()
    assert Lease(engine).acquire()  # free again once the first is done

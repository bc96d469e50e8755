# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The reader thread and the writer overlap (nc_coop.ldapsync.job): a failure on either side
while the other is mid-way applies nothing and leaves no thread behind; the CLI's exit code of
an incomplete read; the schedule thread starts a run and stops."""
from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from nc_coop.cli import main
from nc_coop.db import Database
from nc_coop.ldapsync import job
from nc_coop.ldapsync.apply import Applier
from nc_coop.ldapsync.models import LdapSyncRun
from nc_coop.ldapsync.runner import SyncRunner
from tests.ldap_support import PASSWORDS, Slapd, stop_slapd
from tests.ldapsync.conftest import BULK, entries, ldap_env, settings_for, table_counts

PAGE = 20


def reader_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "ldap-sync-reader"]


def test_a_writer_failure_mid_read_stops_the_reader_and_applies_nothing(
        engine: Engine, big_directory: Slapd, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_for(big_directory, NC_COOP_LDAP_PAGE_SIZE=str(PAGE))
    before = table_counts(engine)
    pages: list[int] = []
    calls: list[int] = []
    create_users = Applier.create_users

    def failing_create_users(self: Applier, users: Any) -> None:
        calls.append(len(users))
        if len(calls) == 3:  # two pages are written into the transaction already
            raise RuntimeError("disk full (test)")
        create_users(self, users)

    monkeypatch.setattr(Applier, "create_users", failing_create_users)
    report = job.run_sync(engine, settings, full=True,
                          progress=lambda phase, done, total: pages.append(done) if phase == "users" else None)

    assert (report.status, report.applied) == ("failed", False)
    assert report.errors == ["writing failed, nothing was applied: RuntimeError: disk full (test)"]
    assert reader_threads() == []  # stopped and joined before run_sync returned
    # The reader stopped within the queue's few pages of the writer, long before the end.
    assert 3 <= len(pages) <= 3 + job.QUEUE_PAGES + 2 < (BULK + 8) // PAGE
    assert table_counts(engine) == {**before, "ldap_sync_run": before["ldap_sync_run"] + 1}
    with Session(engine) as session:
        run = session.get(LdapSyncRun, report.run_id)
        assert run is not None and run.status == "failed" and "disk full" in run.errors
    # The lease was released and nothing half-written is in the way: the next run applies it all.
    monkeypatch.setattr(Applier, "create_users", create_users)
    again = job.run_sync(engine, settings, full=True)
    assert again.status == "ok" and again.counts["created"] == BULK + 8 + 3


def test_slapd_stopped_after_pages_were_written_rolls_them_back(engine: Engine, big_directory: Slapd,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Unlike test_safety's stop at the first page: here the writer has written two pages into
    the transaction when the directory goes away; the rollback takes them back."""
    written = threading.Event()
    create_users = Applier.create_users

    def counting_create_users(self: Applier, users: Any) -> None:
        create_users(self, users)
        if len(users):
            counting_create_users.pages += 1  # type: ignore[attr-defined]
            if counting_create_users.pages == 2:  # type: ignore[attr-defined]
                written.set()

    counting_create_users.pages = 0  # type: ignore[attr-defined]
    monkeypatch.setattr(Applier, "create_users", counting_create_users)
    pages: list[int] = []

    def stop_when_two_pages_are_written(phase: str, done: int, total: int | None) -> None:
        if phase != "users":
            return
        pages.append(done)
        if len(pages) == 3:
            assert written.wait(30), "the writer did not write two pages"
            stop_slapd(big_directory.workdir)  # the fixture's stop is then a no-op

    before = table_counts(engine)
    settings = settings_for(big_directory, NC_COOP_LDAP_PAGE_SIZE=str(PAGE))
    report = job.run_sync(engine, settings, full=True, progress=stop_when_two_pages_are_written)

    assert (report.status, report.applied) == ("failed", False)
    assert len(report.errors) == 1 and f"after {3 * PAGE} entries" in report.errors[0]
    assert not any(p in report.errors[0] for p in PASSWORDS)
    assert reader_threads() == []
    assert table_counts(engine) == {**before, "ldap_sync_run": before["ldap_sync_run"] + 1}
    assert entries(engine) == {}


def test_a_guard_refusal_after_pages_were_written_rolls_them_back(engine: Engine, directory: Slapd) -> None:
    """The guard can only count the missing entries when the read has ended, after the pages
    with changes were written: a refusal must take those back too."""
    settings = settings_for(directory, NC_COOP_LDAP_PAGE_SIZE="2", NC_COOP_LDAP_MISSING_RUNS="1",
                            NC_COOP_LDAP_MAX_DISABLE="0")
    assert job.run_sync(engine, settings, full=True).status == "ok"
    stored = {uid: (e.attr_hash, e.missing_full_runs, e.disabled_at) for uid, e in entries(engine).items()}
    from tests.ldapsync.conftest import add_person, admin  # noqa: PLC0415

    with admin(directory) as conn:
        conn.delete(directory.user_dn("lea.wagner"))
        conn.modify(directory.user_dn("jonas.mueller"), {"mail": [("MODIFY_REPLACE", ["j@neu.example"])]})
        add_person(conn, directory, "aaa.neu")
    before = table_counts(engine)

    report = job.run_sync(engine, settings, full=True)

    assert (report.status, report.applied) == ("refused", False)
    assert "would disable 1 of" in report.errors[-1]
    assert table_counts(engine) == {**before, "ldap_sync_run": before["ldap_sync_run"] + 1}
    assert {uid: (e.attr_hash, e.missing_full_runs, e.disabled_at) for uid, e in entries(engine).items()} == stored
    assert reader_threads() == []


def test_cli_exit_code_4_for_an_incomplete_read(big_directory: Slapd, monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path, database_url: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from tests.conftest import TEST_SECRET  # noqa: PLC0415

    for name, value in {"APP_SECRET": TEST_SECRET, "NEXTCLOUD_URL": "http://127.0.0.1:9",
                        "APP_PERSISTENT_STORAGE": str(tmp_path), "DATABASE_URL": database_url,
                        **ldap_env(big_directory, limited=True, NC_COOP_LDAP_PAGE_SIZE="200")}.items():
        monkeypatch.setenv(name, value)
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()

    code = main(["ldap", "sync", "--full", "--quiet"])

    out, err = capsys.readouterr()
    assert code == 4, (out, err)
    assert "sizeLimitExceeded (4)" in out + err
    assert not any(p in out + err for p in PASSWORDS)


def test_the_schedule_thread_starts_a_run_and_stops(engine: Engine, directory: Slapd) -> None:
    database = Database()
    database.engine, database.session_factory = engine, sessionmaker(engine)
    # NC_COOP_LDAP_SCHEDULE_MINUTES is whole minutes; a test waits a fraction of a second.
    settings = dataclasses.replace(settings_for(directory), schedule_minutes=0.01)  # type: ignore[arg-type]
    runner = SyncRunner(database, settings)

    thread = runner.start_schedule()

    assert thread is not None and thread.name == "ldap-sync-schedule"
    try:
        deadline = time.monotonic() + 30
        while runner.last_report is None and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        runner.stop_schedule()
        thread.join(10)
        runner.wait(30)
    assert not thread.is_alive()
    report = runner.last_report
    assert report is not None and (report.mode, report.status, report.applied) == ("full", "ok", True)
    assert report.counts["created"] == 11
    assert runner.active() is None and reader_threads() == []
    # Off by default: no thread.
    assert SyncRunner(database, settings_for(directory)).start_schedule() is None

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The sync's bulk writes: on PostgreSQL in a thread of their own (nc_coop/ldapsync/copier.py);
a database error there fails the run and applies nothing; the sync's rows are never deleted."""
from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import Engine, exc, text

from nc_coop.ldapsync import job
from nc_coop.ldapsync.apply import Applier
from tests.ldap_support import Slapd
from tests.ldapsync.conftest import BULK, dangling_ids, settings_for, table_counts

PAGE = 100


def copier_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "ldap-sync-copier"]


def test_a_database_error_in_a_later_bulk_insert_fails_the_run_and_applies_nothing(
        engine: Engine, big_directory: Slapd, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_for(big_directory, NC_COOP_LDAP_PAGE_SIZE=str(PAGE))
    before = table_counts(engine)
    rows: list[dict[str, Any]] = []
    entry_row = Applier._entry_row

    def duplicate_on_the_fourth_page(self: Applier, rec: Any, **kwargs: Any) -> dict[str, Any]:
        row = entry_row(self, rec, **kwargs)
        rows.append(row)
        if len(rows) == 3 * PAGE + 50:  # pages 1-3 are written (or queued) by now
            row = {**row, "entry_uuid": rows[0]["entry_uuid"]}  # the unique index refuses it
        return row

    monkeypatch.setattr(Applier, "_entry_row", duplicate_on_the_fourth_page)
    report = job.run_sync(engine, settings, full=True)

    assert (report.status, report.applied) == ("failed", False)
    assert report.errors[0].startswith("writing failed, nothing was applied: ")
    assert "duplicate key" in report.errors[0] or "UNIQUE constraint failed" in report.errors[0]
    assert copier_threads() == []  # stopped before run_sync returned
    assert table_counts(engine) == {**before, "ldap_sync_run": before["ldap_sync_run"] + 1}
    # Nothing half-written is in the way: the next run writes everyone.
    monkeypatch.setattr(Applier, "_entry_row", entry_row)
    again = job.run_sync(engine, settings, full=True)
    assert again.status == "ok" and again.counts["created"] == BULK + 8 + 3
    assert copier_threads() == []


def test_a_full_sync_in_many_batches_links_every_id(engine: Engine, big_directory: Slapd) -> None:
    """Small pages: the background inserts of many batches, the ids taken ahead in blocks and the
    organisation users of each page all have to line up."""
    report = job.run_sync(engine, settings_for(big_directory, NC_COOP_LDAP_PAGE_SIZE="50"), full=True)
    assert report.status == "ok" and report.counts["created"] == BULK + 8 + 3
    assert dangling_ids(engine) == {}
    with engine.connect() as conn:
        unlinked = conn.execute(text("SELECT COUNT(*) FROM ldap_entry WHERE kind = 'user' AND "
                                     "(party_id IS NULL OR account_id IS NULL)")).scalar()
        audit = conn.execute(text("SELECT COUNT(*) FROM audit_event WHERE action = 'ldap.sync.users_created'")
                             ).scalar()
    assert unlinked == 0
    assert audit == -(-(BULK + 8) // 50)  # one event per page of new users, written after the copier


@pytest.mark.parametrize("table", ["ldap_sync_run", "ldap_entry", "ldap_org_user"])
def test_rows_of_the_sync_are_never_deleted(engine: Engine, directory: Slapd, table: str) -> None:
    assert job.run_sync(engine, settings_for(directory), full=True).status == "ok"
    before = table_counts(engine)[table]
    assert before > 0
    with pytest.raises(exc.DBAPIError, match="never deleted"), engine.begin() as conn:
        conn.execute(text(f"DELETE FROM {table}"))
    assert table_counts(engine)[table] == before

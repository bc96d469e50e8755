# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Runs inside the ExApp: one background sync at a time (the admin page's button, the API) with
its progress, and the optional schedule (NC_COOP_LDAP_SCHEDULE_MINUTES, off by default).

Across processes and replicas the lease in the database decides (nc_coop.ldapsync.lease); the
lock here only keeps one process from starting a second thread it would refuse anyway."""
from __future__ import annotations

import logging
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nc_coop.db import Database
from nc_coop.ldapsync.job import SyncReport, run_sync
from nc_coop.ldapsync.models import STATE_NAME, LdapSyncState
from nc_coop.ldapsync.settings import LdapSettings

log = logging.getLogger(__name__)


@dataclass
class Active:
    started_at: str
    full: bool
    dry_run: bool
    phase: str = "starting"
    done: int = 0
    total: int | None = None


class SyncRunner:
    def __init__(self, database: Database, settings: LdapSettings | None) -> None:
        self.database = database
        self.settings = settings
        self._lock = threading.Lock()
        self._active: Active | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.last_report: SyncReport | None = None

    @property
    def configured(self) -> bool:
        return self.settings is not None

    def active(self) -> dict[str, Any] | None:
        with self._lock:
            return asdict(self._active) if self._active else None

    def start(self, *, full: bool, dry_run: bool, actor: str) -> bool:
        """Start a run in a background thread; False if one is running in this process."""
        if self.settings is None:
            raise RuntimeError("the LDAP sync is not configured")
        with self._lock:
            if self._active is not None:
                return False
            self._active = Active(datetime.now(UTC).isoformat(timespec="seconds"), full, dry_run)
            self._thread = threading.Thread(target=self._run, args=(full, dry_run, actor), name="ldap-sync",
                                            daemon=True)
            self._thread.start()
        return True

    def wait(self, timeout: float | None = None) -> None:
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _progress(self, phase: str, done: int, total: int | None) -> None:
        with self._lock:
            if self._active is not None:
                self._active.phase, self._active.done, self._active.total = phase, done, total

    def _run(self, full: bool, dry_run: bool, actor: str) -> None:
        assert self.settings is not None
        try:
            self.last_report = run_sync(self.database, self.settings, full=full, dry_run=dry_run, actor=actor,
                                        progress=self._progress)
            log.info("LDAP sync run %s: %s %s", self.last_report.run_id, self.last_report.status,
                     self.last_report.counts)
        except Exception:  # noqa: BLE001 - a background thread has nobody else to tell
            log.exception("LDAP sync failed")
        finally:
            with self._lock:
                self._active = None

    # --- schedule ------------------------------------------------------------------------------

    def start_schedule(self) -> threading.Thread | None:
        """Every NC_COOP_LDAP_SCHEDULE_MINUTES: an incremental run, or a full one when the last
        full run is older than NC_COOP_LDAP_FULL_EVERY_HOURS (deletions need full runs)."""
        if self.settings is None or self.settings.schedule_minutes <= 0:
            return None
        thread = threading.Thread(target=self._schedule, name="ldap-sync-schedule", daemon=True)
        thread.start()
        return thread

    def stop_schedule(self) -> None:
        self._stop.set()

    def _full_due(self) -> bool:
        assert self.settings is not None and self.database.session_factory is not None
        with Session(self.database.engine) as session:
            last = session.scalar(select(LdapSyncState.last_full_at).where(LdapSyncState.name == STATE_NAME))
        if last is None:
            return True
        last = last if last.tzinfo else last.replace(tzinfo=UTC)  # SQLite drops the zone
        return datetime.now(UTC) - last >= timedelta(hours=self.settings.full_every_hours)

    def _schedule(self) -> None:
        assert self.settings is not None
        while not self._stop.wait(self.settings.schedule_minutes * 60):
            try:
                self.start(full=self._full_due(), dry_run=False, actor="ldap-sync:schedule")
            except Exception:  # noqa: BLE001 - e.g. the database is not migrated yet; try next time
                log.exception("Scheduled LDAP sync could not start")

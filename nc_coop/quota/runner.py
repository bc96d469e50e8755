# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Applying the queue inside the app: one background run at a time (the admin page's button,
the API, after an admin's change) with its progress, and a timer that retries due changes
(NC_COOP_QUOTA_RETRY_MINUTES). Several processes may run it: the claim in nc_coop.quota.apply
keeps a change from being written twice."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

from nc_coop.db import Database
from nc_coop.ldapsync.settings import LdapSettings
from nc_coop.nextcloud import NextcloudGateway
from nc_coop.quota.apply import ApplyReport, Applier
from nc_coop.quota.facts import load_facts
from nc_coop.quota.settings import QuotaSettings
from nc_coop.quota.usage import refresh_usage

log = logging.getLogger(__name__)


@dataclass
class Active:
    started_at: str
    actor: str
    phase: str = "apply"  # apply | usage
    done: int = 0
    total: int = 0


class QuotaRunner:
    def __init__(self, database: Database, gateway: NextcloudGateway, settings: QuotaSettings,
                 ldap: Callable[[], LdapSettings | None]) -> None:
        self.database = database
        self.gateway = gateway
        self.settings = settings
        self.ldap = ldap
        self._lock = threading.Lock()
        self._active: Active | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.last_report: ApplyReport | None = None

    def active(self) -> dict[str, Any] | None:
        with self._lock:
            return asdict(self._active) if self._active else None

    def last(self) -> dict[str, Any] | None:
        report = self.last_report
        return None if report is None else {k: v for k, v in asdict(report).items() if k != "errors"} | {
            "errors": report.errors[:10]}

    def start(self, actor: str, *, force: bool = False, request_id: str | None = None) -> bool:
        """Apply in a background thread; False if this process runs one already."""
        with self._lock:
            if self._active is not None:
                return False
            self._active = Active(datetime.now(UTC).isoformat(timespec="seconds"), actor)
            self._thread = threading.Thread(target=self._run, args=(actor, force, request_id), name="quota-apply",
                                            daemon=True)
            self._thread.start()
        return True

    def start_refresh(self, actor: str) -> bool:
        """Read every known user's quota and usage from Nextcloud in a background thread."""
        with self._lock:
            if self._active is not None:
                return False
            self._active = Active(datetime.now(UTC).isoformat(timespec="seconds"), actor, phase="usage")
            self._thread = threading.Thread(target=self._refresh, name="quota-usage", daemon=True)
            self._thread.start()
        return True

    def _refresh(self) -> None:
        assert self.database.session_factory is not None
        try:
            with self.database.session_factory() as session:
                users = sorted(load_facts(session, date.today()).current)
            done, failed = refresh_usage(self.database.session_factory, self.gateway, self.settings, users,
                                         self._progress)
            log.info("quota usage read for %s users (%s failed)", done, failed)
        except Exception:  # noqa: BLE001 - a background thread has nobody else to tell
            log.exception("reading quota usage failed")
        finally:
            with self._lock:
                self._active = None

    def wait(self, timeout: float | None = None) -> None:
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _progress(self, done: int, total: int) -> None:
        with self._lock:
            if self._active is not None:
                self._active.done, self._active.total = done, total

    def _run(self, actor: str, force: bool, request_id: str | None) -> None:
        assert self.database.session_factory is not None
        try:
            applier = Applier(self.database.session_factory, self.gateway, self.settings, self.ldap(), actor=actor,
                              request_id=request_id)
            self.last_report = applier.run(force=force, progress=self._progress)
            if self.last_report.claimed:
                log.info("quota changes applied: %s done, %s queued again, %s refused", self.last_report.done,
                         self.last_report.failed, self.last_report.refused)
        except Exception:  # noqa: BLE001 - a background thread has nobody else to tell
            log.exception("applying quota changes failed")
        finally:
            with self._lock:
                self._active = None

    def start_schedule(self) -> threading.Thread | None:
        if self.settings.retry_minutes <= 0:
            return None
        thread = threading.Thread(target=self._schedule, name="quota-retry", daemon=True)
        thread.start()
        return thread

    def stop_schedule(self) -> None:
        self._stop.set()

    def _schedule(self) -> None:
        while not self._stop.wait(self.settings.retry_minutes * 60):
            try:
                self.start("quota:schedule")
            except Exception:  # noqa: BLE001 - e.g. not migrated yet; try next time
                log.exception("scheduled quota retry could not start")

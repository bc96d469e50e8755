# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The "voting closes in 24 hours" reminders inside the app: a timer thread that runs
``outreach.send_due_reminders`` every NC_COOP_ASSEMBLY_REMIND_MINUTES (0: off; cron can still
run ``nc-coop assembly remind``). Started by ``nc-coop serve`` like the quota runner's timer.

A run never overlaps another in this process (one thread, and a lock that a run holds); several
processes may run it at once: ``announce`` claims each recipient under the writers' lock, so
nobody is told twice. The log says how many were sent, never who or any credential."""
from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

from flask import Flask

log = logging.getLogger(__name__)

EXTENSION = "nc_coop.assembly.reminders"


class ReminderTimer:
    def __init__(self, app: Flask, interval_seconds: float) -> None:
        self.app = app
        self.interval_seconds = interval_seconds
        self._stop = threading.Event()
        self._running = threading.Lock()  # held by the run in progress
        self._thread: threading.Thread | None = None
        self.runs = 0  # completed runs (status and tests)
        self.sent = 0  # notifications sent by this timer

    def start(self) -> threading.Thread | None:
        """Start the timer thread (once); None when switched off."""
        if self.interval_seconds <= 0 or self._thread is not None:
            return self._thread
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="assembly-remind", daemon=True)
        self._thread.start()
        log.info("assembly reminders run every %s s", self.interval_seconds)
        return self._thread

    def stop(self, timeout: float | None = 30) -> None:
        """Ask the timer to end and wait for a run in progress to finish."""
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        self._thread = None

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_seconds):
            self.run_once()

    def run_once(self) -> int | None:
        """One run; None when another run of this process is still going (it is skipped)."""
        if not self._running.acquire(blocking=False):
            log.info("assembly reminders: the previous run is still going; skipped")
            return None
        try:
            from nc_coop.assembly.outreach import send_due_reminders  # noqa: PLC0415
            from nc_coop.db import get_db  # noqa: PLC0415

            with self.app.app_context():
                session = get_db().session_factory()
                try:
                    sent = send_due_reminders(session, self.app.extensions["nc_coop.gateway"], datetime.now(UTC))
                finally:
                    session.close()
            self.runs += 1
            self.sent += sent
            if sent:
                log.info("assembly reminders: %s notification(s) sent", sent)
            return sent
        except Exception as exc:  # noqa: BLE001 - a timer thread has nobody else to tell; try next time
            log.warning("assembly reminders failed: %s", type(exc).__name__)
            return 0
        finally:
            self._running.release()


def init_app(app: Flask) -> ReminderTimer:
    settings = app.config["NC_COOP_SETTINGS"]
    timer = ReminderTimer(app, settings.assembly_remind_minutes * 60)
    app.extensions[EXTENSION] = timer
    return timer  # `nc-coop serve` starts it (start); tests and commands do not

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The app's own "voting closes in 24 hours" timer (NC_COOP_ASSEMBLY_REMIND_MINUTES) against the
Nextcloud stand-in, on SQLite and PostgreSQL: it sends each reminder once however often it runs,
never overlaps itself, stops cleanly, and logs no secret."""
from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from nc_coop.assembly import services
from nc_coop.assembly.reminders import EXTENSION, ReminderTimer
from nc_coop.config import ConfigError, load_settings
from nc_coop.dates import coop_today
from nc_coop.standin import NextcloudStandIn
from tests.assembly.conftest import BOARD
from tests.assembly.outreach_fixtures import standin  # noqa: F401  fixture


def _closing_tonight(app: Flask, session: Session, member: Callable[..., int]) -> None:
    with app.app_context():
        today = coop_today()
    for login in ("alice", "bob"):
        member(login)
    assembly = services.create_assembly(session, BOARD, title="Außerordentliche GV", form="virtual", held_on=today,
                                        link="https://meet.example.org/x", voting_from=today, voting_until=today)
    services.add_item(session, BOARD, assembly_id=assembly.id, title="Beschluss", resolution_type="simple")
    services.convene(session, BOARD, assembly_id=assembly.id, convened_on=today, accept_warnings=True)
    services.open_voting(session, BOARD, assembly_id=assembly.id)
    session.commit()


def test_the_timer_reminds_once_and_stops(app: Flask, session: Session, member: Callable[..., int],
                                          standin: NextcloudStandIn,  # noqa: F811
                                          caplog: pytest.LogCaptureFixture) -> None:
    _closing_tonight(app, session, member)
    caplog.set_level(logging.INFO)
    timer = ReminderTimer(app, 0.05)
    thread = timer.start()
    assert thread is not None and thread.name == "assembly-remind" and timer.start() is thread  # started once
    deadline = time.monotonic() + 60
    while timer.runs < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    timer.stop()
    assert not thread.is_alive()
    assert timer.runs >= 4 and timer.sent == 2
    assert Counter(n["user"] for n in standin.state.notifications) == Counter({"alice": 1, "bob": 1})
    runs = timer.runs
    time.sleep(0.2)
    assert timer.runs == runs  # stopped: no further runs
    assert "assembly reminders: 2 notification(s) sent" in caplog.text
    for secret in app.config["NC_COOP_SETTINGS"].secret_values():
        assert secret not in caplog.text


def test_a_run_never_overlaps_another(app: Flask) -> None:
    timer = ReminderTimer(app, 60)
    assert timer._running.acquire(blocking=False)  # a run in progress
    try:
        assert timer.run_once() is None
    finally:
        timer._running.release()
    assert timer.run_once() == 0  # nothing is due


def test_the_interval_is_a_setting_and_zero_switches_it_off(app: Flask) -> None:
    assert isinstance(app.extensions[EXTENSION], ReminderTimer)
    base = {"APP_SECRET": "x" * 32, "NEXTCLOUD_URL": "https://cloud.example.org"}
    assert load_settings(base).assembly_remind_minutes == 15
    assert load_settings({**base, "NC_COOP_ASSEMBLY_REMIND_MINUTES": "0"}).assembly_remind_minutes == 0
    with pytest.raises(ConfigError) as bad:
        load_settings({**base, "NC_COOP_ASSEMBLY_REMIND_MINUTES": "-1"})
    assert "NC_COOP_ASSEMBLY_REMIND_MINUTES" in str(bad.value)
    assert ReminderTimer(app, 0).start() is None

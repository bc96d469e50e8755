# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Nextcloud outreach of an assembly on SQLite and PostgreSQL: notifications once per event and
recipient (also 20 calls at once), in the recipient's language; Talk and calendar skipped on the
recorded Nextcloud 34 and created where the documented APIs are on; reminders within 24 hours."""
from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from click.testing import CliRunner
from flask import Flask
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from nc_coop.assembly import outreach, services
from nc_coop.assembly.models import Assembly
from nc_coop.assembly.outreach_models import AssemblyMeetingPlace, AssemblyNotification
from nc_coop.audit.chain import verify
from nc_coop.audit.models import AuditEvent
from nc_coop.cli import cli
from nc_coop.dates import coop_today
from nc_coop.register.services import Actor
from nc_coop.standin import NextcloudStandIn
from tests.assembly.conftest import BOARD, HELD_ON
from tests.conftest import app_config
from tests.assembly.outreach_fixtures import (  # noqa: F401  fixtures
    build,
    standin,
    unmigrated_app,
    vote_and_close,
)

LOGINS = {"alice", "bob", "carl", "eva"}  # dora has none


def sent_to(standin: NextcloudStandIn) -> Counter[str]:
    return Counter(n["user"] for n in standin.state.notifications)


def subjects(standin: NextcloudStandIn) -> dict[str, str]:
    return {n["user"]: n["subject_params"]["rich_subject"] for n in standin.state.notifications}


def test_convened_goes_once_to_every_invited_login_in_their_language(
        app: Flask, session: Session, member: Callable[..., int], standin: NextcloudStandIn) -> None:
    s = build(session, member)
    gateway = app.extensions["nc_coop.gateway"]
    with app.app_context():
        report = outreach.announce(session, gateway, s.assembly_id, "convened")
        again = outreach.announce(session, gateway, s.assembly_id, "convened")
    assert (report.sent, report.failed, report.without_login, report.already) == (4, 0, 1, 0)
    assert any("post or e-mail" in note for note in report.notes)
    assert (again.sent, again.already) == (0, 4)
    assert sent_to(standin) == Counter(dict.fromkeys(LOGINS, 1))
    titles = subjects(standin)
    assert titles["alice"] == "Einladung zur Generalversammlung: Ordentliche Generalversammlung 2026"  # de
    assert titles["bob"] == "Invitation to the general assembly: Ordentliche Generalversammlung 2026"  # en
    assert all(n["subject_params"]["link"].endswith(f"/assemblies/{s.assembly_id}") for n in standin.state.notifications)
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "assembly.announce")).all()
    assert [json.loads(e.diff)["sent"] for e in events] == [4, 0] and verify(session).ok


def test_twenty_calls_at_once_notify_each_recipient_once(
        app: Flask, engine: Engine, session: Session, member: Callable[..., int], standin: NextcloudStandIn) -> None:
    s = build(session, member)
    session.close()
    gateway = app.extensions["nc_coop.gateway"]
    reports, errors = [], []
    start = threading.Barrier(20)

    def call() -> None:
        try:
            with app.app_context(), Session(engine) as own:
                start.wait()
                reports.append(outreach.announce(own, gateway, s.assembly_id, "convened"))
        except Exception as exc:  # noqa: BLE001  reported below
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert sum(r.sent for r in reports) == 4 and sum(r.already for r in reports) == 4 * 19
    assert sent_to(standin) == Counter(dict.fromkeys(LOGINS, 1))
    with Session(engine) as fresh:
        assert fresh.scalar(select(func.count()).select_from(AssemblyNotification)) == 4


def test_a_failed_notification_is_sent_by_a_later_call(
        app: Flask, session: Session, member: Callable[..., int], standin: NextcloudStandIn) -> None:
    s = build(session, member)
    eva = standin.state.users.pop("eva")  # unknown to Nextcloud: AppAPI refuses to impersonate her
    gateway = app.extensions["nc_coop.gateway"]
    with app.app_context():
        first = outreach.announce(session, gateway, s.assembly_id, "convened")
        standin.state.users["eva"] = eva
        second = outreach.announce(session, gateway, s.assembly_id, "convened")
    assert (first.sent, first.failed) == (3, 1) and (second.sent, second.failed, second.already) == (1, 0, 3)
    assert sent_to(standin) == Counter(dict.fromkeys(LOGINS, 1))
    row = session.scalar(select(AssemblyNotification).where(AssemblyNotification.recipient == "eva"))
    assert row.attempts == 2 and row.sent_at is not None and row.error is None


def test_events_need_their_state(app: Flask, session: Session, member: Callable[..., int],
                                 standin: NextcloudStandIn) -> None:
    s = build(session, member)
    gateway = app.extensions["nc_coop.gateway"]
    with app.app_context():
        for event in ("voting_open", "closing_soon", "results", "nonsense"):
            try:
                outreach.announce(session, gateway, s.assembly_id, event)
            except services.RuleViolation as refused:
                assert refused.field == "event"
            else:
                raise AssertionError(event)
            session.rollback()
        vote_and_close(session, s)
        results = outreach.announce(session, gateway, s.assembly_id, "results")
    assert results.sent == 4 and subjects(standin)["carl"].startswith("Ergebnisse der Generalversammlung")


def test_talk_and_calendar_are_skipped_with_a_note_on_the_recorded_server(
        app: Flask, session: Session, member: Callable[..., int], standin: NextcloudStandIn) -> None:
    s = build(session, member)
    with app.app_context():
        notes = outreach.create_meeting_places(session, app.extensions["nc_coop.gateway"], Actor("board", "t"),
                                               s.assembly_id)
        session.commit()
    assert any("Talk is not installed" in n for n in notes)
    assert any("No calendar \u201cpersonal\u201d for board" in n for n in notes)
    assert session.scalar(select(func.count()).select_from(AssemblyMeetingPlace)) == 0
    assert not any("/apps/spreed/" in c.path for c in standin.state.calls)  # the capabilities said no
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "assembly.meeting_places"))
    assert json.loads(event.diff)["talk"] == "not_installed" and json.loads(event.diff)["calendar"] == "no_calendar"


def test_talk_room_and_calendar_event_where_the_documented_apis_exist(
        app: Flask, session: Session, member: Callable[..., int], standin: NextcloudStandIn) -> None:
    standin.state.talk_enabled = standin.state.caldav_enabled = True  # documented behaviour, not recorded
    s = build(session, member)
    gateway = app.extensions["nc_coop.gateway"]
    with app.app_context():
        notes = outreach.create_meeting_places(session, gateway, Actor("board", "t"), s.assembly_id)
        session.commit()
        again = outreach.create_meeting_places(session, gateway, Actor("board", "t"), s.assembly_id)
        session.commit()
    (room,) = standin.state.talk_rooms.values()
    assert room["name"] == "Ordentliche Generalversammlung 2026" and room["type"] == 2
    assert set(room["participants"]) == LOGINS | {"board"}
    (path, ics), = standin.state.calendar_objects.items()
    assert path == f"/calendars/board/personal/nc-coop-assembly-{s.assembly_id}.ics"
    assert "DTSTART;VALUE=DATE:20260620" in ics and f"/call/{room['token']}" in ics
    assert any("Talk conversation created with 4" in n for n in notes)
    assert any("exists already" in n for n in again) and len(standin.state.talk_rooms) == 1
    places = {p.kind for p in session.scalars(select(AssemblyMeetingPlace))}
    assert places == {"talk", "calendar"}


def test_reminders_go_only_within_24_hours_and_only_to_who_has_not_voted(
        app: Flask, session: Session, member: Callable[..., int], standin: NextcloudStandIn) -> None:
    s = build(session, member, voting_from=HELD_ON, voting_until=date(2026, 6, 22))
    services.open_voting(session, BOARD, assembly_id=s.assembly_id)
    simple, change, election = s.items
    services.cast(session, Actor("alice", "t"), assembly_id=s.assembly_id, membership_id=s.members["alice"],
                  choices={simple: "yes", change: "yes", election: [0]}, today=HELD_ON)
    services.cast(session, Actor("carl", "t"), assembly_id=s.assembly_id, membership_id=s.members["carl"],
                  choices={simple: "yes", change: "yes", election: [0]}, today=HELD_ON)
    session.commit()
    gateway = app.extensions["nc_coop.gateway"]
    with app.app_context():
        closes = outreach.closes_at(session.get(Assembly, s.assembly_id))
        assert closes.isoformat() == "2026-06-23T00:00:00+02:00"  # the end of 22 June in Berlin
        assert outreach.send_due_reminders(session, gateway, closes - timedelta(hours=25)) == 0
        assert standin.state.notifications == []
        # carl voted for himself, not yet for dora (his principal): he is reminded; alice is not.
        assert outreach.send_due_reminders(session, gateway, closes - timedelta(hours=23)) == 3
        assert outreach.send_due_reminders(session, gateway, closes - timedelta(hours=1)) == 0  # once
        assert outreach.send_due_reminders(session, gateway, closes + timedelta(minutes=1)) == 0
    assert sent_to(standin) == Counter({"bob": 1, "carl": 1, "eva": 1})
    assert subjects(standin)["carl"] == "Die Abstimmung endet bald: Ordentliche Generalversammlung 2026"


def test_the_remind_command_runs_for_cron(app: Flask, session: Session, member: Callable[..., int],
                                          standin: NextcloudStandIn, database_url: str, tmp_path: Path) -> None:
    """``nc-coop assembly remind`` with the server's environment: voting closes tonight (real time)."""
    with app.app_context():
        today = coop_today()
    logins = {login: member(login) for login in ("alice", "bob")}
    assembly = services.create_assembly(session, BOARD, title="Außerordentliche GV", form="virtual", held_on=today,
                                        link="https://meet.example.org/x", voting_from=today, voting_until=today)
    services.add_item(session, BOARD, assembly_id=assembly.id, title="Beschluss", resolution_type="simple")
    services.convene(session, BOARD, assembly_id=assembly.id, convened_on=today, accept_warnings=True)
    services.open_voting(session, BOARD, assembly_id=assembly.id)
    session.commit()
    env = app_config(database_url, standin, tmp_path)
    result = CliRunner().invoke(cli, ["assembly", "remind"], env=env)
    assert result.exit_code == 0, result.output
    assert "2 reminder(s) sent" in result.output
    assert sent_to(standin) == Counter(dict.fromkeys(logins, 1))
    again = CliRunner().invoke(cli, ["assembly", "remind"], env=env)
    assert "0 reminder(s) sent" in again.output

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Telling members about an assembly through Nextcloud: notifications at four events, each once
per event and recipient, in the recipient's language; the Talk room and calendar event of a
virtual or hybrid assembly, where those apps exist; reminders 24 hours before voting closes.

Once per recipient, also when 20 calls run at once: recipients are claimed under the writers'
lock (rows with a unique key per assembly, event and recipient) and the claim is committed
before anything is sent, so the lock is never held while Nextcloud answers and a parallel call
finds every claim. ``announce`` therefore commits the session it is given: call it after the
change it announces is committed. A failed notification may be sent by a later call; one whose
sender died (a claim older than ``CLAIM_LEASE``) too.
"""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nc_coop.assembly.models import (
    Assembly,
    AssemblyAttendance,
    AssemblyItem,
    AssemblyParticipation,
    AssemblyVoter,
    AssemblyVoterLogin,
)
from nc_coop.assembly.outreach_models import AssemblyMeetingPlace, AssemblyNotification
from nc_coop.assembly.recipients import invited_ids, logins_by_membership
from nc_coop.assembly.rules import Form, State
from nc_coop.audit.chain import lock_chain, record
from nc_coop.dates import Dates, as_utc, coop_zone
from nc_coop.nextcloud import NextcloudError, NextcloudGateway, NextcloudNotFound
from nc_coop.register.rules import RuleViolation
from nc_coop.register.services import Actor
from nc_coop.web.i18n import recipient_locale

log = logging.getLogger(__name__)

EVENTS = ("convened", "voting_open", "closing_soon", "results")
SYSTEM_ACTOR = "nc_coop:assembly-outreach"
CLAIM_LEASE = timedelta(minutes=10)  # a claim older than this was left by a sender that died
REMINDER_WINDOW = timedelta(hours=24)
CALENDAR = "personal"  # the calendar Nextcloud's dav app creates for every user
# Where an event may be announced: the state it needs.
ANNOUNCE_IN = {"convened": (State.CONVENED, State.DISCUSSION, State.VOTING_OPEN),
               "voting_open": (State.VOTING_OPEN,), "closing_soon": (State.VOTING_OPEN,),
               "results": (State.CLOSED, State.MINUTES_PUBLISHED)}


@dataclass(frozen=True)
class OutreachReport:
    event: str
    sent: int  # notifications sent by this call
    failed: int  # tried and refused by Nextcloud (a later call tries again)
    without_login: int  # members concerned who have no Nextcloud login: invite them by post or e-mail
    already: int = 0  # recipients told before (or being told by a parallel call)
    notes: tuple[str, ...] = field(default=())


def _now() -> datetime:
    return datetime.now(UTC)


def _link(assembly_id: int) -> str:
    settings = current_app.config["NC_COOP_SETTINGS"]
    return f"{settings.nextcloud_url}/index.php/apps/app_api/proxy/{settings.app_id}/assemblies/{assembly_id}"


def closes_at(assembly: Assembly) -> datetime | None:
    """When voting closes: the end of ``voting_until`` in the cooperative's time zone."""
    if assembly.voting_until is None:
        return None
    return datetime.combine(assembly.voting_until + timedelta(days=1), time(0), tzinfo=coop_zone())


# --- Who is told -----------------------------------------------------------------------------------

def _recipients(session: Session, assembly: Assembly, event: str, today: date) -> tuple[list[str], int]:
    """(the logins to tell, how many members concerned have none)."""
    if event in ("convened", "results"):
        ids = invited_ids(session, assembly.id)
        logins = logins_by_membership(session, assembly.id, ids, today)
        users = [u for mid in ids for u in logins.get(mid, [])]
        return list(dict.fromkeys(users)), sum(1 for mid in ids if not logins.get(mid))
    voters = list(session.scalars(select(AssemblyVoter.id).where(AssemblyVoter.assembly_id == assembly.id)))
    by_voter: dict[int, list[str]] = {v: [] for v in voters}
    for voter_id, user in session.execute(select(AssemblyVoterLogin.voter_id, AssemblyVoterLogin.nextcloud_user_id)
                                          .join(AssemblyVoter, AssemblyVoter.id == AssemblyVoterLogin.voter_id)
                                          .where(AssemblyVoter.assembly_id == assembly.id)):
        by_voter[voter_id].append(user)
    without = sum(1 for users in by_voter.values() if not users)
    if event == "closing_soon":  # only those who still have something to vote on online
        items = session.scalar(select(func.count()).select_from(AssemblyItem)
                               .where(AssemblyItem.assembly_id == assembly.id)) or 0
        voted = dict(session.execute(select(AssemblyParticipation.voter_id, func.count())
                                     .where(AssemblyParticipation.voter_id.in_(voters))
                                     .group_by(AssemblyParticipation.voter_id)).all()) if voters else {}
        present = set(session.scalars(select(AssemblyAttendance.voter_id)
                                      .where(AssemblyAttendance.assembly_id == assembly.id)))
        by_voter = {v: users for v, users in by_voter.items() if v not in present and voted.get(v, 0) < items}
    users = sorted({u for logins in by_voter.values() for u in logins})
    return users, without


def _text(event: str, assembly: Assembly, dates: Dates) -> tuple[str, str]:
    """(subject, message) of an event's notification, in the current locale."""
    title, day = assembly.title, dates.day(assembly.held_on, "long")
    if event == "convened":
        return (_("Invitation to the general assembly: %(title)s", title=title),
                _("The general assembly meets on %(date)s. The invitation, the agenda and how to vote or "
                  "authorise a proxy are on the assembly's page.", date=day))
    if event == "voting_open":
        until = closes_at(assembly)
        return (_("Voting is open: %(title)s", title=title),
                _("You can vote until %(moment)s.", moment=dates.moment(until - timedelta(minutes=1)))
                if until else _("You can vote now on the assembly's page."))
    if event == "closing_soon":
        until = closes_at(assembly)
        return (_("Voting closes soon: %(title)s", title=title),
                _("Voting closes at the end of %(date)s. You have not voted on every item yet.",
                  date=dates.day(assembly.voting_until, "long") if until else day))
    return (_("Results of the general assembly: %(title)s", title=title),
            _("The results are on the assembly's page; the minutes follow in the governance documents."))


# --- Announcing ------------------------------------------------------------------------------------

def _claim(session: Session, assembly_id: int, event: str, users: list[str], token: str) -> tuple[list[str], int]:
    """Claim the recipients not yet told (nor being told); the caller holds the writers' lock."""
    now = _now()
    existing = {row.recipient: row for row in session.scalars(select(AssemblyNotification).where(
        AssemblyNotification.assembly_id == assembly_id, AssemblyNotification.event == event))}
    claimed, already = [], 0
    for user in users:
        row = existing.get(user)
        if row is None:
            session.add(AssemblyNotification(assembly_id=assembly_id, event=event, recipient=user, claimed_at=now,
                                             claim_token=token, attempts=1))
        elif row.sent_at is None and (row.error is not None or as_utc(row.claimed_at) < now - CLAIM_LEASE):
            row.claimed_at, row.claim_token, row.error, row.attempts = now, token, None, row.attempts + 1
        else:
            already += 1
            continue
        claimed.append(user)
    session.flush()
    return claimed, already


def announce(session: Session, gateway: NextcloudGateway, assembly_id: int, event: str) -> OutreachReport:
    """Notify every recipient of ``event`` once, in their language: "convened" and "results" go
    to the members invited on the convening date (their own login, running representatives, the
    heirs' representative), "voting_open" to everyone who may cast a vote on the frozen roll,
    "closing_soon" to those of them who have not voted on every item online. Commits (see the
    module's docstring); audited as ``assembly.announce``."""
    if event not in EVENTS:
        raise RuleViolation("event", _l("must be one of %(choices)s", choices=", ".join(EVENTS)))
    lock_chain(session)
    assembly = session.get(Assembly, assembly_id, populate_existing=True)
    if assembly is None:
        raise RuleViolation("assembly_id", _l("no such assembly"))
    if State(assembly.state) not in ANNOUNCE_IN[event]:
        raise RuleViolation("event", _l("an assembly that is %(state)s cannot announce %(event)s",
                                        state=assembly.state, event=event))
    zone = coop_zone()
    users, without = _recipients(session, assembly, event, datetime.now(zone).date())
    token = secrets.token_hex(16)
    claimed, already = _claim(session, assembly_id, event, users, token)
    session.commit()  # the claims are visible to parallel calls before anything is sent

    outcomes: dict[str, str | None] = {}
    link = _link(assembly_id)
    for user in claimed:
        language = recipient_locale(gateway, user, None)
        with force_locale(language):
            subject, message = _text(event, assembly, Dates(language, zone))
        try:
            gateway.notify(user, subject, message, link)
            outcomes[user] = None
        except NextcloudError as exc:
            log.warning("Notification about assembly %s (%s) to %s failed: %s", assembly_id, event, user, exc)
            outcomes[user] = (str(exc) or type(exc).__name__)[:500]

    lock_chain(session)
    rows = session.scalars(select(AssemblyNotification).where(
        AssemblyNotification.assembly_id == assembly_id, AssemblyNotification.event == event,
        AssemblyNotification.claim_token == token))
    for row in rows:
        error = outcomes.get(row.recipient)
        row.sent_at, row.error = (_now(), None) if error is None else (None, error)
    sent = sum(1 for e in outcomes.values() if e is None)
    failed = len(outcomes) - sent
    notes = []
    if without:
        notes.append(_("%(count)s member(s) have no Nextcloud login: invite them by post or e-mail (the list of "
                       "the invitation).", count=without))
    if failed:
        notes.append(_("%(count)s notification(s) failed; announcing again tries them again.", count=failed))
    record(session, actor=SYSTEM_ACTOR, action="assembly.announce", entity="assembly", entity_id=str(assembly_id),
           diff={"event": event, "sent": sent, "failed": failed, "without_login": without, "already": already})
    session.commit()
    return OutreachReport(event, sent, failed, without, already, tuple(notes))


def send_due_reminders(session: Session, gateway: NextcloudGateway, now: datetime) -> int:
    """Send "closing_soon" for every assembly whose voting closes within the next 24 hours
    (``nc-coop assembly remind``, run by cron). Returns the notifications sent."""
    now = as_utc(now)
    open_ones = list(session.scalars(select(Assembly.id).where(Assembly.state == State.VOTING_OPEN.value,
                                                                 Assembly.voting_until.is_not(None))
                                     .order_by(Assembly.id)))
    sent = 0
    for assembly_id in open_ones:
        assembly = session.get(Assembly, assembly_id)
        end = closes_at(assembly)
        if end is not None and now < end <= now + REMINDER_WINDOW:
            sent += announce(session, gateway, assembly_id, "closing_soon").sent
    session.commit()
    return sent


# --- Talk room and calendar event -----------------------------------------------------------------

def create_meeting_places(session: Session, gateway: NextcloudGateway, actor: Actor, assembly_id: int) -> list[str]:
    """For a virtual or hybrid assembly: a Talk conversation with the invited members who have a
    login, and an all-day event in the actor's calendar, each created once and as the actor.
    Where Talk is not installed (no ``spreed`` capability) or the actor has no calendar, that
    place is skipped with a note. Returns the notes; every outcome is audited. Flushes; the
    writers' lock is held while Nextcloud answers, so two calls at once create one of each."""
    assembly = session.get(Assembly, assembly_id)
    if assembly is None:
        raise RuleViolation("assembly_id", _l("no such assembly"))
    if Form(assembly.form) not in (Form.VIRTUAL, Form.HYBRID):
        return [_("An assembly in person meets at its place: no Talk room or calendar event is needed.")]
    lock_chain(session)  # held while Nextcloud answers: two boards clicking at once make one room
    done = {p.kind: p for p in session.scalars(select(AssemblyMeetingPlace)
                                               .where(AssemblyMeetingPlace.assembly_id == assembly_id))}
    notes: list[str] = []
    outcome: dict[str, str] = {}
    if "talk" in done:
        notes.append(_("The Talk conversation exists already: %(url)s", url=done["talk"].url))
    else:
        outcome["talk"] = _talk(session, gateway, actor, assembly, notes)
    if "calendar" in done:
        notes.append(_("The calendar event exists already."))
    else:
        outcome["calendar"] = _calendar(session, gateway, actor, assembly, notes)
    record(session, actor=actor.user_id, action="assembly.meeting_places", entity="assembly",
           entity_id=str(assembly_id), diff={**outcome, "notes": notes}, request_id=actor.request_id)
    return notes


def _place(session: Session, assembly: Assembly, kind: str, reference: str, url: str | None, owner: str) -> None:
    session.add(AssemblyMeetingPlace(assembly_id=assembly.id, kind=kind, reference=reference, url=url, owner=owner,
                                     created_at=_now()))
    session.flush()


def _talk(session: Session, gateway: NextcloudGateway, actor: Actor, assembly: Assembly, notes: list[str]) -> str:
    try:
        capabilities = gateway.capabilities(actor.user_id, actor.request_id)
    except NextcloudError as exc:
        notes.append(_("Talk skipped: Nextcloud did not tell which apps it has (%(error)s).", error=str(exc)))
        return "skipped"
    if "spreed" not in capabilities:
        notes.append(_("Talk is not installed on this Nextcloud: no conversation was created. Members take part "
                       "through the assembly's link."))
        return "not_installed"
    settings = current_app.config["NC_COOP_SETTINGS"]
    try:
        token = gateway.create_talk_room(assembly.title, actor.user_id, actor.request_id)
    except NextcloudError as exc:
        notes.append(_("Talk refused the conversation: %(error)s", error=str(exc)))
        return "failed"
    url = f"{settings.nextcloud_url}/index.php/call/{token}"
    _place(session, assembly, "talk", token, url, actor.user_id)
    ids = invited_ids(session, assembly.id)
    logins = logins_by_membership(session, assembly.id, ids, datetime.now(coop_zone()).date())
    added, refused = 0, 0
    for user in dict.fromkeys(u for mid in ids for u in logins.get(mid, []) if u != actor.user_id):
        try:
            gateway.add_talk_participant(token, user, actor.user_id, actor.request_id)
            added += 1
        except NextcloudError as exc:
            log.warning("Adding %s to the Talk conversation of assembly %s failed: %s", user, assembly.id, exc)
            refused += 1
    notes.append(_("Talk conversation created with %(added)s member login(s): %(url)s", added=added, url=url))
    if refused:
        notes.append(_("%(count)s login(s) could not be added to the conversation.", count=refused))
    return "created"


def _calendar(session: Session, gateway: NextcloudGateway, actor: Actor, assembly: Assembly,
              notes: list[str]) -> str:
    name = f"nc-coop-assembly-{assembly.id}.ics"
    try:
        path = gateway.put_calendar_event(CALENDAR, name, _ics(assembly, session), actor.user_id, actor.request_id)
    except NextcloudNotFound:
        notes.append(_("No calendar \u201c%(calendar)s\u201d for %(user)s in this Nextcloud: no calendar event "
                       "was created.", calendar=CALENDAR, user=actor.user_id))
        return "no_calendar"
    except NextcloudError as exc:
        if exc.status == 412:  # If-None-Match: the event is there from an earlier run
            _place(session, assembly, "calendar", f"/calendars/{actor.user_id}/{CALENDAR}/{name}", None,
                   actor.user_id)
            notes.append(_("The calendar event exists already."))
            return "exists"
        notes.append(_("The calendar refused the event: %(error)s", error=str(exc)))
        return "failed"
    _place(session, assembly, "calendar", path, None, actor.user_id)
    notes.append(_("Calendar event created in the calendar \u201c%(calendar)s\u201d of %(user)s.",
                   calendar=CALENDAR, user=actor.user_id))
    return "created"


def _ics_text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and newlines escaped."""
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", ""))


def _ics(assembly: Assembly, session: Session) -> str:
    """One all-day VEVENT on the assembly's day (the model keeps the day, not the hour)."""
    talk = session.scalar(select(AssemblyMeetingPlace.url).where(AssemblyMeetingPlace.assembly_id == assembly.id,
                                                                AssemblyMeetingPlace.kind == "talk"))
    where = assembly.place or talk or assembly.link or ""
    description = "\n".join(x for x in (talk or assembly.link, _link(assembly.id)) if x)
    settings = current_app.config["NC_COOP_SETTINGS"]
    host = settings.nextcloud_url.split("//", 1)[-1].split("/", 1)[0]
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//nc_coop//assembly//EN", "BEGIN:VEVENT",
             f"UID:nc-coop-assembly-{assembly.id}@{host}", f"DTSTAMP:{_now():%Y%m%dT%H%M%SZ}",
             f"DTSTART;VALUE=DATE:{assembly.held_on:%Y%m%d}",
             f"DTEND;VALUE=DATE:{assembly.held_on + timedelta(days=1):%Y%m%d}",
             f"SUMMARY:{_ics_text(assembly.title)}", f"LOCATION:{_ics_text(where)}",
             f"DESCRIPTION:{_ics_text(description)}", "END:VEVENT", "END:VCALENDAR"]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"


def _fold(line: str) -> str:
    """RFC 5545 3.1: lines of at most 75 octets, continued with a leading space."""
    out, current = [], b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > 75:
            out.append(current.decode())
            current = b" "
        current += encoded
    out.append(current.decode())
    return "\r\n".join(out)


__all__ = ["EVENTS", "OutreachReport", "announce", "closes_at", "create_meeting_places", "send_due_reminders"]

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Who acts for a member organisation: natural persons appointed to a role and the ends of those
appointments, kept as append-only events (DOMAIN.md §2.1: parties with representatives).

An association acts through its board (§26 BGB), a GmbH through its managing directors
(§35 GmbHG), a partnership through its partners; the register records who they are and since
when, whether or not they have a Nextcloud account. An appointment with a Nextcloud user id also
links that login to the organisation, so the person sees the organisation's entry: from the
appointment's date up to the end of the appointment, and never after it.

The rules (``appointments``, ``check_appointment``, ``check_end``) are pure functions; the
services below them lock, write, and audit.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from nc_coop.audit.chain import lock_chain, record
from nc_coop.register.models import Account, Party, RepresentationEvent
from nc_coop.register.rules import RuleViolation
from nc_coop.register.statute import PartyKind

ROLES = ("board_member", "managing_director", "authorised_officer", "partner", "liquidator", "other")


@dataclass(frozen=True)
class Event:
    """What the rules need of a representation event."""

    id: int
    person_party_id: int
    role: str
    action: str  # appoint | end
    effective_date: date
    account_id: int | None = None


@dataclass(frozen=True)
class Appointment:
    person_party_id: int
    role: str
    since: date
    until: date | None  # the last day of the appointment; None while it runs
    account_id: int | None

    def runs_on(self, day: date) -> bool:
        return self.since <= day and (self.until is None or day <= self.until)


def appointments(events: Iterable[Event]) -> list[Appointment]:
    """Pair each appointment with the end that follows it (same person and role), in date order."""
    result: list[Appointment] = []
    open_ones: dict[tuple[int, str], Event] = {}
    for event in sorted(events, key=lambda e: (e.effective_date, e.action != "end", e.id)):
        key = (event.person_party_id, event.role)
        if event.action == "appoint":
            open_ones[key] = event
        elif key in open_ones:
            started = open_ones.pop(key)
            result.append(Appointment(key[0], key[1], started.effective_date, event.effective_date,
                                      started.account_id))
    result.extend(Appointment(k[0], k[1], e.effective_date, None, e.account_id) for k, e in open_ones.items())
    return sorted(result, key=lambda a: (a.since, a.person_party_id, a.role))


def check_appointment(existing: list[Appointment], organisation_kind: str, person_kind: str, person_party_id: int,
                      role: str, on: date) -> None:
    """An organisation, not a person, has representatives; they are natural persons; one person
    holds a role once at a time (a second appointment overlapping the first is a typo)."""
    if organisation_kind == PartyKind.NATURAL:
        raise RuleViolation("membership_id", _l("a natural person acts for themself; only organisations have "
                                                "representatives"))
    if person_kind != PartyKind.NATURAL:
        raise RuleViolation("person_party_id", _l("a representative is a natural person"))
    if role not in ROLES:
        raise RuleViolation("role", _l("must be one of %(choices)s", choices=", ".join(ROLES)))
    for a in existing:
        if a.person_party_id == person_party_id and a.role == role and (a.until is None or on <= a.until):
            raise RuleViolation("effective_date", _l("this person already holds this role since %(date)s",
                                                     date=a.since.isoformat()))


def check_end(existing: list[Appointment], person_party_id: int, role: str, on: date) -> Appointment:
    """The running appointment this end closes; the end is not before the appointment."""
    for a in existing:
        if a.person_party_id == person_party_id and a.role == role and a.until is None:
            if on < a.since:
                raise RuleViolation("effective_date", _l("the appointment began on %(date)s; it cannot end before that",
                                                         date=a.since.isoformat()))
            return a
    raise RuleViolation("person_party_id", _l("this person holds no running appointment in this role"))


# --- Services -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Representative:
    """One appointment with the person's name, for pages and the API."""

    person_party_id: int
    name: str
    role: str
    since: date
    until: date | None
    nextcloud_user: str | None


def events_for(session: Session, organisation_party_id: int) -> list[Event]:
    rows = session.scalars(select(RepresentationEvent).where(
        RepresentationEvent.organisation_party_id == organisation_party_id))
    return [Event(r.id, r.person_party_id, r.role, r.action, r.effective_date, r.account_id) for r in rows]


def representatives_of(session: Session, organisation_party_id: int) -> list[Representative]:
    """Every appointment, past and running, with the names and logins it needs."""
    found = appointments(events_for(session, organisation_party_id))
    names = {p.id: p.display_name for p in session.scalars(
        select(Party).where(Party.id.in_({a.person_party_id for a in found})))}
    logins = {a.id: a.nextcloud_user_id for a in session.scalars(
        select(Account).where(Account.id.in_({a.account_id for a in found if a.account_id})))}
    return [Representative(a.person_party_id, names.get(a.person_party_id, ""), a.role, a.since, a.until,
                           logins.get(a.account_id) if a.account_id else None) for a in found]


def appoint_representative(session: Session, actor_id: str, *, organisation_party_id: int, role: str,
                           effective_date: date, person_party_id: int | None = None,
                           given_names: str | None = None, family_name: str | None = None,
                           email: str | None = None, nextcloud_user: str | None = None,
                           basis_document: str | None = None, request_id: str | None = None) -> RepresentationEvent:
    """Appoint a person (an existing natural-person party, or a new one from the names given)."""
    lock_chain(session)  # serializes with bookings and with other appointments
    organisation = session.get(Party, organisation_party_id)
    if organisation is None:
        raise RuleViolation("membership_id", _l("no such party"))
    if person_party_id is None:
        if not (family_name or "").strip():
            raise RuleViolation("family_name", _l("the representative's family name is required"))
        person = Party(kind=PartyKind.NATURAL.value, given_names=(given_names or "").strip() or None,
                       family_name=family_name.strip(), email=(email or "").strip() or None, postal_address="",
                       created_at=datetime.now(UTC))
        session.add(person)
        session.flush()
    else:
        person = session.get(Party, person_party_id)
        if person is None:
            raise RuleViolation("person_party_id", _l("no such party"))
    check_appointment(appointments(events_for(session, organisation_party_id)), organisation.kind, person.kind,
                      person.id, role, effective_date)
    account = None
    if nextcloud_user and nextcloud_user.strip():
        # One account per login and party: a second role or a re-appointment reuses it.
        account = session.scalar(select(Account).where(Account.nextcloud_user_id == nextcloud_user.strip(),
                                                       Account.party_id == organisation_party_id))
        if account is None:
            account = Account(nextcloud_user_id=nextcloud_user.strip(), party_id=organisation_party_id,
                              role="representative", created_at=datetime.now(UTC))
            session.add(account)
            session.flush()
    event = RepresentationEvent(organisation_party_id=organisation_party_id, person_party_id=person.id, role=role,
                                action="appoint", effective_date=effective_date,
                                account_id=account.id if account else None, recorded_at=datetime.now(UTC),
                                actor=actor_id, basis_document=basis_document)
    session.add(event)
    session.flush()
    # No names in the audit diff: the party rows hold them; the log says who changed what.
    record(session, actor=actor_id, action="representative.appoint", entity="party",
           entity_id=str(organisation_party_id),
           diff={"person_party_id": person.id, "role": role, "effective": effective_date.isoformat(),
                 "account_id": account.id if account else None}, request_id=request_id)
    return event


def end_representation(session: Session, actor_id: str, *, organisation_party_id: int, person_party_id: int,
                       role: str, effective_date: date, basis_document: str | None = None,
                       request_id: str | None = None) -> RepresentationEvent:
    """End a running appointment on ``effective_date`` (its last day); the login linked with it
    stops seeing the organisation's entry after that day."""
    lock_chain(session)
    running = check_end(appointments(events_for(session, organisation_party_id)), person_party_id, role,
                        effective_date)
    event = RepresentationEvent(organisation_party_id=organisation_party_id, person_party_id=person_party_id,
                                role=role, action="end", effective_date=effective_date,
                                account_id=running.account_id, recorded_at=datetime.now(UTC), actor=actor_id,
                                basis_document=basis_document)
    session.add(event)
    session.flush()
    record(session, actor=actor_id, action="representative.end", entity="party", entity_id=str(organisation_party_id),
           diff={"person_party_id": person_party_id, "role": role, "effective": effective_date.isoformat()},
           request_id=request_id)
    return event


def inactive_representative_accounts(today: date) -> object:
    """A SELECT of account ids linked with appointments of which none runs on ``today`` (not
    begun, or ended): the access check leaves them out. An account with a second role, or
    appointed again after an end, is active while any of its appointments runs."""
    appoint, end = aliased(RepresentationEvent), aliased(RepresentationEvent)
    ended = select(end.id).where(end.action == "end", end.account_id == appoint.account_id,
                                 end.organisation_party_id == appoint.organisation_party_id,
                                 end.person_party_id == appoint.person_party_id, end.role == appoint.role,
                                 end.effective_date >= appoint.effective_date, end.effective_date < today)
    running = select(appoint.account_id).where(appoint.account_id.is_not(None), appoint.action == "appoint",
                                               appoint.effective_date <= today, ~ended.exists())
    return select(RepresentationEvent.account_id).where(RepresentationEvent.account_id.is_not(None),
                                                        RepresentationEvent.account_id.not_in(running))

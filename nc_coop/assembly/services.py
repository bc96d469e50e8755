# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The general assembly's services. Each one takes the writers' lock (the audit chain, as every
register booking does), checks, writes and audits; it flushes, never commits: the caller's unit
of work commits once or rolls back, so a ``RuleViolation`` writes nothing.

The voter roll is derived from the register as of the assembly date and written once, when voting
opens; from then on its rows are append-only at the database and every service refuses a change.
"""
from __future__ import annotations

import functools
import hashlib
import json
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nc_coop.assembly import rules
from nc_coop.assembly.models import (
    Assembly,
    AssemblyAgendaDemand,
    AssemblyAgendaSupport,
    AssemblyAttendance,
    AssemblyBallot,
    AssemblyBallotPool,
    AssemblyDelegate,
    AssemblyInvitation,
    AssemblyItem,
    AssemblyParticipation,
    AssemblyProxy,
    AssemblyRoomCount,
    AssemblyVoter,
    AssemblyVoterLogin,
)
from nc_coop.assembly.rules import Capacity, Choice, Form, ResolutionType, State
from nc_coop.audit.chain import lock_chain, record
from nc_coop.documents import services as documents
from nc_coop.register.models import (
    Account,
    Membership,
    MembershipEvent,
    Party,
    RepresentationEvent,
    ShareEntry,
    StatuteVersionRow,
)
from nc_coop.register.representatives import Event as RepEvent
from nc_coop.register.representatives import appointments
from nc_coop.register.rules import RuleViolation
from nc_coop.register.services import Actor
from nc_coop.register.statute import PartyKind, StatuteParams
from nc_coop.register.status import Event, EventKind, exit_event, standing_events
from nc_coop.register.statutes import Statutes, params_from_json

RECEIPT_DOMAIN = "nc_coop/assembly-receipt/v1"


def _now() -> datetime:
    return datetime.now(UTC)


def _locked(session: Session, assembly_id: int) -> Assembly:
    """The writers' lock first (one lock order for every writer), then the assembly."""
    lock_chain(session)
    assembly = session.get(Assembly, assembly_id, populate_existing=True)
    if assembly is None:
        raise RuleViolation("assembly_id", _l("no such assembly"))
    return assembly


def _params(session: Session, assembly: Assembly) -> StatuteParams:
    """The statute version's parameters: one row read; versions never change (§16 GenG: a change
    is a new version), so the parsed parameters are cached by their stored text."""
    stored = session.scalar(select(StatuteVersionRow.params).where(StatuteVersionRow.id == assembly.statute_version_id))
    if stored is None:
        raise RuleViolation("assembly_id", _l("the assembly's statute version is missing"))
    return _parsed_params(stored)


@functools.lru_cache(maxsize=64)
def _parsed_params(stored: str) -> StatuteParams:
    return params_from_json(stored)


def _move(session: Session, actor: Actor, assembly: Assembly, target: State, diff: dict[str, Any]) -> None:
    rules.check_transition(State(assembly.state), target, Form(assembly.form))
    before = assembly.state
    assembly.state = target.value
    session.flush()
    record(session, actor=actor.user_id, action=f"assembly.{target.value}", entity="assembly",
           entity_id=str(assembly.id), diff={"from": before, **diff}, request_id=actor.request_id)


def _before_voting(assembly: Assembly, field: str) -> None:
    if State(assembly.state) not in (State.DRAFT, State.CONVENED, State.DISCUSSION):
        raise RuleViolation(field, _l("voting has opened: the roll, the agenda and the proxies are frozen"))


# --- Register facts as of a date ----------------------------------------------------------------

def register_facts(session: Session, on: date, heirs_logins: dict[int, str] | None = None) -> list[rules.MemberFacts]:
    """Every membership with what the roll needs as of ``on``, read in a few bulk queries."""
    heirs_logins = heirs_logins or {}
    members = session.execute(select(Membership.id, Membership.member_no, Membership.party_id,
                                     Membership.kind.label("membership_kind"), Membership.admitted_on,
                                     Party.kind.label("party_kind"))
                              .join(Party, Party.id == Membership.party_id)
                              .where(Membership.admitted_on <= on)).all()
    events: dict[int, list[Event]] = defaultdict(list)
    for row in session.execute(select(MembershipEvent.id, MembershipEvent.membership_id, MembershipEvent.kind,
                                      MembershipEvent.event_date, MembershipEvent.effective_date,
                                      MembershipEvent.reverses_id)):
        events[row.membership_id].append(Event(row.id, EventKind(row.kind), row.event_date, row.effective_date,
                                               row.reverses_id))
    shares = dict(session.execute(select(ShareEntry.membership_id, func.sum(ShareEntry.delta))
                                  .where(ShareEntry.effective_date <= on).group_by(ShareEntry.membership_id)).all())
    own: dict[int, list[str]] = defaultdict(list)
    for party_id, user in session.execute(select(Account.party_id, Account.nextcloud_user_id).where(
            Account.role == "self", Account.disabled_at.is_(None))):
        own[party_id].append(user)
    logins = dict(session.execute(select(Account.id, Account.nextcloud_user_id)
                                  .where(Account.disabled_at.is_(None))).all())
    reps: dict[int, list[RepEvent]] = defaultdict(list)
    for r in session.scalars(select(RepresentationEvent)):
        reps[r.organisation_party_id].append(RepEvent(r.id, r.person_party_id, r.role, r.action, r.effective_date,
                                                      r.account_id))
    facts = []
    for m in members:
        standing = standing_events(events.get(m.id, []))
        leaving = exit_event(events.get(m.id, []))
        excluded = [e.event_date for e in standing if e.kind is EventKind.EXCLUSION_DISPATCHED]
        died = [e.event_date for e in standing if e.kind is EventKind.DEATH]
        rep_logins = tuple(logins[a.account_id] for a in appointments(reps.get(m.party_id, []))
                           if a.runs_on(on) and a.account_id in logins)
        heir = heirs_logins.get(m.id)
        facts.append(rules.MemberFacts(
            m.id, m.member_no, PartyKind(m.party_kind), m.membership_kind == "investing", m.admitted_on,
            leaving.effective_date if leaving else None, int(shares.get(m.id) or 0),
            min(excluded, default=None), min(died, default=None), tuple(own.get(m.party_id, ())), rep_logins,
            (heir,) if heir else ()))
    return facts


def preview_roll(session: Session, assembly_id: int) -> rules.Roll:
    """The roll as it would be frozen now (before voting opens), or as it was frozen."""
    assembly = session.get(Assembly, assembly_id)
    if assembly is None:
        raise RuleViolation("assembly_id", _l("no such assembly"))
    heirs = dict(session.execute(select(AssemblyDelegate.membership_id, AssemblyDelegate.nextcloud_user_id)
                                 .where(AssemblyDelegate.assembly_id == assembly_id)).all())
    return rules.derive_roll(register_facts(session, assembly.held_on, heirs), assembly.held_on,
                             _params(session, assembly))


# --- Creating and convening ---------------------------------------------------------------------

def create_assembly(session: Session, actor: Actor, *, title: str, form: str, held_on: date, place: str | None = None,
                    link: str | None = None, voting_from: date | None = None,
                    voting_until: date | None = None) -> Assembly:
    """A draft assembly, with its entry among the documents' assemblies (invitation, minutes)."""
    if not title.strip():
        raise RuleViolation("title", _l("an assembly needs a title"))
    try:
        chosen = Form(form)
    except ValueError:
        raise RuleViolation("form", _l("must be one of %(choices)s", choices=", ".join(Form))) from None
    schedule = rules.Schedule(chosen, held_on, place, link, voting_from, voting_until)
    rules.check_schedule(schedule)
    lock_chain(session)
    try:
        statute_id, version = Statutes(session).in_force(held_on)
    except ValueError:
        raise RuleViolation("held_on", _l("no statute version is in force on %(date)s",
                                          date=held_on.isoformat())) from None
    rules.check_form(chosen, version.params)
    general = documents.create_assembly(session, documents.Actor(actor.user_id, actor.request_id),
                                        held_on=held_on, title=title)
    assembly = Assembly(general_assembly_id=general.id, title=title.strip(), form=chosen.value,
                        state=State.DRAFT.value, held_on=held_on, place=(place or "").strip() or None,
                        link=(link or "").strip() or None, voting_from=voting_from, voting_until=voting_until,
                        statute_version_id=statute_id, created_at=_now(), actor=actor.user_id)
    session.add(assembly)
    session.flush()
    record(session, actor=actor.user_id, action="assembly.draft", entity="assembly", entity_id=str(assembly.id),
           diff={"form": chosen.value, "held_on": held_on.isoformat(), "general_assembly_id": general.id},
           request_id=actor.request_id)
    return assembly


def add_item(session: Session, actor: Actor, *, assembly_id: int, title: str, resolution_type: str,
             secret: bool = False, seats: int | None = None, candidates: list[str] | None = None,
             announced_on: date | None = None, supporters: int | None = None,
             members_entitled: int | None = None) -> AssemblyItem:
    """An agenda item. Before convening it is announced with the invitation; afterwards it needs
    ``announced_on`` and counts only if announced by the agenda deadline (§46 Abs. 2). Items
    demanded by members (§45) give ``supporters`` and are received on ``announced_on``; the
    members the supporters are counted against are the roll's unless ``members_entitled`` says
    (a demand filed in the app: the members invited on the convening date)."""
    if not title.strip():
        raise RuleViolation("title", _l("an agenda item needs a title"))
    try:
        kind = ResolutionType(resolution_type)
    except ValueError:
        raise RuleViolation("resolution_type", _l("must be one of %(choices)s",
                                                  choices=", ".join(ResolutionType))) from None
    names = [c.strip() for c in candidates or []]
    if kind is ResolutionType.ELECTION:
        if seats is None or seats < 1:
            raise RuleViolation("seats", _l("an election needs at least one seat"))
        if len(names) < 1 or any(not n for n in names) or len(set(names)) != len(names):
            raise RuleViolation("candidates", _l("an election needs candidates, each named once"))
    elif seats is not None or names:
        raise RuleViolation("candidates", _l("only an election has seats and candidates"))
    assembly = _locked(session, assembly_id)
    _before_voting(assembly, "assembly_id")
    params = _params(session, assembly)
    state = State(assembly.state)
    if state is not State.DRAFT and announced_on is None:
        raise RuleViolation("announced_on", _l("the assembly is convened: say when the item is announced"))
    if supporters is not None:
        entitled = members_entitled if members_entitled is not None else len(preview_roll(session, assembly_id).entries)
        rules.check_agenda_request(supporters, entitled, announced_on or date.min, assembly.held_on, params)
    position = (session.scalar(select(func.max(AssemblyItem.position))
                               .where(AssemblyItem.assembly_id == assembly_id)) or 0) + 1
    item = AssemblyItem(assembly_id=assembly_id, position=position, title=title.strip(), resolution_type=kind.value,
                        secret=secret, seats=seats if kind is ResolutionType.ELECTION else None,
                        candidates=json.dumps(names) if kind is ResolutionType.ELECTION else None,
                        announced_on=announced_on if state is not State.DRAFT else None,
                        requested_by_members=supporters is not None, created_at=_now(), actor=actor.user_id)
    session.add(item)
    session.flush()
    record(session, actor=actor.user_id, action="assembly.item_add", entity="assembly", entity_id=str(assembly_id),
           diff={"item_id": item.id, "position": position, "type": kind.value, "secret": secret,
                 "announced_on": announced_on.isoformat() if announced_on else None, "supporters": supporters},
           request_id=actor.request_id)
    return item


@dataclass(frozen=True)
class Convened:
    invited: int
    warnings: tuple[str, ...]


def convene(session: Session, actor: Actor, *, assembly_id: int, convened_on: date,
            accept_warnings: bool = False) -> Convened:
    """§46: invite every member entitled on the convening date. A late date is refused until
    the board accepts the warning (it decides; the record shows that it knew)."""
    assembly = _locked(session, assembly_id)
    params = _params(session, assembly)
    check = rules.check_convening(assembly.held_on, convened_on, params)
    rules.check_transition(State(assembly.state), State.CONVENED, Form(assembly.form))
    if check.warnings and not accept_warnings:
        raise RuleViolation("convened_on", check.warnings[0])
    items = list(session.scalars(select(AssemblyItem).where(AssemblyItem.assembly_id == assembly_id)))
    if not items:
        raise RuleViolation("assembly_id", _l("the invitation needs an agenda: add the items first"))
    invited = [f for f in register_facts(session, convened_on) if rules.is_member_on(f, convened_on)
               and (f.rights_lost_on is None or f.rights_lost_on > convened_on)]
    if invited:
        session.execute(insert(AssemblyInvitation), [
            {"assembly_id": assembly_id, "membership_id": f.membership_id, "member_no": f.member_no} for f in invited])
    for item in items:
        item.announced_on = convened_on
    assembly.convened_on = convened_on
    _move(session, actor, assembly, State.CONVENED,
          {"convened_on": convened_on.isoformat(), "invited": len(invited), "warnings": list(check.warnings),
           "latest_convening": check.latest_convening.isoformat()})
    return Convened(len(invited), check.warnings)


def start_discussion(session: Session, actor: Actor, *, assembly_id: int) -> None:
    _move(session, actor, _locked(session, assembly_id), State.DISCUSSION, {})


def name_heirs_representative(session: Session, actor: Actor, *, assembly_id: int, membership_id: int,
                              nextcloud_user: str, basis_document: str) -> AssemblyDelegate:
    """§77 Abs. 1 S. 3 GenG: several heirs vote only through a joint representative."""
    if not nextcloud_user.strip():
        raise RuleViolation("nextcloud_user", _l("name the representative's Nextcloud login"))
    if not basis_document.strip():
        raise RuleViolation("basis_document", _l("name the document that appoints the representative"))
    assembly = _locked(session, assembly_id)
    _before_voting(assembly, "assembly_id")
    facts = {f.membership_id: f for f in register_facts(session, assembly.held_on)}
    fact = facts.get(membership_id)
    if fact is None or not rules.is_member_on(fact, assembly.held_on) or fact.died_on is None \
            or fact.died_on > assembly.held_on:
        raise RuleViolation("membership_id", _l("not a deceased member's membership held by heirs on the "
                                                "assembly date (§77 GenG)"))
    if session.scalar(select(AssemblyDelegate.id).where(AssemblyDelegate.assembly_id == assembly_id,
                                                        AssemblyDelegate.membership_id == membership_id)):
        raise RuleViolation("membership_id", _l("the heirs' representative is named already"))
    delegate = AssemblyDelegate(assembly_id=assembly_id, membership_id=membership_id,
                                nextcloud_user_id=nextcloud_user.strip(), basis_document=basis_document.strip(),
                                recorded_at=_now(), actor=actor.user_id)
    session.add(delegate)
    session.flush()
    record(session, actor=actor.user_id, action="assembly.heirs_representative", entity="assembly",
           entity_id=str(assembly_id), diff={"member_no": fact.member_no}, request_id=actor.request_id)
    return delegate


# --- Members' demands for agenda items (§45 GenG) -------------------------------------------------

class DemandStatus:
    OPEN = "open"
    ADDED = "added"
    REFUSED = "refused"


def entitled_memberships(session: Session, assembly_id: int) -> set[int]:
    """The members invited on the convening date (§46): they file and support demands (§45)."""
    return set(session.scalars(select(AssemblyInvitation.membership_id)
                               .where(AssemblyInvitation.assembly_id == assembly_id)))


def _demands_open(session: Session, assembly: Assembly, today: date, field: str) -> StatuteParams:
    """A convened assembly (invitations sent, voting not open) before the demand deadline."""
    if State(assembly.state) not in (State.CONVENED, State.DISCUSSION):
        raise RuleViolation("assembly_id", _l("demands for agenda items are made while the assembly is convened "
                                              "and voting has not opened"))
    params = _params(session, assembly)
    rules.check_demand_open(today, assembly.held_on, params, field)
    return params


def _entitled_or_refuse(session: Session, assembly_id: int, membership_id: int) -> None:
    if session.scalar(select(AssemblyInvitation.membership_id).where(
            AssemblyInvitation.assembly_id == assembly_id, AssemblyInvitation.membership_id == membership_id)) is None:
        raise RuleViolation("membership_id", _l("only members entitled on the convening date can demand or support "
                                                "an agenda item (§45 GenG)"))


def supporters_of(session: Session, demand_id: int) -> int:
    return session.scalar(select(func.count()).select_from(AssemblyAgendaSupport).where(
        AssemblyAgendaSupport.demand_id == demand_id, AssemblyAgendaSupport.withdrawn_at.is_(None))) or 0


def _add_support(session: Session, actor: Actor, demand: AssemblyAgendaDemand, membership_id: int) -> None:
    """Check, then insert under a savepoint: the partial unique index is the last word on "once"."""
    if session.scalar(select(AssemblyAgendaSupport.id).where(
            AssemblyAgendaSupport.demand_id == demand.id, AssemblyAgendaSupport.membership_id == membership_id,
            AssemblyAgendaSupport.withdrawn_at.is_(None))) is not None:
        raise RuleViolation("membership_id", _l("this membership supports the demand already"))
    try:
        with session.begin_nested():
            session.execute(insert(AssemblyAgendaSupport), [{
                "demand_id": demand.id, "membership_id": membership_id, "supported_at": _now(),
                "actor": actor.user_id}])
    except IntegrityError:
        raise RuleViolation("membership_id", _l("this membership supports the demand already")) from None


def file_demand(session: Session, actor: Actor, *, assembly_id: int, membership_id: int, title: str, reasoning: str,
                today: date) -> AssemblyAgendaDemand:
    """A member (or the representative of an organisation member) demands an item with its
    reasons (§45 Abs. 1, 2 GenG: "unter Angabe des Zwecks und der Gründe"); the filer is its
    first supporter. Until the demand deadline (§46 Abs. 2)."""
    if not title.strip():
        raise RuleViolation("title", _l("a demand needs the item's title"))
    if not reasoning.strip():
        raise RuleViolation("reasoning", _l("a demand needs its reasons (§45 Abs. 1 GenG)"))
    assembly = _locked(session, assembly_id)
    _demands_open(session, assembly, today, "agenda_deadline")
    _entitled_or_refuse(session, assembly_id, membership_id)
    demand = AssemblyAgendaDemand(assembly_id=assembly_id, membership_id=membership_id, title=title.strip(),
                                  reasoning=reasoning.strip(), filed_on=today, filed_at=_now(), actor=actor.user_id,
                                  status=DemandStatus.OPEN)
    session.add(demand)
    session.flush()
    _add_support(session, actor, demand, membership_id)
    record(session, actor=actor.user_id, action="assembly.demand_file", entity="assembly", entity_id=str(assembly_id),
           diff={"demand_id": demand.id, "membership_id": membership_id, "title": demand.title},
           request_id=actor.request_id)
    return demand


def _open_demand(session: Session, demand_id: int) -> tuple[AssemblyAgendaDemand, Assembly]:
    demand = session.get(AssemblyAgendaDemand, demand_id)
    if demand is None:
        raise RuleViolation("demand_id", _l("no such demand"))
    assembly = _locked(session, demand.assembly_id)
    session.refresh(demand)
    if demand.status != DemandStatus.OPEN:
        raise RuleViolation("demand_id", _l("the board has decided this demand already (%(status)s)",
                                            status=demand.status))
    return demand, assembly


def support_demand(session: Session, actor: Actor, *, demand_id: int, membership_id: int, today: date) -> int:
    """One more supporter (once per membership, §45 GenG); returns the supporters now."""
    demand, assembly = _open_demand(session, demand_id)
    _demands_open(session, assembly, today, "agenda_deadline")
    _entitled_or_refuse(session, assembly.id, membership_id)
    _add_support(session, actor, demand, membership_id)
    count = supporters_of(session, demand.id)
    record(session, actor=actor.user_id, action="assembly.demand_support", entity="assembly",
           entity_id=str(assembly.id), diff={"demand_id": demand.id, "membership_id": membership_id,
                                             "supporters": count}, request_id=actor.request_id)
    return count


def withdraw_support(session: Session, actor: Actor, *, demand_id: int, membership_id: int, today: date) -> int:
    """Withdrawn until the demand deadline while the board has not decided; returns the supporters now."""
    demand, assembly = _open_demand(session, demand_id)
    _demands_open(session, assembly, today, "agenda_deadline")
    support = session.scalar(select(AssemblyAgendaSupport).where(
        AssemblyAgendaSupport.demand_id == demand.id, AssemblyAgendaSupport.membership_id == membership_id,
        AssemblyAgendaSupport.withdrawn_at.is_(None)))
    if support is None:
        raise RuleViolation("membership_id", _l("this membership does not support the demand"))
    support.withdrawn_at, support.withdrawn_by = _now(), actor.user_id
    session.flush()
    count = supporters_of(session, demand.id)
    record(session, actor=actor.user_id, action="assembly.demand_withdraw", entity="assembly",
           entity_id=str(assembly.id), diff={"demand_id": demand.id, "membership_id": membership_id,
                                             "supporters": count}, request_id=actor.request_id)
    return count


def put_demand_on_agenda(session: Session, actor: Actor, *, demand_id: int, resolution_type: str,
                         secret: bool = False, seats: int | None = None, candidates: list[str] | None = None,
                         today: date) -> AssemblyItem:
    """The board adds a demand that reached the threshold (§45 Abs. 1, 2 GenG): the agenda item
    is made by ``add_item`` with the real supporter count, announced today, and linked."""
    demand, assembly = _open_demand(session, demand_id)
    params = _params(session, assembly)
    entitled = len(entitled_memberships(session, assembly.id))
    count = supporters_of(session, demand.id)
    if not rules.demand_reached(count, entitled, params):
        raise RuleViolation("supporters", _l("%(needed)s members must support the demand (§45 GenG); it has "
                                             "%(supporters)s", needed=rules.supporters_needed(entitled, params),
                                             supporters=count))
    item = add_item(session, actor, assembly_id=assembly.id, title=demand.title, resolution_type=resolution_type,
                    secret=secret, seats=seats, candidates=candidates, announced_on=today, supporters=count,
                    members_entitled=entitled)
    demand.status, demand.item_id = DemandStatus.ADDED, item.id
    demand.decided_at, demand.decided_by = _now(), actor.user_id
    session.flush()
    record(session, actor=actor.user_id, action="assembly.demand_add", entity="assembly", entity_id=str(assembly.id),
           diff={"demand_id": demand.id, "item_id": item.id, "supporters": count, "entitled": entitled},
           request_id=actor.request_id)
    return item


def refuse_demand(session: Session, actor: Actor, *, demand_id: int, reason: str) -> AssemblyAgendaDemand:
    """The board refuses a demand with its reason (e.g. not a matter for the general assembly, or
    too few supporters); members see the reason."""
    if not reason.strip():
        raise RuleViolation("reason", _l("give the reason for refusing the demand"))
    demand, assembly = _open_demand(session, demand_id)
    demand.status, demand.refusal_reason = DemandStatus.REFUSED, reason.strip()
    demand.decided_at, demand.decided_by = _now(), actor.user_id
    session.flush()
    record(session, actor=actor.user_id, action="assembly.demand_refuse", entity="assembly",
           entity_id=str(assembly.id), diff={"demand_id": demand.id, "reason": demand.refusal_reason,
                                             "supporters": supporters_of(session, demand.id)},
           request_id=actor.request_id)
    return demand


# --- Proxies (§43 Abs. 5) -----------------------------------------------------------------------

def grant_proxy(session: Session, actor: Actor, *, assembly_id: int, principal_membership_id: int,
                proxy_membership_id: int, textform_reference: str) -> AssemblyProxy:
    assembly = _locked(session, assembly_id)
    _before_voting(assembly, "assembly_id")
    params = _params(session, assembly)
    entitled = {e.membership_id for e in preview_roll(session, assembly_id).entries}
    standing = list(session.scalars(select(AssemblyProxy).where(AssemblyProxy.assembly_id == assembly_id,
                                                                AssemblyProxy.revoked_at.is_(None))))
    rules.check_proxy(principal_membership_id, proxy_membership_id, entitled,
                      sum(p.proxy_membership_id == proxy_membership_id for p in standing),
                      any(p.principal_membership_id == principal_membership_id for p in standing),
                      textform_reference, params)
    if any(p.principal_membership_id == proxy_membership_id for p in standing):
        raise RuleViolation("proxy_membership_id", _l("this member has authorised a proxy of their own"))
    if any(p.proxy_membership_id == principal_membership_id for p in standing):
        raise RuleViolation("principal_membership_id", _l("this member acts as a proxy for others"))
    proxy = AssemblyProxy(assembly_id=assembly_id, principal_membership_id=principal_membership_id,
                          proxy_membership_id=proxy_membership_id, textform_reference=textform_reference.strip(),
                          granted_at=_now(), actor=actor.user_id)
    session.add(proxy)
    session.flush()
    record(session, actor=actor.user_id, action="assembly.proxy_grant", entity="assembly",
           entity_id=str(assembly_id), diff={"proxy_id": proxy.id, "principal": principal_membership_id,
                                             "proxy": proxy_membership_id}, request_id=actor.request_id)
    return proxy


def revoke_proxy(session: Session, actor: Actor, *, proxy_id: int) -> AssemblyProxy:
    """Revocable until voting opens; the row keeps who revoked it and when."""
    proxy = session.get(AssemblyProxy, proxy_id)
    if proxy is None:
        raise RuleViolation("proxy_id", _l("no such proxy"))
    assembly = _locked(session, proxy.assembly_id)
    session.refresh(proxy)
    _before_voting(assembly, "proxy_id")
    if proxy.revoked_at is not None:
        raise RuleViolation("proxy_id", _l("this proxy was revoked already"))
    proxy.revoked_at, proxy.revoked_by = _now(), actor.user_id
    session.flush()
    record(session, actor=actor.user_id, action="assembly.proxy_revoke", entity="assembly",
           entity_id=str(proxy.assembly_id), diff={"proxy_id": proxy.id}, request_id=actor.request_id)
    return proxy


# --- Voting -------------------------------------------------------------------------------------

def open_voting(session: Session, actor: Actor, *, assembly_id: int) -> rules.Roll:
    """Freeze the roll: derived from the register as of the assembly date, with the standing
    proxies (the proxy's logins cast for the principal instead of the principal's own)."""
    assembly = _locked(session, assembly_id)
    rules.check_transition(State(assembly.state), State.VOTING_OPEN, Form(assembly.form))
    if session.scalar(select(func.count()).select_from(AssemblyVoter)
                      .where(AssemblyVoter.assembly_id == assembly_id)):
        raise RuleViolation("assembly_id", _l("the roll is frozen already"))
    roll = preview_roll(session, assembly_id)
    by_member = {e.membership_id: e for e in roll.entries}
    proxies = {p.principal_membership_id: p.proxy_membership_id for p in session.scalars(
        select(AssemblyProxy).where(AssemblyProxy.assembly_id == assembly_id, AssemblyProxy.revoked_at.is_(None)))}
    ids = _allocate_ids(session, len(roll.entries))
    voters, logins = [], []
    for voter_id, entry in zip(ids, roll.entries, strict=True):
        proxy = proxies.get(entry.membership_id)
        if proxy is not None and proxy in by_member:
            capacity, who = Capacity.PROXY, by_member[proxy].logins
        else:
            capacity, who, proxy = entry.capacity, entry.logins, None
        voters.append({"id": voter_id, "assembly_id": assembly_id, "membership_id": entry.membership_id,
                       "member_no": entry.member_no, "votes": entry.votes, "investing": entry.investing,
                       "capacity": capacity.value, "proxy_membership_id": proxy})
        logins.extend({"voter_id": voter_id, "nextcloud_user_id": user} for user in who)
    if voters:
        session.execute(insert(AssemblyVoter), voters)
    if logins:
        session.execute(insert(AssemblyVoterLogin), logins)
    assembly.roll_frozen_at = _now()
    _move(session, actor, assembly, State.VOTING_OPEN,
          {"voters": len(voters), "votes": roll.total_votes, "left_out": len(roll.left_out),
           "proxies": sum(v["capacity"] == Capacity.PROXY.value for v in voters)})
    return roll


def _allocate_ids(session: Session, count: int) -> list[int]:
    """Ids for a bulk insert of voters (so their logins can refer to them in the same round trip)."""
    if session.connection().dialect.name == "postgresql":
        return list(session.scalars(select(func.nextval(func.pg_get_serial_sequence("assembly_voter", "id")))
                                    .select_from(func.generate_series(1, count))))
    start = (session.scalar(select(func.max(AssemblyVoter.id))) or 0) + 1  # SQLite: the write lock is held
    return list(range(start, start + count))


@dataclass(frozen=True)
class Receipt:
    """Shown once to the voter, never stored: with it they find their ballots' hashes among the
    published ones (``verify_receipt``); the hashes say nothing about the choice."""

    code: str
    member_no: int
    items: tuple[int, ...]


def receipt_hash(code: str, item_id: int, unit: int) -> str:
    return hashlib.sha256(f"{RECEIPT_DOMAIN}|{item_id}|{unit}|{code}".encode()).hexdigest()


def _encode_choice(item: AssemblyItem, choice: object) -> str:
    if item.resolution_type == ResolutionType.ELECTION.value:
        if choice == Choice.ABSTAIN.value:
            choice = []
        if not isinstance(choice, list | tuple) or not all(isinstance(c, int) and not isinstance(c, bool)
                                                          for c in choice):
            raise RuleViolation(f"choices.{item.id}", _l("name candidates by their numbers, or abstain"))
        try:
            rules.check_election_choice(list(choice), len(json.loads(item.candidates or "[]")), item.seats or 0)
        except RuleViolation as refusal:
            raise RuleViolation(f"choices.{item.id}", refusal.reason) from None
        return json.dumps(sorted(choice))
    if choice not in {c.value for c in Choice}:
        raise RuleViolation(f"choices.{item.id}", _l("must be yes, no or abstain"))
    return str(choice)


def cast(session: Session, actor: Actor, *, assembly_id: int, membership_id: int, choices: dict[int, object],
         today: date) -> Receipt:
    """One submission: votes of one member (cast by them, their representative, the heirs'
    representative or their proxy) on some items. Named items keep the choice with the
    participation; every vote goes into the sealed pool as one-vote rows with receipt hashes."""
    if not choices:
        raise RuleViolation("choices", _l("choose on at least one item"))
    assembly = _locked(session, assembly_id)
    rules.check_voting_window(State(assembly.state), today, assembly.voting_from, assembly.voting_until)
    # One round trip for the voter, whether this login may cast its votes and whether it sits in the room.
    may_cast = select(AssemblyVoterLogin.voter_id).where(AssemblyVoterLogin.voter_id == AssemblyVoter.id,
                                                         AssemblyVoterLogin.nextcloud_user_id == actor.user_id)
    in_room = select(AssemblyAttendance.voter_id).where(AssemblyAttendance.assembly_id == assembly_id,
                                                        AssemblyAttendance.voter_id == AssemblyVoter.id)
    found = session.execute(select(AssemblyVoter.id, AssemblyVoter.member_no, AssemblyVoter.votes,
                                   AssemblyVoter.investing, may_cast.exists().label("may_cast"),
                                   in_room.exists().label("in_room"))
                            .where(AssemblyVoter.assembly_id == assembly_id,
                                   AssemblyVoter.membership_id == membership_id)).first()
    if found is None:
        raise RuleViolation("membership_id", _l("not on the roll of this assembly"))
    if not found.may_cast:
        raise RuleViolation("membership_id", _l("you may not vote for this member"))
    if found.in_room:
        raise RuleViolation("membership_id", _l("this member is present in the room and votes there"))
    voter = found
    items = {item.id: item for item in session.scalars(
        select(AssemblyItem).where(AssemblyItem.assembly_id == assembly_id, AssemblyItem.id.in_(list(choices))))}
    # Two simple lookups, not one outer join: PostgreSQL's cached plan for the join (psycopg prepares
    # a statement from its fifth use) hash-joined the whole participation table, 104 ms per vote at
    # 6,000 voters; with both primary-key columns given, this one stays an index scan.
    done = set(session.scalars(select(AssemblyParticipation.item_id).where(
        AssemblyParticipation.voter_id == voter.id, AssemblyParticipation.item_id.in_(list(items)))))
    params = _params(session, assembly)  # once per call, parsed once per statute version (cached)
    for item_id in choices:
        item = items.get(item_id)
        if item is None:
            raise RuleViolation(f"choices.{item_id}", _l("no such item in this assembly"))
        if item.announced_on is None or not rules.item_resolvable(item.announced_on, assembly.held_on, params):
            raise RuleViolation(f"choices.{item_id}", _l("announced too late to be resolved on (§46 Abs. 2 GenG)"))
    encoded = {item_id: _encode_choice(items[item_id], choice) for item_id, choice in choices.items()}
    if done:
        raise RuleViolation(f"choices.{min(done)}", _l("member no. %(number)s has voted on this item already",
                                                       number=voter.member_no))
    code = secrets.token_urlsafe(16)
    participations, ballots = [], []
    for item_id in sorted(encoded):
        item = items[item_id]
        participations.append({"item_id": item_id, "voter_id": voter.id, "voted_on": today,
                               "choice": None if item.secret else encoded[item_id]})
        units = rules.ballot_units(voter.votes, ResolutionType(item.resolution_type))
        ballots.extend({"id": secrets.token_hex(16), "item_id": item_id, "choice": encoded[item_id],
                        "investing": voter.investing, "receipt_hash": receipt_hash(code, item_id, unit)}
                       for unit in range(units))
    try:
        with session.begin_nested():  # the primary key is the last word on "once" (a writer without the lock)
            session.execute(insert(AssemblyParticipation), participations)
    except IntegrityError:
        raise RuleViolation("choices", _l("member no. %(number)s has voted on this item already",
                                          number=voter.member_no)) from None
    session.execute(insert(AssemblyBallotPool), ballots)
    # Who voted on which items is what the minutes show anyway; the choice of a secret item is not here.
    record(session, actor=actor.user_id, action="assembly.vote", entity="assembly", entity_id=str(assembly_id),
           diff={"member_no": voter.member_no, "items": sorted(encoded)}, request_id=actor.request_id)
    return Receipt(code, voter.member_no, tuple(sorted(encoded)))


def record_attendance(session: Session, actor: Actor, *, assembly_id: int, membership_id: int,
                      today: date) -> AssemblyAttendance:
    """The board records a voter present in the room (themself, their representative or proxy);
    they vote there, not online, so no vote is counted twice."""
    assembly = _locked(session, assembly_id)
    if Form(assembly.form) not in (Form.PRESENCE, Form.HYBRID):
        raise RuleViolation("assembly_id", _l("only an assembly in person or hybrid has a room"))
    if State(assembly.state) is not State.VOTING_OPEN:
        raise RuleViolation("assembly_id", _l("attendance is recorded while the assembly sits with its roll frozen"))
    voter = session.scalar(select(AssemblyVoter).where(AssemblyVoter.assembly_id == assembly_id,
                                                       AssemblyVoter.membership_id == membership_id))
    if voter is None:
        raise RuleViolation("membership_id", _l("not on the roll of this assembly"))
    if session.get(AssemblyAttendance, (assembly_id, voter.id)) is not None:
        raise RuleViolation("membership_id", _l("recorded as present already"))
    if session.scalar(select(AssemblyParticipation.item_id).where(AssemblyParticipation.voter_id == voter.id)
                      .limit(1)) is not None:
        raise RuleViolation("membership_id", _l("this member has voted online already"))
    row = AssemblyAttendance(assembly_id=assembly_id, voter_id=voter.id, recorded_on=today, actor=actor.user_id)
    session.add(row)
    session.flush()
    record(session, actor=actor.user_id, action="assembly.attendance", entity="assembly", entity_id=str(assembly_id),
           diff={"member_no": voter.member_no}, request_id=actor.request_id)
    return row


def enter_room_count(session: Session, actor: Actor, *, item_id: int, yes: int = 0, no: int = 0, abstain: int = 0,
                     investing_yes: int = 0, investing_no: int = 0, investing_abstain: int = 0,
                     candidate_votes: list[int] | None = None, investing_candidate_votes: list[int] | None = None,
                     participants: int) -> AssemblyRoomCount:
    """Votes counted in the room, once per item. For an election ``yes``/``investing_yes`` are
    the votes that named candidates and ``candidate_votes`` the votes per candidate. The count
    cannot exceed the votes of the voters recorded present."""
    item = session.get(AssemblyItem, item_id)
    if item is None:
        raise RuleViolation("item_id", _l("no such item"))
    assembly = _locked(session, item.assembly_id)
    if State(assembly.state) is not State.VOTING_OPEN:
        raise RuleViolation("item_id", _l("room counts are entered while voting is open"))
    numbers = {"yes": yes, "no": no, "abstain": abstain, "investing_yes": investing_yes,
               "investing_no": investing_no, "investing_abstain": investing_abstain, "participants": participants}
    for name, value in numbers.items():
        if not isinstance(value, int) or value < 0:
            raise RuleViolation(name, _l("must be a whole number, at least 0"))
    kind = ResolutionType(item.resolution_type)
    n = len(json.loads(item.candidates or "[]"))
    if kind is ResolutionType.ELECTION:
        for name, values in (("candidate_votes", candidate_votes), ("investing_candidate_votes",
                                                                   investing_candidate_votes or [0] * n)):
            if values is None or len(values) != n or any(not isinstance(v, int) or v < 0 for v in values):
                raise RuleViolation(name, _l("one whole number, at least 0, per candidate (%(n)s)", n=n))
        if no or investing_no:
            raise RuleViolation("no", _l("an election has no no-votes: count the candidates"))
    elif candidate_votes or investing_candidate_votes:
        raise RuleViolation("candidate_votes", _l("only an election has candidate votes"))
    present = session.execute(select(AssemblyVoter.votes, AssemblyVoter.investing).join(
        AssemblyAttendance, AssemblyAttendance.voter_id == AssemblyVoter.id).where(
        AssemblyAttendance.assembly_id == assembly.id)).all()
    units = {False: 0, True: 0}
    for votes, investing in present:
        units[investing] += rules.ballot_units(votes, kind)
    if yes + no + abstain > units[False] or investing_yes + investing_no + investing_abstain > units[True]:
        raise RuleViolation("yes", _l("more votes than the %(regular)s (and %(investing)s investing) votes present "
                                      "in the room", regular=units[False], investing=units[True]))
    if participants > len(present):
        raise RuleViolation("participants", _l("more than the %(n)s voters present", n=len(present)))
    if kind is ResolutionType.ELECTION:
        seats = item.seats or 0
        if sum(candidate_votes or []) > yes * seats or sum(investing_candidate_votes or []) > investing_yes * seats:
            raise RuleViolation("candidate_votes", _l("more candidate votes than votes times seats"))
    if session.get(AssemblyRoomCount, item_id) is not None:
        raise RuleViolation("item_id", _l("the room count of this item is entered already"))
    row = AssemblyRoomCount(item_id=item_id, yes=yes, no=no, abstain=abstain, investing_yes=investing_yes,
                            investing_no=investing_no, investing_abstain=investing_abstain,
                            candidate_votes=json.dumps(candidate_votes) if candidate_votes is not None else None,
                            investing_candidate_votes=json.dumps(investing_candidate_votes or [0] * n)
                            if kind is ResolutionType.ELECTION else None,
                            participants=participants, entered_at=_now(), actor=actor.user_id)
    session.add(row)
    session.flush()
    record(session, actor=actor.user_id, action="assembly.room_count", entity="assembly_item", entity_id=str(item_id),
           diff={**numbers, "candidate_votes": candidate_votes, "investing_candidate_votes": investing_candidate_votes},
           request_id=actor.request_id)
    return row


def close_voting(session: Session, actor: Actor, *, assembly_id: int, today: date) -> int:
    """End voting: the sealed pool's ballots move into ``assembly_ballot`` in one statement, in
    the order of their random ids, and leave the pool. Returns the number of ballots."""
    assembly = _locked(session, assembly_id)
    rules.check_transition(State(assembly.state), State.CLOSED, Form(assembly.form))
    if assembly.voting_until is not None and today <= assembly.voting_until:
        raise RuleViolation("today", _l("the voting phase runs until %(date)s", date=assembly.voting_until.isoformat()))
    item_ids = select(AssemblyItem.id).where(AssemblyItem.assembly_id == assembly_id).scalar_subquery()
    columns = [AssemblyBallotPool.id, AssemblyBallotPool.item_id, AssemblyBallotPool.choice,
               AssemblyBallotPool.investing, AssemblyBallotPool.receipt_hash]
    moved = session.scalar(select(func.count()).select_from(AssemblyBallotPool)
                           .where(AssemblyBallotPool.item_id.in_(item_ids))) or 0
    session.execute(insert(AssemblyBallot).from_select(
        ["id", "item_id", "choice", "investing", "receipt_hash"],
        select(*columns).where(AssemblyBallotPool.item_id.in_(item_ids)).order_by(AssemblyBallotPool.id)))
    session.execute(delete(AssemblyBallotPool).where(AssemblyBallotPool.item_id.in_(item_ids)))
    assembly.closed_at = _now()
    _move(session, actor, assembly, State.CLOSED, {"ballots": moved})
    return moved


def publish_minutes(session: Session, actor: Actor, *, assembly_id: int, minutes_document: str) -> None:
    """§47: the minutes are kept; members may read them (the document itself is published in
    the documents' folder, attached to the assembly)."""
    if not minutes_document.strip():
        raise RuleViolation("minutes_document", _l("name the minutes document"))
    assembly = _locked(session, assembly_id)
    assembly.minutes_document = minutes_document.strip()
    _move(session, actor, assembly, State.MINUTES_PUBLISHED, {"minutes_document": assembly.minutes_document})


# --- Results ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ItemResult:
    item_id: int
    position: int
    title: str
    resolution_type: ResolutionType
    secret: bool
    participants: int
    entitled: int
    count: rules.Count | None  # yes/no items
    decision: rules.Decision | None
    election: rules.ElectionResult | None
    candidates: tuple[str, ...] = ()


def tally(session: Session, assembly_id: int) -> list[ItemResult]:
    """Counts after the close: ballots (one GROUP BY) plus the room counts, decided per item."""
    assembly = session.get(Assembly, assembly_id)
    if assembly is None:
        raise RuleViolation("assembly_id", _l("no such assembly"))
    if State(assembly.state) not in (State.CLOSED, State.MINUTES_PUBLISHED):
        raise RuleViolation("assembly_id", _l("results exist only after voting has closed"))
    params = _params(session, assembly)
    items = list(session.scalars(select(AssemblyItem).where(AssemblyItem.assembly_id == assembly_id)
                                 .order_by(AssemblyItem.position)))
    ids = [i.id for i in items]
    grouped: dict[int, list[tuple[str, bool, int]]] = defaultdict(list)
    for item_id, choice, investing, n in session.execute(
            select(AssemblyBallot.item_id, AssemblyBallot.choice, AssemblyBallot.investing, func.count())
            .where(AssemblyBallot.item_id.in_(ids))
            .group_by(AssemblyBallot.item_id, AssemblyBallot.choice, AssemblyBallot.investing)):
        grouped[item_id].append((choice, bool(investing), n))
    online = dict(session.execute(select(AssemblyParticipation.item_id, func.count())
                                  .where(AssemblyParticipation.item_id.in_(ids))
                                  .group_by(AssemblyParticipation.item_id)).all())
    rooms = {r.item_id: r for r in session.scalars(select(AssemblyRoomCount).where(AssemblyRoomCount.item_id.in_(ids)))}
    entitled = session.scalar(select(func.count()).select_from(AssemblyVoter)
                              .where(AssemblyVoter.assembly_id == assembly_id)) or 0
    results = []
    for item in items:
        kind = ResolutionType(item.resolution_type)
        room = rooms.get(item.id)
        participants = online.get(item.id, 0) + (room.participants if room else 0)
        if kind is ResolutionType.ELECTION:
            names = tuple(json.loads(item.candidates or "[]"))
            votes, investing_votes = [0] * len(names), [0] * len(names)
            ballots = {False: 0, True: 0}
            abstain = 0
            for choice, investing, n in grouped.get(item.id, []):
                named = json.loads(choice)
                if not named:
                    abstain += n
                    continue
                ballots[investing] += n
                for c in named:
                    (investing_votes if investing else votes)[c] += n
            if room:
                votes = [a + b for a, b in zip(votes, json.loads(room.candidate_votes or "[]") or [0] * len(names),
                                               strict=True)]
                investing_votes = [a + b for a, b in zip(investing_votes,
                                                         json.loads(room.investing_candidate_votes or "[]")
                                                         or [0] * len(names), strict=True)]
                ballots[False] += room.yes
                ballots[True] += room.investing_yes
                abstain += room.abstain + room.investing_abstain
            result = rules.elect(item.seats or 1, votes, investing_votes, ballots[False], ballots[True], abstain,
                                 params, participants=participants, entitled=entitled)
            results.append(ItemResult(item.id, item.position, item.title, kind, item.secret, participants, entitled,
                                      None, None, result, names))
            continue
        counts: dict[str, int] = defaultdict(int)
        for choice, investing, n in grouped.get(item.id, []):
            counts[("investing_" if investing else "") + choice] += n
        count = rules.Count(**counts)
        if room:
            count = count + rules.Count(room.yes, room.no, room.abstain, room.investing_yes, room.investing_no,
                                        room.investing_abstain)
        results.append(ItemResult(item.id, item.position, item.title, kind, item.secret, participants, entitled,
                                  count, rules.decide(kind, count, params, participants=participants,
                                                      entitled=entitled), None))
    return results


def published_receipts(session: Session, item_id: int) -> list[str]:
    """The receipt hashes of an item's counted ballots, sorted (no choices): a voter finds theirs."""
    item = session.get(AssemblyItem, item_id)
    if item is None:
        raise RuleViolation("item_id", _l("no such item"))
    if State(session.get(Assembly, item.assembly_id).state) not in (State.CLOSED, State.MINUTES_PUBLISHED):
        raise RuleViolation("item_id", _l("receipts are published after voting has closed"))
    return list(session.scalars(select(AssemblyBallot.receipt_hash).where(AssemblyBallot.item_id == item_id)
                                .order_by(AssemblyBallot.receipt_hash)))


def verify_receipt(session: Session, item_id: int, code: str, votes: int = 1) -> bool:
    """True when every one of the voter's ``votes`` ballots on the item is among the counted ones."""
    published = set(published_receipts(session, item_id))
    return all(receipt_hash(code, item_id, unit) in published for unit in range(votes))


@dataclass(frozen=True)
class Attendee:
    member_no: int
    capacity: Capacity
    proxy_member_no: int | None
    in_room: bool
    voted_online: bool


def attendance_list(session: Session, assembly_id: int) -> list[Attendee]:
    """§47 minutes: who took part, in the room or online, themself, represented or by proxy."""
    voters = list(session.scalars(select(AssemblyVoter).where(AssemblyVoter.assembly_id == assembly_id)
                                  .order_by(AssemblyVoter.member_no)))
    numbers = {v.membership_id: v.member_no for v in voters}
    room = set(session.scalars(select(AssemblyAttendance.voter_id).where(AssemblyAttendance.assembly_id == assembly_id)))
    online = set(session.scalars(select(AssemblyParticipation.voter_id).distinct().join(
        AssemblyVoter, AssemblyVoter.id == AssemblyParticipation.voter_id).where(AssemblyVoter.assembly_id == assembly_id)))
    return [Attendee(v.member_no, Capacity(v.capacity), numbers.get(v.proxy_membership_id) if v.proxy_membership_id
                     else None, v.id in room, v.id in online) for v in voters if v.id in room or v.id in online]

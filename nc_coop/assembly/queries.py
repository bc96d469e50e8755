# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Read models of the general assembly for the member and board pages, and who may see what.

A user sees an assembly (once convened) when a membership they act for is a member on the
assembly date, or when the frozen roll lets them cast votes (a proxy, the heirs' representative).
Every other assembly is a 404, the same answer as for one that does not exist."""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nc_coop.assembly import rules, services
from nc_coop.assembly.models import (
    Assembly,
    AssemblyAgendaDemand,
    AssemblyAgendaSupport,
    AssemblyAttendance,
    AssemblyDelegate,
    AssemblyInvitation,
    AssemblyItem,
    AssemblyParticipation,
    AssemblyProxy,
    AssemblyRoomCount,
    AssemblyVoter,
    AssemblyVoterLogin,
)
from nc_coop.assembly.rules import State
from nc_coop.register.models import Membership, MembershipEvent, Party
from nc_coop.register.queries import visible_membership_ids
from nc_coop.register.rules import agenda_deadline
from nc_coop.register.schemas import MAX_ID
from nc_coop.register.status import Event, EventKind, exit_event
from nc_coop.register.statutes import Statutes

BEFORE_VOTING = (State.DRAFT, State.CONVENED, State.DISCUSSION)
AFTER_CLOSE = (State.CLOSED, State.MINUTES_PUBLISHED)


@dataclass(frozen=True)
class ItemView:
    id: int
    position: int
    title: str
    resolution_type: str
    secret: bool
    seats: int | None
    candidates: tuple[str, ...]
    announced_on: date | None
    requested_by_members: bool
    resolvable: bool  # §46 Abs. 2: announced by the agenda deadline (or not yet convened)


@dataclass(frozen=True)
class AssemblySummary:
    id: int
    general_assembly_id: int
    title: str
    form: str
    state: str
    held_on: date
    place: str | None
    link: str | None
    voting_from: date | None
    voting_until: date | None
    convened_on: date | None
    roll_frozen_at: datetime | None
    closed_at: datetime | None
    minutes_document: str | None

    @property
    def voting_open(self) -> bool:
        return self.state == State.VOTING_OPEN.value

    @property
    def closed(self) -> bool:
        return State(self.state) in AFTER_CLOSE

    @property
    def before_voting(self) -> bool:
        return State(self.state) in BEFORE_VOTING


def summary(a: Assembly) -> AssemblySummary:
    return AssemblySummary(a.id, a.general_assembly_id, a.title, a.form, a.state, a.held_on, a.place, a.link,
                           a.voting_from, a.voting_until, a.convened_on, a.roll_frozen_at, a.closed_at,
                           a.minutes_document)


def assembly_or_none(session: Session, assembly_id: int) -> Assembly | None:
    return session.get(Assembly, assembly_id) if 0 < assembly_id <= MAX_ID else None


def items_of(session: Session, assembly: Assembly) -> list[ItemView]:
    params = Statutes(session).by_id(assembly.statute_version_id).params
    result = []
    for i in session.scalars(select(AssemblyItem).where(AssemblyItem.assembly_id == assembly.id)
                             .order_by(AssemblyItem.position)):
        resolvable = i.announced_on is None or rules.item_resolvable(i.announced_on, assembly.held_on, params)
        result.append(ItemView(i.id, i.position, i.title, i.resolution_type, i.secret, i.seats,
                               tuple(json.loads(i.candidates or "[]")), i.announced_on, i.requested_by_members,
                               resolvable))
    return result


# --- Who sees which assembly ---------------------------------------------------------------------

def members_on(session: Session, membership_ids: list[int], day: date) -> set[int]:
    """Those of ``membership_ids`` that are members on ``day`` (admitted, exit not before it)."""
    if not membership_ids:
        return set()
    admitted = dict(session.execute(select(Membership.id, Membership.admitted_on)
                                    .where(Membership.id.in_(membership_ids))).all())
    events: dict[int, list[Event]] = defaultdict(list)
    for row in session.execute(select(MembershipEvent.id, MembershipEvent.membership_id, MembershipEvent.kind,
                                      MembershipEvent.event_date, MembershipEvent.effective_date,
                                      MembershipEvent.reverses_id)
                               .where(MembershipEvent.membership_id.in_(membership_ids))):
        events[row.membership_id].append(Event(row.id, EventKind(row.kind), row.event_date, row.effective_date,
                                               row.reverses_id))
    result = set()
    for mid, admitted_on in admitted.items():
        leaving = exit_event(events.get(mid, []))
        if admitted_on <= day and (leaving is None or leaving.effective_date is None
                                   or day <= leaving.effective_date):
            result.add(mid)
    return result


def voter_assemblies(session: Session, user_id: str) -> set[int]:
    """Assemblies whose frozen roll lets this login cast votes."""
    return set(session.scalars(select(AssemblyVoter.assembly_id).join(
        AssemblyVoterLogin, AssemblyVoterLogin.voter_id == AssemblyVoter.id)
        .where(AssemblyVoterLogin.nextcloud_user_id == user_id)))


@dataclass(frozen=True)
class Access:
    """What one user may do in one assembly."""

    memberships: tuple[int, ...]  # memberships they act for that are members on the assembly date
    votes_here: bool  # a login on the frozen roll

    @property
    def sees(self) -> bool:
        return bool(self.memberships) or self.votes_here


def access(session: Session, user_id: str, assembly: Assembly) -> Access:
    if assembly.state == State.DRAFT.value:
        return Access((), False)
    mine = visible_membership_ids(session, user_id)
    on_date = members_on(session, mine, assembly.held_on)
    return Access(tuple(m for m in mine if m in on_date), assembly.id in voter_assemblies(session, user_id))


def visible_assemblies(session: Session, user_id: str) -> list[AssemblySummary]:
    """Convened assemblies this user may see, the latest first."""
    mine = visible_membership_ids(session, user_id)
    voting = voter_assemblies(session, user_id)
    result = []
    for a in session.scalars(select(Assembly).where(Assembly.state != State.DRAFT.value)
                             .order_by(Assembly.held_on.desc(), Assembly.id.desc())):
        if a.id in voting or members_on(session, mine, a.held_on):
            result.append(summary(a))
    return result


# --- A member's place in one assembly ------------------------------------------------------------

@dataclass(frozen=True)
class MembershipRef:
    membership_id: int
    member_no: int
    name: str


def membership_refs(session: Session, ids: list[int] | set[int] | tuple[int, ...]) -> dict[int, MembershipRef]:
    if not ids:
        return {}
    rows = session.execute(select(Membership.id, Membership.member_no, Party.legal_name, Party.given_names,
                                  Party.family_name).join(Party, Party.id == Membership.party_id)
                           .where(Membership.id.in_(list(ids)))).all()
    return {r.id: MembershipRef(r.id, r.member_no, r.legal_name or f"{r.given_names or ''} {r.family_name or ''}"
                                .strip()) for r in rows}


@dataclass(frozen=True)
class ProxyView:
    id: int
    principal: MembershipRef
    proxy: MembershipRef
    textform_reference: str
    granted_at: datetime
    revoked_at: datetime | None


def proxies(session: Session, assembly_id: int, *, principals: set[int] | None = None,
            proxies_for: set[int] | None = None, standing_only: bool = True) -> list[ProxyView]:
    query = select(AssemblyProxy).where(AssemblyProxy.assembly_id == assembly_id)
    if standing_only:
        query = query.where(AssemblyProxy.revoked_at.is_(None))
    rows = [p for p in session.scalars(query.order_by(AssemblyProxy.id))
            if (principals is None and proxies_for is None)
            or (principals is not None and p.principal_membership_id in principals)
            or (proxies_for is not None and p.proxy_membership_id in proxies_for)]
    refs = membership_refs(session, {p.principal_membership_id for p in rows} | {p.proxy_membership_id for p in rows})
    return [ProxyView(p.id, refs[p.principal_membership_id], refs[p.proxy_membership_id], p.textform_reference,
                      p.granted_at, p.revoked_at) for p in rows]


@dataclass(frozen=True)
class VoterView:
    """A membership whose votes the user may cast, from the frozen roll."""

    voter_id: int
    membership_id: int
    member_no: int
    name: str
    votes: int
    capacity: str
    investing: bool
    in_room: bool
    voted_items: frozenset[int] = field(default_factory=frozenset)

    def done(self, items: list[ItemView]) -> bool:
        return all(i.id in self.voted_items for i in items if i.resolvable)


def my_voters(session: Session, user_id: str, assembly_id: int) -> list[VoterView]:
    voters = list(session.scalars(select(AssemblyVoter).join(
        AssemblyVoterLogin, AssemblyVoterLogin.voter_id == AssemblyVoter.id).where(
        AssemblyVoter.assembly_id == assembly_id, AssemblyVoterLogin.nextcloud_user_id == user_id)
        .order_by(AssemblyVoter.member_no)))
    if not voters:
        return []
    ids = [v.id for v in voters]
    voted: dict[int, set[int]] = defaultdict(set)
    for voter_id, item_id in session.execute(select(AssemblyParticipation.voter_id, AssemblyParticipation.item_id)
                                             .where(AssemblyParticipation.voter_id.in_(ids))):
        voted[voter_id].add(item_id)
    room = set(session.scalars(select(AssemblyAttendance.voter_id).where(AssemblyAttendance.assembly_id == assembly_id,
                                                                          AssemblyAttendance.voter_id.in_(ids))))
    refs = membership_refs(session, [v.membership_id for v in voters])
    return [VoterView(v.id, v.membership_id, v.member_no, refs[v.membership_id].name, v.votes, v.capacity,
                      v.investing, v.id in room, frozenset(voted[v.id])) for v in voters]


# --- The board's view ----------------------------------------------------------------------------

@dataclass(frozen=True)
class BoardFacts:
    roll_voters: int  # frozen, or as it would be frozen now
    roll_votes: int
    roll_frozen: bool
    left_out: int
    invited: int
    present: int
    latest_convening: date
    agenda_deadline: date
    convening_warnings: tuple[str, ...]
    room_counts: frozenset[int]
    delegates: tuple[tuple[int, str], ...]  # (member no., login)


def board_facts(session: Session, assembly: Assembly, today: date) -> BoardFacts:
    params = Statutes(session).by_id(assembly.statute_version_id).params
    frozen = assembly.roll_frozen_at is not None
    if frozen:
        voters, votes = session.execute(select(func.count(), func.coalesce(func.sum(AssemblyVoter.votes), 0))
                                        .where(AssemblyVoter.assembly_id == assembly.id)).one()
        left_out = 0
    else:
        roll = services.preview_roll(session, assembly.id)
        voters, votes, left_out = len(roll.entries), roll.total_votes, len(roll.left_out)
    check_day = min(today, assembly.held_on)
    check = rules.check_convening(assembly.held_on, check_day, params)
    invited = session.scalar(select(func.count()).select_from(AssemblyInvitation)
                             .where(AssemblyInvitation.assembly_id == assembly.id)) or 0
    present = session.scalar(select(func.count()).select_from(AssemblyAttendance)
                             .where(AssemblyAttendance.assembly_id == assembly.id)) or 0
    counted = frozenset(session.scalars(select(AssemblyRoomCount.item_id).join(
        AssemblyItem, AssemblyItem.id == AssemblyRoomCount.item_id).where(AssemblyItem.assembly_id == assembly.id)))
    delegates = tuple((no, login) for no, login in session.execute(select(Membership.member_no, AssemblyDelegate.nextcloud_user_id)
                                      .join(Membership, Membership.id == AssemblyDelegate.membership_id)
                                      .where(AssemblyDelegate.assembly_id == assembly.id)).all())
    return BoardFacts(voters, int(votes), frozen, left_out, invited, present, check.latest_convening,
                      agenda_deadline(assembly.held_on, params), check.warnings if today <= assembly.held_on else (),
                      counted, delegates)


def all_assemblies(session: Session) -> list[AssemblySummary]:
    return [summary(a) for a in session.scalars(select(Assembly).order_by(Assembly.held_on.desc(),
                                                                          Assembly.id.desc()))]


def membership_by_no(session: Session, member_no: int) -> int | None:
    return session.scalar(select(Membership.id).where(Membership.member_no == member_no))


# --- Members' demands for agenda items (§45 GenG) -------------------------------------------------

@dataclass(frozen=True)
class DemandView:
    id: int
    title: str
    reasoning: str
    filed_on: date
    filed_by: MembershipRef
    status: str  # open | added | refused
    supporters: int
    needed: int
    reached: bool  # the board must put it on the agenda
    item_id: int | None
    refusal_reason: str | None
    supported_by_me: tuple[int, ...]  # of the memberships asked about: those supporting it now


def demands(session: Session, assembly: Assembly, mine: set[int] | None = None) -> list[DemandView]:
    """The assembly's demands with their support against the number needed (§45 Abs. 1, 2 GenG:
    counted against the members invited on the convening date)."""
    rows = list(session.scalars(select(AssemblyAgendaDemand).where(AssemblyAgendaDemand.assembly_id == assembly.id)
                                .order_by(AssemblyAgendaDemand.id)))
    if not rows:
        return []
    params = Statutes(session).by_id(assembly.statute_version_id).params
    entitled = session.scalar(select(func.count()).select_from(AssemblyInvitation)
                              .where(AssemblyInvitation.assembly_id == assembly.id)) or 0
    needed = rules.supporters_needed(entitled, params)
    supporting: dict[int, set[int]] = defaultdict(set)
    for demand_id, membership_id in session.execute(
            select(AssemblyAgendaSupport.demand_id, AssemblyAgendaSupport.membership_id)
            .where(AssemblyAgendaSupport.demand_id.in_([d.id for d in rows]),
                   AssemblyAgendaSupport.withdrawn_at.is_(None))):
        supporting[demand_id].add(membership_id)
    refs = membership_refs(session, {d.membership_id for d in rows})
    return [DemandView(d.id, d.title, d.reasoning, d.filed_on, refs[d.membership_id], d.status,
                       len(supporting[d.id]), needed, len(supporting[d.id]) >= needed, d.item_id, d.refusal_reason,
                       tuple(sorted(supporting[d.id] & (mine or set())))) for d in rows]


def demand_of(session: Session, assembly: Assembly, demand_id: int) -> AssemblyAgendaDemand | None:
    if not 0 < demand_id <= MAX_ID:
        return None
    demand = session.get(AssemblyAgendaDemand, demand_id)
    return demand if demand is not None and demand.assembly_id == assembly.id else None

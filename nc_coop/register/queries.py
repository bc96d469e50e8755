# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Read models of the register: one member's overview, who may see which membership, search."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session

from nc_coop.register.ledger import Window, position_on
from nc_coop.register.models import Account, CapitalEntry, Membership, Notice, Party, ShareEntry
from nc_coop.register.rules import minimum_payment_cents
from nc_coop.register.services import capital_moves, events_of, share_moves
from nc_coop.register.statute import PartyKind
from nc_coop.register.status import Status, exit_event, status_on
from nc_coop.register.statutes import Statutes


@dataclass(frozen=True)
class Booking:
    ledger: str  # shares | capital
    id: int
    kind: str
    amount: int  # shares, or cents
    effective_date: date
    recorded_at: str
    reference: str | None
    reverses_id: int | None


@dataclass(frozen=True)
class PendingNotice:
    scope: str
    shares: int
    received_on: date
    effective_date: date
    settlement_due: date


@dataclass(frozen=True)
class HistoryEvent:
    kind: str
    event_date: date
    effective_date: date | None
    withdrawn: bool


@dataclass(frozen=True)
class MemberOverview:
    membership_id: int
    member_no: int
    party_id: int
    name: str
    party_kind: str
    kind: str
    member_since: date
    status: Status
    exit_on: date | None
    shares: int
    mandatory_shares: int
    nominal_cents: int
    capital_cents: int
    outstanding_cents: int  # still to be paid on the shares held
    minimum_outstanding_cents: int  # of which due under the Pflichteinzahlung rule
    notices: list[PendingNotice] = field(default_factory=list)
    bookings: list[Booking] = field(default_factory=list)
    history: list[HistoryEvent] = field(default_factory=list)

    @property
    def further_shares(self) -> int:
        return max(self.shares - self.mandatory_shares, 0)


def member_overview(session: Session, membership_id: int, today: date) -> MemberOverview:
    """Everything the member's own page shows, as of ``today``."""
    membership = session.get(Membership, membership_id)
    if membership is None:
        raise LookupError(membership_id)
    party = session.get(Party, membership.party_id)
    statutes = Statutes(session)
    params = statutes.params_on(max(today, membership.admitted_on))
    events = events_of(session, membership_id)
    leaving = exit_event(events)
    shares_m, capital_m = share_moves(session, membership_id), capital_moves(session, membership_id)
    # On and before the exit date the member holds what they held; the exit entry books them out.
    shares = position_on(shares_m, today)
    capital = position_on(capital_m, today)
    window = Window(membership.admitted_on, leaving.effective_date if leaving else None)
    nominal = params.share_nominal_cents
    outstanding = max(shares * nominal - capital, 0) if window.running(today) else 0
    minimum_due = max(minimum_payment_cents(shares, params) - capital, 0) if window.running(today) else 0
    notices = [PendingNotice(n.scope, n.shares, n.received_on, n.effective_date, n.settlement_due)
               for n in session.scalars(select(Notice).where(Notice.membership_id == membership_id)
                                        .order_by(Notice.received_on))
               if n.effective_date >= today]
    bookings = [Booking("shares", e.id, e.kind, e.delta, e.effective_date, e.recorded_at.isoformat(), e.reference,
                        e.reverses_id)
                for e in session.scalars(select(ShareEntry).where(ShareEntry.membership_id == membership_id))]
    bookings += [Booking("capital", e.id, e.kind, e.amount_cents, e.value_date, e.recorded_at.isoformat(),
                         e.reference, e.reverses_id)
                 for e in session.scalars(select(CapitalEntry).where(CapitalEntry.membership_id == membership_id))]
    bookings.sort(key=lambda b: (b.effective_date, b.recorded_at, b.ledger, b.id))
    return MemberOverview(
        membership_id=membership.id, member_no=membership.member_no, party_id=party.id, name=party.display_name,
        party_kind=party.kind, kind=membership.kind, member_since=membership.admitted_on,
        status=status_on(today, events, capital), exit_on=window.exit_on, shares=shares,
        mandatory_shares=params.mandatory_shares_for(PartyKind(party.kind)), nominal_cents=nominal,
        capital_cents=capital, outstanding_cents=outstanding, minimum_outstanding_cents=minimum_due,
        notices=notices, bookings=bookings, history=_history(events),
    )


def _history(events: list) -> list[HistoryEvent]:
    """Status-changing events in order; a withdrawn one stays visible, marked as withdrawn."""
    reversed_ids = {e.reverses_id for e in events if e.reverses_id is not None}
    return [HistoryEvent(e.kind.value, e.event_date, e.effective_date, e.id in reversed_ids)
            for e in sorted(events, key=lambda e: (e.event_date, e.id)) if e.reverses_id is None]


def visible_membership_ids(session: Session, user_id: str) -> list[int]:
    """Memberships of every party the user is linked to: as the member or as a representative."""
    rows = session.scalars(
        select(Membership.id).join(Account, Account.party_id == Membership.party_id)
        .where(Account.nextcloud_user_id == user_id).order_by(Membership.member_no)
    ).all()
    return list(dict.fromkeys(rows))


def may_see(session: Session, user_id: str, membership_id: int) -> bool:
    return membership_id in visible_membership_ids(session, user_id)


@dataclass(frozen=True)
class SearchHit:
    membership_id: int
    member_no: int
    name: str
    party_kind: str
    member_since: date


def search_members(session: Session, term: str = "", *, offset: int = 0, limit: int = 50) -> tuple[list[SearchHit], int]:
    """Members by number or name (case-insensitive substring), ordered by member number."""
    query = select(Membership.id, Membership.member_no, Party.legal_name, Party.given_names, Party.family_name,
                   Party.kind, Membership.admitted_on).join(Party, Party.id == Membership.party_id)
    term = term.strip()
    if term.isdigit():
        query = query.where(Membership.member_no == int(term))
    elif term:
        pattern = f"%{term.lower()}%"
        query = query.where(or_(func.lower(Party.legal_name).like(pattern), func.lower(Party.family_name).like(pattern),
                                func.lower(Party.given_names).like(pattern),
                                func.lower(cast(Party.email, String)).like(pattern)))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(Membership.member_no).offset(offset).limit(limit)).all()
    hits = [SearchHit(r[0], r[1], r[2] or f"{r[3] or ''} {r[4] or ''}".strip(), r[5], r[6]) for r in rows]
    return hits, total

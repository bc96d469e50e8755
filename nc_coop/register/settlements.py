# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Payouts to settle (§73 GenG): members who have left and still have Geschäftsguthaben, and
members whose shares ended by a partial notice (§67b) with Guthaben on them not yet paid out.

Derived from the ledgers, notices and exit events, never stored: a settlement is open while the
balance after the exit (or the claim for the ended shares) is above zero, and due six months
(statute parameter) after the exit (or after the shares ended)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nc_coop.register.models import CapitalEntry, Membership, MembershipEvent, Notice, Party
from nc_coop.register.rules import settlement_due_date
from nc_coop.register.services import events_of, open_partial_claim_on
from nc_coop.register.status import EventKind, exit_event
from nc_coop.register.statutes import Statutes


@dataclass(frozen=True)
class OpenSettlement:
    membership_id: int
    member_no: int
    name: str
    exit_on: date
    due_on: date
    balance_cents: int
    overdue: bool
    scope: str = "exit"  # exit | partial (§67b: some shares ended, the membership runs on)


def open_settlements(session: Session, today: date) -> list[OpenSettlement]:
    """Exited members (exit before ``today``) with a positive balance, oldest due date first.
    A full transfer (§76) has no settlement: its balance moved to the receiver."""
    statutes = Statutes(session)
    candidates = session.execute(
        select(Membership.id, Membership.member_no, Party).join(Party, Party.id == Membership.party_id)
        .where(Membership.id.in_(select(MembershipEvent.membership_id).where(MembershipEvent.effective_date < today)))
    ).all()
    result = []
    for membership_id, member_no, party in candidates:
        leaving = exit_event(events_of(session, membership_id))
        if leaving is None or leaving.effective_date is None or leaving.effective_date >= today:
            continue
        if leaving.kind is EventKind.TRANSFER_ALL:
            continue
        # int(): PostgreSQL's SUM over BIGINT is NUMERIC (a Decimal in Python).
        balance = int(session.scalar(select(func.coalesce(func.sum(CapitalEntry.amount_cents), 0))
                                     .where(CapitalEntry.membership_id == membership_id)) or 0)
        if balance <= 0:
            continue
        due = settlement_due_date(leaving.effective_date, statutes.params_on(leaving.effective_date))
        result.append(OpenSettlement(membership_id, member_no, party.display_name, leaving.effective_date, due,
                                     balance, due < today))
    result.extend(_partial_claims(session, statutes, today))
    return sorted(result, key=lambda s: (s.due_on, s.member_no))


def _partial_claims(session: Session, statutes: Statutes, today: date) -> list[OpenSettlement]:
    """Open claims for shares ended by partial notices before ``today`` (§67b, §73)."""
    notices = session.execute(
        select(Notice, Membership, Party).join(Membership, Membership.id == Notice.membership_id)
        .join(Party, Party.id == Membership.party_id)
        .where(Notice.scope == "partial", Notice.effective_date < today)
        .order_by(Notice.membership_id, Notice.effective_date)).all()
    latest: dict[int, tuple[Notice, Membership, Party]] = {}
    for notice, membership, party in notices:
        latest[membership.id] = (notice, membership, party)  # the last one ended: its due date is the latest
    result = []
    for notice, membership, party in latest.values():
        claim = open_partial_claim_on(session, statutes, membership, today)
        if claim > 0:
            result.append(OpenSettlement(membership.id, membership.member_no, party.display_name,
                                         notice.effective_date, notice.settlement_due, claim,
                                         notice.settlement_due < today, "partial"))
    return result

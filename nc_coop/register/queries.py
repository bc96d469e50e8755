# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Read models of the register: one member's overview, who may see which membership, search."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from typing import Any

from sqlalchemy import (
    DateTime,
    String,
    TypeDecorator,
    and_,
    false,
    exists,
    func,
    literal,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from nc_coop.register.ledger import Move, Window, position_on
from nc_coop.register.links import account_grants
from nc_coop.register.models import Account, CapitalEntry, Membership, MembershipEvent, Notice, Party, ShareEntry
from nc_coop.register.rules import minimum_payment_cents
from nc_coop.register.statute import PartyKind
from nc_coop.register.status import Event, EventKind, Status, exit_event, status_on
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
    basis_document: str | None = None  # the letter, resolution or contract the booking rests on


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
    """Everything the member's own page shows, as of ``today``.

    Five queries, all by primary key or the ``membership_id`` indexes: membership with party,
    statute versions, events, both ledgers in one UNION ALL, pending notices. Plain rows, no
    ORM entities: this runs on every member page (bench/register.py)."""
    head = session.execute(
        select(Membership.member_no, Membership.kind, Membership.admitted_on, Party.id, Party.kind,
               Party.legal_name, Party.given_names, Party.family_name)
        .join(Party, Party.id == Membership.party_id).where(Membership.id == membership_id)
    ).first()
    if head is None:
        raise LookupError(membership_id)
    member_no, kind, admitted_on, party_id, party_kind, legal_name, given_names, family_name = head
    statutes = Statutes(session)
    params = statutes.params_on(max(today, admitted_on))
    events = _events(session, membership_id)
    leaving = exit_event(events)
    bookings = [Booking(*row) for row in session.execute(_ledger_rows(membership_id))]
    shares_m = [Move(b.effective_date, b.amount) for b in bookings if b.ledger == "shares"]
    capital_m = [Move(b.effective_date, b.amount) for b in bookings if b.ledger == "capital"]
    # On and before the exit date the member holds what they held; the exit entry books them out.
    shares = position_on(shares_m, today)
    capital = position_on(capital_m, today)
    window = Window(admitted_on, leaving.effective_date if leaving else None)
    nominal = params.share_nominal_cents
    outstanding = max(shares * nominal - capital, 0) if window.running(today) else 0
    minimum_due = max(minimum_payment_cents(shares, params) - capital, 0) if window.running(today) else 0
    notices = [PendingNotice(*row) for row in session.execute(
        select(Notice.scope, Notice.shares, Notice.received_on, Notice.effective_date, Notice.settlement_due)
        .where(Notice.membership_id == membership_id, Notice.effective_date >= today, _notice_stands())
        .order_by(Notice.received_on, Notice.id))]
    bookings.sort(key=lambda b: (b.effective_date, b.recorded_at, b.ledger, b.id))
    return MemberOverview(
        membership_id=membership_id, member_no=member_no, party_id=party_id,
        name=legal_name or f"{given_names or ''} {family_name or ''}".strip(),  # as Party.display_name
        party_kind=party_kind, kind=kind, member_since=admitted_on,
        status=status_on(today, events, capital), exit_on=window.exit_on, shares=shares,
        mandatory_shares=params.mandatory_shares_for(PartyKind(party_kind)), nominal_cents=nominal,
        capital_cents=capital, outstanding_cents=outstanding, minimum_outstanding_cents=minimum_due,
        notices=notices, bookings=bookings, history=_history(events),
    )


def _events(session: Session, membership_id: int) -> list[Event]:
    """As ``services.events_of``, read as plain rows."""
    rows = session.execute(select(MembershipEvent.id, MembershipEvent.kind, MembershipEvent.event_date,
                                  MembershipEvent.effective_date, MembershipEvent.reverses_id)
                           .where(MembershipEvent.membership_id == membership_id))
    return [Event(event_id, EventKind(kind), on, effective, reverses) for event_id, kind, on, effective, reverses in rows]


class _IsoTime(TypeDecorator[str]):
    """recorded_at as the ISO text the overview shows (the DateTime column's value, isoformat())."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else value.isoformat()


def _ledger_rows(membership_id: int) -> Any:
    """Both ledgers of one membership in one query, in ``Booking``'s field order."""
    shares = select(literal("shares", String).label("ledger"), ShareEntry.id, ShareEntry.kind,
                    ShareEntry.delta.label("amount"), ShareEntry.effective_date,
                    type_coerce(ShareEntry.recorded_at, _IsoTime).label("recorded_at"), ShareEntry.reference,
                    ShareEntry.reverses_id, ShareEntry.basis_document).where(ShareEntry.membership_id == membership_id)
    capital = select(literal("capital", String), CapitalEntry.id, CapitalEntry.kind, CapitalEntry.amount_cents,
                     CapitalEntry.value_date, CapitalEntry.recorded_at, CapitalEntry.reference,
                     CapitalEntry.reverses_id, CapitalEntry.basis_document).where(
                         CapitalEntry.membership_id == membership_id)
    return union_all(shares, capital)


def _history(events: list) -> list[HistoryEvent]:
    """Status-changing events in order; a withdrawn one stays visible, marked as withdrawn."""
    reversed_ids = {e.reverses_id for e in events if e.reverses_id is not None}
    return [HistoryEvent(e.kind.value, e.event_date, e.effective_date, e.id in reversed_ids)
            for e in sorted(events, key=lambda e: (e.event_date, e.id)) if e.reverses_id is None]


def visible_membership_ids(session: Session, user_id: str) -> list[int]:
    """Memberships of every party the user is linked to: as the member or as a representative
    (only while the appointment runs, if the link came with one), through links that grant
    access (not held for review, removed or disabled by the LDAP sync)."""
    rows = session.scalars(
        select(Membership.id).join(Account, Account.party_id == Membership.party_id)
        .where(Account.nextcloud_user_id == user_id, account_grants(date.today()))
        .order_by(Membership.member_no)
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


def _notice_stands() -> Any:
    """A notice whose terminate entry has not been reversed (by a correction, or superseded by a
    §76 transfer of everything before it took effect)."""
    # membership_id first: share_entry's index on (membership_id, effective_date) finds the few
    # rows; notice_id alone has no index and would scan the whole ledger.
    return exists(select(ShareEntry.id).where(ShareEntry.membership_id == Notice.membership_id,
                                              ShareEntry.notice_id == Notice.id, ShareEntry.kind == "terminate",
                                              not_reversed(ShareEntry)))


def not_reversed(entry: Any) -> Any:
    """No reversal points at this ledger row: a correlated NOT EXISTS on the unique reverses_id
    index (a NOT IN over every reversal would read the whole ledger on each call)."""
    reversal = aliased(entry)
    return ~exists(select(reversal.id).where(reversal.reverses_id == entry.id))


def search_members(session: Session, term: str = "", *, offset: int = 0, limit: int = 50) -> tuple[list[SearchHit], int]:
    """Members by number or name (case-insensitive substring of family, given or firm name or
    e-mail; ``%`` and ``_`` match themselves), ordered by member number.

    A name search reads the parties once: the matches (membership id and number only) are a
    CTE used twice, so PostgreSQL and SQLite compute it once; the page and the number of matches
    both come from it, and only the page's rows are joined for names. Without a search term the
    total is a plain count of memberships."""
    columns = (Membership.id, Membership.member_no, Party.legal_name, Party.given_names, Party.family_name,
               Party.kind, Membership.admitted_on)
    term = term.strip()
    if not term:
        rows = session.execute(select(*columns).join(Party, Party.id == Membership.party_id)
                               .order_by(Membership.member_no).offset(offset).limit(limit)).all()
        total = session.scalar(select(func.count()).select_from(Membership)) or 0
        return [_hit(r) for r in rows], total
    if term.isdecimal():  # not isdigit(): "²" is a digit that int() refuses
        number = int(term)  # a number beyond the INTEGER column is no member's, not a database error
        condition = Membership.member_no == number if number <= 2**31 - 1 else false()
    else:
        condition = _name_matches(session, term)
    matches = (select(Membership.id, Membership.member_no).join(Party, Party.id == Membership.party_id)
               .where(condition))
    hits = matches.cte("hits")
    page = select(hits.c.id).order_by(hits.c.member_no).offset(offset).limit(limit).subquery("page")
    count = select(func.count()).select_from(hits).scalar_subquery()
    rows = session.execute(select(*columns, count).join(page, page.c.id == Membership.id)
                           .join(Party, Party.id == Membership.party_id).order_by(Membership.member_no)).all()
    if rows:
        total = rows[0][-1]
    elif offset:  # past the last match: count them on their own
        total = session.scalar(select(func.count()).select_from(matches.subquery())) or 0
    else:
        total = 0
    return [_hit(r) for r in rows], total


def _hit(row: Any) -> SearchHit:
    return SearchHit(row[0], row[1], row[2] or f"{row[3] or ''} {row[4] or ''}".strip(), row[5], row[6])


def _name_matches(session: Session, term: str) -> Any:
    """``term`` anywhere in a name or e-mail, ignoring case, on both databases alike.

    PostgreSQL: lower(x) LIKE (half the cost of ILIKE per row). SQLite's LIKE and lower() fold
    ASCII letters only, so "über" never found "Überall" there. SQLite therefore gets a plain LIKE
    (no lower(): a third of the cost per row), in which each letter with a non-ASCII case
    partner is a one-character wildcard, and those few candidates are then confirmed with GLOB
    over character classes ([Üü]); a term without such letters needs no GLOB."""
    columns = (Party.legal_name, Party.family_name, Party.given_names, Party.email)
    if session.get_bind().dialect.name == "postgresql":
        pattern = f"%{_like_escape(term.lower())}%"
        return or_(*(func.lower(column).like(pattern, escape="\\") for column in columns))
    cased = {c for c in term if not c.isascii() and len(_case_variants(c)) > 1}
    pattern = "%" + "".join("_" if c in cased else _like_escape(c) for c in term) + "%"
    if not cased:
        return or_(*(column.like(pattern, escape="\\") for column in columns))
    glob = "*" + "".join(_glob_char(c) for c in term) + "*"
    return or_(*(and_(column.like(pattern, escape="\\"), column.op("GLOB")(glob)) for column in columns))


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _case_variants(char: str) -> list[str]:
    """The one-character spellings of ``char`` in either case (ß has no one-letter upper case)."""
    return sorted({v for v in (char, char.lower(), char.upper(), char.casefold()) if len(v) == 1})


def _glob_char(char: str) -> str:
    """``char`` as a GLOB pattern element matching it in either case."""
    variants = _case_variants(char)
    if len(variants) > 1:
        return "[" + "".join(variants) + "]"
    return f"[{char}]" if char in "*?[" else char

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Bookings on the register. Every function flushes, never commits; the caller's unit of work
commits once or rolls back. Each booking locks its memberships, writes, re-checks the whole
ledger per date and audits; a ``RuleViolation`` leaves the caller to roll back, so an invalid
booking writes nothing."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session, aliased

from nc_coop.audit.chain import lock_chain, record
from nc_coop.register import rules
from nc_coop.register.ledger import Move, Window, check_capital, check_shares, open_partial_claim, position_on
from nc_coop.register.models import CapitalEntry, Membership, MembershipEvent, Notice, Party, ShareEntry
from nc_coop.register.queries import not_reversed
from nc_coop.register.rules import RuleViolation
from nc_coop.register.statute import PartyKind
from nc_coop.register.status import Event, EventKind, exit_event
from nc_coop.register.statutes import Statutes

SHARE_KINDS = {"subscribe_mandatory", "subscribe_additional", "terminate", "transfer_out", "transfer_in",
               "exclude", "death_exit", "reversal"}
CAPITAL_KINDS = {"deposit", "profit_credit", "loss_write_off", "transfer_out", "transfer_in", "payout", "reversal"}
# Signs that a booked amount must have, so a "deposit" can never lower the balance.
CAPITAL_SIGN = {"deposit": 1, "profit_credit": 1, "loss_write_off": -1, "payout": -1}


@dataclass(frozen=True)
class Actor:
    """Who books (a Nextcloud user id, or "cli:<user>") and under which request id."""

    user_id: str
    request_id: str | None = None


def _now() -> datetime:
    return datetime.now(UTC)


def lock_memberships(session: Session, membership_ids: list[int]) -> None:
    """Serialize bookings on these memberships for the rest of the transaction.

    PostgreSQL: row locks in id order (no deadlock between two transfers). SQLite: take the
    database write lock now (BEGIN IMMEDIATE), before the checks read anything."""
    # Every booking ends with an audit event; taking the chain first keeps one lock order for all
    # writers (chain, then memberships), so bookings never deadlock and never fork the chain.
    lock_chain(session)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        session.execute(select(Membership.id).where(Membership.id.in_(sorted(membership_ids)))
                        .order_by(Membership.id).with_for_update())
    found = session.scalar(select(func.count()).select_from(Membership).where(Membership.id.in_(membership_ids)))
    if found != len(set(membership_ids)):
        raise RuleViolation("membership_id", _l("no such membership"))


# --- Reading a membership's ledgers ---------------------------------------------------------------

def share_moves(session: Session, membership_id: int) -> list[Move]:
    rows = session.execute(select(ShareEntry.effective_date, ShareEntry.delta)
                           .where(ShareEntry.membership_id == membership_id)).all()
    return [Move(on, delta) for on, delta in rows]


def capital_moves(session: Session, membership_id: int) -> list[Move]:
    rows = session.execute(select(CapitalEntry.value_date, CapitalEntry.amount_cents)
                           .where(CapitalEntry.membership_id == membership_id)).all()
    return [Move(on, amount) for on, amount in rows]


def events_of(session: Session, membership_id: int) -> list[Event]:
    rows = session.scalars(select(MembershipEvent).where(MembershipEvent.membership_id == membership_id)).all()
    return [Event(r.id, EventKind(r.kind), r.event_date, r.effective_date, r.reverses_id) for r in rows]


def window_of(session: Session, membership: Membership) -> Window:
    leaving = exit_event(events_of(session, membership.id))
    return Window(membership.admitted_on, leaving.effective_date if leaving else None)


def check_membership(session: Session, statutes: Statutes, membership: Membership) -> None:
    """Re-check both ledgers of one membership on every date (after a write, before commit)."""
    session.flush()
    party_kind = PartyKind(session.get(Party, membership.party_id).kind)
    window = window_of(session, membership)
    shares = share_moves(session, membership.id)
    check_shares(shares, window, lambda d: statutes.params_on(d).mandatory_shares_for(party_kind),
                 lambda d: statutes.params_on(d).max_shares)
    check_capital(*_capital_inputs(session, statutes, membership, window, shares))


def open_partial_claim_on(session: Session, statutes: Statutes, membership: Membership, day: date) -> int:
    """Cents still to be paid out on ``day`` for shares ended by partial notices (§67b, §73)."""
    window = window_of(session, membership)
    return open_partial_claim(*_capital_inputs(session, statutes, membership, window,
                                               share_moves(session, membership.id)), day)


def _capital_inputs(session: Session, statutes: Statutes, membership: Membership, window: Window,
                    shares: list[Move]) -> tuple[Any, ...]:
    return (capital_moves(session, membership.id), shares, window,
            lambda d: statutes.params_on(d).share_nominal_cents,
            [d for d in partial_notice_dates(session, membership.id) if window.running(d)],
            [m for m in payout_moves(session, membership.id) if window.running(m.on)])


def partial_notice_dates(session: Session, membership_id: int) -> list[date]:
    """Days on which shares end by a partial notice (§67b) that has not been reversed."""
    return list(session.scalars(
        select(ShareEntry.effective_date).join(Notice, Notice.id == ShareEntry.notice_id)
        .where(ShareEntry.membership_id == membership_id, ShareEntry.kind == "terminate",
               Notice.scope == "partial", not_reversed(ShareEntry))))


def payout_moves(session: Session, membership_id: int) -> list[Move]:
    """Payouts (negative) and the reversals of payouts (positive) of one membership."""
    original = aliased(CapitalEntry)
    rows = session.execute(
        select(CapitalEntry.value_date, CapitalEntry.amount_cents)
        .outerjoin(original, original.id == CapitalEntry.reverses_id)
        .where(CapitalEntry.membership_id == membership_id,
               or_(CapitalEntry.kind == "payout", original.kind == "payout"))).all()
    return [Move(on, amount) for on, amount in rows]


def _statute_on(statutes: Statutes, day: date, field: str) -> tuple[int, rules.StatuteParams]:
    try:
        row_id, version = statutes.in_force(day)
    except ValueError:
        raise RuleViolation(field, _l("no statute version is in force on %(date)s", date=day.isoformat())) from None
    return row_id, version.params


def _running_on(session: Session, membership: Membership, day: date, field: str) -> None:
    if not window_of(session, membership).running(day):
        raise RuleViolation(field, _l("membership no. %(number)s does not run on %(date)s", number=membership.member_no,
                                      date=day.isoformat()))


# --- Bookings ------------------------------------------------------------------------------------

def admit_member(session: Session, actor: Actor, *, party_id: int, admitted_on: date, shares: int,
                 kind: str = "regular", basis_document: str | None = None,
                 member_no: int | None = None) -> Membership:
    """§15: admission; the member number is the next in sequence, never reused. ``member_no``
    keeps a historical number (imports); it must be greater than every number already given."""
    statutes = Statutes(session)
    statute_id, params = _statute_on(statutes, admitted_on, "admitted_on")
    if kind not in ("regular", "investing"):
        raise RuleViolation("kind", _l("must be regular or investing"))
    if kind == "investing" and not params.investing_members_allowed:
        raise RuleViolation("kind", _l("the statute does not allow investing members (§8 Abs. 2 GenG)"))
    lock_chain(session)  # the same lock order as every booking: chain first
    if session.connection().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE membership IN SHARE ROW EXCLUSIVE MODE"))  # one number at a time
    else:
        lock_memberships(session, [])
    party = session.get(Party, party_id)
    if party is None:
        raise RuleViolation("party_id", _l("no such party"))
    for other in session.scalars(select(Membership).where(Membership.party_id == party_id)):
        window = window_of(session, other)
        if window.exit_on is None or window.exit_on >= admitted_on:
            raise RuleViolation("party_id", _l("already a member (no. %(number)s)", number=other.member_no))
    mandatory = params.mandatory_shares_for(PartyKind(party.kind))
    if shares < mandatory:
        raise RuleViolation("shares", _l("at least the %(mandatory)s mandatory share(s) must be subscribed",
                                         mandatory=mandatory))
    highest = session.scalar(select(func.max(Membership.member_no))) or 0
    if member_no is not None and member_no <= highest:
        raise RuleViolation("member_no", _l("must be greater than %(highest)s, the highest member number given",
                                            highest=highest))
    number = member_no if member_no is not None else highest + 1
    membership = Membership(member_no=number, party_id=party_id, kind=kind, admitted_on=admitted_on,
                            statute_version_id=statute_id, recorded_at=_now(), actor=actor.user_id,
                            basis_document=basis_document)
    session.add(membership)
    session.flush()
    session.add(ShareEntry(membership_id=membership.id, kind="subscribe_mandatory", delta=shares,
                           effective_date=admitted_on, recorded_at=_now(), actor=actor.user_id,
                           basis_document=basis_document, statute_version_id=statute_id))
    check_membership(session, statutes, membership)
    record(session, actor=actor.user_id, action="member.admit", entity="membership", entity_id=str(membership.id),
           diff={"member_no": number, "admitted_on": admitted_on.isoformat(), "shares": shares, "kind": kind},
           request_id=actor.request_id)
    return membership


def subscribe_shares(session: Session, actor: Actor, *, membership_id: int, shares: int, admitted_on: date,
                     declared_on: date | None = None, basis_document: str | None = None) -> ShareEntry:
    """§15b: further shares, effective on admission; refused while older shares are unpaid."""
    lock_memberships(session, [membership_id])
    statutes = Statutes(session)
    membership = session.get(Membership, membership_id)
    statute_id, params = _statute_on(statutes, admitted_on, "admitted_on")
    if shares < 1:
        raise RuleViolation("shares", _l("must be at least 1"))
    rules.further_shares_effective_date(declared_on or admitted_on, admitted_on)
    _running_on(session, membership, admitted_on, "admitted_on")
    held = position_on(share_moves(session, membership_id), admitted_on)
    paid = position_on(capital_moves(session, membership_id), admitted_on)
    rules.check_further_shares_admissible(held, paid, params)
    entry = ShareEntry(membership_id=membership_id, kind="subscribe_additional", delta=shares,
                       effective_date=admitted_on, recorded_at=_now(), actor=actor.user_id,
                       basis_document=basis_document, statute_version_id=statute_id)
    session.add(entry)
    check_membership(session, statutes, membership)
    record(session, actor=actor.user_id, action="shares.subscribe", entity="membership",
           entity_id=str(membership_id), diff={"shares": shares, "effective": admitted_on.isoformat()},
           request_id=actor.request_id)
    return entry


def book_capital(session: Session, actor: Actor, *, membership_id: int, kind: str, amount_cents: int,
                 value_date: date, reference: str | None = None, basis_document: str | None = None) -> CapitalEntry:
    """A payment on the shares, a profit credit, a loss write-off or a payout (§73)."""
    if kind not in CAPITAL_SIGN:
        raise RuleViolation("kind", _l("must be one of %(choices)s", choices=", ".join(sorted(CAPITAL_SIGN))))
    if not isinstance(amount_cents, int) or amount_cents <= 0:
        raise RuleViolation("amount_cents", _l("must be a positive number of cents"))
    lock_memberships(session, [membership_id])
    statutes = Statutes(session)
    membership = session.get(Membership, membership_id)
    window = window_of(session, membership)
    if kind == "payout" and (window.exit_on is None or value_date <= window.exit_on) and not any(
            day < value_date for day in partial_notice_dates(session, membership_id) if window.running(day)):
        raise RuleViolation("value_date", _l("a payout is possible only after the exit, or after a partial notice "
                                             "has ended some shares (§73, §67b GenG)"))
    if kind in ("deposit", "profit_credit") and window.exit_on is not None and value_date > window.exit_on:
        raise RuleViolation("value_date", _l("after the exit on %(date)s the balance only goes down: book a payout "
                                             "or a write-off", date=window.exit_on.isoformat()))
    entry = CapitalEntry(membership_id=membership_id, kind=kind, amount_cents=CAPITAL_SIGN[kind] * amount_cents,
                         value_date=value_date, recorded_at=_now(), actor=actor.user_id, reference=reference,
                         basis_document=basis_document)
    session.add(entry)
    check_membership(session, statutes, membership)
    record(session, actor=actor.user_id, action=f"capital.{kind}", entity="membership", entity_id=str(membership_id),
           diff={"amount_cents": entry.amount_cents, "value_date": value_date.isoformat()},
           request_id=actor.request_id)
    return entry


def receive_notice(session: Session, actor: Actor, *, membership_id: int, received_on: date,
                   shares: int | None = None, basis_document: str | None = None) -> Notice:
    """§65 (all shares, ``shares=None``) or §67b (some further shares): the effective date and
    the payout due date come from the statute version in force at receipt."""
    lock_memberships(session, [membership_id])
    statutes = Statutes(session)
    membership = session.get(Membership, membership_id)
    statute_id, params = _statute_on(statutes, received_on, "received_on")
    _running_on(session, membership, received_on, "received_on")
    effective = rules.notice_effective_date(received_on, params)
    if shares is None and window_of(session, membership).exit_on is not None:
        raise RuleViolation("received_on", _l("the membership already ends; a second notice changes nothing"))
    held = position_on(share_moves(session, membership_id), effective)
    party_kind = PartyKind(session.get(Party, membership.party_id).kind)
    if shares is not None:
        rules.check_partial_notice(held, shares, params.mandatory_shares_for(party_kind), params)
    scope, terminated = ("all", held) if shares is None else ("partial", shares)
    notice = Notice(membership_id=membership_id, scope=scope, shares=terminated, received_on=received_on,
                    statute_version_id=statute_id, effective_date=effective,
                    settlement_due=rules.settlement_due_date(effective, params), recorded_at=_now(),
                    actor=actor.user_id, basis_document=basis_document)
    session.add(notice)
    session.flush()
    if scope == "all":
        session.add(MembershipEvent(membership_id=membership_id, kind=EventKind.NOTICE_RECEIVED.value,
                                    event_date=received_on, effective_date=effective, notice_id=notice.id,
                                    recorded_at=_now(), actor=actor.user_id))
    session.add(ShareEntry(membership_id=membership_id, kind="terminate", delta=-terminated, effective_date=effective,
                           recorded_at=_now(), actor=actor.user_id, basis_document=basis_document,
                           statute_version_id=statute_id, notice_id=notice.id))
    check_membership(session, statutes, membership)
    record(session, actor=actor.user_id, action="notice.receive", entity="membership", entity_id=str(membership_id),
           diff={"scope": scope, "shares": terminated, "received_on": received_on.isoformat(),
                 "effective": effective.isoformat()}, request_id=actor.request_id)
    return notice


def _pending_terminations(session: Session, membership_id: int, after: date) -> list[ShareEntry]:
    """Terminate entries of notices (§65, §67b) that take effect after ``after`` and stand."""
    return list(session.scalars(select(ShareEntry).where(
        ShareEntry.membership_id == membership_id, ShareEntry.kind == "terminate", ShareEntry.effective_date > after,
        not_reversed(ShareEntry)).order_by(ShareEntry.effective_date, ShareEntry.id)))


def transfer(session: Session, actor: Actor, *, from_membership_id: int, to_membership_id: int, shares: int,
             amount_cents: int, agreed_on: date, board_consent_on: date | None = None,
             basis_document: str | None = None) -> str:
    """§76: shares and Geschäftsguthaben move as one pair of pairs on one date; the receiver's
    capacity is checked; giving everything away ends the membership without settlement."""
    if from_membership_id == to_membership_id:
        raise RuleViolation("to_membership_id", _l("a member cannot transfer to themself"))
    if shares < 0 or amount_cents < 0 or (shares == 0 and amount_cents == 0):
        raise RuleViolation("amount_cents", _l("transfer some shares or some capital"))
    lock_memberships(session, [from_membership_id, to_membership_id])
    statutes = Statutes(session)
    giver, receiver = session.get(Membership, from_membership_id), session.get(Membership, to_membership_id)
    statute_id, params = _statute_on(statutes, agreed_on, "agreed_on")
    on = rules.transfer_effective_date(agreed_on, params, board_consent_on=board_consent_on)
    _running_on(session, giver, on, "agreed_on")
    _running_on(session, receiver, on, "to_membership_id")
    receiver_shares = position_on(share_moves(session, to_membership_id), on) + shares
    if amount_cents:
        rules.check_transfer_capacity(receiver_shares, position_on(capital_moves(session, to_membership_id), on),
                                      amount_cents, params)
    giver_shares = position_on(share_moves(session, from_membership_id), on)
    giver_capital = position_on(capital_moves(session, from_membership_id), on)
    everything = shares == giver_shares and amount_cents == giver_capital
    pending = _pending_terminations(session, from_membership_id, on)
    if pending and shares and not everything:
        raise RuleViolation("shares", _l("a notice ends shares on %(date)s: before that, transfer everything (§76 "
                                         "instead of the notice) or no shares",
                                         date=pending[0].effective_date.isoformat()))
    transfer_id = str(uuid.uuid4())
    common = {"recorded_at": _now(), "actor": actor.user_id, "basis_document": basis_document,
              "transfer_id": transfer_id}
    if shares:
        session.add(ShareEntry(membership_id=from_membership_id, kind="transfer_out", delta=-shares,
                               effective_date=on, statute_version_id=statute_id, **common))
        session.add(ShareEntry(membership_id=to_membership_id, kind="transfer_in", delta=shares,
                               effective_date=on, statute_version_id=statute_id, **common))
    if amount_cents:
        session.add(CapitalEntry(membership_id=from_membership_id, kind="transfer_out", amount_cents=-amount_cents,
                                 value_date=on, **common))
        session.add(CapitalEntry(membership_id=to_membership_id, kind="transfer_in", amount_cents=amount_cents,
                                 value_date=on, **common))
    if everything:
        session.add(MembershipEvent(membership_id=from_membership_id, kind=EventKind.TRANSFER_ALL.value,
                                    event_date=agreed_on, effective_date=on, recorded_at=_now(),
                                    actor=actor.user_id, reference=transfer_id))
        # The member leaves by transfer before the notice takes effect: the shares it would end are
        # gone already. Its terminate entries are reversed, linked to the transfer by reference, so
        # that reversing the transfer books them again.
        for entry in pending:
            session.add(ShareEntry(membership_id=from_membership_id, kind="reversal", delta=-entry.delta,
                                   effective_date=entry.effective_date, statute_version_id=entry.statute_version_id,
                                   reverses_id=entry.id, reference=transfer_id, recorded_at=_now(),
                                   actor=actor.user_id))
    check_membership(session, statutes, giver)
    check_membership(session, statutes, receiver)
    record(session, actor=actor.user_id, action="transfer.book", entity="transfer", entity_id=transfer_id,
           diff={"from": giver.member_no, "to": receiver.member_no, "shares": shares, "amount_cents": amount_cents,
                 "effective": on.isoformat(), "exit": everything}, request_id=actor.request_id)
    return transfer_id


def reverse(session: Session, actor: Actor, *, ledger: str, entry_id: int, reason: str) -> list[int]:
    """A correction: the exact negative of an entry, linked to it (unique). Reversing one half of a
    transfer reverses every entry of that transfer (DOMAIN.md §0)."""
    model = {"shares": ShareEntry, "capital": CapitalEntry}.get(ledger)
    if model is None:
        raise RuleViolation("ledger", _l("must be shares or capital"))
    if not reason.strip():
        raise RuleViolation("reason", _l("say why the entry is reversed"))
    original = session.get(model, entry_id)
    if original is None:
        raise RuleViolation("entry_id", _l("no such entry"))
    if original.reverses_id is not None:
        raise RuleViolation("entry_id", _l("a reversal cannot be reversed; book the entry again"))
    targets: list[ShareEntry | CapitalEntry] = [original]
    if original.transfer_id:
        targets = [*session.scalars(select(ShareEntry).where(ShareEntry.transfer_id == original.transfer_id)),
                   *session.scalars(select(CapitalEntry).where(CapitalEntry.transfer_id == original.transfer_id))]
    lock_memberships(session, sorted({t.membership_id for t in targets}))
    statutes = Statutes(session)
    done = {(type(t), t.id) for t in targets
            if session.scalar(select(type(t).id).where(type(t).reverses_id == t.id)) is not None}
    if done:
        raise RuleViolation("entry_id", _l("this entry has already been reversed"))
    created = []
    for target in targets:
        if isinstance(target, ShareEntry):
            row: ShareEntry | CapitalEntry = ShareEntry(
                membership_id=target.membership_id, kind="reversal", delta=-target.delta,
                effective_date=target.effective_date, statute_version_id=target.statute_version_id,
                reverses_id=target.id, transfer_id=target.transfer_id, reference=reason, recorded_at=_now(),
                actor=actor.user_id)
        else:
            row = CapitalEntry(membership_id=target.membership_id, kind="reversal", amount_cents=-target.amount_cents,
                               value_date=target.value_date, reverses_id=target.id, transfer_id=target.transfer_id,
                               reference=reason, recorded_at=_now(), actor=actor.user_id)
        session.add(row)
        session.flush()
        created.append(row.id)
    if original.transfer_id:
        for event in session.scalars(select(MembershipEvent).where(MembershipEvent.reference == original.transfer_id,
                                                                   MembershipEvent.kind == EventKind.TRANSFER_ALL.value)):
            leaver = session.get(Membership, event.membership_id)
            later = session.scalar(select(Membership.member_no).where(Membership.party_id == leaver.party_id,
                                                                      Membership.admitted_on > event.effective_date))
            if later is not None:  # DOMAIN.md §2.2 no. 7: at most one running membership per party
                raise RuleViolation("entry_id", _l("the member was admitted again (no. %(number)s); reversing this "
                                                   "transfer would revive the old membership", number=later))
    if original.transfer_id:
        # Notices the transfer superseded take effect again: their terminate entries are booked anew.
        for superseding in session.scalars(select(ShareEntry).where(ShareEntry.reference == original.transfer_id,
                                                                    ShareEntry.kind == "reversal")):
            terminate = session.get(ShareEntry, superseding.reverses_id)
            session.add(ShareEntry(membership_id=terminate.membership_id, kind="terminate", delta=terminate.delta,
                                   effective_date=terminate.effective_date, notice_id=terminate.notice_id,
                                   statute_version_id=terminate.statute_version_id, reference=reason,
                                   recorded_at=_now(), actor=actor.user_id))
        for event in session.scalars(select(MembershipEvent).where(MembershipEvent.reference == original.transfer_id,
                                                                   MembershipEvent.kind == EventKind.TRANSFER_ALL.value)):
            session.add(MembershipEvent(membership_id=event.membership_id, kind=event.kind, event_date=event.event_date,
                                        effective_date=event.effective_date, reverses_id=event.id,
                                        recorded_at=_now(), actor=actor.user_id, reference=reason))
    for membership_id in sorted({t.membership_id for t in targets}):
        check_membership(session, statutes, session.get(Membership, membership_id))
    record(session, actor=actor.user_id, action="entry.reverse", entity=f"{ledger}_entry", entity_id=str(entry_id),
           diff={"reversals": created, "reason": reason}, request_id=actor.request_id)
    return created


def _end_membership(session: Session, actor: Actor, membership: Membership, statutes: Statutes, *,
                    event: EventKind, share_kind: str, event_date: date, exit_on: date, reference: str | None,
                    basis_document: str | None) -> MembershipEvent:
    """Record an exit event and book out every share held on the exit date."""
    leaving = exit_event(events_of(session, membership.id))
    if leaving is not None:
        raise RuleViolation("date", _l("the membership already ends on %(date)s",
                                       date=leaving.effective_date.isoformat()))
    statute_id, _ = _statute_on(statutes, event_date, "date")
    row = MembershipEvent(membership_id=membership.id, kind=event.value, event_date=event_date,
                          effective_date=exit_on, recorded_at=_now(), actor=actor.user_id, reference=reference)
    session.add(row)
    held = position_on(share_moves(session, membership.id), exit_on)
    if held:
        session.add(ShareEntry(membership_id=membership.id, kind=share_kind, delta=-held, effective_date=exit_on,
                               recorded_at=_now(), actor=actor.user_id, basis_document=basis_document,
                               statute_version_id=statute_id, reference=reference))
    check_membership(session, statutes, membership)
    record(session, actor=actor.user_id, action=f"member.{event.value}", entity="membership",
           entity_id=str(membership.id), diff={"event_date": event_date.isoformat(), "exit": exit_on.isoformat()},
           request_id=actor.request_id)
    return row


def record_exclusion(session: Session, actor: Actor, *, membership_id: int, decided_on: date, dispatched_on: date,
                     basis_document: str | None = None) -> MembershipEvent:
    """§68: the registered letter's dispatch ends the right to take part in the GV; the member
    leaves at the end of that fiscal year."""
    lock_memberships(session, [membership_id])
    statutes = Statutes(session)
    membership = session.get(Membership, membership_id)
    _running_on(session, membership, dispatched_on, "date")
    dates = rules.exclusion_dates(decided_on, dispatched_on, statutes.params_on(dispatched_on))
    return _end_membership(session, actor, membership, statutes, event=EventKind.EXCLUSION_DISPATCHED,
                           share_kind="exclude", event_date=dispatched_on, exit_on=dates.exit_on,
                           reference=f"decided {decided_on.isoformat()}", basis_document=basis_document)


def record_death(session: Session, actor: Actor, *, membership_id: int, died_on: date,
                 basis_document: str | None = None) -> MembershipEvent:
    """§77: the heirs hold the membership until the end of the fiscal year of the death."""
    lock_memberships(session, [membership_id])
    statutes = Statutes(session)
    membership = session.get(Membership, membership_id)
    _running_on(session, membership, died_on, "date")
    exit_on = rules.death_exit_date(died_on, statutes.params_on(died_on))
    if exit_on is None:
        raise RuleViolation("date", _l("the statute lets heirs continue: admit the heirs instead (§77 Abs. 2)"))
    return _end_membership(session, actor, membership, statutes, event=EventKind.DEATH, share_kind="death_exit",
                           event_date=died_on, exit_on=exit_on, reference=None, basis_document=basis_document)

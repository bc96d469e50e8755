# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Bookings on the register through the services, against SQLite and PostgreSQL."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from nc_coop.audit.models import AuditEvent
from nc_coop.register.models import CapitalEntry, Membership, ShareEntry
from nc_coop.register.rules import RuleViolation
from nc_coop.register.services import (
    admit_member,
    book_capital,
    capital_moves,
    events_of,
    receive_notice,
    reverse,
    share_moves,
    subscribe_shares,
    transfer,
)
from nc_coop.register.ledger import position_on
from nc_coop.register.status import Status, status_on
from tests.register.conftest import OFFICE, STATUTE, make_party

Member = Callable[..., int]


def _count(session: Session) -> tuple[int, int, int, int]:
    return tuple(session.scalar(select(func.count()).select_from(t)) for t in  # type: ignore[return-value]
                 (Membership, ShareEntry, CapitalEntry, AuditEvent))


def test_member_numbers_are_sequential_and_audited(session: Session, member: Member) -> None:
    first, second = member("Erika Mustermann"), member("Max Muster")
    numbers = [session.get(Membership, i).member_no for i in (first, second)]
    assert numbers == [1, 2]
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["statute.add", "member.admit", "member.admit"]


def test_admission_needs_the_mandatory_shares_of_the_party_kind(session: Session) -> None:
    company = make_party(session, "legal_person", "Hoffmann IT GmbH")
    before = _count(session)
    with pytest.raises(RuleViolation) as err:
        admit_member(session, OFFICE, party_id=company.id, admitted_on=date(2024, 2, 1), shares=2)
    assert err.value.field == "shares" and "3 mandatory" in err.value.reason
    session.rollback()
    assert _count(session)[0] == before[0]


def test_deposits_cannot_exceed_the_shares_held(session: Session, member: Member) -> None:
    m = member()
    book_capital(session, OFFICE, membership_id=m, kind="deposit", amount_cents=10_000, value_date=date(2024, 1, 15))
    session.commit()
    with pytest.raises(RuleViolation) as err:
        book_capital(session, OFFICE, membership_id=m, kind="deposit", amount_cents=1, value_date=date(2024, 1, 16))
    assert err.value.field == "amount_cents"


def test_further_shares_wait_until_older_shares_are_paid(session: Session, member: Member) -> None:
    m = member(shares=2)
    with pytest.raises(RuleViolation) as err:  # §15b: 1 of 2 shares unpaid
        subscribe_shares(session, OFFICE, membership_id=m, shares=1, admitted_on=date(2024, 3, 9))
    assert err.value.field == "paid_in_cents"
    session.rollback()
    book_capital(session, OFFICE, membership_id=m, kind="deposit", amount_cents=10_000, value_date=date(2024, 2, 1))
    entry = subscribe_shares(session, OFFICE, membership_id=m, shares=1, admitted_on=date(2024, 3, 9),
                             declared_on=date(2024, 3, 2))
    session.commit()
    assert entry.effective_date == date(2024, 3, 9)  # the admission date, not the payment date
    assert position_on(share_moves(session, m), date(2024, 3, 9)) == 3


def test_a_notice_ends_the_membership_at_the_fiscal_year_end_after_24_months(session: Session, member: Member) -> None:
    m = member(on=date(2020, 1, 10))
    notice = receive_notice(session, OFFICE, membership_id=m, received_on=date(2026, 1, 1))
    session.commit()
    assert (notice.effective_date, notice.settlement_due) == (date(2028, 12, 31), date(2029, 6, 30))
    events = events_of(session, m)
    assert status_on(date(2028, 12, 31), events, 0) is Status.NOTICE_PENDING
    assert status_on(date(2029, 1, 1), events, 0) is Status.SETTLED
    assert position_on(share_moves(session, m), date(2029, 1, 1)) == 0


def test_a_partial_notice_keeps_the_mandatory_shares(session: Session, member: Member) -> None:
    m = member(shares=3)
    with pytest.raises(RuleViolation) as err:
        receive_notice(session, OFFICE, membership_id=m, received_on=date(2025, 2, 1), shares=3)
    assert err.value.field == "terminated"
    session.rollback()
    partial = receive_notice(session, OFFICE, membership_id=m, received_on=date(2025, 2, 1), shares=2)
    assert partial.scope == "partial" and partial.effective_date == date(2027, 12, 31)


def test_a_transfer_books_both_sides_and_reversing_one_half_reverses_all(session: Session, member: Member) -> None:
    giver, receiver = member("Erika Mustermann", shares=2), member("Max Muster", shares=2)
    book_capital(session, OFFICE, membership_id=giver, kind="deposit", amount_cents=20_000, value_date=date(2024, 2, 1))
    transfer_id = transfer(session, OFFICE, from_membership_id=giver, to_membership_id=receiver, shares=1,
                           amount_cents=10_000, agreed_on=date(2024, 8, 14))
    session.commit()
    assert position_on(capital_moves(session, receiver), date(2024, 8, 14)) == 10_000
    assert position_on(share_moves(session, giver), date(2024, 8, 14)) == 1
    half = session.scalar(select(CapitalEntry).where(CapitalEntry.transfer_id == transfer_id,
                                                     CapitalEntry.membership_id == receiver))
    created = reverse(session, OFFICE, ledger="capital", entry_id=half.id, reason="signed by the wrong person")
    session.commit()
    assert len(created) == 4  # both capital halves and both share halves
    assert position_on(capital_moves(session, giver), date(2030, 1, 1)) == 20_000
    assert position_on(share_moves(session, receiver), date(2030, 1, 1)) == 2
    with pytest.raises(RuleViolation, match="already been reversed"):
        reverse(session, OFFICE, ledger="capital", entry_id=half.id, reason="again")


def test_giving_everything_away_exits_without_settlement(session: Session, member: Member) -> None:
    giver, receiver = member("Erika Mustermann", shares=1), member("Max Muster", shares=2)
    book_capital(session, OFFICE, membership_id=giver, kind="deposit", amount_cents=10_000, value_date=date(2024, 2, 1))
    transfer(session, OFFICE, from_membership_id=giver, to_membership_id=receiver, shares=1, amount_cents=10_000,
             agreed_on=date(2024, 8, 14))
    session.commit()
    assert status_on(date(2024, 8, 15), events_of(session, giver), 0) is Status.EXITED


def test_the_receiver_capacity_is_checked(session: Session, member: Member) -> None:
    giver, receiver = member("Erika Mustermann", shares=2), member("Max Muster", shares=1)
    book_capital(session, OFFICE, membership_id=giver, kind="deposit", amount_cents=20_000, value_date=date(2024, 2, 1))
    book_capital(session, OFFICE, membership_id=receiver, kind="deposit", amount_cents=10_000, value_date=date(2024, 2, 1))
    session.commit()
    with pytest.raises(RuleViolation) as err:
        transfer(session, OFFICE, from_membership_id=giver, to_membership_id=receiver, shares=0, amount_cents=5_000,
                 agreed_on=date(2024, 8, 14))
    assert "subscribe further shares" in err.value.reason


def test_a_back_dated_reversal_cannot_make_an_earlier_date_negative(session: Session, member: Member) -> None:
    m = member(shares=1)
    book_capital(session, OFFICE, membership_id=m, kind="deposit", amount_cents=10_000, value_date=date(2024, 2, 1))
    deposit_id = session.scalar(select(CapitalEntry.id).where(CapitalEntry.membership_id == m))
    receive_notice(session, OFFICE, membership_id=m, received_on=date(2024, 3, 1))  # exit 31.12.2026
    book_capital(session, OFFICE, membership_id=m, kind="payout", amount_cents=10_000, value_date=date(2027, 6, 1))
    session.commit()
    with pytest.raises(RuleViolation) as err:  # the payout would then make 2027-06-01 negative
        reverse(session, OFFICE, ledger="capital", entry_id=deposit_id, reason="bounced")
    assert "-10000 cents on 2027-06-01" in err.value.reason


@pytest.mark.parametrize("table", ["share_entry", "capital_entry", "membership", "notice"])
def test_ledger_rows_cannot_be_changed_at_the_database(engine: Engine, session: Session, member: Member,
                                                       table: str) -> None:
    m = member()
    receive_notice(session, OFFICE, membership_id=m, received_on=date(2024, 3, 1))
    book_capital(session, OFFICE, membership_id=m, kind="deposit", amount_cents=100, value_date=date(2024, 2, 1))
    session.commit()
    for statement in (f"UPDATE {table} SET actor = 'mallory'", f"DELETE FROM {table}"):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))


def test_exclusion_and_death_end_the_membership_at_the_fiscal_year_end(session: Session, member: Member) -> None:
    from nc_coop.register.services import record_death, record_exclusion  # noqa: PLC0415

    excluded, deceased = member("Erika Mustermann", shares=2), member("Max Muster")
    event = record_exclusion(session, OFFICE, membership_id=excluded, decided_on=date(2026, 5, 10),
                             dispatched_on=date(2026, 5, 12))
    record_death(session, OFFICE, membership_id=deceased, died_on=date(2026, 3, 15))
    session.commit()
    assert event.effective_date == date(2026, 12, 31)
    assert status_on(date(2026, 6, 1), events_of(session, excluded), 0) is Status.EXCLUSION_PENDING
    assert status_on(date(2026, 6, 1), events_of(session, deceased), 0) is Status.HEIRS_INTERIM
    assert position_on(share_moves(session, excluded), date(2026, 12, 31)) == 0
    with pytest.raises(RuleViolation, match="already ends"):
        record_death(session, OFFICE, membership_id=excluded, died_on=date(2026, 7, 1))


# --- §67b/§73: the Geschäftsguthaben on shares ended by a partial notice ------------------------------

NOMINAL = STATUTE.share_nominal_cents


def _balance(session: Session, membership_id: int, day: date) -> int:
    return position_on(capital_moves(session, membership_id), day)


def test_a_partial_notice_is_settled_like_an_exit(session: Session, member: Member) -> None:
    m = member(shares=3)
    book_capital(session, OFFICE, membership_id=m, kind="deposit", amount_cents=3 * NOMINAL,
                 value_date=date(2024, 2, 1))
    receive_notice(session, OFFICE, membership_id=m, received_on=date(2024, 3, 1), shares=2)  # ends 31.12.2026
    session.commit()
    before = _count(session)
    for value_date, amount, field in ((date(2026, 12, 31), NOMINAL, "value_date"),  # not on the day they end
                                      (date(2026, 6, 1), NOMINAL, "value_date"),  # nor before
                                      (date(2027, 6, 30), 2 * NOMINAL + 1, "amount_cents")):  # nor beyond the claim
        with pytest.raises(RuleViolation) as refused:
            book_capital(session, OFFICE, membership_id=m, kind="payout", amount_cents=amount, value_date=value_date)
        assert refused.value.field == field
        session.rollback()
    assert _count(session) == before
    # Paid in two instalments within the six months of §73 Abs. 2.
    book_capital(session, OFFICE, membership_id=m, kind="payout", amount_cents=NOMINAL, value_date=date(2027, 3, 1))
    payout = book_capital(session, OFFICE, membership_id=m, kind="payout", amount_cents=NOMINAL,
                          value_date=date(2027, 6, 30))
    session.commit()
    assert _balance(session, m, date(2027, 7, 1)) == NOMINAL  # what the one share left is paid up with
    with pytest.raises(RuleViolation, match="exceeds"):  # the claim is used up: the room is gone
        book_capital(session, OFFICE, membership_id=m, kind="deposit", amount_cents=1, value_date=date(2027, 8, 1))
    session.rollback()
    reverse(session, OFFICE, ledger="capital", entry_id=payout.id, reason="paid to the wrong account")
    session.commit()  # reversing a payout reopens that much of the claim
    book_capital(session, OFFICE, membership_id=m, kind="payout", amount_cents=NOMINAL, value_date=date(2027, 7, 15))
    session.commit()
    assert _balance(session, m, date(2027, 12, 31)) == NOMINAL


def test_shares_ended_unpaid_leave_nothing_to_pay_out(session: Session, member: Member) -> None:
    """Only the Guthaben above the shares left is a claim: 1 share paid of 3, 2 ended, nothing owed."""
    m = member(shares=3)
    book_capital(session, OFFICE, membership_id=m, kind="deposit", amount_cents=NOMINAL, value_date=date(2024, 2, 1))
    receive_notice(session, OFFICE, membership_id=m, received_on=date(2024, 3, 1), shares=2)
    session.commit()
    with pytest.raises(RuleViolation, match="open settlement claim"):
        book_capital(session, OFFICE, membership_id=m, kind="payout", amount_cents=1, value_date=date(2027, 1, 15))
    session.rollback()


def test_a_deposit_on_the_day_shares_end_buys_no_claim(session: Session, member: Member) -> None:
    m = member(shares=3)
    book_capital(session, OFFICE, membership_id=m, kind="deposit", amount_cents=NOMINAL, value_date=date(2024, 2, 1))
    receive_notice(session, OFFICE, membership_id=m, received_on=date(2024, 3, 1), shares=2)
    session.commit()
    with pytest.raises(RuleViolation, match="exceeds"):
        book_capital(session, OFFICE, membership_id=m, kind="deposit", amount_cents=NOMINAL,
                     value_date=date(2026, 12, 31))
    session.rollback()


# --- §76 after a notice: leaving by transfer before the notice takes effect ---------------------------

def test_transferring_everything_before_a_notice_takes_effect_supersedes_the_notice(session: Session,
                                                                                  member: Member) -> None:
    from nc_coop.register.queries import member_overview  # noqa: PLC0415
    from nc_coop.register.settlements import open_settlements  # noqa: PLC0415

    leaving, receiver = member("Erika Mustermann", shares=1), member("Max Muster", shares=2)
    book_capital(session, OFFICE, membership_id=leaving, kind="deposit", amount_cents=NOMINAL,
                 value_date=date(2024, 2, 1))
    receive_notice(session, OFFICE, membership_id=leaving, received_on=date(2024, 3, 1))  # exit 31.12.2026
    session.commit()
    transfer_id = transfer(session, OFFICE, from_membership_id=leaving, to_membership_id=receiver, shares=1,
                           amount_cents=NOMINAL, agreed_on=date(2025, 5, 1))
    session.commit()
    assert position_on(share_moves(session, leaving), date(2030, 1, 1)) == 0
    assert status_on(date(2025, 5, 2), events_of(session, leaving), 0) is Status.EXITED
    assert member_overview(session, leaving, date(2025, 6, 1)).notices == []  # superseded, not pending
    assert open_settlements(session, date(2027, 7, 1)) == []  # §76: no settlement
    # Reversing the transfer (say, the receiver's consent was missing) brings the notice back.
    entry = session.scalar(select(ShareEntry.id).where(ShareEntry.transfer_id == transfer_id,
                                                       ShareEntry.membership_id == leaving))
    reverse(session, OFFICE, ledger="shares", entry_id=entry, reason="no consent of the receiver")
    session.commit()
    [notice] = member_overview(session, leaving, date(2025, 6, 1)).notices
    assert (notice.scope, notice.effective_date) == ("all", date(2026, 12, 31))
    assert position_on(share_moves(session, leaving), date(2026, 12, 31)) == 0
    assert position_on(share_moves(session, leaving), date(2026, 12, 30)) == 1


def test_a_partial_transfer_out_while_a_notice_is_pending_is_refused_with_a_reason(session: Session,
                                                                                  member: Member) -> None:
    leaving, receiver = member("Erika Mustermann", shares=3), member("Max Muster", shares=2)
    receive_notice(session, OFFICE, membership_id=leaving, received_on=date(2024, 3, 1))
    session.commit()
    before = _count(session)
    with pytest.raises(RuleViolation, match="transfer everything") as refused:
        transfer(session, OFFICE, from_membership_id=leaving, to_membership_id=receiver, shares=1,
                 amount_cents=0, agreed_on=date(2025, 5, 1))
    assert refused.value.field == "shares"
    session.rollback()
    assert _count(session) == before

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Requests through their services: what each writes, what the decision books in the register."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from nc_coop.audit.models import AuditEvent
from nc_coop.register.models import Account, CapitalEntry, Membership, Notice, Party, ShareEntry
from nc_coop.register.services import Actor, book_capital
from nc_coop.register.statute import TransferPolicy
from nc_coop.register.statutes import add_statute_version, params_to_json
from nc_coop.requests import services
from nc_coop.requests.models import MemberRequest
from nc_coop.requests.rules import Action, RuleViolation
from tests.register.conftest import OFFICE, STATUTE

TODAY = date.today()
BOARD = Actor("bea", "rid")
BERLIN = ZoneInfo("Europe/Berlin")  # NC_COOP_TIME_ZONE's default


@pytest.fixture(autouse=True)
def _app_context(app: Flask) -> Iterator[None]:
    """The services count days in the cooperative's time zone, a setting of the app."""
    with app.app_context():
        yield


def render(item: Any) -> str:
    return f"{item.key}:{item.values}"


def join_data(**changes: Any) -> dict[str, Any]:
    return {"kind": "natural", "given_names": "Łukasz", "family_name": "Żółć", "legal_name": None,
            "postal_address": "Ærøvej 7, 5970 Ærøskøbing", "email": "lukasz@example.org", "register_court": None,
            "register_no": None, "shares": 2, **changes}


ALL_ACKS = {"statute", "payment", "notice_period"}


def test_a_join_snapshots_the_statute_and_admission_makes_a_member(session: Session) -> None:
    r = services.submit_join(session, Actor("carol", "r1"), data=join_data(), acknowledged=ALL_ACKS, render=render,
                             today=TODAY)
    assert (r.kind, r.status, r.statute_version, r.received_on) == ("join", "submitted", 1, TODAY)
    assert r.statute_params == params_to_json(STATUTE) and len(r.declaration_sha256) == 64
    assert json.loads(r.acknowledgements) == {"statute": True, "payment": True, "notice_period": True}
    # The application is audited without the applicant's identity.
    event = session.scalars(select(AuditEvent).where(AuditEvent.entity == "member_request")).one()
    assert event.actor == "applicant" and "carol" not in event.diff and "Żółć" not in event.diff

    services.decide(session, BOARD, r, action=Action.APPROVE, on=TODAY, today=TODAY)
    membership = session.get(Membership, r.membership_id)
    party = session.get(Party, membership.party_id)
    assert (party.given_names, party.family_name, membership.admitted_on) == ("Łukasz", "Żółć", TODAY)
    account = session.scalars(select(Account).where(Account.party_id == party.id)).one()
    assert (account.nextcloud_user_id, account.role) == ("carol", "self")
    shares = session.scalars(select(ShareEntry).where(ShareEntry.membership_id == membership.id)).one()
    assert (shares.delta, shares.effective_date, shares.basis_document) == (2, TODAY, f"request #{r.id}")
    assert r.status == "approved" and r.decided_by == "bea"


def test_a_second_application_or_one_by_a_member_is_refused(session: Session, people: dict[str, int]) -> None:
    services.submit_join(session, Actor("carol"), data=join_data(), acknowledged=ALL_ACKS, render=render, today=TODAY)
    with pytest.raises(RuleViolation, match="already with the board"):
        services.submit_join(session, Actor("carol"), data=join_data(), acknowledged=ALL_ACKS, render=render,
                             today=TODAY)
    with pytest.raises(RuleViolation, match="member already"):
        services.submit_join(session, Actor("alice"), data=join_data(), acknowledged=ALL_ACKS, render=render,
                             today=TODAY)
    with pytest.raises(RuleViolation) as refused:
        services.submit_join(session, Actor("dora"), data=join_data(), acknowledged={"statute"}, render=render,
                             today=TODAY)
    assert refused.value.field == "ack_payment"


def test_further_shares_are_refused_while_unpaid_and_admitted_on_the_decision_date(
        session: Session, people: dict[str, int]) -> None:
    alice = people["alice"]
    r = services.submit_shares(session, Actor("alice"), membership_id=alice, shares=1, acknowledged={"payment",
                               "notice_period"}, render=render, today=TODAY)
    # Admitted, alice holds 3 shares with 100 € paid: the next declaration must wait (§15b Abs. 2).
    services.decide(session, BOARD, r, action=Action.APPROVE, on=TODAY, today=TODAY)
    entry = session.get(ShareEntry, r.share_entry_id)
    assert (entry.kind, entry.delta, entry.effective_date) == ("subscribe_additional", 1, TODAY)
    with pytest.raises(RuleViolation, match="not fully paid"):
        services.submit_shares(session, Actor("alice"), membership_id=alice, shares=1,
                               acknowledged={"payment", "notice_period"}, render=render, today=TODAY)


def test_a_notice_keeps_its_receipt_date_and_is_booked_with_it(session: Session, people: dict[str, int]) -> None:
    bob = people["bob"]
    sent = datetime.now(UTC) - timedelta(days=3)
    r = services.submit_notice(session, Actor("bob"), membership_id=bob, shares=None, now=sent)
    received = sent.astimezone(BERLIN).date()
    assert r.received_on == received and r.effective_date is not None and r.settlement_due is not None
    with pytest.raises(RuleViolation, match="already with the board"):
        services.submit_notice(session, Actor("bob"), membership_id=bob, shares=None)
    expected = (r.effective_date, r.settlement_due)
    services.decide(session, BOARD, r, action=Action.APPROVE, on=TODAY, today=TODAY)
    notice = session.get(Notice, r.notice_id)
    assert (notice.received_on, notice.effective_date, notice.settlement_due) == (received, *expected)
    assert notice.scope == "all" and notice.shares == 2


def test_a_partial_notice_may_not_go_below_the_mandatory_shares(session: Session, people: dict[str, int]) -> None:
    org = people["org"]  # an association: 2 mandatory shares, holds 2
    with pytest.raises(RuleViolation):
        services.submit_notice(session, Actor("rita"), membership_id=org, shares=1)


def test_a_free_transfer_is_booked_when_the_receiver_consents(session: Session, people: dict[str, int]) -> None:
    alice, bob = people["alice"], people["bob"]
    r = services.submit_transfer(session, Actor("alice"), membership_id=alice, to_member_no=2, shares=0,
                                 amount_cents=5_000, today=TODAY)
    assert r.status == "awaiting_consent" and r.counterpart_membership_id == bob
    services.respond_transfer(session, Actor("bob"), r, consent=True, today=TODAY)
    assert r.status == "approved" and r.transfer_id
    pair = session.scalars(select(CapitalEntry).where(CapitalEntry.transfer_id == r.transfer_id)
                           .order_by(CapitalEntry.amount_cents)).all()
    assert [(e.membership_id, e.amount_cents, e.value_date) for e in pair] == [(alice, -5_000, TODAY),
                                                                               (bob, 5_000, TODAY)]


def test_the_board_consents_when_the_statute_says_so(session: Session, people: dict[str, int]) -> None:
    add_statute_version(session, actor="office", version=2, adopted_at=TODAY - timedelta(days=30),
                        registered_at=TODAY - timedelta(days=10),
                        params=replace(STATUTE, transfer_policy=TransferPolicy.BOARD_CONSENT))
    r = services.submit_transfer(session, Actor("alice"), membership_id=people["alice"], to_member_no=2, shares=0,
                                 amount_cents=5_000, today=TODAY)
    services.respond_transfer(session, Actor("bob"), r, consent=True, today=TODAY)
    assert r.status == "submitted" and r.transfer_id is None
    services.decide(session, BOARD, r, action=Action.APPROVE, on=TODAY, today=TODAY)
    assert r.status == "approved" and r.transfer_id and r.effective_date == TODAY


def test_a_declined_transfer_books_nothing(session: Session, people: dict[str, int]) -> None:
    r = services.submit_transfer(session, Actor("alice"), membership_id=people["alice"], to_member_no=2, shares=0,
                                 amount_cents=5_000, today=TODAY)
    services.respond_transfer(session, Actor("bob"), r, consent=False, today=TODAY)
    assert r.status == "declined" and session.scalar(select(CapitalEntry).where(
        CapitalEntry.kind == "transfer_out")) is None


def test_a_decision_is_dated_between_receipt_and_today(session: Session, people: dict[str, int]) -> None:
    r = services.submit_shares(session, Actor("alice"), membership_id=people["alice"], shares=1,
                               acknowledged={"payment", "notice_period"}, render=render, today=TODAY)
    for on in (TODAY + timedelta(days=1), TODAY - timedelta(days=1)):
        with pytest.raises(RuleViolation) as refused:
            services.decide(session, BOARD, r, action=Action.APPROVE, on=on, today=TODAY)
        assert refused.value.field == "date"
    with pytest.raises(RuleViolation) as refused:
        services.decide(session, BOARD, r, action=Action.REJECT, on=TODAY, today=TODAY, reason=" ")
    assert refused.value.field == "reason"


def test_a_contact_change_is_audited_with_the_address(session: Session, people: dict[str, int]) -> None:
    r = services.change_contact(session, Actor("alice", "rid-7"), membership_id=people["alice"],
                                postal_address="Neue Str. 2, 10115 Berlin", email="alice@example.org", today=TODAY)
    assert r is not None and r.status == "approved" and json.loads(r.payload) == {"fields": ["email", "postal_address"]}
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "party.contact_change")).one()
    diff = json.loads(event.diff)
    assert diff == {"postal_address": {"old": "Hauptstr. 1, 10115 Berlin", "new": "Neue Str. 2, 10115 Berlin"},
                    "email": "changed"}
    assert "alice@example.org" not in event.diff  # the e-mail is no §30 data: only that it changed
    assert services.change_contact(session, Actor("alice"), membership_id=people["alice"],
                                   postal_address="Neue Str. 2, 10115 Berlin", email="alice@example.org",
                                   today=TODAY) is None


def test_shares_of_a_member_who_left_cannot_be_declared(session: Session, member: Callable[..., int]) -> None:
    gone = member("Max Weg", on=date(2020, 1, 10))
    book_capital(session, OFFICE, membership_id=gone, kind="deposit", amount_cents=10_000, value_date=date(2020, 2, 1))
    from nc_coop.register.services import receive_notice  # noqa: PLC0415
    receive_notice(session, OFFICE, membership_id=gone, received_on=date(2020, 3, 1))
    session.commit()
    with pytest.raises(RuleViolation) as refused:
        services.submit_shares(session, Actor("max"), membership_id=gone, shares=1, acknowledged={"payment",
                               "notice_period"}, render=render, today=TODAY)
    assert refused.value.field == "membership_id"
    assert session.scalar(select(MemberRequest)) is None

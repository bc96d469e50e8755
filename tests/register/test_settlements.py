# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Open payouts after an exit (§73): due six months after the exit, closed by the payout."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from nc_coop.register.services import book_capital, receive_notice, transfer
from nc_coop.register.settlements import open_settlements
from tests.conftest import appapi_headers
from tests.register.conftest import OFFICE

Member = Callable[..., int]


def test_an_exited_member_with_capital_is_open_until_paid(session: Session, member: Member) -> None:
    leaving, staying = member("Erika Mustermann"), member("Max Muster", shares=2)
    for m in (leaving, staying):
        book_capital(session, OFFICE, membership_id=m, kind="deposit", amount_cents=10_000, value_date=date(2024, 2, 1))
    receive_notice(session, OFFICE, membership_id=leaving, received_on=date(2024, 3, 1))  # exit 31.12.2026
    session.commit()
    assert open_settlements(session, date(2026, 12, 31)) == []  # still a member on the exit date
    [open_one] = open_settlements(session, date(2027, 7, 1))
    assert (open_one.member_no, open_one.exit_on, open_one.due_on, open_one.balance_cents, open_one.overdue) == (
        1, date(2026, 12, 31), date(2027, 6, 30), 10_000, True)
    book_capital(session, OFFICE, membership_id=leaving, kind="payout", amount_cents=10_000, value_date=date(2027, 6, 15))
    session.commit()
    assert open_settlements(session, date(2027, 7, 1)) == []


def test_shares_ended_by_partial_notice_are_settled_while_the_membership_runs(session: Session,
                                                                             member: Member) -> None:
    m = member("Erika Mustermann", shares=3)
    book_capital(session, OFFICE, membership_id=m, kind="deposit", amount_cents=30_000, value_date=date(2024, 2, 1))
    receive_notice(session, OFFICE, membership_id=m, received_on=date(2024, 3, 1), shares=2)  # ends 31.12.2026
    session.commit()
    assert open_settlements(session, date(2026, 12, 31)) == []
    [claim] = open_settlements(session, date(2027, 1, 1))
    assert (claim.scope, claim.exit_on, claim.due_on, claim.balance_cents, claim.overdue) == (
        "partial", date(2026, 12, 31), date(2027, 6, 30), 20_000, False)
    book_capital(session, OFFICE, membership_id=m, kind="payout", amount_cents=5_000, value_date=date(2027, 2, 1))
    session.commit()
    [claim] = open_settlements(session, date(2027, 7, 1))
    assert (claim.balance_cents, claim.overdue) == (15_000, True)
    book_capital(session, OFFICE, membership_id=m, kind="payout", amount_cents=15_000, value_date=date(2027, 7, 2))
    session.commit()
    assert open_settlements(session, date(2027, 7, 3)) == []


def test_a_full_transfer_leaves_nothing_to_settle(session: Session, member: Member) -> None:
    giver, receiver = member("Erika Mustermann"), member("Max Muster", shares=2)
    book_capital(session, OFFICE, membership_id=giver, kind="deposit", amount_cents=10_000, value_date=date(2024, 2, 1))
    transfer(session, OFFICE, from_membership_id=giver, to_membership_id=receiver, shares=1, amount_cents=10_000,
             agreed_on=date(2024, 8, 14))
    session.commit()
    assert open_settlements(session, date(2025, 1, 1)) == []


@pytest.fixture
def register_with_exit(session: Session, member: Member) -> None:
    leaving = member("Erika Mustermann", on=date(2020, 1, 10))
    book_capital(session, OFFICE, membership_id=leaving, kind="deposit", amount_cents=10_000, value_date=date(2020, 2, 1))
    receive_notice(session, OFFICE, membership_id=leaving, received_on=date(2022, 3, 1))  # exit 31.12.2024
    session.commit()


def test_the_settlements_page_is_for_admins_only(client: FlaskClient, register_with_exit: None) -> None:
    assert client.get("/admin/settlements", headers=appapi_headers("alice")).status_code == 403
    assert client.get("/api/v1/admin/settlements", headers=appapi_headers("alice")).status_code == 403
    page = client.get("/admin/settlements", headers=appapi_headers("admin", language="de")).get_data(as_text=True)
    assert "Erika Mustermann" in page and "100,00\xa0€" in page and "überfällig" in page
    api = client.get("/api/v1/admin/settlements", headers=appapi_headers("admin")).get_json()
    assert [(s["member_no"], s["balance_cents"]) for s in api["settlements"]] == [(1, 10_000)]


# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""What the member's page and the admin search read."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from nc_coop.register.models import Account
from nc_coop.register.queries import member_overview, search_members, visible_membership_ids
from nc_coop.register.services import book_capital, receive_notice
from nc_coop.register.status import Status
from tests.register.conftest import OFFICE

Member = Callable[..., int]


def test_the_overview_has_what_the_member_page_shows(session: Session, member: Member) -> None:
    m = member(shares=3, on=date(2021, 3, 1))
    book_capital(session, OFFICE, membership_id=m, kind="deposit", amount_cents=12_345, value_date=date(2021, 3, 5))
    receive_notice(session, OFFICE, membership_id=m, received_on=date(2026, 1, 1), shares=2)
    session.commit()
    view = member_overview(session, m, date(2026, 6, 1))
    assert (view.member_no, view.member_since, view.status) == (1, date(2021, 3, 1), Status.ACTIVE)
    assert (view.shares, view.mandatory_shares, view.further_shares) == (3, 1, 2)
    assert (view.nominal_cents, view.capital_cents, view.outstanding_cents) == (10_000, 12_345, 17_655)
    assert [(n.scope, n.shares, n.effective_date, n.settlement_due) for n in view.notices] == [
        ("partial", 2, date(2028, 12, 31), date(2029, 6, 30))]
    assert [(b.ledger, b.kind, b.amount) for b in view.bookings] == [
        ("shares", "subscribe_mandatory", 3), ("capital", "deposit", 12_345), ("shares", "terminate", -2)]


def test_representatives_see_their_organisations_memberships(session: Session, member: Member) -> None:
    own, org, other = member("Erika Mustermann"), member("TSV Musterstadt e.V.", kind="association", shares=2), member()
    for party_id, role in ((member_party(session, own), "self"), (member_party(session, org), "representative")):
        session.add(Account(nextcloud_user_id="erika", party_id=party_id, role=role, created_at=datetime.now(UTC)))
    session.commit()
    assert visible_membership_ids(session, "erika") == [own, org]
    assert other not in visible_membership_ids(session, "erika")
    assert visible_membership_ids(session, "nobody") == []


def member_party(session: Session, membership_id: int) -> int:
    from nc_coop.register.models import Membership  # noqa: PLC0415

    return session.get(Membership, membership_id).party_id


def test_search_by_name_or_number(session: Session, member: Member) -> None:
    member("Erika Mustermann"), member("Max Muster"), member("Hoffmann IT GmbH", kind="legal_person", shares=3)
    hits, total = search_members(session, "muster")
    assert total == 2 and [h.name for h in hits] == ["Erika Mustermann", "Max Muster"]
    hits, total = search_members(session, "3")
    assert total == 1 and hits[0].name == "Hoffmann IT GmbH"
    hits, total = search_members(session, "", offset=1, limit=1)
    assert total == 3 and [h.member_no for h in hits] == [2]


def test_search_ignores_case_also_for_umlauts_and_takes_wildcards_literally(session: Session, member: Member) -> None:
    """An office clerk types names as they hear them: "über" must find "Überall", and a "%" or
    "_" in the box is a character, not a pattern (SQLite's LIKE alone folds ASCII only)."""
    member("Änne Überall"), member("Jörg Strauß"), member("Zu_100% GmbH", kind="legal_person", shares=3)
    member("Zu100x GmbH", kind="legal_person", shares=3), member("ÖKO-Laden eG", kind="legal_person", shares=3)
    names = lambda term: [h.name for h in search_members(session, term)[0]]  # noqa: E731
    assert names("über") == ["Änne Überall"]
    assert names("ÜBERALL") == ["Änne Überall"]
    assert names("jÖrg") == ["Jörg Strauß"]
    assert names("strauß") == ["Jörg Strauß"]
    assert names("öko") == ["ÖKO-Laden eG"]
    assert names("_100%") == ["Zu_100% GmbH"]
    assert names("zu%") == []  # a literal percent sign right after "zu": no firm has one there
    assert names("zu_") == ["Zu_100% GmbH"]
    assert search_members(session, "99999999999")[1] == 0  # beyond the column: nobody, no error

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""A small demo register for ``nc-coop demo``: booked through the services like real data."""
from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nc_coop.register.models import Account, Membership, Party
from nc_coop.register.representatives import appoint_representative
from nc_coop.register.services import Actor, admit_member, book_capital, receive_notice, subscribe_shares
from nc_coop.register.statute import MandatoryShares, StatuteParams
from nc_coop.register.statutes import add_statute_version

DEMO_STATUTE = StatuteParams(share_nominal_cents=25_000, notice_months=24, max_shares=40,
                             mandatory_shares=MandatoryShares(natural=1, legal_person=4, association=2,
                                                              partnership=2, public_body=4))


def seed_demo_register(session: Session) -> bool:
    """Fill an empty register; returns False (and does nothing) when there are members already,
    so that restarting the demo on the same data adds nothing."""
    if session.scalar(select(func.count()).select_from(Membership)):
        return False
    office = Actor("demo-office")
    add_statute_version(session, actor=office.user_id, version=1, adopted_at=date(2019, 5, 4),
                        registered_at=date(2019, 8, 1), params=DEMO_STATUTE, document_ref="Satzung 2019")

    def party(kind: str, address: str, *, legal: str | None = None, family: str | None = None,
              given: str | None = None, email: str | None = None) -> Party:
        row = Party(kind=kind, legal_name=legal, family_name=family, given_names=given, postal_address=address,
                    email=email, created_at=datetime.now(UTC))
        session.add(row)
        session.flush()
        return row

    def link(user: str, row: Party, role: str) -> None:
        session.add(Account(nextcloud_user_id=user, party_id=row.id, role=role, created_at=datetime.now(UTC)))

    alice = party("natural", "Lindenstraße 3, 04109 Leipzig", family="Normal", given="Alice", email="alice@example.org")
    bea = party("natural", "Am Markt 7, 04109 Leipzig", family="Vorstand", given="Bea", email="bea@example.org")
    tsv = party("association", "Sportplatzweg 1, 04159 Leipzig", legal="TSV Musterstadt e.V.")
    firm = party("legal_person", "Gewerbering 12, 04347 Leipzig", legal="Hoffmann IT GmbH")
    link("alice", alice, "self")
    link("bea", bea, "self")

    m_bea = admit_member(session, office, party_id=bea.id, admitted_on=date(2019, 9, 1), shares=4)
    book_capital(session, office, membership_id=m_bea.id, kind="deposit", amount_cents=100_000,
                 value_date=date(2019, 9, 10), reference="SEPA 2019-0001")
    m_alice = admit_member(session, office, party_id=alice.id, admitted_on=date(2021, 3, 1), shares=1)
    book_capital(session, office, membership_id=m_alice.id, kind="deposit", amount_cents=25_000,
                 value_date=date(2021, 3, 12), reference="SEPA 2021-0107")
    subscribe_shares(session, office, membership_id=m_alice.id, shares=2, admitted_on=date(2023, 6, 15),
                     declared_on=date(2023, 6, 2))
    book_capital(session, office, membership_id=m_alice.id, kind="deposit", amount_cents=30_000,
                 value_date=date(2023, 7, 1), reference="SEPA 2023-0410")
    m_tsv = admit_member(session, office, party_id=tsv.id, admitted_on=date(2022, 1, 15), shares=2)
    book_capital(session, office, membership_id=m_tsv.id, kind="deposit", amount_cents=50_000,
                 value_date=date(2022, 2, 1), reference="SEPA 2022-0033")
    # alice is on the TSV's board: an appointment, as the office books it, links her login to the
    # TSV (she sees its entry while the appointment runs) and lists her as its representative.
    appoint_representative(session, office.user_id, organisation_party_id=tsv.id, role="board_member",
                           effective_date=date(2022, 1, 15), person_party_id=alice.id, nextcloud_user="alice",
                           basis_document="Vereinsregister Leipzig VR 4711, Vorstandswahl vom 10.01.2022")
    m_firm = admit_member(session, office, party_id=firm.id, admitted_on=date(2020, 4, 1), shares=6)
    book_capital(session, office, membership_id=m_firm.id, kind="deposit", amount_cents=150_000,
                 value_date=date(2020, 4, 20), reference="SEPA 2020-0210")
    receive_notice(session, office, membership_id=m_firm.id, received_on=date(2025, 9, 30))
    return True

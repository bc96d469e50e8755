# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Register fixtures: a migrated database with one statute version and a way to make members."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime

import pytest
from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from nc_coop.register.models import Party
from nc_coop.register.services import Actor, admit_member
from nc_coop.register.statute import MandatoryShares, StatuteParams
from nc_coop.register.statutes import add_statute_version
from tests.conftest import get_db_engine

STATUTE = StatuteParams(share_nominal_cents=10_000, mandatory_shares=MandatoryShares(natural=1, legal_person=3,
                        association=2, partnership=2, public_body=3), max_shares=50, notice_months=24)
OFFICE = Actor("office", "test-request")


@pytest.fixture
def engine(app: Flask) -> Engine:
    engine = get_db_engine(app)
    with Session(engine) as session, session.begin():
        add_statute_version(session, actor="office", version=1, adopted_at=date(2019, 5, 1),
                            registered_at=date(2019, 7, 1), params=STATUTE)
    return engine


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session
        session.rollback()


def make_party(session: Session, kind: str = "natural", name: str = "Erika Mustermann") -> Party:
    given, _, family = name.partition(" ")
    party = Party(kind=kind, given_names=given if kind == "natural" else None,
                  family_name=family if kind == "natural" else None,
                  legal_name=None if kind == "natural" else name, postal_address="Hauptstr. 1, 10115 Berlin",
                  created_at=datetime.now(UTC))
    session.add(party)
    session.flush()
    return party


@pytest.fixture
def member(session: Session) -> Callable[..., int]:
    """Admit a new member and return the membership id (committed)."""

    def make(name: str = "Erika Mustermann", kind: str = "natural", on: date = date(2024, 1, 10),
             shares: int = 1) -> int:
        party = make_party(session, kind, name)
        membership = admit_member(session, OFFICE, party_id=party.id, admitted_on=on, shares=shares)
        session.commit()
        return membership.id

    return make

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Assembly fixtures: a migrated database (SQLite, and PostgreSQL when NC_COOP_TEST_DATABASE_URL is
set) with a statute that allows virtual and hybrid assemblies and Mehrstimmrechte, and members
with Nextcloud logins."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime

import pytest
from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from nc_coop.register.models import Account, Party
from nc_coop.register.services import Actor, admit_member
from nc_coop.register.statute import MandatoryShares, StatuteParams
from nc_coop.register.statutes import add_statute_version
from tests.conftest import get_db_engine

STATUTE = StatuteParams(share_nominal_cents=10_000, mandatory_shares=MandatoryShares(legal_person=2, association=2),
                        max_shares=50, assembly_virtual_allowed=True, assembly_hybrid_allowed=True,
                        assembly_staggered_allowed=True, multiple_votes_max=3, multiple_votes_shares_per_vote=10,
                        investing_members_allowed=True)
BOARD = Actor("board", "test-request")
HELD_ON = date(2026, 6, 20)


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


def make_member(session: Session, login: str | None, *, kind: str = "natural", shares: int = 1,
                membership: str = "regular", on: date = date(2024, 1, 10)) -> int:
    """A member admitted on ``on``; ``login`` is their own Nextcloud account (None: none)."""
    party = Party(kind=kind, given_names="Erika" if kind == "natural" else None,
                  family_name=(login or "Muster") if kind == "natural" else None,
                  legal_name=None if kind == "natural" else f"{login or 'Org'} e.V.",
                  postal_address="Hauptstr. 1, 10115 Berlin", created_at=datetime.now(UTC))
    session.add(party)
    session.flush()
    if login and kind == "natural":
        session.add(Account(nextcloud_user_id=login, party_id=party.id, role="self", created_at=datetime.now(UTC)))
    return admit_member(session, BOARD, party_id=party.id, admitted_on=on, shares=shares, kind=membership).id


@pytest.fixture
def member(session: Session) -> Callable[..., int]:
    def make(login: str | None, **kwargs: object) -> int:
        membership_id = make_member(session, login, **kwargs)  # type: ignore[arg-type]
        session.commit()
        return membership_id

    return make

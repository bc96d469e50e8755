# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Request fixtures: the register's (statute, members) plus the people who make requests.

Roles: alice (member A), bob (member B), rita (represents an association, not a member herself),
carol (not a member: she applies), bea (board, a cooperative admin without Nextcloud admin rights)
and admin."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, MetaData, func, select
from sqlalchemy.orm import Session

from nc_coop.register.models import Account
from nc_coop.register.services import admit_member, book_capital
from nc_coop.standin import NextcloudStandIn, StandInUser
from nc_coop.standin.state import default_users
from nc_coop.web.csrf import csrf_token
from tests.conftest import appapi_headers
from tests.register.conftest import OFFICE, STATUTE, engine, make_party, member, session  # noqa: F401  fixtures

__all__ = ["OFFICE", "STATUTE", "engine", "member", "session"]

PEOPLE = [StandInUser("bob", "Bob Beispiel", ["users"], "bob@example.org"),
          StandInUser("rita", "Rita Vertreterin", ["users"], "rita@example.org", language="de"),
          StandInUser("carol", "Carol Neu", ["users"], "carol@example.org"),
          StandInUser("bea", "Bea Vorstand", ["board"], "bea@example.org", language="de")]


@pytest.fixture
def standin() -> Iterator[NextcloudStandIn]:
    server = NextcloudStandIn(users=default_users() + PEOPLE).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def people(engine: Engine) -> dict[str, int]:  # noqa: F811
    """alice and bob as members (2 shares each, one fully paid), an association that rita
    represents; membership ids by key."""
    ids = {}
    with Session(engine) as s:
        for key, kind, name, user, role in (("alice", "natural", "Alice Normal", "alice", "self"),
                                             ("bob", "natural", "Bob Beispiel", "bob", "self"),
                                             ("org", "association", "TSV Musterstadt e.V.", "rita", "representative")):
            party = make_party(s, kind, name)
            membership = admit_member(s, OFFICE, party_id=party.id, admitted_on=date(2024, 1, 10), shares=2)
            book_capital(s, OFFICE, membership_id=membership.id, kind="deposit", amount_cents=10_000,
                         value_date=date(2024, 1, 20))
            s.add(Account(nextcloud_user_id=user, party_id=party.id, role=role, created_at=datetime.now(UTC)))
            ids[key] = membership.id
        s.commit()
    return ids


def post(app: Flask, client: FlaskClient, path: str, user: str, data: dict[str, Any] | None = None,
         json: Any = None) -> Any:
    """A form POST (or JSON with the CSRF header) as ``user``, with their token."""
    with app.app_context():
        token = csrf_token(user)
    headers = appapi_headers(user)
    if json is not None:
        return client.post(path, json=json, headers={**headers, "X-CSRF-Token": token})
    return client.post(path, data={"csrf_token": token, **(data or {})}, headers=headers)


def row_counts(engine: Engine) -> dict[str, int]:  # noqa: F811
    """Rows per table: before/after comparisons prove that nothing was written."""
    meta = MetaData()
    meta.reflect(engine)
    with Session(engine) as s:
        return {name: s.scalar(select(func.count()).select_from(table)) for name, table in meta.tables.items()}

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Nobody sees another member's data: every route, every role, guessed ids included.

Roles: anonymous, member A (alice), member B (bob), a representative of an organisation
(rita, who is not a member herself) and a cooperative admin (admin)."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from nc_coop.register.models import Account, Membership, RepresentationEvent
from nc_coop.register.services import admit_member, book_capital
from nc_coop.standin import NextcloudStandIn, StandInUser
from nc_coop.web.csrf import csrf_token
from tests.conftest import appapi_headers
from tests.register.conftest import OFFICE, make_party


@pytest.fixture
def register(engine: Engine, standin: NextcloudStandIn) -> Iterator[dict[str, int]]:
    standin.state.users["bob"] = StandInUser("bob", "Bob Beispiel", ["users"])
    standin.state.users["rita"] = StandInUser("rita", "Rita Vertreterin", ["users"])
    ids = {}
    with Session(engine) as session:
        for key, kind, name, user, role in (("alice", "natural", "Alice Normal", "alice", "self"),
                                             ("bob", "natural", "Bob Beispiel", "bob", "self"),
                                             ("org", "association", "TSV Musterstadt e.V.", "rita", "representative")):
            party = make_party(session, kind, name)
            membership = admit_member(session, OFFICE, party_id=party.id, admitted_on=date(2024, 1, 10),
                                      shares=2)
            book_capital(session, OFFICE, membership_id=membership.id, kind="deposit", amount_cents=5_000,
                         value_date=date(2024, 1, 20), reference=f"BANKREF{key.upper()}")
            session.add(Account(nextcloud_user_id=user, party_id=party.id, role=role, created_at=datetime.now(UTC)))
            ids[key] = membership.id
        session.commit()
    yield ids


USERS = ["alice", "bob", "rita", "admin"]


def _get(client: FlaskClient, path: str, user: str | None) -> tuple[int, str]:
    headers = appapi_headers(user) if user is not None else {}
    response = client.get(path, headers={**headers, "Accept": "application/json" if "/api/" in path else "text/html"})
    return response.status_code, response.get_data(as_text=True)


@pytest.mark.parametrize("user", [None, *USERS])
def test_my_page_shows_exactly_what_the_user_may_see(client: FlaskClient, register: dict[str, int], user: str | None) -> None:
    status, body = _get(client, "/", user)
    if user is None:
        assert status == 401
        return
    assert status == 200
    visible = {"alice": {"Alice Normal"}, "bob": {"Bob Beispiel"}, "rita": {"TSV Musterstadt e.V."}, "admin": set()}[user]
    for name in ("Alice Normal", "Bob Beispiel", "TSV Musterstadt e.V."):
        shown_as_entry = f">{name}</h2>" in body
        assert shown_as_entry == (name in visible), (user, name)
    for key in ("alice", "bob", "org"):
        assert (f"BANKREF{key.upper()}" in body) == ({"alice": "alice", "bob": "bob", "rita": "org"}.get(user) == key)


@pytest.mark.parametrize("user", [None, *USERS])
@pytest.mark.parametrize("target", ["alice", "bob", "org", "missing"])
def test_the_membership_api_answers_only_for_own_memberships(client: FlaskClient, register: dict[str, int],
                                                              user: str | None, target: str) -> None:
    membership_id = register.get(target, 9999)
    status, body = _get(client, f"/api/v1/memberships/{membership_id}", user)
    allowed = {"alice": "alice", "bob": "bob", "rita": "org"}.get(user or "") == target
    if user is None:
        assert status == 401
    elif allowed:
        assert status == 200 and f"BANKREF{target.upper()}" in body
    else:
        assert status == 404 and "BANKREF" not in body  # same answer for "not yours" and "missing"


@pytest.mark.parametrize("user", [None, *USERS])
def test_the_list_api_names_only_own_memberships(client: FlaskClient, register: dict[str, int], user: str | None) -> None:
    status, body = _get(client, "/api/v1/memberships", user)
    if user is None:
        assert status == 401
        return
    expected = {"alice": ["Alice Normal"], "bob": ["Bob Beispiel"], "rita": ["TSV Musterstadt e.V."], "admin": []}[user]
    import json  # noqa: PLC0415

    assert [m["name"] for m in json.loads(body)["memberships"]] == expected


ADMIN_PAGES = ["/admin/members", "/admin/members?q=Bob", "/admin/members/new", "/admin/members/{alice}",
               "/admin/members/{org}", "/admin/members/9999", "/api/v1/admin/members", "/api/v1/admin/members/{bob}",
               "/api/v1/admin/members/9999", "/api/v1/admin/members/{org}/representatives",
               "/api/v1/admin/members/9999/representatives"]


@pytest.mark.parametrize("user", [None, "alice", "bob", "rita"])
@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_admin_desk_refuses_everyone_but_admins(client: FlaskClient, register: dict[str, int], user: str | None,
                                                page: str) -> None:
    status, body = _get(client, page.format(**register), user)
    assert status == (401 if user is None else 403)
    assert "BANKREF" not in body and "<table" not in body  # no member data, no list


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_admins_see_the_desk(client: FlaskClient, register: dict[str, int], page: str) -> None:
    status, body = _get(client, page.format(**register), "admin")
    assert status == (404 if "9999" in page else 200)


@pytest.mark.parametrize("user", ["alice", "bob", "rita"])
def test_members_cannot_book(app: Flask, client: FlaskClient, register: dict[str, int], user: str) -> None:
    with app.app_context():
        token = csrf_token(user)
    for path in (f"/admin/members/{register['alice']}", "/admin/members/new",
                 f"/admin/members/{register['org']}/representatives"):
        response = client.post(path, data={"csrf_token": token, "type": "deposit", "date": "2024-02-01",
                                           "amount": "10"}, headers=appapi_headers(user))
        assert response.status_code == 403
    response = client.post(f"/api/v1/admin/members/{register['alice']}/bookings",
                           json={"type": "deposit", "date": "2024-02-01", "amount_cents": 1000},
                           headers={**appapi_headers(user), "X-CSRF-Token": token})
    assert response.status_code == 403
    for path in ("representatives", "representatives/end"):  # rita may not appoint herself anywhere
        response = client.post(f"/api/v1/admin/members/{register['org']}/{path}",
                               json={"role": "board_member", "effective_date": "2024-02-01", "family_name": "X",
                                     "person_party_id": 1, "nextcloud_user": user},
                               headers={**appapi_headers(user), "X-CSRF-Token": token})
        assert response.status_code == 403
    with Session(app.extensions["nc_coop.db"].engine) as session:
        assert session.get(Membership, register["alice"]) is not None
        assert session.scalar(select(func.count()).select_from(RepresentationEvent)) == 0

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The people of the assembly's page and API tests, and a convened assembly made through the API.

alice, bob: members; carl: a member who is dora's proxy; dora: authorises carl; rita: represents
the TSV (an association) by an appointment; fred: left before the assembly date; zoe: no member;
bea: board (a cooperative admin, not a member)."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from nc_coop.register.models import Membership
from nc_coop.register.representatives import appoint_representative
from nc_coop.register.services import receive_notice
from nc_coop.standin import NextcloudStandIn, StandInUser
from nc_coop.standin.state import default_users
from tests.assembly.conftest import BOARD, make_member
from tests.conftest import appapi_headers
from tests.requests.conftest import post

TODAY = date.today()
HELD_ON = TODAY + timedelta(days=30)
API = "/api/v1/admin/general-assemblies"
PEOPLE = [StandInUser(u, u.title(), ["users"], f"{u}@example.org") for u in ("bob", "carl", "dora", "rita", "fred",
                                                                            "zoe")] + [
    StandInUser("bea", "Bea Vorstand", ["board"], "bea@example.org", language="de")]


@pytest.fixture
def standin() -> Iterator[NextcloudStandIn]:
    server = NextcloudStandIn(users=default_users() + PEOPLE).start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class People:
    ids: dict[str, int]  # membership id per person ("tsv" for the association)
    numbers: dict[str, int]


@pytest.fixture
def people(engine: Engine) -> People:
    ids = {}
    with Session(engine) as s:
        for login in ("alice", "bob", "carl", "dora"):
            ids[login] = make_member(s, login)
        ids["tsv"] = make_member(s, None, kind="association", shares=2)
        tsv_party = s.get(Membership, ids["tsv"]).party_id
        appoint_representative(s, "office", organisation_party_id=tsv_party, role="board_member",
                               effective_date=date(2024, 1, 10), given_names="Rita", family_name="Vertreterin",
                               nextcloud_user="rita")
        ids["fred"] = make_member(s, "fred", on=date(2023, 1, 10))
        receive_notice(s, BOARD, membership_id=ids["fred"], received_on=date(2024, 1, 5))
        s.commit()
        numbers = {k: s.get(Membership, v).member_no for k, v in ids.items()}
    return People(ids, numbers)


def get(client: FlaskClient, path: str, user: str, language: str = "en") -> Any:
    return client.get(path, headers=appapi_headers(user, language=language))


def convened(app: Flask, client: FlaskClient, people: People, *, form: str = "presence") -> dict[str, Any]:
    """A presence assembly with three items (simple named, statute change secret, election), convened
    today; dora has authorised carl. Returns the board's view of it."""
    made = post(app, client, API, "bea", json={"title": "GV 2027", "form": form, "held_on": HELD_ON.isoformat(),
                                               "place": "Vereinsheim", "link": "https://talk.example.org/gv"})
    assert made.status_code == 201, made.get_json()
    aid = made.get_json()["assembly"]["id"]
    for item in ({"title": "Entlastung", "resolution_type": "simple"},
                 {"title": "Satzung §5", "resolution_type": "statute_change", "secret": True},
                 {"title": "Aufsichtsrat", "resolution_type": "election", "secret": True, "seats": 1,
                  "candidates": ["Anna", "Bert"]}):
        assert post(app, client, f"{API}/{aid}/items", "bea", json=item).status_code == 201
    done = post(app, client, f"{API}/{aid}/convene", "bea", json={})
    assert done.status_code == 201, done.get_json()
    granted = post(app, client, f"/api/v1/assemblies/{aid}/proxies", "dora",
                   json={"membership_id": people.ids["dora"], "proxy_member_no": people.numbers["carl"],
                         "declare": True})
    assert granted.status_code == 201, granted.get_json()
    return done.get_json()


def open_voting(app: Flask, client: FlaskClient, aid: int) -> dict[str, Any]:
    opened = post(app, client, f"{API}/{aid}/voting", "bea", json={})
    assert opened.status_code == 201, opened.get_json()
    return opened.get_json()


def item_ids(client: FlaskClient, aid: int) -> list[int]:
    return [i["id"] for i in get(client, f"{API}/{aid}", "bea").get_json()["items"]]

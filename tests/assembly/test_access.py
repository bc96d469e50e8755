# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Who may see and do what in an assembly, per role, on every page and API route (SQLite and
PostgreSQL): member, organisation representative, proxy, principal, board, non-member, and a
former member who left before the assembly date. A route the user may not use is a 404 (member
side: the same answer as for an assembly that does not exist) or a 403 (board side)."""
from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.assembly.web_support import (  # noqa: F401  fixtures
    API,
    People,
    convened,
    get,
    item_ids,
    open_voting,
    people,
    standin,
)
from tests.requests.conftest import post

MEMBER_SIDE = ["alice", "rita", "carl", "dora"]
OUTSIDERS = ["zoe", "fred", "bea"]  # bea is on the board but no member: the board pages are hers


def test_who_sees_the_assembly(app: Flask, client: FlaskClient, people: People) -> None:
    aid = convened(app, client, people)["assembly"]["id"]
    for path in (f"/assemblies/{aid}", f"/api/v1/assemblies/{aid}", f"/assemblies/{aid}/ballot"):
        for user in MEMBER_SIDE:
            assert get(client, path, user).status_code == 200, (path, user)
        for user in OUTSIDERS:
            assert get(client, path, user).status_code == 404, (path, user)
    for user in MEMBER_SIDE:
        assert [a["id"] for a in get(client, "/api/v1/assemblies", user).get_json()["assemblies"]] == [aid]
    for user in OUTSIDERS:
        assert get(client, "/api/v1/assemblies", user).get_json()["assemblies"] == []
    for path in (f"/assemblies/{aid}/results", f"/api/v1/assemblies/{aid}/results",
                 f"/api/v1/assemblies/{aid}/receipts"):
        assert get(client, path, "alice").status_code == 404  # not before the close
    assert get(client, f"/assemblies/{aid + 1000}", "alice").status_code == 404


def test_board_routes_are_the_boards(app: Flask, client: FlaskClient, people: People) -> None:
    aid = convened(app, client, people)["assembly"]["id"]
    (item, *_rest) = item_ids(client, aid)
    gets = ["/admin/assemblies", f"/admin/assemblies/{aid}", API, f"{API}/{aid}", f"{API}/{aid}/attendance",
            f"/admin/assemblies/{aid}/invitations.csv", f"/admin/assemblies/{aid}/minutes.pdf"]
    posts = [API, f"{API}/{aid}/items", f"{API}/{aid}/convene", f"{API}/{aid}/voting", f"{API}/{aid}/close",
             f"{API}/{aid}/attendance", f"{API}/{aid}/items/{item}/room-count", f"{API}/{aid}/minutes",
             f"{API}/{aid}/heirs-representative", f"{API}/{aid}/discussion", f"/admin/assemblies/{aid}/voting"]
    for user in MEMBER_SIDE + ["zoe", "fred"]:
        for path in gets:
            assert get(client, path, user).status_code == 403, (path, user)
        for path in posts:
            assert post(app, client, path, user, json={}).status_code == 403, (path, user)
    assert get(client, f"/admin/assemblies/{aid}", "bea").status_code == 200
    csv = get(client, f"/admin/assemblies/{aid}/invitations.csv", "bea")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"  # the postal list: everyone here has a login
    assert get(client, f"/admin/assemblies/{aid}/minutes.pdf", "bea").status_code == 404  # not closed yet
    letter = get(client, f"/admin/assemblies/{aid}/invitation.pdf?member_no={people.numbers['alice']}", "bea")
    assert letter.status_code == 200 and letter.data.startswith(b"%PDF")


def test_proxies_act_only_for_their_own_memberships(app: Flask, client: FlaskClient, people: People) -> None:
    aid = convened(app, client, people)["assembly"]["id"]
    proxy_id = get(client, f"/api/v1/assemblies/{aid}", "dora").get_json()["proxies_granted"][0]["id"]
    assert get(client, f"/api/v1/assemblies/{aid}", "carl").get_json()["proxies_held"][0]["id"] == proxy_id
    for user in ("carl", "alice", "zoe", "fred"):  # only the principal revokes
        assert post(app, client, f"/api/v1/assemblies/{aid}/proxies/{proxy_id}/revoke", user,
                    json={}).status_code == 404, user
    grant = {"proxy_member_no": people.numbers["bob"], "declare": True}
    assert post(app, client, f"/api/v1/assemblies/{aid}/proxies", "alice",
                json={**grant, "membership_id": people.ids["tsv"]}).status_code == 404  # not hers
    assert post(app, client, f"/api/v1/assemblies/{aid}/proxies", "fred",
                json={**grant, "membership_id": people.ids["fred"]}).status_code == 404  # left before the date
    rita = post(app, client, f"/api/v1/assemblies/{aid}/proxies", "rita",
                json={**grant, "membership_id": people.ids["tsv"]})
    assert rita.status_code == 201  # the representative authorises for the organisation
    revoked = post(app, client, f"/api/v1/assemblies/{aid}/proxies/{rita.get_json()['id']}/revoke", "rita", json={})
    assert revoked.status_code == 200 and revoked.get_json()["revoked_at"]

    open_voting(app, client, aid)
    late = post(app, client, f"/api/v1/assemblies/{aid}/proxies/{proxy_id}/revoke", "dora", json={})
    assert late.status_code == 422  # frozen once voting opened


def test_who_votes_for_whom(app: Flask, client: FlaskClient, people: People) -> None:
    aid = convened(app, client, people)["assembly"]["id"]
    open_voting(app, client, aid)
    simple = item_ids(client, aid)[0]

    def vote(user: str, whose: str) -> int:
        return post(app, client, f"/api/v1/assemblies/{aid}/votes", user,
                    json={"membership_id": people.ids[whose], "choices": {str(simple): "yes"}}).status_code

    voters = {v["member_no"] for v in get(client, f"/api/v1/assemblies/{aid}", "carl").get_json()["voters"]}
    assert voters == {people.numbers["carl"], people.numbers["dora"]}
    assert get(client, f"/api/v1/assemblies/{aid}", "dora").get_json()["voters"] == []  # her proxy votes
    assert vote("dora", "dora") == 404
    assert vote("alice", "dora") == 404
    assert vote("alice", "tsv") == 404
    assert vote("fred", "fred") == 404
    assert vote("zoe", "alice") == 404
    assert vote("bea", "alice") == 404
    assert vote("carl", "dora") == 201
    assert vote("carl", "dora") == 422  # once per item
    assert vote("carl", "carl") == 201
    assert vote("rita", "tsv") == 201
    assert vote("alice", "alice") == 201

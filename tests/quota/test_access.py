# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Who sees whose storage, route by route and role by role: anonymous, member A (anna), member B
(jonas), the TSV's representative (felix), a cooperative admin. A member sees their own usage
only; a representative sees their organisation's users and nothing of another organisation;
guessed ids answer like missing ones."""
from __future__ import annotations

from flask.testing import FlaskClient

from tests.conftest import appapi_headers
from tests.quota.conftest import World

HOFFMANN_USERS = ("marie.hoffmann", "lukas.becker")
TSV_USERS = ("felix.schaefer", "sophie.fischer")
EVERYONE = ("anna.schmidt", "jonas.mueller", "lea.wagner", "alice", *TSV_USERS, *HOFFMANN_USERS, "juergen.krueger")


def get(world: World, path: str, user: str | None) -> tuple[int, str]:
    client: FlaskClient = world.app.test_client()
    headers = appapi_headers(user) if user is not None else {}
    answer = client.get(path, headers=headers)
    return answer.status_code, answer.get_data(as_text=True)


def others_in(text: str, allowed: tuple[str, ...]) -> list[str]:
    return [u for u in EVERYONE if u not in allowed and u in text]


def test_a_member_sees_only_their_own_storage(world: World) -> None:
    for path in ("/quota", "/api/v1/quota", "/api/v1/quota/requests"):
        assert get(world, path, None)[0] == 401
        for user in ("anna.schmidt", "jonas.mueller", "alice"):
            status, text = get(world, path, user)
            assert status == 200
            assert others_in(text, (user,)) == [], f"{user} sees others on {path}"


def test_the_own_numbers_are_nextclouds(world: World) -> None:
    status, _ = get(world, "/api/v1/quota", "anna.schmidt")
    data = world.app.test_client().get("/api/v1/quota", headers=appapi_headers("anna.schmidt")).get_json()
    assert status == 200
    assert (data["me"]["user_id"], data["me"]["quota"], data["me"]["used"], data["me"]["quota_text"]) == (
        "anna.schmidt", 2 * 1024**3, 300 * 1024**2, "2 GB")
    assert data["organisations"] == []


def test_a_representative_sees_their_organisations_users_and_pool_but_no_other(world: World) -> None:
    for path in ("/quota", "/api/v1/quota"):
        status, text = get(world, path, "felix.schaefer")
        assert status == 200
        assert "sophie.fischer" in text or "Sophie Fischer" in text
        assert others_in(text, TSV_USERS) == []


def test_organisation_routes_per_role(world: World) -> None:
    tsv, hoffmann = world.parties["tsv"], world.parties["hoffmann"]
    expected = {
        (None, tsv): 401,
        ("anna.schmidt", tsv): 404, ("jonas.mueller", tsv): 404,  # members, not representatives
        ("anna.schmidt", world.parties["anna"]): 404,  # their own party is no organisation page
        ("felix.schaefer", tsv): 200,
        ("felix.schaefer", hoffmann): 404,  # another organisation: like a missing one
        ("sophie.fischer", tsv): 404,  # an organisation's user is no representative
        ("admin", tsv): 200, ("admin", hoffmann): 200,
        ("felix.schaefer", 999_999): 404, ("felix.schaefer", 2**63 - 1): 404, ("felix.schaefer", 2**63): 404,
        ("admin", 999_999): 404,
    }
    for prefix in ("/quota/organisations", "/api/v1/quota/organisations"):
        seen = {(user, party): get(world, f"{prefix}/{party}", user)[0] for user, party in expected}
        assert seen == expected, prefix
        _, text = get(world, f"{prefix}/{tsv}", "felix.schaefer")
        assert others_in(text, TSV_USERS) == []


ADMIN_ROUTES = ["/admin/quota", "/admin/quota/policy", "/api/v1/admin/quota/users", "/api/v1/admin/quota/changes",
                "/api/v1/admin/quota/requests", "/api/v1/admin/quota/policy", "/api/v1/admin/quota/apply"]


def test_admin_routes_per_role(world: World) -> None:
    for path in ADMIN_ROUTES:
        assert get(world, path, None)[0] == 401
        for user in ("anna.schmidt", "jonas.mueller", "felix.schaefer", "alice"):
            status, text = get(world, path, user)
            assert status == 403 and others_in(text, ()) == [], (path, user)
        assert get(world, path, "admin")[0] == 200, path


ADMIN_WRITES = [
    ("/api/v1/admin/quota/overrides", {"scope": "user", "user_id": "anna.schmidt", "amount": "9 GB", "reason": "x"}),
    ("/api/v1/admin/quota/allocations", {"party_id": 1, "user_id": "felix.schaefer", "amount": "1 GB"}),
    ("/api/v1/admin/quota/policy", {"base": {"natural/regular": "5 GB"}}),
    ("/api/v1/admin/quota/policy/preview", {"base": {"natural/regular": "5 GB"}}),
    ("/api/v1/admin/quota/apply", {}),
    ("/api/v1/admin/quota/requests/1/decision", {"decision": "approve"}),
    ("/api/v1/admin/quota/overrides/1/end", {}),
]


def test_admin_writes_are_refused_to_members_and_representatives(world: World) -> None:
    from nc_coop.web.csrf import csrf_token  # noqa: PLC0415

    client = world.app.test_client()
    for path, body in ADMIN_WRITES:
        for user in ("anna.schmidt", "felix.schaefer"):
            with world.app.app_context():
                token = csrf_token(user)
            answer = client.post(path, json=body, headers={**appapi_headers(user), "X-CSRF-Token": token})
            assert answer.status_code == 403, (path, user)
    assert world.ldap_writes("anna.schmidt") == 0


def test_a_member_cannot_ask_for_an_organisation_they_do_not_represent(world: World) -> None:
    from nc_coop.web.csrf import csrf_token  # noqa: PLC0415

    with world.app.app_context():
        token = csrf_token("anna.schmidt")
    answer = world.app.test_client().post("/api/v1/quota/requests", json={
        "scope": "organisation", "party_id": world.parties["tsv"], "amount": "50 GB", "reason": "more"},
        headers={**appapi_headers("anna.schmidt"), "X-CSRF-Token": token})
    assert answer.status_code == 404

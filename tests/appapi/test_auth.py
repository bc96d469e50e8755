# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Every request but /heartbeat must prove it comes from AppAPI; failures echo nothing."""
from __future__ import annotations

import base64

import pytest
from flask.testing import FlaskClient

from nc_coop.appapi.auth import AppApiAuthError, verify_headers
from tests.conftest import TEST_SECRET, appapi_headers


def test_heartbeat_needs_no_auth(client: FlaskClient) -> None:
    response = client.get("/heartbeat", headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def _bad_headers() -> dict[str, dict[str, str]]:
    good = appapi_headers("alice")
    return {
        "no header": {},
        "no authorization": {k: v for k, v in good.items() if k != "AUTHORIZATION-APP-API"},
        "malformed base64": {**good, "AUTHORIZATION-APP-API": "%%%not-base64!!"},
        "base64 without colon": {**good, "AUTHORIZATION-APP-API": base64.b64encode(b"alice" + TEST_SECRET.encode()).decode()},
        "not utf-8": {**good, "AUTHORIZATION-APP-API": base64.b64encode(b"\xff\xfe:\xff").decode()},
        "wrong secret": appapi_headers("alice", secret="wrong-secret-0123456789abcdef"),
        "wrong app id": appapi_headers("alice", app_id="other_app"),
        "empty app version": {**good, "EX-APP-VERSION": ""},
    }


@pytest.mark.parametrize("case", list(_bad_headers()))
@pytest.mark.parametrize("path", ["/", "/admin/", "/init", "/enabled?enabled=1", "/no/such/page"])
def test_unverified_requests_get_a_generic_401(client: FlaskClient, case: str, path: str) -> None:
    headers = _bad_headers()[case]
    method = {"/init": "POST", "/enabled?enabled=1": "PUT"}.get(path, "GET")
    response = client.open(path, method=method, headers=headers)
    assert response.status_code == 401
    body = response.get_data(as_text=True)
    assert response.get_json() == {"error": "Unauthorized"}
    assert TEST_SECRET not in body
    for value in headers.values():
        if len(value) > 3:
            assert value not in body
    assert response.headers["Cache-Control"] == "no-store"


def test_valid_headers_name_the_user() -> None:
    identity = verify_headers(appapi_headers("alice"), "nc_coop", TEST_SECRET)
    assert identity.user_id == "alice"
    assert verify_headers(appapi_headers(""), "nc_coop", TEST_SECRET).user_id == ""


def test_a_secret_with_a_colon_in_the_user_part_is_split_once() -> None:
    # base64("a:b:<secret>") names user "a" and secret "b:<secret>": wrong, not a crash.
    token = base64.b64encode(f"a:b:{TEST_SECRET}".encode()).decode()
    with pytest.raises(AppApiAuthError) as err:
        verify_headers({**appapi_headers(), "AUTHORIZATION-APP-API": token}, "nc_coop", TEST_SECRET)
    assert err.value.reason == "wrong_secret"
    assert TEST_SECRET not in str(err.value)


def test_system_endpoints_refuse_a_named_user(client: FlaskClient) -> None:
    """The proxy always names the logged-in user, so a browser cannot trigger /init or /enabled."""
    assert client.post("/init", headers=appapi_headers("admin")).status_code == 403
    assert client.put("/enabled?enabled=0", headers=appapi_headers("admin")).status_code == 403


def test_anonymous_requests_reach_only_public_files(client: FlaskClient) -> None:
    response = client.get("/js/embed.js", headers=appapi_headers(""))
    response.close()
    assert response.status_code == 200
    assert client.get("/", headers=appapi_headers("")).status_code == 401

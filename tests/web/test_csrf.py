# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Form protection. Nextcloud's proxy checks no CSRF token for any verb (APPAPI.md §3.3), so a
state-changing request is refused unless it carries a token of the user and, when the browser
names an Origin, comes from the page's own origin. No user endpoint changes state yet, so the
tests register a small POST view on the test app."""
from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from nc_coop.appapi.lifecycle import InitState
from nc_coop.web.csrf import csrf_token
from tests.conftest import appapi_headers


@pytest.fixture(autouse=True)
def _app_context(app: Flask) -> Iterator[None]:
    """csrf_token() reads the app's secret; the tests compute expected tokens outside requests."""
    with app.app_context():
        yield

# The Flask test client's request.host; through the proxy it is Nextcloud's host (APPAPI.md §3.3).
SAME_ORIGIN = "http://localhost"


@pytest.fixture
def writes(app: Flask) -> list[str]:
    """A POST view that records every run, registered before the app's first request."""
    runs: list[str] = []

    def change_something() -> str:
        runs.append("ran")
        return "changed"

    app.add_url_rule("/test-change", "test_change", change_something, methods=["POST"])
    return runs


def _post(client: FlaskClient, user: str = "alice", form: dict[str, str] | None = None,
          **headers: str) -> tuple[int, str]:
    response = client.post("/test-change", data=form or {}, headers={**appapi_headers(user), **headers})
    return response.status_code, response.get_data(as_text=True)


def test_a_post_without_a_token_is_refused_before_the_view_runs(client: FlaskClient, writes: list[str]) -> None:
    status, body = _post(client)
    assert status == 403
    assert writes == []
    assert "changed" not in body


def test_a_wrong_token_is_refused(client: FlaskClient, writes: list[str]) -> None:
    assert _post(client, form={"csrf_token": "0" * 64})[0] == 403
    assert _post(client, **{"X-CSRF-Token": "not-a-token"})[0] == 403
    assert _post(client, form={"csrf_token": csrf_token("alice")[:-1]})[0] == 403
    assert writes == []


def test_the_token_of_another_user_is_refused(client: FlaskClient, writes: list[str]) -> None:
    bobs = csrf_token("bob")
    assert bobs != csrf_token("alice")
    assert _post(client, "alice", form={"csrf_token": bobs})[0] == 403
    assert _post(client, "alice", **{"X-CSRF-Token": bobs})[0] == 403
    assert writes == []


def test_the_right_token_in_the_form_field_is_accepted(client: FlaskClient, writes: list[str]) -> None:
    assert _post(client, form={"csrf_token": csrf_token("alice")}) == (200, "changed")
    assert writes == ["ran"]


def test_the_right_token_in_the_header_is_accepted(client: FlaskClient, writes: list[str]) -> None:
    assert _post(client, **{"X-CSRF-Token": csrf_token("alice")}) == (200, "changed")
    assert writes == ["ran"]


@pytest.mark.parametrize("origin", ["http://evil.example", "http://localhost.evil.example", "http://localhost:8080",
                                    "null"])
def test_a_cross_origin_post_is_refused_even_with_the_right_token(client: FlaskClient, writes: list[str],
                                                                   origin: str) -> None:
    assert _post(client, form={"csrf_token": csrf_token("alice")}, Origin=origin)[0] == 403
    assert _post(client, Origin=origin, **{"X-CSRF-Token": csrf_token("alice")})[0] == 403
    assert writes == []


def test_a_same_origin_post_with_the_right_token_is_accepted(client: FlaskClient, writes: list[str]) -> None:
    assert _post(client, form={"csrf_token": csrf_token("alice")}, Origin=SAME_ORIGIN) == (200, "changed")
    assert writes == ["ran"]


def test_a_same_origin_post_still_needs_the_token(client: FlaskClient, writes: list[str]) -> None:
    assert _post(client, Origin=SAME_ORIGIN)[0] == 403
    assert writes == []


def test_each_token_is_fresh_per_page_and_keyed_by_the_app_secret(app: Flask, client: FlaskClient,
                                                                  writes: list[str]) -> None:
    """Tokens are no longer fixed per user (tests/security/test_csrf_expiry.py has the expiry)."""
    first, second = csrf_token("alice"), csrf_token("alice")
    assert first != second
    assert "alice" not in first
    settings = app.config["NC_COOP_SETTINGS"]
    assert settings.app_secret not in first
    assert _post(client, form={"csrf_token": first}) == (200, "changed")
    assert _post(client, form={"csrf_token": second}) == (200, "changed")


def test_appapis_system_calls_are_not_subject_to_it(app: Flask, client: FlaskClient) -> None:
    """AppAPI sends /init and /enabled without any token, and a page Origin means nothing there."""
    foreign = {"Origin": "http://evil.example"}
    response = client.put("/enabled?enabled=0", headers={**appapi_headers(""), **foreign})
    assert response.status_code == 200
    assert response.get_json() == {"error": ""}

    response = client.post("/init", headers={**appapi_headers(""), **foreign})
    assert response.status_code == 200
    assert response.get_json() == {}
    init: InitState = app.extensions["nc_coop.init"]
    deadline = time.monotonic() + 20
    while init.running and time.monotonic() < deadline:  # let the background init end within the test
        time.sleep(0.05)
    assert not init.running and init.error == "" and init.progress == 100

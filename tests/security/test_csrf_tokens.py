# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Form tokens that expire, and an Origin check that includes the scheme (issue 13, point 10).

A token is issued-at + nonce + HMAC(secret, user | issued-at | nonce): each page embeds a fresh
one, it is valid for 8 hours, and an expired one gets a 403 page that says to reload while nothing
is written. The Origin must match scheme, host and port of the page as the browser sees it: the
scheme from X-Forwarded-Proto, else NEXTCLOUD_URL when it names the request's host, else the one
Flask sees; a browser's own Sec-Fetch-Site decides when it is sent.
"""
from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine

from nc_coop.web.csrf import CLOCK_SKEW, TOKEN_LIFETIME, check_token, csrf_token, issue_token
from tests.conftest import appapi_headers
from tests.register.conftest import engine, session  # noqa: F401  fixtures
from tests.requests.conftest import row_counts

ADMIT = {"kind": "natural", "family_name": "Mustermann", "given_names": "Erika",
         "postal_address": "Hauptstr. 1, 10115 Berlin", "admitted_on": "2024-01-10", "shares": "2"}
RELOAD_EN = "This page was open too long and its form has expired. Reload the page"
RELOAD_DE = "Diese Seite war zu lange geöffnet, ihr Formular ist abgelaufen. Laden Sie die Seite neu"


def _token(app: Flask, user: str, age: float) -> str:
    with app.app_context():
        return issue_token(user, now=time.time() - age)


def _admit(client: FlaskClient, token: str, language: str = "en", **headers: str) -> tuple[int, str, dict]:
    answer = client.post("/admin/members/new", data={**ADMIT, "csrf_token": token},
                         headers={**appapi_headers("admin", language=language), **headers})
    return answer.status_code, answer.get_data(as_text=True), dict(answer.headers)


# --- expiry -------------------------------------------------------------------------------------------

def test_an_expired_token_gets_a_reload_page_and_writes_nothing(app: Flask, client: FlaskClient,
                                                                engine: Engine) -> None:
    before = row_counts(engine)
    status, body, _ = _admit(client, _token(app, "admin", TOKEN_LIFETIME + 5))
    assert status == 403 and RELOAD_EN in body
    status, body, _ = _admit(client, _token(app, "admin", TOKEN_LIFETIME + 5), language="de")
    assert status == 403 and RELOAD_DE in body
    assert row_counts(engine) == before
    status, _, headers = _admit(client, _token(app, "admin", TOKEN_LIFETIME - 60))  # still within 8 hours
    assert headers.get("X-NC-Coop-Continue"), status
    assert row_counts(engine) != before


def test_the_api_answers_an_expired_token_with_the_reason(app: Flask, client: FlaskClient, engine: Engine) -> None:
    before = row_counts(engine)
    body = {"kind": "natural", "family_name": "Muster", "given_names": "Max", "postal_address": "Weg 1, Berlin",
            "admitted_on": "2024-01-10", "shares": 1}
    answer = client.post("/api/v1/admin/members", json=body, headers={
        **appapi_headers("admin"), "X-CSRF-Token": _token(app, "admin", TOKEN_LIFETIME + 1)})
    assert answer.status_code == 403 and RELOAD_EN in answer.get_json()["error"]
    assert row_counts(engine) == before


def test_a_token_cannot_be_stretched_forged_or_moved_to_another_user(app: Flask) -> None:
    with app.app_context():
        now = float(int(time.time()))  # tokens carry whole seconds
        token = issue_token("alice", now=now)
        assert check_token(token, "alice", now=now + TOKEN_LIFETIME) is True
        assert check_token(token, "alice", now=now + TOKEN_LIFETIME + 1) is None  # expired
        issued, nonce, mac = token.split(".")
        younger = format(int(issued, 16) + 3600, "x")
        assert check_token(f"{younger}.{nonce}.{mac}", "alice", now=now) is False  # the time is signed
        assert check_token(f"{issued}.{'0' * 32}.{mac}", "alice", now=now) is False  # so is the nonce
        assert check_token(token, "bob", now=now) is False
        assert check_token(issue_token("alice", now=now + CLOCK_SKEW + 30), "alice", now=now) is False  # future
        assert check_token(issue_token("alice", now=now + 5), "alice", now=now) is True  # another worker's clock
        for junk in ("", "0" * 64, token + "0", token.upper(), f"{issued}.{nonce}", "x.y.z"):
            assert check_token(junk, "alice", now=now) is False, junk


def test_each_page_embeds_a_fresh_token_that_works(app: Flask, client: FlaskClient, engine: Engine) -> None:
    def page_token() -> str:
        page = client.get("/admin/members/new", headers=appapi_headers("admin")).get_data(as_text=True)
        tokens = set(re.findall(r'name="csrf_token" value="([^"]+)"', page))
        assert len(tokens) == 1, tokens  # one per page, however many forms it has
        return tokens.pop()

    first, second = page_token(), page_token()
    assert first != second
    with app.app_context():
        assert check_token(first, "admin") and check_token(second, "admin")
        assert not check_token(first, "alice")
    status, _, headers = _admit(client, first)
    assert headers.get("X-NC-Coop-Continue"), status
    with app.app_context():  # the tests' helper: a fresh valid token for a given user
        assert check_token(csrf_token("admin"), "admin") is True


# --- the Origin's scheme --------------------------------------------------------------------------------

@pytest.fixture
def writes(app: Flask) -> list[str]:
    runs: list[str] = []

    def change_something() -> str:
        runs.append("ran")
        return "changed"

    app.add_url_rule("/test-change", "test_change", change_something, methods=["POST"])
    return runs


def _post(app: Flask, client: FlaskClient, base_url: str = "http://localhost", **headers: str) -> int:
    with app.app_context():
        token = csrf_token("alice")
    return client.post("/test-change", data={"csrf_token": token}, base_url=base_url,
                       headers={**appapi_headers("alice"), **headers}).status_code


def test_behind_a_tls_proxy_the_forwarded_scheme_must_match(app: Flask, client: FlaskClient,
                                                            writes: list[str]) -> None:
    """The browser used https; Nextcloud's proxy reaches us over http and passes X-Forwarded-Proto."""
    https = {"X-Forwarded-Proto": "https"}
    assert _post(app, client, Origin="http://localhost", **https) == 403  # same host, other scheme
    assert _post(app, client, Origin="https://localhost:8443", **https) == 403  # other port
    assert writes == []
    assert _post(app, client, Origin="https://localhost", **https) == 200
    assert _post(app, client, Origin="https://LOCALHOST:443", **https) == 200  # the default port, spelt out
    assert writes == ["ran", "ran"]


def test_without_a_forwarded_scheme_flasks_own_counts(app: Flask, client: FlaskClient, writes: list[str]) -> None:
    """NEXTCLOUD_URL (the stand-in on 127.0.0.1) names another host than localhost: Flask's http."""
    assert _post(app, client, Origin="https://localhost") == 403
    assert _post(app, client, Origin="http://localhost") == 200
    assert writes == ["ran"]


def test_nextcloud_url_decides_the_scheme_when_it_names_the_host(app: Flask, client: FlaskClient,
                                                                  writes: list[str]) -> None:
    """Requests for NEXTCLOUD_URL's own host take its scheme, even when Flask's hop says otherwise."""
    nextcloud = urlsplit(app.config["NC_COOP_SETTINGS"].nextcloud_url)  # http://127.0.0.1:<port>
    flask_sees_https = f"https://{nextcloud.netloc}"
    assert _post(app, client, base_url=flask_sees_https, Origin=f"https://{nextcloud.netloc}") == 403
    assert writes == []
    assert _post(app, client, base_url=flask_sees_https, Origin=f"http://{nextcloud.netloc}") == 200
    assert writes == ["ran"]


def test_the_browsers_sec_fetch_site_is_believed_when_sent(app: Flask, client: FlaskClient,
                                                            writes: list[str]) -> None:
    """Over https a browser says itself whether the page is same-origin (scheme included)."""
    assert _post(app, client, Origin="https://localhost", **{"Sec-Fetch-Site": "same-origin"}) == 200
    for site in ("same-site", "cross-site", "none"):
        assert _post(app, client, Origin="http://localhost", **{"Sec-Fetch-Site": site}) == 403
    assert _post(app, client, Origin="https://evil.example", **{"Sec-Fetch-Site": "same-origin"}) == 403
    assert writes == ["ran"]


@pytest.mark.parametrize("origin", ["null", "http://localhost/path", "http://user@localhost", "localhost",
                                    "ftp://localhost", "http://localhost:99999", "http://localhost.evil.example"])
def test_anything_but_a_plain_origin_is_refused(app: Flask, client: FlaskClient, writes: list[str],
                                                origin: str) -> None:
    assert _post(app, client, Origin=origin) == 403
    assert writes == []

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The admin page and JSON API of the sync: admins only, CSRF-protected, runs in the background."""
from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from nc_coop import create_app
from nc_coop.ldapsync.runner import Active, SyncRunner
from nc_coop.standin import NextcloudStandIn
from nc_coop.web.csrf import csrf_token
from tests.migrated import migrate_for_test
from tests.conftest import INFO_XML, TEST_SECRET, app_config, appapi_headers, get_db_engine
from tests.ldap_support import PASSWORDS, Slapd
from tests.ldapsync.conftest import ldap_env

API = "/api/v1/admin/ldap/runs"


@pytest.fixture
def ldap_app(database_url: str, standin: NextcloudStandIn, tmp_path: Path, slapd: Slapd) -> Iterator[Flask]:
    app = create_app(app_config(database_url, standin, tmp_path, **ldap_env(slapd)))
    app.config["TESTING"] = True
    standin.register("nc_coop", TEST_SECRET, "0.1.0", "http://127.0.0.1:9", INFO_XML).enabled = True
    migrate_for_test(get_db_engine(app))
    yield app
    runner(app).wait(30)
    get_db_engine(app).dispose()


def runner(app: Flask) -> SyncRunner:
    return app.extensions["nc_coop.ldapsync"]


def token(app: Flask, user: str) -> str:
    with app.app_context():
        return csrf_token(user)


def finished(app: Flask) -> None:
    deadline = time.monotonic() + 30
    while runner(app).active() is not None:
        assert time.monotonic() < deadline, "the sync did not finish"
        time.sleep(0.02)
    runner(app).wait(5)


@pytest.mark.parametrize(("method", "path"), [("GET", "/admin/ldap"), ("POST", "/admin/ldap/sync"), ("GET", API),
                                              ("POST", API)])
def test_only_cooperative_admins_get_in(ldap_app: Flask, method: str, path: str) -> None:
    client = ldap_app.test_client()
    assert client.open(path, method=method).status_code == 401
    headers = {**appapi_headers("alice"), "X-CSRF-Token": token(ldap_app, "alice")}  # a valid token, not an admin
    assert client.open(path, method=method, headers=headers, json={}).status_code == 403
    assert runner(ldap_app).active() is None and runner(ldap_app).last_report is None


def test_starting_needs_the_form_token(ldap_app: Flask) -> None:
    client = ldap_app.test_client()
    assert client.post(API, headers=appapi_headers("admin"), json={}).status_code == 403
    assert client.post("/admin/ldap/sync", headers=appapi_headers("admin"), data={"full": "1"}).status_code == 403
    assert runner(ldap_app).last_report is None


def test_api_starts_a_run_and_lists_it(ldap_app: Flask) -> None:
    client = ldap_app.test_client()
    headers = {**appapi_headers("admin"), "X-CSRF-Token": token(ldap_app, "admin")}
    assert client.post(API, headers=headers, json={"full": "maybe"}).status_code == 422
    assert client.post(API, headers=headers, json={"full": True, "extra": 1}).status_code == 422

    started = client.post(API, headers=headers, json={"full": True})
    assert started.status_code == 200 and started.get_json()["configured"] is True
    finished(ldap_app)
    body = client.get(API, headers=appapi_headers("admin")).get_json()
    assert body["active"] is None
    (run,) = body["runs"]
    assert (run["status"], run["mode"], run["dry_run"], run["actor"]) == ("ok", "full", False, "ldap-sync:admin")
    assert run["counts"]["created"] == 11 and run["complete"] and run["errors"] == []
    text = client.get(API, headers=appapi_headers("admin")).get_data(as_text=True)
    assert not any(p in text for p in PASSWORDS)


def test_the_page_shows_runs_and_its_button_starts_one(ldap_app: Flask) -> None:
    client = ldap_app.test_client()
    page = client.get("/admin/ldap", headers=appapi_headers("admin"))
    assert page.status_code == 200 and "Sync now" in page.get_data(as_text=True)
    assert "No sync has run yet." in page.get_data(as_text=True)
    posted = client.post("/admin/ldap/sync", headers=appapi_headers("admin"),
                         data={"csrf_token": token(ldap_app, "admin"), "full": "1", "dry_run": "1"})
    assert posted.headers.get("X-NC-Coop-Continue") == "../ldap"  # relative: behind the proxy
    finished(ldap_app)
    html = client.get("/admin/ldap", headers=appapi_headers("admin")).get_data(as_text=True)
    assert "dry run" in html and "11 new" in html and "job-progress.js" in html
    assert not any(p in html for p in PASSWORDS)


def test_a_second_start_while_running_is_refused(ldap_app: Flask) -> None:
    runner(ldap_app)._active = Active("2026-01-01T00:00:00+00:00", True, False, "users", 500, None)
    try:
        client = ldap_app.test_client()
        headers = {**appapi_headers("admin"), "X-CSRF-Token": token(ldap_app, "admin")}
        refused = client.post(API, headers=headers, json={})
        assert refused.status_code == 409 and refused.get_json() == {"error": "A sync is already running."}
        state = client.get(API, headers=appapi_headers("admin")).get_json()
        assert state["active"]["phase"] == "users" and state["active"]["done"] == 500
        html = client.get("/admin/ldap", headers=appapi_headers("admin")).get_data(as_text=True)
        assert "<progress" in html and 'data-running="1"' in html
    finally:
        runner(ldap_app)._active = None


def test_without_configuration_the_page_says_so_and_nothing_starts(app: Flask, client: FlaskClient) -> None:
    headers = {**appapi_headers("admin"), "X-CSRF-Token": token(app, "admin")}
    refused = client.post(API, headers=headers, json={"full": True})
    assert refused.status_code == 409 and "not configured" in refused.get_json()["error"]
    assert client.get(API, headers=headers).get_json() == {"configured": False, "active": None, "runs": []}
    assert "Not configured" in client.get("/admin/ldap", headers=headers).get_data(as_text=True)


def test_a_malformed_setting_stops_the_app_naming_it(database_url: str, standin: NextcloudStandIn, tmp_path: Path,
                                                     slapd: Slapd) -> None:
    from nc_coop.config import ConfigError  # noqa: PLC0415

    with pytest.raises(ConfigError, match="^NC_COOP_LDAP_MISSING_RUNS: must be a whole number"):
        create_app(app_config(database_url, standin, tmp_path, **ldap_env(slapd, NC_COOP_LDAP_MISSING_RUNS="x")))

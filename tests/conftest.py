# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Shared fixtures: the app on SQLite and PostgreSQL, the Nextcloud stand-in, a live server.

Every test that takes ``app`` runs once per database: SQLite always, PostgreSQL when
NC_COOP_TEST_DATABASE_URL is set (each test gets its own schema there).
"""
from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from nc_coop import create_app
from nc_coop.db import get_db, normalise_url, postgres_scratch_schema
from nc_coop.serve import BackgroundServer, make_server
from nc_coop.standin import NextcloudStandIn
from tests.migrated import migrate_for_test
from tests.ldap_support import PASSWORDS as LDAP_PASSWORDS
from tests.ldap_support import Slapd, own_slapd

ROOT = Path(__file__).resolve().parent.parent
INFO_XML = ROOT / "appinfo" / "info.xml"
TEST_SECRET = "test-app-secret-" + "s3cr3t" * 6
PG_URL = os.environ.get("NC_COOP_TEST_DATABASE_URL", "")


# --- A log of the whole run, checked for credentials at the end --------------------------------

class _RunLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self._format = logging.Formatter("%(name)s %(levelname)s %(message)s")

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self._format.format(record))


RUN_LOG = _RunLog()
# Credentials the tests send or configure; none of them may ever reach a log line.
QUOTA_ADMIN_PASSWORD = "quota-service-password"  # the stand-in's login password of the quota admin account
QUOTA_ADMIN_APP_PASSWORD = "quota-service-app-password-0123456789"
FORBIDDEN_IN_LOGS: set[str] = {TEST_SECRET, "fixture-app-secret-not-real-0123456789", "admin-password",
                               "alice-password", *LDAP_PASSWORDS, QUOTA_ADMIN_PASSWORD, QUOTA_ADMIN_APP_PASSWORD}


def pytest_configure(config: pytest.Config) -> None:
    root = logging.getLogger()
    root.addHandler(RUN_LOG)
    root.setLevel(logging.DEBUG)


_LOG_CHECK_DIR = pytest.StashKey[Path]()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist: each worker logs in its own process and hands its figures over in a file."""
    if _LOG_CHECK_DIR not in node.config.stash:
        node.config.stash[_LOG_CHECK_DIR] = Path(tempfile.mkdtemp(prefix="nc_coop-log-check-"))
    node.workerinput["nc_coop_log_check_dir"] = str(node.config.stash[_LOG_CHECK_DIR])


def _leaks(lines: list[str]) -> list[str]:
    forbidden = {v for v in FORBIDDEN_IN_LOGS if v}
    forbidden |= {base64.b64encode(v.encode()).decode() for v in list(forbidden)}
    return [line for line in lines if any(v in line for v in forbidden)
            or "Authorization: Basic" in line or "oc_sessionPassphrase" in line]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    worker = getattr(config, "workerinput", None)
    if worker is not None:  # an xdist worker: hand the figures to the controller
        folder = Path(worker["nc_coop_log_check_dir"])
        leaks = _leaks(RUN_LOG.lines)
        (folder / f"{worker['workerid']}.json").write_text(
            json.dumps({"lines": len(RUN_LOG.lines), "leaks": leaks[:5], "leak_count": len(leaks)}))
        return
    counted, leaks = len(RUN_LOG.lines), _leaks(RUN_LOG.lines)
    leak_count = len(leaks)
    if _LOG_CHECK_DIR in config.stash:  # the workers' figures
        folder = config.stash[_LOG_CHECK_DIR]
        for report in sorted(folder.glob("*.json")):
            figures = json.loads(report.read_text())
            counted += figures["lines"]
            leaks += figures["leaks"]
            leak_count += figures["leak_count"]
        shutil.rmtree(folder, ignore_errors=True)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if leak_count:
        if reporter:
            reporter.write_line(f"LOG LEAK: {leak_count} log line(s) contain a credential, e.g.: {leaks[0][:200]}",
                                red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    elif reporter:
        reporter.write_line(f"log check: {counted} log lines of this run contain no credential")


# --- Databases ----------------------------------------------------------------------------------

def _database_params() -> list[Any]:
    return ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)] if PG_URL else ["sqlite"]


@pytest.fixture(params=_database_params())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'nc_coop.sqlite3'}"
        return
    with postgres_scratch_schema(PG_URL, "t") as url:
        yield url


BOTH_DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@contextmanager
def database_on(kind: str, tmp_path: Path, why_postgres: str) -> Iterator[str]:
    """For tests whose point needs PostgreSQL too (races, locks): with ``BOTH_DATABASES`` as the
    fixture's params, PostgreSQL is skipped with ``why_postgres`` when it is not set, never silently
    absent."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'nc_coop.sqlite3'}"
        return
    if not PG_URL:
        pytest.skip(f"set NC_COOP_TEST_DATABASE_URL to run {why_postgres}")
    with postgres_scratch_schema(PG_URL, "t") as url:
        yield url


@pytest.fixture(autouse=True)
def _push_request_context() -> None:
    """Overrides pytest-flask's: with a request context pushed for the whole test, every client
    request would share one ``g``, which production never does."""


# --- Nextcloud stand-in and the app -------------------------------------------------------------

@pytest.fixture
def standin() -> Iterator[NextcloudStandIn]:
    server = NextcloudStandIn().start()
    try:
        yield server
    finally:
        server.stop()


def app_config(database_url: str, standin: NextcloudStandIn, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"APP_ID": "nc_coop", "APP_SECRET": TEST_SECRET, "APP_VERSION": "0.1.0",
            "NEXTCLOUD_URL": standin.url, "APP_PERSISTENT_STORAGE": str(tmp_path / "storage"),
            "DATABASE_URL": database_url, "NC_COOP_ADMIN_GROUPS": "admin,board", **extra}


@pytest.fixture
def unmigrated_app(database_url: str, standin: NextcloudStandIn, tmp_path: Path) -> Iterator[Flask]:
    app = create_app(app_config(database_url, standin, tmp_path))
    app.config["TESTING"] = True
    standin.register("nc_coop", TEST_SECRET, "0.1.0", "http://127.0.0.1:9", INFO_XML).enabled = True
    yield app
    app.extensions["nc_coop.quota.runner"].wait(30)  # a background quota run holds a connection too
    wait_for_init(app)
    get_db_engine(app).dispose()


@pytest.fixture
def app(unmigrated_app: Flask) -> Flask:
    migrate_for_test(get_db_engine(unmigrated_app))
    return unmigrated_app


def wait_for_init(app: Flask, timeout: float = 30) -> None:
    """Let a background /init finish before the test ends: it holds a database connection."""
    deadline = time.monotonic() + timeout
    while app.extensions["nc_coop.init"].running:
        assert time.monotonic() < deadline, "init did not finish"
        time.sleep(0.02)


def get_db_engine(app: Flask) -> Any:
    with app.app_context():
        return get_db().engine


@contextmanager
def serve_live(app: Flask, standin: NextcloudStandIn) -> Iterator[str]:
    """Serve ``app`` with waitress on a free port and register it with the stand-in (not deployed)."""
    settings = app.config["NC_COOP_SETTINGS"]
    server = BackgroundServer(make_server(app, settings, port=0)).start()
    standin.register(settings.app_id, settings.app_secret, settings.app_version, server.url, INFO_XML)
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def live_app(app: Flask, standin: NextcloudStandIn) -> Iterator[str]:
    with serve_live(app, standin) as url:
        yield url


def appapi_headers(user: str = "", secret: str = TEST_SECRET, app_id: str = "nc_coop",
                   language: str = "en") -> dict[str, str]:
    """Headers as AppAPI's proxy sends them for ``user`` ("" for system calls)."""
    return {
        "AA-VERSION": "34.0.0", "EX-APP-ID": app_id, "EX-APP-VERSION": "0.1.0",
        "AUTHORIZATION-APP-API": base64.b64encode(f"{user}:{secret}".encode()).decode(),
        "AA-REQUEST-ID": "test" + secrets.token_hex(4), "Accept-Language": language,
    }


# --- A throw-away directory -------------------------------------------------------------------

@pytest.fixture(scope="session")
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slapd]:
    """slapd with ldap/demo.ldif for the whole session (read-only use: tests that change the
    directory take ``directory`` below)."""
    with own_slapd(tmp_path_factory.mktemp("slapd")) as instance:
        yield instance


@pytest.fixture
def directory(tmp_path: Path) -> Iterator[Slapd]:
    """A slapd of this test's own with ldap/demo.ldif: the test may change it (or stop it)."""
    with own_slapd(tmp_path / "ldap") as instance:
        yield instance

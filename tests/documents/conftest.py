# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Documents fixtures: the app configured with a documents folder read as "office", a stand-in
whose office account holds that folder, and a register with current and former members."""
from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from nc_coop import create_app
from nc_coop.register.models import Account
from nc_coop.register.services import admit_member, receive_notice
from nc_coop.register.statutes import add_statute_version
from nc_coop.standin import NextcloudStandIn, StandInUser
from nc_coop.standin.dav import put_file
from nc_coop.web.csrf import csrf_token
from tests.conftest import INFO_XML, TEST_SECRET, app_config, appapi_headers, get_db_engine, wait_for_init
from tests.register.conftest import OFFICE, STATUTE, make_party

FOLDER = "/Governance"
READER = "office"
STATUTES_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"  # the recorded Satzung 2025.pdf


@pytest.fixture
def standin() -> Iterator[NextcloudStandIn]:
    server = NextcloudStandIn().start()
    users = server.state.users
    users[READER] = StandInUser(READER, "Geschäftsstelle", ["users"])
    users["bea"] = StandInUser("bea", "Bea Vorstand", ["board"])
    users["bob"] = StandInUser("bob", "Bob Beispiel", ["users"])
    users["carl"] = StandInUser("carl", "Carl Ehemalig", ["users"])
    users["dora"] = StandInUser("dora", "Dora Gast", ["users"])  # in Nextcloud, not in the register
    put_file(server.state, READER, f"{FOLDER}/Satzung 2025.pdf", STATUTES_PDF)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def unmigrated_app(database_url: str, standin: NextcloudStandIn, tmp_path: Path) -> Iterator[Flask]:
    app = create_app(app_config(database_url, standin, tmp_path, NC_COOP_DOCUMENTS_FOLDER=FOLDER,
                                NC_COOP_DOCUMENTS_USER=READER))
    app.config["TESTING"] = True
    standin.register("nc_coop", TEST_SECRET, "0.1.0", "http://127.0.0.1:9", INFO_XML).enabled = True
    yield app
    wait_for_init(app)
    get_db_engine(app).dispose()


@dataclass(frozen=True)
class Register:
    alice: int  # current member (linked account "alice")
    bob: int  # current member ("bob")
    carl: int  # former member ("carl"): admitted 2019-08-01, left 2022-12-31
    statute_version_id: int


@pytest.fixture
def engine(app: Flask) -> Engine:
    return get_db_engine(app)


@pytest.fixture
def register(engine: Engine) -> Register:
    with Session(engine) as session, session.begin():
        statute = add_statute_version(session, actor="office", version=1, adopted_at=date(2019, 5, 1),
                                      registered_at=date(2019, 7, 1), params=STATUTE)

        def member(name: str, user: str, on: date) -> int:
            party = make_party(session, "natural", name)
            membership = admit_member(session, OFFICE, party_id=party.id, admitted_on=on, shares=1)
            session.add(Account(nextcloud_user_id=user, party_id=party.id, role="self", created_at=datetime.now(UTC)))
            session.flush()
            return membership.id

        alice = member("Alice Normal", "alice", date(2024, 1, 10))
        bob = member("Bob Beispiel", "bob", date(2024, 2, 1))
        carl = member("Carl Ehemalig", "carl", date(2019, 8, 1))
        notice = receive_notice(session, OFFICE, membership_id=carl, received_on=date(2020, 1, 10))
        assert notice.effective_date == date(2022, 12, 31)
        statute_id = statute.id
    return Register(alice, bob, carl, statute_id)


def post(app: Flask, client: FlaskClient, path: str, user: str = "admin", *, json: Any = None,
         data: dict[str, Any] | None = None, language: str = "en") -> Any:
    """A state-changing request with the user's form token."""
    with app.app_context():
        token = csrf_token(user)
    headers = {**appapi_headers(user, language=language), "X-CSRF-Token": token}
    if data is not None:
        return client.post(path, data={**data, "csrf_token": token}, headers=appapi_headers(user, language=language))
    return client.post(path, json=json if json is not None else {}, headers=headers)


def get(client: FlaskClient, path: str, user: str = "admin", **kwargs: Any) -> Any:
    return client.get(path, headers=appapi_headers(user), **kwargs)


def dav_put(standin: NextcloudStandIn, path: str, content: bytes) -> requests.Response:
    """Change a file in Nextcloud over WebDAV, as the office account's desktop client would."""
    auth = base64.b64encode(f"{READER}:{TEST_SECRET}".encode()).decode()
    return requests.put(f"{standin.url}/remote.php/dav/files/{READER}{path}", data=content, timeout=10,
                        headers={"EX-APP-ID": "nc_coop", "EX-APP-VERSION": "0.1.0", "AUTHORIZATION-APP-API": auth,
                                 "Content-Type": "application/pdf"})


@pytest.fixture
def publish(app: Flask, client: FlaskClient, standin: NextcloudStandIn) -> Callable[..., dict[str, Any]]:
    """Put a file into the folder (unless content is None) and publish it through the API as admin."""

    def run(path: str = "Satzung 2025.pdf", content: bytes | None = None, **fields: Any) -> dict[str, Any]:
        if content is not None:
            put_file(standin.state, READER, f"{FOLDER}/{path}", content)
        body = {"path": path, "category": "other", "title": path, **fields}
        response = post(app, client, "/api/v1/admin/documents", json=body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()["document"]

    return run

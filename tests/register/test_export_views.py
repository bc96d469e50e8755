# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Downloading the §30 list (admins, audited) and one's own §31 extract (members only)."""
from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from nc_coop.audit.models import AuditEvent
from nc_coop.register.models import Account
from nc_coop.register.services import admit_member
from nc_coop.standin import NextcloudStandIn, StandInUser
from tests.conftest import appapi_headers
from tests.register.conftest import OFFICE, make_party


@pytest.fixture
def two_members(engine: Engine, standin: NextcloudStandIn) -> dict[str, int]:
    standin.state.users["bob"] = StandInUser("bob", "Bob Beispiel", ["users"])
    ids = {}
    with Session(engine) as session:
        for user, name in (("alice", "Alice Normal"), ("bob", "Bob Beispiel")):
            party = make_party(session, "natural", name)
            ids[user] = admit_member(session, OFFICE, party_id=party.id, admitted_on=date(2024, 1, 10), shares=1).id
            session.add(Account(nextcloud_user_id=user, party_id=party.id, role="self", created_at=datetime.now(UTC)))
        session.commit()
    return ids


def test_admins_download_the_list_and_the_download_is_audited(client: FlaskClient, engine: Engine,
                                                              two_members: dict[str, int]) -> None:
    # A streamed response keeps its request (and database session) open until it is closed,
    # as every WSGI server does after sending it.
    with client.get("/admin/members/list.csv?date=2024-06-30", headers=appapi_headers("admin")) as response:
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
        text = response.get_data().decode("utf-8-sig")
    assert "Normal" in text and "Beispiel" in text and ";" in text.splitlines()[0]
    with client.get("/admin/members/list.pdf?date=2024-06-30", headers=appapi_headers("admin")) as pdf:
        body = pdf.get_data()
    assert "Beispiel" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
    with Session(engine) as session:
        exports = session.scalars(select(AuditEvent.actor).where(AuditEvent.action == "member_list.export")).all()
    assert exports == ["admin", "admin"]


def test_members_cannot_download_the_list(client: FlaskClient, two_members: dict[str, int]) -> None:
    for fmt in ("csv", "pdf"):
        with client.get(f"/admin/members/list.{fmt}", headers=appapi_headers("alice")) as response:
            assert response.status_code == 403


def test_a_member_downloads_only_their_own_extract(client: FlaskClient, two_members: dict[str, int]) -> None:
    own = client.get(f"/memberships/{two_members['alice']}/extract.pdf", headers=appapi_headers("alice", language="de"))
    assert own.status_code == 200 and own.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(own.get_data())).pages)
    assert "Normal" in text and "10.01.2024" in text and "Beispiel" not in text
    for guessed in (two_members["bob"], 9999):
        assert client.get(f"/memberships/{guessed}/extract.pdf", headers=appapi_headers("alice")).status_code == 404
    assert client.get(f"/admin/members/{two_members['bob']}/extract.pdf", headers=appapi_headers("alice")).status_code == 403
    assert client.get(f"/admin/members/{two_members['bob']}/extract.pdf", headers=appapi_headers("admin")).status_code == 200


def test_a_malformed_reference_date_is_a_400(client: FlaskClient, two_members: dict[str, int]) -> None:
    with client.get("/admin/members/list.csv?date=31.12.2024", headers=appapi_headers("admin")) as response:
        assert response.status_code == 400

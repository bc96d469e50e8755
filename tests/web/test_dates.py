# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""One rule for dates and times on every page and in the PDFs: days in the reader's locale,
points in time in the cooperative's time zone (NC_COOP_TIME_ZONE, default Europe/Berlin), and
the letterhead from the NC_COOP_LETTERHEAD_* settings."""
from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from nc_coop import create_app
from nc_coop.dates import Dates
from nc_coop.documents.models import GovernanceDocument
from nc_coop.register.services import Actor
from nc_coop.requests import services
from nc_coop.requests.models import MemberRequest
from nc_coop.standin import NextcloudStandIn, StandInUser
from nc_coop.standin.dav import put_file
from nc_coop.standin.state import default_users
from nc_coop.web.csrf import csrf_token
from tests.conftest import INFO_XML, TEST_SECRET, app_config, appapi_headers, get_db_engine, wait_for_init
from tests.register.conftest import engine  # noqa: F401  fixture: the register with a statute version
from tests.requests.conftest import PEOPLE, people  # noqa: F401  fixture
from tests.web.test_pages import get

FOLDER = "/Governance"
SENT = datetime(2026, 1, 15, 23, 30, tzinfo=UTC)  # winter: 00:30 on 16 January in Berlin
ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
LETTERHEAD = {"NC_COOP_LETTERHEAD_NAME": "Wolke Musterstadt eG",
              "NC_COOP_LETTERHEAD_ADDRESS": "Hauptstraße 5|12345 Musterstadt",
              "NC_COOP_LETTERHEAD_REGISTER": "Amtsgericht Musterstadt GnR 123"}


# --- Formatting -----------------------------------------------------------------------------------

def test_a_point_in_time_is_shown_in_the_zone_and_the_readers_locale() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    assert Dates("de", berlin).moment(SENT) == "16.01.2026, 00:30"
    assert Dates("en", berlin).moment(SENT) == "Jan 16, 2026, 12:30\u202fAM"
    assert Dates("de", berlin).moment(SENT.replace(tzinfo=None)) == "16.01.2026, 00:30"  # SQLite: naive UTC
    assert Dates("de", berlin).moment(datetime(2026, 7, 1, 22, 0, tzinfo=UTC)) == "02.07.2026, 00:00"  # summer
    assert Dates("de", ZoneInfo("America/New_York")).moment(SENT) == "15.01.2026, 18:30"


def test_a_day_is_written_in_the_readers_locale_and_a_time_on_its_local_day() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    assert Dates("de", berlin).day(date(2026, 1, 16)) == "16.01.2026"
    assert Dates("en", berlin).day(date(2026, 1, 16)) == "Jan 16, 2026"
    assert Dates("de", berlin).day(SENT) == "16.01.2026" and Dates("de", berlin).day(SENT.isoformat()) == "16.01.2026"
    assert Dates("en", berlin).day(None) == "–"


# --- Pages ----------------------------------------------------------------------------------------

@pytest.fixture
def standin() -> Iterator[NextcloudStandIn]:
    server = NextcloudStandIn(users=default_users() + PEOPLE).start()
    server.state.users["office"] = StandInUser("office", "Geschäftsstelle", ["users"])
    put_file(server.state, "office", f"{FOLDER}/Satzung 2025.pdf", b"%PDF-1.4\n%%EOF\n")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def settings_env() -> dict[str, str]:
    """Extra settings of the app; a test parametrizes it to change them."""
    return {}


@pytest.fixture
def unmigrated_app(database_url: str, standin: NextcloudStandIn, tmp_path: Path,
                   settings_env: dict[str, str]) -> Iterator[Flask]:
    app = create_app(app_config(database_url, standin, tmp_path, NC_COOP_DOCUMENTS_FOLDER=FOLDER,
                                NC_COOP_DOCUMENTS_USER="office", **settings_env))
    app.config["TESTING"] = True
    standin.register("nc_coop", TEST_SECRET, "0.1.0", "http://127.0.0.1:9", INFO_XML).enabled = True
    yield app
    app.extensions["nc_coop.quota.runner"].wait(30)
    wait_for_init(app)
    get_db_engine(app).dispose()


def _post(app: Flask, client: FlaskClient, path: str, user: str, **kwargs: Any) -> Any:
    with app.app_context():
        token = csrf_token(user)
    if "json" in kwargs:
        return client.post(path, headers={**appapi_headers(user), "X-CSRF-Token": token}, **kwargs)
    return client.post(path, headers=appapi_headers(user), data={"csrf_token": token, **kwargs.pop("data")})


@pytest.fixture
def notice(app: Flask, engine: Engine, people: dict[str, int]) -> int:  # noqa: F811
    """bob's notice, sent at 23:30 UTC on 15 January 2026."""
    with app.app_context(), Session(engine) as session:
        r = services.submit_notice(session, Actor("bob", "t"), membership_id=people["bob"], shares=None, now=SENT)
        session.commit()
        return r.id


@pytest.fixture
def filled(app: Flask, client: FlaskClient, engine: Engine, people: dict[str, int], notice: int) -> dict[str, Any]:  # noqa: F811
    """Something dated on every main page: bookings, a request, a published document, a storage request."""
    published = _post(app, client, "/api/v1/admin/documents", "admin",
                      json={"path": "Satzung 2025.pdf", "category": "other", "title": "Satzung"})
    assert published.status_code == 201, published.get_json()
    asked = _post(app, client, "/quota/requests", "alice", data={"amount": "20 GB", "reason": "Photos"})
    assert asked.status_code in (200, 303), asked.get_data(as_text=True)[:500]
    with Session(engine) as session:
        document_id = session.scalar(select(GovernanceDocument.id))
    return {"document": document_id, "request": notice, **people}


def _pages(ids: dict[str, Any]) -> list[tuple[str, str]]:
    return [("alice", "/"), ("bob", "/"), ("alice", "/requests"), ("bob", "/requests"), ("alice", "/quota"),
            ("alice", "/documents"), ("admin", "/admin/"), ("admin", "/admin/members"),
            ("admin", f"/admin/members/{ids['alice']}"), ("admin", f"/admin/members/{ids['bob']}"),
            ("admin", "/admin/requests"), ("admin", f"/admin/requests/{ids['request']}"), ("admin", "/admin/quota"),
            ("admin", "/admin/documents"), ("admin", f"/admin/documents/{ids['document']}"),
            ("admin", "/admin/settlements"), ("admin", "/admin/ldap")]


@pytest.mark.parametrize("language", ["en", "de"])
def test_no_page_shows_an_iso_date(client: FlaskClient, filled: dict[str, Any], language: str) -> None:
    """The text people read; a date input's value attribute is ISO by the HTML standard and is
    shown by the browser in the user's format."""
    for user, path in _pages(filled):
        status, page, _ = get(client, path, user, language)
        assert status == 200, (path, status)
        found = ISO_DAY.findall(page.text)
        assert not found, f"{path} as {user} ({language}) shows {found}"


@pytest.mark.parametrize(("language", "shown"), [("de", "16.01.2026, 00:30"), ("en", "Jan 16, 2026, 12:30\u202fAM")])
def test_the_time_a_request_was_sent_is_shown_in_berlin(client: FlaskClient, notice: int, language: str,
                                                        shown: str) -> None:
    _, page, _ = get(client, f"/admin/requests/{notice}", "admin", language)
    assert shown in page.text
    assert "23:30" not in page.text and "11:30" not in page.text and "UTC" not in page.text


@pytest.mark.parametrize("settings_env", [{"NC_COOP_TIME_ZONE": "America/New_York"}])
def test_another_time_zone_changes_the_time_and_the_day_received(client: FlaskClient, engine: Engine,
                                                                 notice: int) -> None:
    _, page, _ = get(client, f"/admin/requests/{notice}", "admin", "de")
    assert "15.01.2026, 18:30" in page.text and "00:30" not in page.text
    with Session(engine) as session:  # sent on the 15th in New York: received that day
        assert session.get(MemberRequest, notice).received_on == date(2026, 1, 15)


def test_in_berlin_the_same_notice_is_received_the_next_day(engine: Engine, notice: int) -> None:
    with Session(engine) as session:
        assert session.get(MemberRequest, notice).received_on == date(2026, 1, 16)


def test_a_booking_shows_the_local_day_it_was_recorded(client: FlaskClient, engine: Engine,  # noqa: F811
                                                       people: dict[str, int],  # noqa: F811
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from nc_coop.register import services as register  # noqa: PLC0415

    monkeypatch.setattr(register, "_now", lambda: SENT)  # booked at 23:30 UTC on 15 January
    with Session(engine) as session, session.begin():
        register.book_capital(session, Actor("office", "t"), membership_id=people["alice"], kind="deposit",
                              amount_cents=4_200, value_date=date(2026, 1, 2))
    _, page, _ = get(client, "/", "alice", "de")
    assert "16.01.2026" in page.text and "2026-01-15" not in page.text


@pytest.mark.parametrize(("language", "message"), [("de", "(16.01.2026)"), ("en", "(Jan 16, 2026)")])
def test_a_refused_decision_date_names_the_day_received_in_the_users_format(
        app: Flask, client: FlaskClient, notice: int, language: str, message: str) -> None:
    with app.app_context():
        token = csrf_token("admin")
    response = client.post(f"/admin/requests/{notice}/decision", headers=appapi_headers("admin", language=language),
                           data={"csrf_token": token, "decision": "approve", "date": "2026-01-10"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert message in text and "2026-01-16" not in text


# --- PDFs -----------------------------------------------------------------------------------------

def _pdf_lines(data: bytes) -> list[str]:
    return [line for page in PdfReader(io.BytesIO(data)).pages for line in page.extract_text().splitlines()]


@pytest.mark.parametrize("settings_env", [{"NC_COOP_TIME_ZONE": "Asia/Tokyo"}])
def test_the_member_list_pdf_is_stamped_in_the_cooperatives_time(client: FlaskClient,
                                                                 people: dict[str, int]) -> None:  # noqa: F811
    response = client.get("/admin/members/list.pdf?date=2026-01-16", headers=appapi_headers("admin"))
    assert response.status_code == 200
    text = "\n".join(_pdf_lines(response.get_data()))
    stamp = re.search(r"erstellt am (\d\d)\.(\d\d)\.(\d{4}), (\d\d):(\d\d)", text)
    assert stamp is not None, text[:300]
    day, month, year, hour, minute = (int(v) for v in stamp.groups())
    created = datetime(year, month, day, hour, minute, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert abs(datetime.now(UTC) - created) < timedelta(minutes=2)
    assert "Stand: 16.01.2026" in text


def test_the_member_list_pdf_header_keeps_geschaeftsanteile_whole(client: FlaskClient,
                                                                  people: dict[str, int]) -> None:  # noqa: F811
    response = client.get("/admin/members/list.pdf", headers=appapi_headers("admin"))
    lines = _pdf_lines(response.get_data())
    assert any("Geschäftsanteile" in line.split() for line in lines), lines[:6]
    assert not [line for line in lines if line.strip() in {"-", "‐"}]


@pytest.mark.parametrize("settings_env", [LETTERHEAD])
@pytest.mark.parametrize(("language", "register_label"), [("de", "Genossenschaftsregister"),
                                                          ("en", "Register of cooperatives")])
def test_a_letter_carries_the_configured_letterhead(client: FlaskClient, people: dict[str, int],  # noqa: F811
                                                    language: str, register_label: str) -> None:
    response = client.get(f"/memberships/{people['alice']}/letters/membership.pdf",
                          headers=appapi_headers("alice", language=language))
    assert response.status_code == 200
    text = "\n".join(_pdf_lines(response.get_data()))
    for expected in ("Wolke Musterstadt eG", "Hauptstraße 5", "12345 Musterstadt",
                     f"{register_label}: Amtsgericht Musterstadt GnR 123"):
        assert expected in text, expected
    assert "Cooperative (eG) – member register" not in text and "Genossenschaft (eG) – Mitgliederverwaltung" not in text
    assert PdfReader(io.BytesIO(response.get_data())).metadata.author == "Wolke Musterstadt eG"


@pytest.mark.parametrize("settings_env", [LETTERHEAD])
def test_the_member_list_pdf_names_the_cooperative(client: FlaskClient,
                                                   people: dict[str, int]) -> None:  # noqa: F811
    response = client.get("/admin/members/list.pdf", headers=appapi_headers("admin"))
    assert "Mitgliederliste nach § 30 GenG – Wolke Musterstadt eG" in "\n".join(_pdf_lines(response.get_data()))


def test_without_a_letterhead_letters_use_a_neutral_name_and_the_status_page_says_so(
        client: FlaskClient, people: dict[str, int]) -> None:  # noqa: F811
    response = client.get(f"/memberships/{people['alice']}/letters/membership.pdf", headers=appapi_headers("alice"))
    text = "\n".join(_pdf_lines(response.get_data()))
    assert "Cooperative (eG) – member register" in text and "Register of cooperatives" not in text
    _, page, _ = get(client, "/admin/", "admin")
    assert "Letterhead incomplete" in page.text and "NC_COOP_LETTERHEAD_REGISTER" in page.text


@pytest.mark.parametrize("settings_env", [LETTERHEAD])
def test_with_a_letterhead_the_status_page_shows_it_and_no_warning(client: FlaskClient) -> None:
    _, page, _ = get(client, "/admin/", "admin")
    assert "Letterhead incomplete" not in page.text
    assert "Wolke Musterstadt eG" in page.text and "Europe/Berlin" in page.text

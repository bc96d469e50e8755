# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The register in the reader's language: the §31 extract and its file name, the ledger entries
on the admin desk; and CSV downloads with one exact Content-Type."""
from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from nc_coop.assembly.services import add_item, convene, create_assembly
from nc_coop.register.models import Account
from nc_coop.register.services import admit_member, book_capital, receive_notice
from tests.conftest import appapi_headers
from tests.register.conftest import OFFICE, make_party


@pytest.fixture
def alice(engine: Engine) -> tuple[int, int]:
    """alice's membership (id, number): admitted with 2 shares, 150 € paid in, notice given."""
    with Session(engine) as session:
        party = make_party(session, "natural", "Alice Normal")
        membership = admit_member(session, OFFICE, party_id=party.id, admitted_on=date(2024, 1, 10), shares=2)
        book_capital(session, OFFICE, membership_id=membership.id, kind="deposit", amount_cents=15_000,
                     value_date=date(2024, 1, 15))
        receive_notice(session, OFFICE, membership_id=membership.id, received_on=date(2024, 11, 4))
        session.add(Account(nextcloud_user_id="alice", party_id=party.id, role="self", created_at=datetime.now(UTC)))
        session.commit()
        return membership.id, membership.member_no


def _download(client: FlaskClient, path: str, user: str, language: str) -> tuple[str, str]:
    response = client.get(path, headers=appapi_headers(user, language=language))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.get_data())).pages)
    return response.headers["Content-Disposition"], text


GERMAN = ("Auszug aus der Mitgliederliste", "Abschrift der eigenen Eintragungen (§ 31 Abs. 1 Satz 2 GenG)",
          "Mitgliedsnummer", "Art der Mitgliedschaft", "ordentlich", "Beteiligung bei Beitritt", "Einzahlung",
          "+150,00 €", "Geschäftsanteile: Buchungen", "Kündigungen", "alle Geschäftsanteile (§ 65 GenG)",
          "Seite 1 von 1")
ENGLISH = ("Extract from the member list", "Copy of the member's own entries (§ 31 (1) sentence 2 GenG)",
           "Member number", "Kind of membership", "regular", "Subscription on joining", "Payment", "+€150.00",
           "Shares: bookings", "Notices", "all shares (§ 65 GenG)", "Page 1 of 1")


@pytest.mark.parametrize("path", ["/memberships/{id}/extract.pdf", "/admin/members/{id}/extract.pdf"])
def test_the_extract_and_its_file_name_follow_the_readers_language(client: FlaskClient, alice: tuple[int, int],
                                                                   path: str) -> None:
    membership_id, member_no = alice
    user = "admin" if path.startswith("/admin") else "alice"
    url = path.format(id=membership_id)

    disposition, text = _download(client, url, user, "de")
    assert disposition == f'attachment; filename="auszug-mitglied-{member_no}.pdf"'
    assert [w for w in GERMAN if w not in text] == [], text
    assert "Alice" in text and "Normal" in text

    disposition, text = _download(client, url, user, "en")
    assert disposition == f'attachment; filename="extract-member-{member_no}.pdf"'
    assert [w for w in ENGLISH if w not in text] == [], text
    assert [w for w in ("Mitglied", "Geschäfts", "Seite", "Kündigung", "Einzahlung", "Buchungen") if w in text] == []


def test_the_admin_desk_names_ledger_entries_in_the_admins_language(client: FlaskClient,
                                                                   alice: tuple[int, int]) -> None:
    membership_id, _ = alice
    pages = {}
    for language in ("en", "de"):
        response = client.get(f"/admin/members/{membership_id}", headers=appapi_headers("admin", language=language))
        assert response.status_code == 200
        pages[language] = response.get_data(as_text=True)
    entries = {language: re.findall(r"<td>([^<#]+ #\d+)</td>", page) for language, page in pages.items()}
    assert entries["en"] == ["shares #1", "capital #1", "shares #2"]
    assert entries["de"] == ["Geschäftsanteile #1", "Geschäftsguthaben #1", "Geschäftsanteile #2"]


def test_every_csv_download_sends_one_charset(app: Flask, client: FlaskClient, engine: Engine,
                                              alice: tuple[int, int]) -> None:
    with Session(engine) as session:  # the invitation list needs a convened assembly
        assembly = create_assembly(session, OFFICE, title="GV", form="presence", held_on=date.today() + timedelta(60),
                                   place="Hall")
        add_item(session, OFFICE, assembly_id=assembly.id, title="Annual accounts", resolution_type="simple")
        convene(session, OFFICE, assembly_id=assembly.id, convened_on=date.today())
        session.commit()
        assembly_id = assembly.id
    csv_routes = sorted({rule.rule for rule in app.url_map.iter_rules() if "csv" in rule.rule})
    assert csv_routes, "no CSV download found"
    for route in csv_routes:
        url = re.sub(r"<any\([^)]*\):\w+>", "csv", route).replace("<int:assembly_id>", str(assembly_id))
        assert "<" not in url, f"fill in the arguments of {route}"
        with client.get(url, headers=appapi_headers("admin")) as response:
            assert response.status_code == 200, url
            assert response.headers["Content-Type"] == "text/csv; charset=utf-8", url
            assert response.get_data().startswith(b"\xef\xbb\xbf"), url

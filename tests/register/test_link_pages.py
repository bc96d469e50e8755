# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The member page's list of Nextcloud accounts (issue 13, point 4): every link with its status
and how it came about, in English and German; confirm and remove as forms with the form token;
cooperative admins only. The sync side is in tests/security/test_ldap_links.py."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from nc_coop.audit.models import AuditEvent
from nc_coop.register.models import Account, Membership
from nc_coop.standin import NextcloudStandIn, StandInUser
from nc_coop.web.csrf import csrf_token
from tests.conftest import appapi_headers


@pytest.fixture
def linked(engine: Engine, member: Callable[..., int], standin: NextcloudStandIn) -> dict[str, int]:
    """Erika's membership with her own login and a login the sync held ("mallory")."""
    for user in ("erika", "mallory"):
        standin.state.users[user] = StandInUser(user, user.title(), ["users"])
    membership = member("Erika Mustermann")
    with Session(engine) as session, session.begin():
        party = session.get(Membership, membership).party_id
        erika = Account(nextcloud_user_id="erika", party_id=party, role="self", created_at=datetime.now(UTC))
        session.add(erika)
        held = Account(nextcloud_user_id="mallory", party_id=party, role="self", created_at=datetime.now(UTC),
                       link_source="ldap_member_no", link_status="held", link_note="name_and_email_differ")
        session.add(held)
        session.flush()
        return {"membership": membership, "held": held.id, "erika": erika.id}


def _page(client: FlaskClient, membership: int, language: str, user: str = "admin", query: str = "") -> tuple[int, str]:
    response = client.get(f"/admin/members/{membership}{query}", headers=appapi_headers(user, language=language))
    return response.status_code, response.get_data(as_text=True)


def _audited(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action.like("account.link_%"))) or 0


@pytest.mark.parametrize(("language", "texts"), [
    ("en", ["Nextcloud accounts", "Links held for review", "held for review", "LDAP sync, by member number",
            "created by the board or office", "Neither the name nor the e-mail of the directory entry matches",
            'aria-label="Confirm the link of mallory"', 'aria-label="Remove the link of erika"']),
    ("de", ["Nextcloud-Konten", "Zur Prüfung zurückgehaltene Verknüpfungen", "zur Prüfung zurückgehalten",
            "LDAP-Abgleich, über die Mitgliedsnummer", "angelegt von Vorstand oder Geschäftsstelle",
            "Weder der Name noch die E-Mail-Adresse", 'aria-label="Verknüpfung von mallory bestätigen"',
            'aria-label="Verknüpfung von erika entfernen"']),
])
def test_the_member_page_lists_every_link_in_both_languages(
        client: FlaskClient, linked: dict[str, int], language: str, texts: list[str]) -> None:
    status, page = _page(client, linked["membership"], language)
    assert status == 200
    for text in texts:
        assert text in page, text
    section = page.split('id="links"', 1)[1].split("</table>", 1)[0]
    actions = re.findall(r'<form method="post" action="[^"]*/links/(\d+/(?:confirm|remove))"', section)
    held, erika = linked["held"], linked["erika"]
    # Held: confirm and remove; confirmed: only remove. Every form carries the form token.
    assert sorted(actions) == sorted([f"{held}/confirm", f"{held}/remove", f"{erika}/remove"])
    assert section.count('name="csrf_token"') == len(actions)
    assert section.count("<button type=\"submit\"") == len(actions)  # real buttons: keyboard and screen readers


def test_confirming_and_removing_through_the_forms(app: Flask, client: FlaskClient, engine: Engine,
                                                   linked: dict[str, int]) -> None:
    membership, held = linked["membership"], linked["held"]
    path = f"/admin/members/{membership}/links/{held}"
    # Without the form token: refused, nothing changed.
    assert client.post(f"{path}/confirm", headers=appapi_headers("admin")).status_code == 403
    with app.app_context():
        token = {"csrf_token": csrf_token("admin")}
    done = client.post(f"{path}/confirm", data=token, headers=appapi_headers("admin", language="de"))
    assert done.status_code == 200 and done.headers["X-NC-Coop-Continue"].endswith("?link=confirm#links")
    _, page = _page(client, membership, "de", query="?link=confirm")
    assert "Die Verknüpfung wurde bestätigt: Das Konto sieht jetzt diese Mitgliedschaft." in page
    assert "Zur Prüfung zurückgehaltene Verknüpfungen" not in page

    again = client.post(f"{path}/confirm", data=token, headers=appapi_headers("admin", language="de"))
    assert again.status_code == 422
    body = again.get_data(as_text=True)
    assert "Nichts wurde geändert" in body or "Es wurde nichts geändert" in body
    assert "diese Verknüpfung ist bereits bestätigt" in body

    removed = client.post(f"{path}/remove", data=token, headers=appapi_headers("admin"))
    assert removed.headers["X-NC-Coop-Continue"].endswith("?link=remove#links")
    _, page = _page(client, membership, "en", query="?link=remove")
    assert "The link was removed: the account no longer sees this membership." in page
    row = page.split("mallory", 1)[1].split("</tr>", 1)[0]
    assert "removed" in row and "<button" not in row  # nothing left to do with a removed link
    assert _audited(engine) == 2


@pytest.mark.parametrize("user", ["alice", "erika", "mallory"])
def test_only_cooperative_admins_see_and_change_links(app: Flask, client: FlaskClient, engine: Engine,
                                                       linked: dict[str, int], user: str) -> None:
    membership, held = linked["membership"], linked["held"]
    assert _page(client, membership, "en", user=user)[0] == 403
    with app.app_context():
        token = {"csrf_token": csrf_token(user)}
    for action in ("confirm", "remove"):
        answer = client.post(f"/admin/members/{membership}/links/{held}/{action}", data=token,
                             headers=appapi_headers(user))
        assert answer.status_code == 403
    with Session(engine) as session:
        assert session.get(Account, held).link_status == "held"
    assert _audited(engine) == 0


def test_an_unknown_or_foreign_account_is_a_404(app: Flask, client: FlaskClient, linked: dict[str, int],
                                                member: Callable[..., int]) -> None:
    other = member("Max Beispiel")
    with app.app_context():
        token = {"csrf_token": csrf_token("admin")}
    for path in (f"/admin/members/{other}/links/{linked['held']}/confirm",  # not this member's account
                 f"/admin/members/{linked['membership']}/links/999999/remove",
                 f"/admin/members/{linked['membership']}/links/99999999999999999999/remove"):
        assert client.post(path, data=token, headers=appapi_headers("admin")).status_code == 404, path

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Documents in each reader's language: the admin pages per request, notifications per recipient."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from nc_coop.standin import NextcloudStandIn
from tests.conftest import appapi_headers
from tests.documents.conftest import Register, post
from tests.web.test_pages import parse

Publish = Callable[..., dict[str, Any]]


def _options(client: FlaskClient, path: str, language: str, field: str) -> list[str]:
    app = client.application
    with app.app_context():
        response = app.test_client().get(path, headers=appapi_headers("admin", language=language))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    start = html.index(f'<select id="f-{field}"')
    return re.findall(r"<option[^>]*>([^<]*)</option>", html[start:html.index("</select>", start)])


def test_the_admin_labels_follow_each_requests_language(client: FlaskClient, register: Register,
                                                        publish: Publish) -> None:
    doc = publish(category="agenda", audience="board", title="Board agenda")
    assert "Board only" in _options(client, "/admin/documents", "en", "audience")
    assert "Agenda" in _options(client, "/admin/documents", "en", "category")
    # The same pages right after, for a German admin: the labels must not keep the first language.
    assert _options(client, "/admin/documents", "de", "audience") == ["Alle Mitglieder", "Nur Vorstand"]
    assert "Tagesordnung" in _options(client, "/admin/documents", "de", "category")
    with client.application.app_context():
        detail = client.application.test_client().get(f"/admin/documents/{doc['id']}",
                                                      headers=appapi_headers("admin", language="de"))
    page = parse(detail.get_data(as_text=True))
    assert "Nur Vorstand" in page.text and "Tagesordnung" in page.text
    assert "Board only" not in page.text


def test_each_member_is_notified_in_their_own_language(app: Flask, client: FlaskClient, register: Register,
                                                       standin: NextcloudStandIn) -> None:
    standin.state.users["bob"].language = "de"
    standin.state.users["alice"].language = "en"
    # The admin publishing reads German; that must not decide the members' language.
    response = post(app, client, "/api/v1/admin/documents", language="de",
                    json={"path": "Satzung 2025.pdf", "category": "statutes", "title": "Satzung 2025",
                          "adopted_on": "2025-05-20", "valid_from": "2025-07-01"})
    assert response.status_code == 201, response.get_json()
    sent = {n["user"]: n["subject_params"] for n in standin.state.notifications}
    assert sent["bob"]["rich_subject"] == "Neues Dokument: Satzung 2025"
    assert sent["bob"]["rich_message"] == "Die Genossenschaft hat ein Dokument für ihre Mitglieder veröffentlicht."
    assert sent["alice"]["rich_subject"] == "New document: Satzung 2025"
    assert sent["alice"]["rich_message"] == "The cooperative has published a document for its members."

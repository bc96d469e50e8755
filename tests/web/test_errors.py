# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""When Nextcloud refuses nc_coop itself (wrong secret after a re-registration), pages fail closed
with a status that points at the registration, not with a 500 or a page without access checks."""
from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from nc_coop.standin import NextcloudStandIn
from tests.conftest import appapi_headers


def test_a_refused_role_lookup_is_a_502_naming_the_registration(app: Flask, client: FlaskClient,
                                                                standin: NextcloudStandIn) -> None:
    standin.state.exapp.secret = "re-registered-with-another-secret"
    for language, text in (("en", "check the app&#39;s registration"), ("de", "Registrierung der App")):
        response = client.get("/", headers=appapi_headers("alice", language=language))
        assert response.status_code == 502
        assert text in response.get_data(as_text=True)
        assert response.headers["Cache-Control"] == "no-store"
    assert client.get("/admin/", headers=appapi_headers("admin")).status_code == 502

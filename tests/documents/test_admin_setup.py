# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The documents admin page before documents are set up: a normal page (200) that says which
settings to set or which folder to create, not an error page."""
from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from nc_coop import create_app
from nc_coop.standin import NextcloudStandIn
from tests.migrated import migrate_for_test
from tests.conftest import INFO_XML, TEST_SECRET, app_config, appapi_headers, get_db_engine
from tests.documents.conftest import FOLDER, READER, get


def test_a_missing_documents_folder_is_a_setup_step_on_a_normal_page(client: FlaskClient,
                                                                       standin: NextcloudStandIn) -> None:
    standin.state.files.clear()  # the configured /Governance does not exist in office's files
    response = get(client, "/admin/documents")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "The documents folder is missing" in html
    assert f"There is no folder {FOLDER} in the files of the Nextcloud account {READER}" in html
    assert "NC_COOP_DOCUMENTS_FOLDER" in html and "NC_COOP_DOCUMENTS_USER" in html
    assert "This folder is empty." not in html
    german = client.get("/admin/documents", headers=appapi_headers("admin", language="de"))
    assert german.status_code == 200 and "Der Dokumentenordner fehlt" in german.get_data(as_text=True)
    # a subfolder that does not exist is still a wrong link: 404, inside the folder that does
    assert get(client, "/admin/documents", query_string={"dir": "nope"}).status_code == 404


def test_without_the_documents_settings_the_page_says_which_to_set(database_url: str, standin: NextcloudStandIn,
                                                                    tmp_path: Path) -> None:
    app: Flask = create_app(app_config(database_url, standin, tmp_path / "plain"))
    standin.register("nc_coop", TEST_SECRET, "0.1.0", "http://127.0.0.1:9", INFO_XML).enabled = True
    migrate_for_test(get_db_engine(app))
    try:
        with app.app_context():
            response = app.test_client().get("/admin/documents", headers=appapi_headers("admin"))
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert "Documents are not configured" in html
        assert "Set NC_COOP_DOCUMENTS_FOLDER" in html and "NC_COOP_DOCUMENTS_USER" in html
    finally:
        get_db_engine(app).dispose()

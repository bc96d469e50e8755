# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Schemathesis over the documents' operations with documents configured: the stand-in serves
the folder, one document is published, one assembly recorded. No generated request gets a
server error, an undocumented status or a response its schema does not allow, and none
reaches a file outside the documents folder."""
from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from nc_coop.documents.openapi import describe
from nc_coop.standin import NextcloudStandIn
from nc_coop.standin.dav import put_file
from nc_coop.web.csrf import csrf_token
from nc_coop.web.openapi import build_document
from tests.conftest import appapi_headers
from tests.documents.conftest import READER, Register, post

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
schema = schemathesis.openapi.from_dict(build_document("0.1.0", [describe]))


@schema.hook
def flatmap_path_parameters(_context: Any, path_parameters: dict[str, Any] | None) -> Any:
    """Mostly the published document, so that downloads and unpublishing get past the 404."""
    if not path_parameters or "document_id" not in path_parameters:
        return st.just(path_parameters)
    return st.sampled_from([1, path_parameters["document_id"]]).map(lambda i: {**path_parameters, "document_id": i})


@pytest.fixture
def seeded(app: Flask, client: FlaskClient, register: Register, standin: NextcloudStandIn) -> Flask:
    put_file(standin.state, "alice", "/Governance/Satzung 2025.pdf", b"alice's own file, never to be read")
    assert post(app, client, "/api/v1/admin/assemblies", json={"held_on": "2026-06-20", "title": "GV"}).status_code == 201
    assert post(app, client, "/api/v1/admin/documents", json={
        "path": "Satzung 2025.pdf", "category": "other", "title": "Satzung"}).status_code == 201
    return app


@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_no_request_gets_a_server_error_or_reaches_outside_the_folder(seeded: Flask, standin: NextcloudStandIn,
                                                                      case: Any) -> None:
    with seeded.app_context():
        token = csrf_token("admin")
    case.call_and_validate(app=seeded, headers={**appapi_headers("admin"), "X-CSRF-Token": token}, checks=CHECKS)
    dav_paths = [c.path for c in standin.state.calls if c.path.startswith("/remote.php")]
    assert all(p.startswith(f"/remote.php/dav/files/{READER}/Governance") for p in dav_paths), dav_paths

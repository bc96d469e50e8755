# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The stand-in's WebDAV answers like the recordings of Nextcloud 34 (dav_*.json), and the
gateway reads files through it: listing, streaming, errors as typed exceptions."""
from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
import requests

from nc_coop.config import load_settings
from nc_coop.nextcloud import NextcloudGateway, NextcloudNotFound
from nc_coop.standin import NextcloudStandIn
from nc_coop.standin.dav import put_file
from tests.conftest import TEST_SECRET

RECORDINGS = Path(__file__).resolve().parents[2] / "nc_coop" / "standin" / "recordings"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _recorded(name: str) -> dict:
    return json.loads((RECORDINGS / f"{name}.json").read_text(encoding="utf-8"))["response"]


@pytest.fixture
def lab(standin: NextcloudStandIn) -> NextcloudStandIn:
    standin.register("nc_coop", TEST_SECRET, "0.1.0", "http://127.0.0.1:9", []).enabled = True
    put_file(standin.state, "admin", "/Governance/Satzung 2025.pdf", PDF)
    return standin


def _as(user: str) -> dict[str, str]:
    return {"EX-APP-ID": "nc_coop", "EX-APP-VERSION": "0.1.0",
            "AUTHORIZATION-APP-API": base64.b64encode(f"{user}:{TEST_SECRET}".encode()).decode()}


def _dav(lab: NextcloudStandIn, method: str, path: str, user: str = "admin", **kwargs: object) -> requests.Response:
    return requests.request(method, f"{lab.url}/remote.php/dav/files/{path}", headers={**_as(user), **kwargs.pop(
        "headers", {})}, timeout=10, **kwargs)  # type: ignore[arg-type]


def test_get_returns_the_bytes_with_the_recorded_headers(lab: NextcloudStandIn) -> None:
    answer = _dav(lab, "GET", "admin/Governance/Satzung%202025.pdf")
    recorded = _recorded("dav_get_statutes_as_admin")
    assert answer.status_code == recorded["status"] and answer.content == recorded["body"].encode()
    assert answer.headers["Content-Disposition"] == recorded["headers"]["Content-Disposition"]
    assert answer.headers["ETag"] == answer.headers["OC-ETag"] and answer.headers["Content-Length"] == "45"


def test_errors_are_the_recorded_sabre_errors(lab: NextcloudStandIn) -> None:
    missing = _dav(lab, "GET", "admin/Governance/nope.pdf")
    assert (missing.status_code, missing.text) == (404, _recorded("dav_get_missing_as_admin")["body"])
    traversal = _dav(lab, "GET", "admin/Governance/..%2F..%2Falice/x")
    assert (traversal.status_code, traversal.text) == (400, _recorded("dav_get_traversal_as_admin")["body"])
    foreign = _dav(lab, "PROPFIND", "admin/Governance", user="alice", headers={"Depth": "1"})
    assert (foreign.status_code, foreign.text) == (404, _recorded("dav_propfind_governance_as_alice")["body"])
    anonymous = _dav(lab, "PROPFIND", "alice/", user="", headers={"Depth": "0"})
    assert (anonymous.status_code, anonymous.text) == (401, _recorded("ocs_dav_propfind_alice_as_empty_user")["body"])


def test_propfind_lists_like_the_recording(lab: NextcloudStandIn) -> None:
    recorded = _recorded("dav_propfind_governance_depth1_as_admin")
    body = ('<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns" '
            'xmlns:nc="http://nextcloud.org/ns"><d:prop><d:getetag/><d:getcontentlength/><d:resourcetype/>'
            '<oc:fileid/><oc:size/><oc:checksums/></d:prop></d:propfind>')
    answer = _dav(lab, "PROPFIND", "admin/Governance", headers={"Depth": "1"}, data=body)
    assert answer.status_code == recorded["status"] == 207
    assert "<d:href>/remote.php/dav/files/admin/Governance/</d:href>" in answer.text
    assert "<d:href>/remote.php/dav/files/admin/Governance/Satzung%202025.pdf</d:href>" in answer.text
    assert "<d:getcontentlength>45</d:getcontentlength>" in answer.text
    # Like Nextcloud: checksums are not kept (compute sha256 yourself), reported as 404 props.
    assert "<oc:checksums/></d:prop><d:status>HTTP/1.1 404 Not Found</d:status>" in answer.text


def test_mkcol_and_put_answer_as_recorded(lab: NextcloudStandIn) -> None:
    assert _dav(lab, "MKCOL", "admin/Protokolle").status_code == _recorded("dav_mkcol_governance_as_admin")["status"]
    exists = _dav(lab, "MKCOL", "admin/Protokolle")
    assert (exists.status_code, exists.text) == (405, _recorded("dav_mkcol_governance_exists")["body"])
    created = _dav(lab, "PUT", "admin/Protokolle/GV.pdf", data=b"x")
    assert created.status_code == 201 and created.headers["OC-FileId"].endswith("ocfzni5ftbn1")
    assert _dav(lab, "PUT", "admin/Protokolle/GV.pdf", data=b"y").headers["ETag"] != created.headers["ETag"]


def test_the_gateway_lists_streams_and_refuses_traversal(lab: NextcloudStandIn) -> None:
    gateway = NextcloudGateway(load_settings({}, {"APP_SECRET": TEST_SECRET, "NEXTCLOUD_URL": lab.url}))
    big = bytes(range(256)) * 4096  # 1 MiB, more than one chunk
    put_file(lab.state, "admin", "/Governance/2025/Jahresabschluss.pdf", big)
    names = [(e.name, e.is_dir) for e in gateway.list_folder("/Governance", "admin")]
    assert names == [("2025", True), ("Satzung 2025.pdf", False)]
    with gateway.open_file("/Governance/2025/Jahresabschluss.pdf", "admin") as download:
        chunks = list(download.chunks())
    assert len(chunks) > 1 and hashlib.sha256(b"".join(chunks)).digest() == hashlib.sha256(big).digest()
    with pytest.raises(NextcloudNotFound):
        gateway.open_file("/Governance/nope.pdf", "admin")
    with pytest.raises(NextcloudNotFound):
        gateway.list_folder("/Governance", "alice")  # read a folder as the account that has it
    calls = len(lab.state.calls)
    for unsafe in ("/Governance/../alice", "Governance/x", "/Governance//x", "/Governance/./x", "/a\\..\\b"):
        with pytest.raises(ValueError):
            gateway.open_file(unsafe, "admin")
    assert len(lab.state.calls) == calls  # refused before anything was sent

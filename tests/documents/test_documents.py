# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Documents end to end, against the stand-in serving the folder over WebDAV: publish, list,
download (bytes and sha256), board-only documents, path traversal, files changed after
publication, former members, notifications, confirmations and unpublishing."""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from nc_coop.audit.models import AuditEvent
from nc_coop.documents import services
from nc_coop.documents.models import DocumentEvent, DocumentNotification, GovernanceDocument
from nc_coop.standin import NextcloudStandIn
from nc_coop.standin.dav import put_file
from tests.documents.conftest import FOLDER, READER, STATUTES_PDF, Register, dav_put, get, post

Publish = Callable[..., dict[str, Any]]


def _counts(engine: Engine) -> tuple[int, ...]:
    with Session(engine) as session:
        return tuple(session.scalar(select(func.count()).select_from(t)) for t in
                     (GovernanceDocument, DocumentEvent, AuditEvent))


def _listed(client: FlaskClient, user: str) -> list[int]:
    response = get(client, "/api/v1/documents", user)
    assert response.status_code == 200
    return [d["id"] for d in response.get_json()["documents"]]


def test_publish_list_and_download_bytes_and_sha256(app: Flask, client: FlaskClient, register: Register,
                                                    publish: Publish) -> None:
    content = bytes(range(256)) * 1024  # several chunks
    doc = publish("GV 2026/Protokoll.pdf", content, category="minutes")
    assert doc["sha256"] == hashlib.sha256(content).hexdigest() and doc["size_bytes"] == len(content)
    assert doc["path"] == f"{FOLDER}/GV 2026/Protokoll.pdf"
    assert _listed(client, "alice") == [doc["id"]]
    response = get(client, f"/api/v1/documents/{doc['id']}/file", "alice")
    assert response.status_code == 200 and response.data == content
    assert hashlib.sha256(response.data).hexdigest() == response.headers["X-Document-SHA256"] == doc["sha256"]
    assert response.headers["Content-Length"] == str(len(content))
    assert response.headers["Cache-Control"] == "no-store"
    page = get(client, "/documents", "alice").get_data(as_text=True)
    assert "Protokoll.pdf" in page and f"documents/{doc['id']}/file" in page


def test_the_member_page_shows_the_current_statutes_first_and_older_ones_one_click_away(
        app: Flask, client: FlaskClient, register: Register, publish: Publish, standin: NextcloudStandIn) -> None:
    old = publish("Satzung 2019.pdf", b"old statutes", category="statutes", title="Satzung 2019",
                  statute_version_id=register.statute_version_id)
    assert (old["valid_from"], old["adopted_on"], old["version"]) == ("2019-07-01", "2019-05-01", "1")
    new = publish("Satzung 2025.pdf", category="statutes", title="Satzung 2025", adopted_on="2025-05-20",
                  valid_from="2025-07-01")
    publish("Protokoll.pdf", b"minutes", category="minutes", title="Protokoll GV 2025")
    page = get(client, "/documents", "alice").get_data(as_text=True)
    statutes, rest = page.split("<h2 id=\"h-minutes\"")
    assert statutes.index("Satzung 2025") < statutes.index("<details") < statutes.index("Satzung 2019")
    assert "valid since Jul 1, 2025" in statutes and "Protokoll GV 2025" in rest
    assert get(client, f"/documents/{new['id']}/file?inline=1", "alice").headers["Content-Disposition"].startswith(
        "inline;")
    assert get(client, f"/documents/{new['id']}/file", "alice").data == STATUTES_PDF


def test_a_board_document_is_invisible_and_not_downloadable_for_a_member(
        app: Flask, client: FlaskClient, register: Register, publish: Publish) -> None:
    board = publish("Vorstand/Protokoll.pdf", b"board minutes", category="minutes", audience="board")
    members = publish("Protokoll.pdf", b"members' minutes", category="minutes")
    assert _listed(client, "alice") == [members["id"]]
    missing = get(client, "/api/v1/documents/999999/file", "alice")
    for url in (f"/api/v1/documents/{board['id']}/file", f"/documents/{board['id']}/file",
                f"/documents/{board['id']}/file?inline=1"):
        guessed = get(client, url, "alice")
        assert guessed.status_code == 404 and b"board minutes" not in guessed.data
    assert get(client, f"/api/v1/documents/{board['id']}/file", "alice").get_json() == missing.get_json()
    assert post(app, client, f"/api/v1/documents/{board['id']}/confirmation", "alice").status_code == 404
    assert board["id"] not in _listed(client, "bob") and board["id"] in _listed(client, "bea")
    assert get(client, f"/api/v1/documents/{board['id']}/file", "bea").data == b"board minutes"


def test_a_former_member_sees_only_what_was_published_while_a_member(
        app: Flask, client: FlaskClient, register: Register, publish: Publish, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "_now", lambda: datetime(2022, 12, 31, 12, 0, tzinfo=UTC))  # carl's last day
    during = publish("Protokoll 2022.pdf", b"2022", category="minutes")
    monkeypatch.setattr(services, "_now", lambda: datetime(2023, 1, 1, 12, 0, tzinfo=UTC))
    after = publish("Protokoll 2023.pdf", b"2023", category="minutes")
    assert _listed(client, "carl") == [during["id"]]
    assert get(client, f"/api/v1/documents/{during['id']}/file", "carl").data == b"2022"
    assert get(client, f"/api/v1/documents/{after['id']}/file", "carl").status_code == 404
    assert sorted(_listed(client, "alice")) == sorted([during["id"], after["id"]])
    assert _listed(client, "dora") == []  # no membership at all


@pytest.mark.parametrize("path", ["../admin/secret.pdf", "..%2F..%2Falice/x", "a/../../b.pdf", "/etc/passwd",
                                  "%2e%2e/x", "a\\..\\b", "Gov//x.pdf"])
def test_path_traversal_in_the_publish_path_is_refused_and_writes_nothing(
        app: Flask, client: FlaskClient, engine: Engine, register: Register, standin: NextcloudStandIn,
        path: str) -> None:
    before, calls = _counts(engine), len(standin.state.calls)
    response = post(app, client, "/api/v1/admin/documents", json={"path": path, "category": "other", "title": "x"})
    assert response.status_code == 422 and list(response.get_json()["errors"]) == ["path"]
    form = post(app, client, "/admin/documents", data={"path": path, "category": "other", "title": "x"})
    assert form.status_code == 422 and 'id="e-path"' in form.get_data(as_text=True)
    assert _counts(engine) == before
    # Nothing but the picker's listing of the folder itself (the form page shows it again) reached Nextcloud.
    assert {(c.method, c.path) for c in standin.state.calls[calls:] if c.path.startswith("/remote.php")} == {
        ("PROPFIND", f"/remote.php/dav/files/{READER}{FOLDER}")}


@pytest.mark.parametrize("folder", ["..", "../alice", "a/../..", "..%2F", "/etc"])
def test_path_traversal_in_the_picker_is_refused(client: FlaskClient, register: Register, folder: str) -> None:
    api = get(client, "/api/v1/admin/documents/files", query_string={"dir": folder})
    assert api.status_code == 422 and list(api.get_json()["errors"]) == ["dir"]
    page = get(client, "/admin/documents", query_string={"dir": folder})
    assert page.status_code == 400 and "notecard--error" in page.get_data(as_text=True)


def test_path_traversal_in_the_url_never_reaches_a_file(client: FlaskClient, register: Register,
                                                        publish: Publish) -> None:
    doc = publish()
    for url in (f"/documents/{doc['id']}/file/../../admin/documents", "/documents/..%2F1/file",
                f"/api/v1/documents/{doc['id']}%2F..%2F1/file", "/documents/-1/file",
                "/api/v1/documents/9223372036854775808/file"):
        assert get(client, url, "alice").status_code == 404, url


def test_the_picker_lists_the_folder_and_marks_published_files(client: FlaskClient, register: Register,
                                                               publish: Publish, standin: NextcloudStandIn) -> None:
    put_file(standin.state, READER, f"{FOLDER}/2025/Jahresabschluss 2025.pdf", b"annual")
    publish()
    listing = get(client, "/api/v1/admin/documents/files").get_json()
    assert [(e["path"], e["is_dir"], e["published"]) for e in listing["entries"]] == [
        ("2025", True, False), ("Satzung 2025.pdf", False, True)]
    inner = get(client, "/api/v1/admin/documents/files", query_string={"dir": "2025"}).get_json()
    assert [e["path"] for e in inner["entries"]] == ["2025/Jahresabschluss 2025.pdf"]
    assert get(client, "/api/v1/admin/documents/files", query_string={"dir": "nope"}).status_code == 404
    page = get(client, "/admin/documents", query_string={"dir": "2025"}).get_data(as_text=True)
    assert "Jahresabschluss 2025.pdf" in page and 'for="f-path"' in page


def test_a_file_changed_in_nextcloud_after_publication_is_withheld_and_flagged(
        app: Flask, client: FlaskClient, engine: Engine, register: Register, publish: Publish,
        standin: NextcloudStandIn) -> None:
    doc = publish()
    assert dav_put(standin, f"{FOLDER}/Satzung 2025.pdf", b"%PDF-1.4 altered").status_code == 204
    response = get(client, f"/api/v1/documents/{doc['id']}/file", "alice")
    assert response.status_code == 409 and b"altered" not in response.data
    listed = get(client, "/api/v1/admin/documents").get_json()["documents"]
    assert [d["integrity"] for d in listed] == ["file_changed"]
    with Session(engine) as session:
        event = session.scalars(select(DocumentEvent)).one()
        assert (event.kind, event.observed_sha256) == ("file_changed",
                                                       hashlib.sha256(b"%PDF-1.4 altered").hexdigest())
    page = get(client, "/admin/documents").get_data(as_text=True)
    assert "Files changed in Nextcloud after publication" in page
    # Restored: the check finds the published bytes again and members get the file back.
    assert dav_put(standin, f"{FOLDER}/Satzung 2025.pdf", STATUTES_PDF).status_code == 204
    assert post(app, client, "/api/v1/admin/documents/check").get_json() == {"checked": 1, "changed": [],
                                                                            "missing": []}
    assert get(client, f"/api/v1/documents/{doc['id']}/file", "alice").data == STATUTES_PDF


def test_bytes_changed_behind_nextclouds_back_are_never_served_complete(
        client: FlaskClient, register: Register, publish: Publish, standin: NextcloudStandIn) -> None:
    original = b"A" * 200_000
    doc = publish("Bericht.pdf", original)
    put_file(standin.state, READER, f"{FOLDER}/Bericht.pdf", b"B" * 200_000, keep_etag=True)  # same ETag
    response = get(client, f"/api/v1/documents/{doc['id']}/file", "alice")
    assert len(response.data) < len(original)  # the last chunk is held back
    assert get(client, "/api/v1/admin/documents").get_json()["documents"][0]["integrity"] == "file_changed"
    assert get(client, f"/api/v1/documents/{doc['id']}/file", "alice").status_code == 409


def test_the_check_flags_a_deleted_file(app: Flask, client: FlaskClient, register: Register, publish: Publish,
                                        standin: NextcloudStandIn) -> None:
    doc = publish()
    del standin.state.files[(READER, f"{FOLDER}/Satzung 2025.pdf")]
    assert post(app, client, "/api/v1/admin/documents/check").get_json() == {"checked": 1, "changed": [],
                                                                            "missing": [doc["id"]]}
    assert get(client, f"/api/v1/documents/{doc['id']}/file", "alice").status_code == 409


def _assembly(app: Flask, client: FlaskClient, held_on: str) -> int:
    response = post(app, client, "/api/v1/admin/assemblies", json={"held_on": held_on, "title": "GV"})
    assert response.status_code == 201
    return response.get_json()["id"]


@pytest.mark.parametrize(("days_before", "warned"), [(6, True), (7, False)])
def test_the_48_3_warning_on_the_admin_page(app: Flask, client: FlaskClient, register: Register, publish: Publish,
                                            days_before: int, warned: bool) -> None:
    from datetime import timedelta  # noqa: PLC0415

    from zoneinfo import ZoneInfo  # noqa: PLC0415

    from nc_coop.dates import local_day  # noqa: PLC0415

    held_on = local_day(datetime.now(UTC), ZoneInfo("Europe/Berlin")) + timedelta(days=days_before)  # published today
    assembly_id = _assembly(app, client, held_on.isoformat())
    publish("Jahresabschluss.pdf", b"annual", category="annual_statement", fiscal_year=2025, assembly_id=assembly_id)
    page = get(client, "/admin/documents").get_data(as_text=True)
    assert ("Warning: published too late" in page) is warned
    (assembly,) = get(client, "/api/v1/admin/assemblies").get_json()["assemblies"]
    statement = next(a for a in assembly["annual"] if a["category"] == "annual_statement")
    assert statement["state"] == ("late" if warned else "on_time") and statement["warning"] is warned
    assert assembly["deadline"] == (held_on - timedelta(days=7)).isoformat()


@pytest.mark.parametrize(("change", "field"), [
    ({"title": ""}, "title"), ({"category": "secret"}, "category"), ({"audience": "everyone"}, "audience"),
    ({"fiscal_year": "zwanzig"}, "fiscal_year"),
    ({"category": "annual_statement"}, "fiscal_year"),  # annual documents need their year
    ({"category": "statutes", "valid_from": "2025-07-01"}, "adopted_on"),
    ({"category": "statutes", "adopted_on": "2025-07-02", "valid_from": "2025-07-01"}, "valid_from"),
    ({"valid_from": "2025-07-01"}, "valid_from"),  # only statutes have it
    ({"assembly_id": "4711"}, "assembly_id"),
    ({"path": "nope.pdf"}, "path"),  # no such file
    ({"path": "Unterordner"}, "path"),  # a folder
])
def test_invalid_publish_input_shows_the_field_error_and_writes_nothing(
        app: Flask, client: FlaskClient, engine: Engine, register: Register, standin: NextcloudStandIn,
        change: dict[str, str], field: str) -> None:
    put_file(standin.state, READER, f"{FOLDER}/Unterordner/x.pdf", b"x")
    before, notified = _counts(engine), len(standin.state.notifications)
    form = {"path": "Satzung 2025.pdf", "category": "other", "title": "Satzung", **change}
    response = post(app, client, "/admin/documents", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and re.search(f'id="e-{field}"', page), page[:2000]
    assert "Nothing was published" in page
    assert _counts(engine) == before and len(standin.state.notifications) == notified


def test_an_invalid_assembly_form_writes_nothing(app: Flask, client: FlaskClient, engine: Engine,
                                                register: Register) -> None:
    before = _counts(engine)
    response = post(app, client, "/admin/documents/assemblies", data={"held_on": "31.02.2026", "title": "GV"})
    assert response.status_code == 422 and 'id="e-a-held_on"' in response.get_data(as_text=True)
    assert _counts(engine) == before


ADMIN_ROUTES = [("GET", "/admin/documents"), ("GET", "/admin/documents/1"), ("POST", "/admin/documents"),
                ("POST", "/admin/documents/assemblies"), ("POST", "/admin/documents/check"),
                ("POST", "/admin/documents/1/unpublish"), ("GET", "/api/v1/admin/documents"),
                ("POST", "/api/v1/admin/documents"), ("GET", "/api/v1/admin/documents/files"),
                ("POST", "/api/v1/admin/documents/check"), ("POST", "/api/v1/admin/documents/1/unpublish"),
                ("GET", "/api/v1/admin/documents/1/confirmations"), ("GET", "/api/v1/admin/assemblies"),
                ("POST", "/api/v1/admin/assemblies")]


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
def test_non_admins_get_403_on_admin_routes(app: Flask, client: FlaskClient, engine: Engine, register: Register,
                                            publish: Publish, method: str, path: str) -> None:
    publish()
    before = _counts(engine)
    response = (get(client, path, "alice") if method == "GET"
                else post(app, client, path, "alice", json={"held_on": "2026-06-20", "title": "GV"}))
    assert response.status_code == 403
    assert _counts(engine) == before


def test_state_changing_requests_need_the_form_token(app: Flask, client: FlaskClient, engine: Engine,
                                                     register: Register) -> None:
    before = _counts(engine)
    from tests.conftest import appapi_headers  # noqa: PLC0415

    response = client.post("/api/v1/admin/documents", headers=appapi_headers("admin"),
                           json={"path": "Satzung 2025.pdf", "category": "other", "title": "x"})
    assert response.status_code == 403 and _counts(engine) == before


def test_members_are_notified_and_a_failed_notification_is_recorded_not_fatal(
        app: Flask, client: FlaskClient, engine: Engine, register: Register, standin: NextcloudStandIn) -> None:
    del standin.state.users["bob"]  # linked in the register, gone from Nextcloud
    response = post(app, client, "/api/v1/admin/documents",
                    json={"path": "Satzung 2025.pdf", "category": "other", "title": "Satzung"})
    assert response.status_code == 201
    assert (response.get_json()["notified"], response.get_json()["notification_failures"]) == (1, 1)
    assert [n["user"] for n in standin.state.notifications] == ["alice"]  # not carl (former), not bea (no member)
    (sent,) = standin.state.notifications
    assert sent["subject_params"]["rich_subject"] == "New document: Satzung"
    assert sent["subject_params"]["link"].endswith("/index.php/apps/app_api/proxy/nc_coop/documents")
    with Session(engine) as session:
        rows = session.execute(select(DocumentNotification.nextcloud_user_id, DocumentNotification.ok)
                               .order_by(DocumentNotification.nextcloud_user_id)).all()
        assert [tuple(r) for r in rows] == [("alice", True), ("bob", False)]
        assert session.scalar(select(func.count()).select_from(GovernanceDocument)) == 1


def test_board_documents_notify_nobody(app: Flask, client: FlaskClient, register: Register, publish: Publish,
                                       standin: NextcloudStandIn) -> None:
    publish(audience="board")
    assert standin.state.notifications == []


def test_read_confirmations(app: Flask, client: FlaskClient, register: Register, publish: Publish) -> None:
    doc = publish(category="statutes", adopted_on="2025-05-20", valid_from="2025-07-01", requires_confirmation=True)
    page = get(client, "/documents", "alice").get_data(as_text=True)
    assert "I have read this" in page
    confirmed = post(app, client, f"/documents/{doc['id']}/confirm", "alice", data={})
    assert confirmed.headers.get("X-NC-Coop-Continue")
    assert "Read and confirmed" in get(client, "/documents", "alice").get_data(as_text=True)
    again = post(app, client, f"/api/v1/documents/{doc['id']}/confirmation", "alice")
    assert again.status_code == 201 and again.get_json() == {"confirmed_memberships": []}
    former = post(app, client, f"/api/v1/documents/{doc['id']}/confirmation", "carl")
    assert former.status_code == 404  # published after carl left: not his document
    status = get(client, f"/api/v1/admin/documents/{doc['id']}/confirmations").get_json()
    assert (status["confirmed"], status["not_confirmed"]) == (1, 1)
    by_member = {m["membership_id"]: m["confirmed_by"] for m in status["members"]}
    assert by_member == {register.alice: "alice", register.bob: None}
    detail = get(client, f"/admin/documents/{doc['id']}").get_data(as_text=True)
    assert "1 of 2 members have confirmed." in detail


def test_unpublishing_keeps_the_history(app: Flask, client: FlaskClient, engine: Engine, register: Register,
                                        publish: Publish) -> None:
    doc = publish()
    response = post(app, client, f"/admin/documents/{doc['id']}/unpublish", data={"reason": "replaced"})
    assert response.headers.get("X-NC-Coop-Continue")
    assert _listed(client, "alice") == []
    assert get(client, f"/api/v1/documents/{doc['id']}/file", "alice").status_code == 404
    (listed,) = get(client, "/api/v1/admin/documents").get_json()["documents"]
    assert listed["withdrawn_at"] is not None and listed["sha256"] == doc["sha256"]
    assert post(app, client, f"/api/v1/admin/documents/{doc['id']}/unpublish", json={}).status_code == 422
    with Session(engine) as session:
        with pytest.raises(DatabaseError):  # append-only at the database: history cannot be rewritten
            session.execute(text("DELETE FROM governance_document"))
        session.rollback()
        with pytest.raises(DatabaseError):
            session.execute(text("UPDATE document_event SET kind = 'x'"))
        session.rollback()
        assert session.scalar(select(func.count()).select_from(GovernanceDocument)) == 1


def test_the_pages_render_in_german(client: FlaskClient, register: Register, publish: Publish) -> None:
    publish(category="minutes")
    from tests.conftest import appapi_headers  # noqa: PLC0415

    page = client.get("/documents", headers=appapi_headers("alice", language="de")).get_data(as_text=True)
    assert "Dokumente" in page and "Protokolle" in page

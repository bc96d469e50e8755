# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The demo's data, seeded as ``nc-coop demo`` seeds it: once only, real PDFs, and a
representative booked as the office books one."""
from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nc_coop import create_app
from nc_coop.audit.models import AuditEvent
from nc_coop.db import get_db
from nc_coop.documents import demo as documents_demo
from nc_coop.documents.models import GovernanceDocument
from nc_coop.documents.queries import all_documents
from nc_coop.documents.services import Actor, check_file, unpublish
from nc_coop.register.demo import seed_demo_register
from nc_coop.register.models import (
    Account,
    CapitalEntry,
    Membership,
    Party,
    RepresentationEvent,
    ShareEntry,
    StatuteVersionRow,
)
from nc_coop.standin import NextcloudStandIn, StandInUser
from tests.migrated import migrate_for_test
from tests.conftest import INFO_XML, TEST_SECRET, app_config, appapi_headers, get_db_engine, wait_for_init

COUNTED = (Party, Account, Membership, ShareEntry, CapitalEntry, RepresentationEvent, StatuteVersionRow,
           GovernanceDocument, AuditEvent)


@pytest.fixture
def demo_app(database_url: str, standin: NextcloudStandIn, tmp_path: Path) -> Iterator[Flask]:
    standin.state.users["bea"] = StandInUser("bea", "Bea Vorstand", ["board"])
    standin.state.users[documents_demo.READER] = documents_demo.demo_reader()
    app = create_app(app_config(database_url, standin, tmp_path, NC_COOP_DOCUMENTS_FOLDER=documents_demo.FOLDER,
                                NC_COOP_DOCUMENTS_USER=documents_demo.READER))
    app.config["TESTING"] = True
    standin.register("nc_coop", TEST_SECRET, "0.1.0", "http://127.0.0.1:9", INFO_XML).enabled = True
    migrate_for_test(get_db_engine(app))
    yield app
    wait_for_init(app)
    get_db_engine(app).dispose()


def seed(app: Flask, standin: NextcloudStandIn) -> int:
    """What one start of the demo does: a fresh stand-in folder, the register, the publications."""
    standin.state.files.clear()  # each start has a new stand-in, its files written anew
    documents_demo.seed_demo_folder(standin.state)
    with app.app_context(), get_db().transaction() as session:
        seed_demo_register(session)
        return documents_demo.publish_demo_documents(session, app.extensions["nc_coop.gateway"],
                                                     app.extensions["nc_coop.documents"])


def counts(app: Flask) -> dict[str, int]:
    with Session(get_db_engine(app)) as session:
        return {model.__name__: session.scalar(select(func.count()).select_from(model)) for model in COUNTED}


def test_seeding_the_demo_twice_books_and_publishes_everything_once(demo_app: Flask,
                                                                    standin: NextcloudStandIn) -> None:
    assert seed(demo_app, standin) == 3
    first = counts(demo_app)
    assert first["GovernanceDocument"] == 3 and first["Membership"] == 4 and first["RepresentationEvent"] == 1
    assert seed(demo_app, standin) == 0
    assert counts(demo_app) == first
    # the files written again are the published bytes: every publication still checks out
    with demo_app.app_context(), get_db().transaction() as session:
        findings = [check_file(session, Actor("test", None), demo_app.extensions["nc_coop.gateway"],
                               demo_app.extensions["nc_coop.documents"], view) for view in all_documents(session)]
    assert findings == ["ok"] * 3


def test_a_demo_document_the_board_unpublished_stays_unpublished_after_a_restart(
        demo_app: Flask, standin: NextcloudStandIn) -> None:
    seed(demo_app, standin)
    with demo_app.app_context(), get_db().transaction() as session:
        minutes = next(v for v in all_documents(session) if v.category == "minutes")
        unpublish(session, Actor("bea", None), minutes, "superseded")
    assert seed(demo_app, standin) == 0
    with demo_app.app_context(), get_db().transaction() as session:
        assert [(v.category, v.withdrawn_at is not None) for v in all_documents(session)
                if v.category == "minutes"] == [("minutes", True)]


@pytest.mark.parametrize("document", documents_demo.DOCUMENTS, ids=lambda d: d.file)
def test_the_demo_pdfs_are_real_documents_with_their_title(document: documents_demo.DemoDocument) -> None:
    reader = PdfReader(io.BytesIO(documents_demo.render_pdf(document)))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert document.title in text
    assert " ".join(document.lines[0].split()[:4]) in text and len(text) > 200
    assert reader.metadata.title == document.title
    assert documents_demo.render_pdf(document) == documents_demo.render_pdf(document)  # same bytes every start


def test_the_demo_folder_holds_those_pdfs(standin: NextcloudStandIn) -> None:
    standin.state.users[documents_demo.READER] = documents_demo.demo_reader()
    documents_demo.seed_demo_folder(standin.state)
    for document in documents_demo.DOCUMENTS:
        node = standin.state.files[(documents_demo.READER, f"{documents_demo.FOLDER}/{document.file}")]
        assert document.title in PdfReader(io.BytesIO(node.content)).pages[0].extract_text()


def test_the_admin_page_of_the_tsv_lists_alice_as_its_representative(demo_app: Flask,
                                                                     standin: NextcloudStandIn) -> None:
    seed(demo_app, standin)
    with Session(get_db_engine(demo_app)) as session:
        tsv = session.scalar(select(Membership).join(Party, Party.id == Membership.party_id)
                             .where(Party.legal_name == "TSV Musterstadt e.V."))
        membership_id = tsv.id
    with demo_app.app_context():
        page = demo_app.test_client().get(f"/admin/members/{membership_id}", headers=appapi_headers("admin"))
        api = demo_app.test_client().get(f"/api/v1/admin/members/{membership_id}/representatives",
                                         headers=appapi_headers("admin"))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    section = html[html.index('id="representatives"'):html.index("Appoint a representative")]
    assert "Alice Normal" in section and ">alice<" in section and "Board member" in section
    assert "No representatives recorded." not in section
    assert api.status_code == 200
    reps = api.get_json()["representatives"]
    assert [(r["name"], r["nextcloud_user"], r["until"]) for r in reps] == [("Alice Normal", "alice", None)]

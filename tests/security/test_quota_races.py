# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""20 identical quota requests at once take effect once (issue 13, points 1 and 2).

Each POST runs in its own thread with its own test client (so its own request context, ``g``
and database session), released together by a Barrier, against the real app, database, slapd
and Nextcloud stand-in. The services take the writers' lock and re-read the row under it (SQLite:
BEGIN IMMEDIATE with a 30 s busy timeout; PostgreSQL: the audit chain's advisory lock and a row
lock), and partial unique indexes keep a member at one open request. Afterwards exactly one call
succeeded, the others got the same 422 as a second call in sequence, and the database, the
audit log and the stand-in's notifications show exactly one effect.
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nc_coop.audit.chain import verify
from nc_coop.audit.models import AuditEvent
from nc_coop.db import make_engine
from nc_coop.migrate import _config
from nc_coop.quota.models import QuotaChange, QuotaOverride, QuotaRequest
from nc_coop.quota.policy import QuotaRuleError
from nc_coop.quota.services import Actor, create_request
from nc_coop.standin import NextcloudStandIn
from nc_coop.web.csrf import csrf_token
from tests.conftest import BOTH_DATABASES, appapi_headers, database_on
from tests.ldap_support import Slapd
from tests.quota.conftest import GB, World, build_world

THREADS = 20


@pytest.fixture(params=BOTH_DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database_on(request.param, tmp_path,
                     "the race tests on PostgreSQL") as url:
        yield url


@pytest.fixture
def world(database_url: str, standin: NextcloudStandIn, tmp_path: Path, directory: Slapd) -> Iterator[World]:
    built = build_world(database_url, standin, tmp_path, directory)
    yield built
    built.app.extensions["nc_coop.quota.runner"].wait(30)
    built.engine.dispose()


# --- Sending one request 20 times at once ------------------------------------------------------------

def post(world: World, path: str, user: str, body: dict[str, Any]) -> Any:
    with world.app.app_context():
        token = csrf_token(user)
    return world.app.test_client().post(path, json=body,
                                        headers={**appapi_headers(user), "X-CSRF-Token": token})


def post_together(world: World, path: str, user: str, body: dict[str, Any]) -> list[Any]:
    """The same POST from THREADS threads at once; every answer (a thread that fails fails the test)."""
    with world.app.app_context():
        token = csrf_token(user)
    barrier = threading.Barrier(THREADS)
    answers: list[Any] = [None] * THREADS
    failures: list[BaseException] = []

    def send(i: int) -> None:
        client = world.app.test_client()
        headers = {**appapi_headers(user), "X-CSRF-Token": token}
        try:
            barrier.wait(timeout=30)
            answers[i] = client.post(path, json=body, headers=headers)
        except BaseException as exc:  # noqa: BLE001 - reported below, not lost in the thread
            failures.append(exc)

    threads = [threading.Thread(target=send, args=(i,), name=f"race-{i}") for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a request hangs"
    assert not failures, failures[:3]
    world.app.extensions["nc_coop.quota.runner"].wait(30)
    return answers


def statuses(answers: list[Any]) -> Counter[int]:
    return Counter(a.status_code for a in answers)


def refusals(answers: list[Any], code: int) -> list[dict[str, list[str]]]:
    return [a.get_json()["errors"] for a in answers if a.status_code == code]


def count(world: World, model: Any, *where: Any) -> int:
    with Session(world.engine) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def audited(world: World, action: str) -> int:
    return count(world, AuditEvent, AuditEvent.action == action)


def chain_intact(world: World) -> bool:
    with Session(world.engine) as session:
        return verify(session).ok


def notifications(world: World, user: str) -> list[dict[str, Any]]:
    return [n for n in world.standin.state.notifications if n["user"] == user]


# --- Point 1: a decision and a removal happen once ---------------------------------------------------------

def test_twenty_approvals_of_one_request_give_one_override_one_event_one_notification(world: World) -> None:
    asked = post(world, "/api/v1/quota/requests", "anna.schmidt", {"amount": "25 GB", "reason": "Vereinsarchiv"})
    assert asked.status_code == 201
    request_id = asked.get_json()["id"]
    answers = post_together(world, f"/api/v1/admin/quota/requests/{request_id}/decision", "admin",
                            {"decision": "approve", "note": "granted"})

    assert statuses(answers) == Counter({200: 1, 422: THREADS - 1})
    [winner] = [a.get_json() for a in answers if a.status_code == 200]
    assert winner["status"] == "approved"
    again = post(world, f"/api/v1/admin/quota/requests/{request_id}/decision", "admin", {"decision": "reject"})
    assert again.status_code == 422
    assert refusals(answers, 422) == [again.get_json()["errors"]] * (THREADS - 1)
    assert again.get_json()["errors"] == {"status": ["this request has been decided already"]}
    with Session(world.engine) as session:
        [override] = session.scalars(select(QuotaOverride)).all()
        assert (override.request_id, override.amount, override.ended_at) == (request_id, 25 * GB, None)
        assert session.get(QuotaRequest, request_id).notified == "ok"
    assert audited(world, "quota.request_decided") == 1 and audited(world, "quota.override_set") == 1
    assert audited(world, "quota.changes_queued") == 1
    assert count(world, QuotaChange, QuotaChange.nextcloud_user_id == "anna.schmidt") == 1
    [note] = notifications(world, "anna.schmidt")
    assert "approved" in note["subject_params"]["rich_subject"]
    assert world.ldap_quota("anna.schmidt") == str(25 * GB) and world.ldap_writes("anna.schmidt") == 1
    assert chain_intact(world)


def test_twenty_approvals_and_rejections_of_one_request_decide_it_once(world: World) -> None:
    """Approve and reject racing: whichever wins, the request has one decision and one notification."""
    asked = post(world, "/api/v1/quota/requests", "jonas.mueller", {"amount": "1 TB", "reason": "videos"})
    request_id = asked.get_json()["id"]
    with world.app.app_context():
        token = csrf_token("admin")
    barrier = threading.Barrier(THREADS)
    answers: list[Any] = [None] * THREADS

    def send(i: int) -> None:
        client = world.app.test_client()
        barrier.wait(timeout=30)
        answers[i] = client.post(f"/api/v1/admin/quota/requests/{request_id}/decision",
                                 json={"decision": "approve" if i % 2 else "reject"},
                                 headers={**appapi_headers("admin"), "X-CSRF-Token": token})

    threads = [threading.Thread(target=send, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    world.app.extensions["nc_coop.quota.runner"].wait(30)
    assert statuses(answers) == Counter({200: 1, 422: THREADS - 1})
    [winner] = [a.get_json()["status"] for a in answers if a.status_code == 200]
    with Session(world.engine) as session:
        assert session.get(QuotaRequest, request_id).status == winner
        assert len(session.scalars(select(QuotaOverride)).all()) == (1 if winner == "approved" else 0)
    assert audited(world, "quota.request_decided") == 1
    assert len(notifications(world, "jonas.mueller")) == 1
    assert chain_intact(world)


def test_twenty_removals_of_one_override_end_it_once(world: World) -> None:
    made = post(world, "/api/v1/admin/quota/overrides", "admin",
                {"scope": "user", "user_id": "anna.schmidt", "amount": "30 GB", "reason": "Vorstand"})
    assert made.status_code == 201
    override_id = made.get_json()["id"]
    world.app.extensions["nc_coop.quota.runner"].wait(30)
    assert world.ldap_quota("anna.schmidt") == str(30 * GB)
    changes = count(world, QuotaChange)

    answers = post_together(world, f"/api/v1/admin/quota/overrides/{override_id}/end", "admin", {})

    assert statuses(answers) == Counter({200: 1, 422: THREADS - 1})
    again = post(world, f"/api/v1/admin/quota/overrides/{override_id}/end", "admin", {})
    assert again.status_code == 422
    assert again.get_json()["errors"] == {"override_id": ["this override has been removed already"]}
    assert refusals(answers, 422) == [again.get_json()["errors"]] * (THREADS - 1)
    with Session(world.engine) as session:
        override = session.get(QuotaOverride, override_id)
        assert override.ended_at is not None and override.ended_by == "admin"
    assert audited(world, "quota.override_ended") == 1
    [winner] = [a.get_json() for a in answers if a.status_code == 200]
    assert count(world, QuotaChange) == changes + len(winner["queued"])  # only the winner planned and queued
    assert post(world, "/api/v1/admin/quota/overrides/999999/end", "admin", {}).status_code == 404
    assert chain_intact(world)


def test_a_removed_override_or_decided_request_shows_the_reason_on_the_admin_page(world: World) -> None:
    made = post(world, "/api/v1/admin/quota/overrides", "admin",
                {"scope": "user", "user_id": "anna.schmidt", "amount": "30 GB", "reason": "Vorstand"})
    override_id = made.get_json()["id"]
    assert post(world, f"/api/v1/admin/quota/overrides/{override_id}/end", "admin", {}).status_code == 200
    with world.app.app_context():
        token = csrf_token("admin")
    client = world.app.test_client()
    page = client.post(f"/admin/quota/overrides/{override_id}/end", data={"csrf_token": token},
                       headers={**appapi_headers("admin", language="de"), "X-CSRF-Token": token})
    assert page.status_code == 422
    assert 'role="alert"' in page.get_data(as_text=True)
    assert "diese Festlegung wurde bereits entfernt" in page.get_data(as_text=True)
    request_id = post(world, "/api/v1/quota/requests", "anna.schmidt",
                      {"amount": "25 GB", "reason": "photos"}).get_json()["id"]
    assert post(world, f"/api/v1/admin/quota/requests/{request_id}/decision", "admin",
                {"decision": "reject"}).status_code == 200
    page = client.post(f"/admin/quota/requests/{request_id}", data={"decision": "approve", "csrf_token": token},
                       headers={**appapi_headers("admin"), "X-CSRF-Token": token})
    assert page.status_code == 422 and "this request has been decided already" in page.get_data(as_text=True)
    assert audited(world, "quota.override_ended") == 1 and audited(world, "quota.request_decided") == 1


# --- Point 2: one open request per member ----------------------------------------------------------------

def test_twenty_requests_at_once_leave_one_open_request(world: World) -> None:
    answers = post_together(world, "/api/v1/quota/requests", "anna.schmidt",
                            {"amount": "25 GB", "reason": "Vereinsarchiv"})

    assert statuses(answers) == Counter({201: 1, 422: THREADS - 1})
    again = post(world, "/api/v1/quota/requests", "anna.schmidt", {"amount": "30 GB", "reason": "again"})
    assert again.status_code == 422
    assert refusals(answers, 422) == [again.get_json()["errors"]] * (THREADS - 1)
    assert list(again.get_json()["errors"]) == ["amount"]
    assert count(world, QuotaRequest, QuotaRequest.status == "open") == 1
    assert audited(world, "quota.request_created") == 1
    assert chain_intact(world)


def test_twenty_pool_requests_of_a_representative_leave_one_open_request(world: World) -> None:
    tsv = world.parties["tsv"]
    answers = post_together(world, "/api/v1/quota/requests", "felix.schaefer",
                            {"scope": "organisation", "party_id": tsv, "amount": "40 GB", "reason": "club archive"})
    assert statuses(answers) == Counter({201: 1, 422: THREADS - 1})
    assert count(world, QuotaRequest, QuotaRequest.party_id == tsv) == 1
    # His own quota is another target: one open request of its own is allowed.
    assert post(world, "/api/v1/quota/requests", "felix.schaefer",
                {"amount": "5 GB", "reason": "mine"}).status_code == 201


def _open_request(requester: str, scope: str = "user", party_id: int | None = None,
                  status: str = "open") -> QuotaRequest:
    return QuotaRequest(requester=requester, scope=scope, party_id=party_id, amount=GB, reason="direct",
                        created_at=datetime.now(UTC), status=status)


def test_the_database_itself_refuses_a_second_open_request(world: World) -> None:
    tsv, hoffmann = world.parties["tsv"], world.parties["hoffmann"]
    with Session(world.engine) as session, session.begin():
        session.add_all([_open_request("anna.schmidt"), _open_request("anna.schmidt", status="approved"),
                         _open_request("anna.schmidt", status="rejected"),
                         _open_request("anna.schmidt", "organisation", tsv),
                         _open_request("anna.schmidt", "organisation", hoffmann),
                         _open_request("jonas.mueller")])
    for duplicate in (_open_request("anna.schmidt"), _open_request("anna.schmidt", "organisation", tsv)):
        with pytest.raises(IntegrityError), Session(world.engine) as session, session.begin():
            session.add(duplicate)
    assert count(world, QuotaRequest) == 6


def test_a_request_another_writer_inserts_meanwhile_is_refused_at_its_field(world: World) -> None:
    """A writer that bypasses the service's lock (here: a bare session) inserts an open request
    and commits while the service is between its check and its insert. PostgreSQL: the service's
    INSERT waits for that row's index entry and fails; SQLite: the service waits for the write lock
    and its check sees the row. Either way the member gets the sequential case's field error."""
    other = Session(world.engine)
    other.add(_open_request("anna.schmidt"))
    other.flush()  # SQLite: holds the write lock; PostgreSQL: an uncommitted index entry
    postgres = world.engine.dialect.name == "postgresql"
    other_pid = other.scalar(text("SELECT pg_backend_pid()")) if postgres else None
    outcome: list[BaseException | None] = []

    def service() -> None:
        with world.app.app_context(), Session(world.engine) as session:
            try:
                create_request(session, Actor("anna.schmidt"), scope="user", amount=2 * GB, reason="race")
                session.commit()
                outcome.append(None)
            except BaseException as exc:  # noqa: BLE001 - asserted below
                session.rollback()
                outcome.append(exc)

    thread = threading.Thread(target=service)
    thread.start()
    if postgres:  # let the service's INSERT block on the other's index entry first
        with world.engine.connect() as probe:
            deadline = time.monotonic() + 10
            waiting = text("SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))")
            while not probe.scalar(waiting, {"pid": other_pid}):
                assert time.monotonic() < deadline, "the service never waited for the other writer"
                probe.rollback()
                time.sleep(0.02)
    else:
        time.sleep(0.3)
    other.commit()
    other.close()
    thread.join(timeout=60)
    [refusal] = outcome
    assert isinstance(refusal, QuotaRuleError) and refusal.field == "amount", refusal
    with world.app.app_context():
        assert str(refusal.reason) == "you have an open request for this already; wait for the decision"
    assert count(world, QuotaRequest) == 1 and audited(world, "quota.request_created") == 0


def test_the_migration_closes_open_duplicates_before_building_the_index(database_url: str) -> None:
    """Databases that the race already hit: the oldest open request stays, its twins are rejected."""
    engine = make_engine(database_url)
    config = _config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0009")
        rows = [("anna", "user", None, "open"), ("anna", "user", None, "open"), ("anna", "user", None, "open"),
                ("anna", "user", None, "approved"), ("jonas", "user", None, "open"),
                ("felix", "organisation", None, "open"), ("felix", "user", None, "open")]
        with engine.begin() as connection:
            for requester, scope, party, status in rows:
                connection.execute(text(
                    "INSERT INTO quota_request (requester, scope, party_id, amount, reason, created_at, status) "
                    "VALUES (:r, :s, :p, 1, 'x', CURRENT_TIMESTAMP, :st)"),
                    {"r": requester, "s": scope, "p": party, "st": status})
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0010")
        with engine.connect() as connection:
            result = connection.execute(text("SELECT id, status, decision_note FROM quota_request ORDER BY id")).all()
        assert [status for _, status, _ in result] == ["open", "rejected", "rejected", "approved", "open", "open",
                                                        "open"]
        assert "duplicate" in result[1][2] and result[0][2] is None
    finally:
        engine.dispose()

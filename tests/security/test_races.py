# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Every check-then-act happens once (issue 13, point 3), and admin bookings are idempotent.

Each test sends one state change from 20 threads at once (a Barrier releases them; each has its
own test client, so its own request context, ``g`` and database session) against the real app,
on SQLite and PostgreSQL. Afterwards exactly one call took effect, the others got the answer a
second call in sequence gets, and the database, the audit log and the stand-in's notifications
show one effect. The writers' lock is the audit chain's (``nc_coop.audit.chain.lock_chain``:
SQLite's write lock by BEGIN IMMEDIATE, PostgreSQL's transaction-scoped advisory lock); every
writer takes it before its audit event, so taking it before the check serialises check and act.

What was audited, and the result:

Member requests (nc_coop/requests)
- Board decision (``services.decide``: approve/reject, which books admission, shares, notice or
  transfer): already safe; it takes the writers' lock and re-reads the request before
  ``rules.next_status``, so the later decisions get the sequential 422.
  Test: ``test_twenty_approvals_of_a_notice_book_it_once``.
- Transfer consent/refusal (``services.respond_transfer``, views ``consent``/``api_consent``):
  racy at the edge. The service locked and re-read (one booking), but the view's access check
  (awaiting *my* consent, else 404) ran before the lock, so the losers got 422 where a later
  click gets 404. Fixed: ``views._consentable_or_404`` takes the lock before it reads. Tests:
  ``test_twenty_consents_to_a_transfer_book_it_once``,
  ``test_consents_and_refusals_at_once_answer_the_offer_once``.
- Notify again (``admin_views.notify_again``): racy, 20 clicks sent up to 20 notifications
  (check ``notified_at`` → send → record, no lock). Fixed: checked and sent under the lock, held
  to the commit of the outcome (rare manual step; one call to Nextcloud). Test:
  ``test_twenty_notify_agains_tell_the_member_once``.
- Submitting requests (``submit_*``): point 8's (limits), not changed here; they lock the
  memberships (or the chain for applications) before their checks.

Transfers and register bookings (nc_coop/register/services.py)
- Every booking (shares, capital, notice, transfer, reversal, exclusion, death, admission) locks
  the chain, then its memberships (PostgreSQL: FOR UPDATE; admission: LOCK TABLE membership), and
  re-checks the ledgers after writing; a reversal checks "already reversed" under the locks.
  Already safe; 20-thread tests at the service level are in tests/register/test_concurrency.py
  (both databases); here at the API: ``test_twenty_reversals_of_one_entry_book_one_reversal``.
- Exact duplicate bookings (a double click): not a race but a repeat; see idempotency below.

Consents (documents)
- Read confirmation (``documents.services.confirm``): racy; the check for existing
  confirmations ran unlocked, so a parallel second click hit the unique constraint and got a
  500. Fixed: the lock before the read; the others get the sequential 201 with no new
  membership. Test: ``test_twenty_confirmations_confirm_once``.
- "Privacy consent": there is none in the code (the privacy export is a read, audited).

Document publication (nc_coop/documents/services.py)
- Unpublish: racy; ``withdrawn_at`` was checked on the view read before the lock, 20 clicks
  wrote up to 20 "unpublished" events. Fixed: lock, re-read the document, then check. Test:
  ``test_twenty_unpublishes_withdraw_once``.
- Integrity findings (``record_integrity``, "no repeats"): racy the same way (file checks and
  downloads at once noted a change several times). Fixed the same way. Test:
  ``test_twenty_file_checks_note_a_change_once``.
- Publish: no check to race (publishing a file again is a new publication by design).

LDAP sync (nc_coop/ldapsync/lease.py)
- A second run while one runs: already safe; the lease is a session advisory lock on
  PostgreSQL and a conditional UPDATE on SQLite. Test: ``test_twenty_sync_runs_at_once_one_runs``
  (the winner holds the lease until the 19 others are refused). Left as it is, for the sync's
  owners: on SQLite a second start while a run is in its *write* phase (it holds the write lock)
  waits up to the 30 s busy timeout for its lease UPDATE and then fails with "database is
  locked" instead of a clean refusal; nothing is written twice.

Quota apply (nc_coop/quota/apply.py)
- Claiming a change: already safe (a conditional UPDATE, compare-and-set). Test:
  ``test_twenty_workers_apply_each_change_once``.
- Recording the outcome: hardened. The claim was read without a lock, so a worker reclaiming an
  expired lease (10 min) between that read and the commit could write the quota again. Now the
  claim is read under the writers' lock and FOR UPDATE. Not reproducible in a quick test (it
  needs a lease to expire mid-record); the 20-worker test covers the path.
- Quota decisions, overrides, one open request: fixed before (tests/security/test_quota_races.py).

Representatives (nc_coop/register/representatives.py)
- Appoint / end: already safe; both take the lock before reading the appointments. Test:
  ``test_twenty_appointments_and_ends_of_one_person_happen_once``. Appointing a *new* person
  from names creates a new party each time, so a repeated form makes a second person: that is
  a repeat, not a race, and left as it was (the form shows the result).

Idempotency keys (nc_coop/register/idempotency.py, migration 0013): the admin booking and
admission endpoints take an ``Idempotency-Key`` header, their forms a hidden key per rendering;
the key is looked up under the writers' lock and stored with the booking in its transaction.
Tests: the ``test_*_key*`` and ``test_*token*`` tests below; the double click in Chromium is in
tests/browser/test_board_forms.py.
"""
from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from nc_coop import create_app
from nc_coop.audit.chain import verify
from nc_coop.audit.models import AuditEvent
from nc_coop.documents.models import DocumentConfirmation, DocumentEvent
from nc_coop.ldapsync.job import run_sync
from nc_coop.ldapsync.models import LdapEntry, LdapSyncRun
from nc_coop.quota.models import DONE, QuotaChange
from nc_coop.register.idempotency import IdempotencyKey
from nc_coop.register.models import CapitalEntry, Membership, Notice, Party, RepresentationEvent, ShareEntry
from nc_coop.register.services import Actor
from nc_coop.requests import services as requests
from nc_coop.requests.models import MemberRequest
from nc_coop.requests.rules import Action
from nc_coop.standin import NextcloudStandIn, StandInUser
from nc_coop.standin.dav import put_file
from nc_coop.standin.state import default_users
from nc_coop.web.csrf import csrf_token
from tests.conftest import BOTH_DATABASES, INFO_XML, TEST_SECRET, app_config, appapi_headers, database_on
from tests.conftest import wait_for_init, get_db_engine
from tests.ldap_support import Slapd
from tests.ldapsync.conftest import settings_for
from tests.register.conftest import engine  # noqa: F401  fixture
from tests.requests.conftest import PEOPLE, people  # noqa: F401  fixture

THREADS = 20
FOLDER, READER = "/Governance", "office"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TODAY = date(2025, 3, 3)


@pytest.fixture(params=BOTH_DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database_on(request.param, tmp_path, "the race tests on PostgreSQL") as url:
        yield url


@pytest.fixture
def standin() -> Iterator[NextcloudStandIn]:
    """The requests' people (bob, rita, carol, bea) and the documents account with its folder."""
    server = NextcloudStandIn(users=default_users() + PEOPLE).start()
    server.state.users[READER] = StandInUser(READER, "Geschäftsstelle", ["users"])
    put_file(server.state, READER, f"{FOLDER}/Satzung 2025.pdf", PDF)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def unmigrated_app(database_url: str, standin: NextcloudStandIn, tmp_path: Path) -> Iterator[Flask]:
    app = create_app(app_config(database_url, standin, tmp_path, NC_COOP_DOCUMENTS_FOLDER=FOLDER,
                                NC_COOP_DOCUMENTS_USER=READER))
    app.config["TESTING"] = True
    standin.register("nc_coop", TEST_SECRET, "0.1.0", "http://127.0.0.1:9", INFO_XML).enabled = True
    yield app
    app.extensions["nc_coop.quota.runner"].wait(30)
    wait_for_init(app)
    get_db_engine(app).dispose()


# --- Sending one request 20 times at once ---------------------------------------------------------------

def send(app: Flask, path: str, user: str, *, json: Any = None, data: dict[str, str] | None = None,
         headers: dict[str, str] | None = None, client: FlaskClient | None = None) -> Any:
    """One POST as ``user`` with their CSRF token: JSON (``json``) or a form (``data``)."""
    with app.app_context():
        token = csrf_token(user)
    client = client or app.test_client()
    if data is not None:
        return client.post(path, data={"csrf_token": token, **data}, headers={**appapi_headers(user), **(headers or {})})
    return client.post(path, json=json if json is not None else {},
                       headers={**appapi_headers(user), "X-CSRF-Token": token, **(headers or {})})


def together(app: Flask, request: Callable[[int], dict[str, Any]], threads: int = THREADS) -> list[Any]:
    """``send(app, **request(i))`` from ``threads`` threads at once, each with its own client;
    every answer (a thread that fails fails the test)."""
    barrier = threading.Barrier(threads)
    answers: list[Any] = [None] * threads
    failures: list[BaseException] = []

    def run(i: int) -> None:
        client = app.test_client()
        kwargs = request(i)
        try:
            barrier.wait(timeout=30)
            answers[i] = send(app, client=client, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - reported below, not lost in the thread
            failures.append(exc)

    workers = [threading.Thread(target=run, args=(i,), name=f"race-{i}") for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not any(w.is_alive() for w in workers), "a request hangs"
    assert not failures, failures[:3]
    return answers


def same_request(**kwargs: Any) -> Callable[[int], dict[str, Any]]:
    return lambda _i: kwargs


def statuses(answers: list[Any]) -> Counter[int]:
    return Counter(a.status_code for a in answers)


def bodies(answers: list[Any], code: int) -> list[Any]:
    return [a.get_json() for a in answers if a.status_code == code]


def count(engine: Engine, model: Any, *where: Any) -> int:  # noqa: F811
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def audited(engine: Engine, action: str) -> int:  # noqa: F811
    return count(engine, AuditEvent, AuditEvent.action == action)


def chain_intact(engine: Engine) -> bool:  # noqa: F811
    with Session(engine) as session:
        return verify(session).ok


def told(standin: NextcloudStandIn, user: str) -> list[str]:
    return [n["subject_params"]["rich_subject"] for n in standin.state.notifications if n["user"] == user]


# --- Member requests ------------------------------------------------------------------------------------

def _notice_request(app: Flask, engine: Engine, membership_id: int) -> int:  # noqa: F811
    with app.app_context(), Session(engine) as session:
        r = requests.submit_notice(session, Actor("alice"), membership_id=membership_id, shares=None,
                                   now=datetime(2025, 3, 3, 10, tzinfo=UTC))
        session.commit()
        return r.id


def _transfer_offer(app: Flask, engine: Engine, people: dict[str, int]) -> int:  # noqa: F811
    with app.app_context(), Session(engine) as session:
        bob_no = session.get(Membership, people["bob"]).member_no
        r = requests.submit_transfer(session, Actor("alice"), membership_id=people["alice"], to_member_no=bob_no,
                                     shares=1, amount_cents=5_000, today=TODAY)
        session.commit()
        return r.id


def test_twenty_approvals_of_a_notice_book_it_once(app: Flask, engine: Engine, people: dict[str, int],  # noqa: F811
                                                   standin: NextcloudStandIn) -> None:
    rid = _notice_request(app, engine, people["alice"])
    path = f"/api/v1/admin/requests/{rid}/decision"
    answers = together(app, same_request(path=path, user="bea", json={"decision": "approve", "date": "2025-03-04"}))

    assert statuses(answers) == Counter({201: 1, 422: THREADS - 1})
    again = send(app, path, "bea", json={"decision": "approve", "date": "2025-03-04"})
    assert again.status_code == 422
    assert bodies(answers, 422) == [again.get_json()] * (THREADS - 1)
    assert count(engine, Notice, Notice.membership_id == people["alice"]) == 1
    assert audited(engine, "notice.receive") == 1 and audited(engine, "request.approve") == 1
    assert told(standin, "alice") == ["Your notice was confirmed"]
    assert chain_intact(engine)


def test_twenty_consents_to_a_transfer_book_it_once(app: Flask, engine: Engine, people: dict[str, int],  # noqa: F811
                                                    standin: NextcloudStandIn) -> None:
    rid = _transfer_offer(app, engine, people)
    path = f"/api/v1/requests/{rid}/consent"
    answers = together(app, same_request(path=path, user="bob", json={"consent": True}))

    assert statuses(answers) == Counter({201: 1, 404: THREADS - 1})
    again = send(app, path, "bob", json={"consent": True})
    assert again.status_code == 404
    assert bodies(answers, 404) == [again.get_json()] * (THREADS - 1)
    assert count(engine, ShareEntry, ShareEntry.kind == "transfer_in") == 1
    assert count(engine, CapitalEntry, CapitalEntry.kind == "transfer_in") == 1
    assert audited(engine, "transfer.book") == 1 and audited(engine, "request.consent") == 1
    assert told(standin, "alice") == ["Your transfer was booked"]
    assert chain_intact(engine)


def test_consents_and_refusals_at_once_answer_the_offer_once(app: Flask, engine: Engine,  # noqa: F811
                                                             people: dict[str, int],  # noqa: F811
                                                             standin: NextcloudStandIn) -> None:
    rid = _transfer_offer(app, engine, people)
    answers = together(app, lambda i: {"path": f"/requests/{rid}/consent", "user": "bob",
                                       "data": {"consent": "1" if i % 2 else "0"}})

    assert statuses(answers) == Counter({200: 1, 404: THREADS - 1})
    [winner] = [a for a in answers if a.status_code == 200]
    agreed = "done=consent" in winner.headers["X-NC-Coop-Continue"]
    with Session(engine) as session:
        assert session.get(MemberRequest, rid).status == ("approved" if agreed else "declined")
    assert count(engine, ShareEntry, ShareEntry.kind == "transfer_in") == (1 if agreed else 0)
    assert audited(engine, "request.consent") + audited(engine, "request.decline") == 1
    assert len(told(standin, "alice")) == 1


def test_twenty_notify_agains_tell_the_member_once(app: Flask, engine: Engine, people: dict[str, int],  # noqa: F811
                                                   standin: NextcloudStandIn) -> None:
    rid = _notice_request(app, engine, people["alice"])
    with app.app_context(), Session(engine) as session:  # decided, not yet told (as after Nextcloud was down)
        requests.decide(session, Actor("bea"), session.get(MemberRequest, rid), action=Action.APPROVE,
                        on=date(2025, 3, 4), today=date(2025, 3, 4))
        session.commit()
    path = f"/admin/requests/{rid}/notify"
    answers = together(app, same_request(path=path, user="bea", data={}))

    assert statuses(answers) == Counter({200: 1, 409: THREADS - 1})
    assert send(app, path, "bea", data={}).status_code == 409
    assert told(standin, "alice") == ["Your notice was confirmed"]
    with Session(engine) as session:
        assert session.get(MemberRequest, rid).notified_at is not None


# --- Documents ------------------------------------------------------------------------------------------

def _publish(app: Flask, **fields: Any) -> int:
    body = {"path": "Satzung 2025.pdf", "category": "other", "title": "Satzung", **fields}
    answer = send(app, "/api/v1/admin/documents", "admin", json=body)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["document"]["id"]


def test_twenty_unpublishes_withdraw_once(app: Flask, engine: Engine) -> None:  # noqa: F811
    doc = _publish(app)
    path = f"/api/v1/admin/documents/{doc}/unpublish"
    answers = together(app, same_request(path=path, user="admin", json={"reason": "outdated"}))

    assert statuses(answers) == Counter({200: 1, 422: THREADS - 1})
    again = send(app, path, "admin", json={"reason": "outdated"})
    assert again.status_code == 422
    assert again.get_json() == {"errors": {"document": ["This document is already unpublished."]}}
    assert bodies(answers, 422) == [again.get_json()] * (THREADS - 1)
    assert count(engine, DocumentEvent, DocumentEvent.kind == "unpublished") == 1
    assert audited(engine, "document.unpublish") == 1
    assert chain_intact(engine)


def test_twenty_confirmations_confirm_once(app: Flask, engine: Engine, people: dict[str, int]) -> None:  # noqa: F811
    doc = _publish(app, requires_confirmation=True)
    path = f"/api/v1/documents/{doc}/confirmation"
    answers = together(app, same_request(path=path, user="alice"))

    assert statuses(answers) == Counter({201: THREADS})
    confirmed = sorted((a.get_json()["confirmed_memberships"] for a in answers), key=len)
    assert confirmed == [[]] * (THREADS - 1) + [[people["alice"]]]
    assert send(app, path, "alice").get_json() == {"confirmed_memberships": []}
    assert count(engine, DocumentConfirmation) == 1 and audited(engine, "document.confirm") == 1


def test_twenty_file_checks_note_a_change_once(app: Flask, engine: Engine, standin: NextcloudStandIn) -> None:  # noqa: F811
    doc = _publish(app)
    put_file(standin.state, READER, f"{FOLDER}/Satzung 2025.pdf", PDF + b"% changed\n")
    answers = together(app, same_request(path="/api/v1/admin/documents/check", user="admin"))

    assert statuses(answers) == Counter({200: THREADS})
    assert all(a.get_json()["changed"] == [doc] for a in answers)
    assert count(engine, DocumentEvent, DocumentEvent.kind == "file_changed") == 1
    assert audited(engine, "document.file_changed") == 1


# --- Register: representatives and bookings -------------------------------------------------------------

def test_twenty_appointments_and_ends_of_one_person_happen_once(app: Flask, engine: Engine,  # noqa: F811
                                                                people: dict[str, int]) -> None:  # noqa: F811
    with Session(engine) as session, session.begin():
        person = Party(kind="natural", given_names="Maria", family_name="Muster", postal_address="",
                       created_at=datetime.now(UTC))
        session.add(person)
        session.flush()
        person_id = person.id
    base = f"/api/v1/admin/members/{people['org']}/representatives"
    appoint = {"role": "board_member", "effective_date": "2024-03-01", "person_party_id": person_id}
    answers = together(app, same_request(path=base, user="admin", json=appoint))

    assert statuses(answers) == Counter({201: 1, 422: THREADS - 1})
    again = send(app, base, "admin", json=appoint)
    assert again.status_code == 422 and bodies(answers, 422) == [again.get_json()] * (THREADS - 1)

    end = {"role": "board_member", "effective_date": "2025-01-31", "person_party_id": person_id}
    answers = together(app, same_request(path=f"{base}/end", user="admin", json=end))
    assert statuses(answers) == Counter({201: 1, 422: THREADS - 1})
    again = send(app, f"{base}/end", "admin", json=end)
    assert again.status_code == 422 and bodies(answers, 422) == [again.get_json()] * (THREADS - 1)
    assert [a for (a,) in _events(engine, person_id)] == ["appoint", "end"]
    assert audited(engine, "representative.appoint") == 1 and audited(engine, "representative.end") == 1


def _events(engine: Engine, person_id: int) -> list[Any]:  # noqa: F811
    with Session(engine) as session:
        return session.execute(select(RepresentationEvent.action).where(
            RepresentationEvent.person_party_id == person_id).order_by(RepresentationEvent.id)).all()


def test_twenty_reversals_of_one_entry_book_one_reversal(app: Flask, engine: Engine,  # noqa: F811
                                                         people: dict[str, int]) -> None:  # noqa: F811
    alice = people["alice"]
    with Session(engine) as session:
        deposit = session.scalar(select(CapitalEntry.id).where(CapitalEntry.membership_id == alice))
    body = {"type": "reversal", "date": "2024-06-17", "ledger": "capital", "entry_id": deposit,
            "reason": "booked twice"}
    path = f"/api/v1/admin/members/{alice}/bookings"
    answers = together(app, same_request(path=path, user="admin", json=body))

    assert statuses(answers) == Counter({201: 1, 422: THREADS - 1})
    again = send(app, path, "admin", json=body)
    assert again.get_json() == {"errors": {"entry_id": ["this entry has already been reversed"]}}
    assert bodies(answers, 422) == [again.get_json()] * (THREADS - 1)
    assert count(engine, CapitalEntry, CapitalEntry.reverses_id == deposit) == 1
    assert audited(engine, "entry.reverse") == 1


# --- LDAP sync and quota apply ---------------------------------------------------------------------------

def test_twenty_sync_runs_at_once_one_runs(engine: Engine, slapd: Slapd,  # noqa: F811
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The run that takes the lease holds it (before reading anything) until the 19 others have
    been refused, so no late thread can start a second run after the first ended."""
    from nc_coop.ldapsync import job  # noqa: PLC0415

    refused = threading.Semaphore(0)

    class HeldLease(job.Lease):
        def acquire(self) -> bool:
            got = super().acquire()
            if got:
                for _ in range(THREADS - 1):
                    assert refused.acquire(timeout=60), "the other runs were not refused"
            return got

    monkeypatch.setattr(job, "Lease", HeldLease)
    settings = settings_for(slapd)
    barrier = threading.Barrier(THREADS)
    reports: list[Any] = []

    def run() -> None:
        barrier.wait(timeout=30)
        report = run_sync(engine, settings, full=True)
        reports.append(report)
        if report.status == "refused":
            refused.release()

    workers = [threading.Thread(target=run) for _ in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert Counter(r.status for r in reports) == Counter({"ok": 1, "refused": THREADS - 1})
    assert all("another LDAP sync is running" in r.errors[0] for r in reports if r.status == "refused")
    assert count(engine, LdapEntry) == 11  # the demo directory, written once
    assert count(engine, LdapSyncRun, LdapSyncRun.status == "ok") == 1


def test_twenty_workers_apply_each_change_once(database_url: str, standin: NextcloudStandIn, tmp_path: Path,
                                               directory: Slapd) -> None:
    from tests.quota.conftest import GB, build_world  # noqa: PLC0415 - the quota world only here
    from tests.quota.test_apply import override  # noqa: PLC0415

    world = build_world(database_url, standin, tmp_path, directory)
    try:
        users = ["anna.schmidt", "jonas.mueller", "lea.wagner", "felix.schaefer", "sophie.fischer"]
        for number, user in enumerate(users, start=1):
            override(world, user, number * GB)
        barrier = threading.Barrier(THREADS)
        reports: list[Any] = []

        def work() -> None:
            applier = world.applier()
            barrier.wait(timeout=30)
            reports.append(applier.run())

        workers = [threading.Thread(target=work) for _ in range(THREADS)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(120)
        assert len(reports) == THREADS and sum(r.done for r in reports) == len(users)
        assert sum(r.claimed for r in reports) == len(users)
        with Session(world.engine) as session:
            assert session.scalars(select(QuotaChange.status)).all() == [DONE] * len(users)
        assert {u: world.ldap_writes(u) for u in users} == {u: 1 for u in users}
        assert audited(world.engine, "quota.change_done") == len(users)
    finally:
        world.app.extensions["nc_coop.quota.runner"].wait(30)
        world.engine.dispose()


# --- Idempotency keys: the API --------------------------------------------------------------------------

DEPOSIT = {"type": "deposit", "date": "2024-06-03", "amount_cents": 500, "reference": "SEPA-4711"}


def _deposits(engine: Engine, membership_id: int) -> int:  # noqa: F811
    return count(engine, CapitalEntry, CapitalEntry.membership_id == membership_id, CapitalEntry.kind == "deposit")


def test_twenty_api_bookings_with_one_key_book_once(app: Flask, engine: Engine,  # noqa: F811
                                                    people: dict[str, int]) -> None:  # noqa: F811
    alice = people["alice"]
    before, events = _deposits(engine, alice), audited(engine, "capital.deposit")
    path = f"/api/v1/admin/members/{alice}/bookings"
    answers = together(app, same_request(path=path, user="admin", json=DEPOSIT,
                                         headers={"Idempotency-Key": "double-click-1"}))

    assert statuses(answers) == Counter({201: THREADS})
    assert len({a.get_data() for a in answers}) == 1  # every one got the first answer
    assert sum(1 for a in answers if a.headers.get("Idempotent-Replayed") == "true") == THREADS - 1
    assert _deposits(engine, alice) == before + 1 and audited(engine, "capital.deposit") == events + 1
    assert count(engine, IdempotencyKey) == 1
    # Without a key the same body books again: the key, not the body, makes it once.
    assert send(app, path, "admin", json=DEPOSIT).status_code == 201
    assert _deposits(engine, alice) == before + 2
    assert chain_intact(engine)


def test_a_repeated_key_gets_the_first_answer_and_another_body_is_refused(app: Flask, engine: Engine,  # noqa: F811
                                                                          people: dict[str, int]) -> None:  # noqa: F811
    alice, bob = people["alice"], people["bob"]
    path = f"/api/v1/admin/members/{alice}/bookings"
    key = {"Idempotency-Key": "4b1d3c6e-key"}
    first = send(app, path, "admin", json=DEPOSIT, headers=key)
    assert first.status_code == 201 and "capital_entry_id" in first.get_json()
    before = count(engine, CapitalEntry)
    replay = send(app, path, "admin", json=dict(reversed(DEPOSIT.items())), headers=key)  # same body, other order
    assert (replay.status_code, replay.get_data()) == (201, first.get_data())
    assert replay.headers["Idempotent-Replayed"] == "true"
    other = send(app, path, "admin", json={**DEPOSIT, "amount_cents": 600}, headers=key)
    assert other.status_code == 422
    assert other.get_json() == {"errors": {"Idempotency-Key": [
        "this key was used for another request; send a new key with each new booking"]}}
    elsewhere = send(app, f"/api/v1/admin/members/{bob}/bookings", "admin", json=DEPOSIT, headers=key)
    assert elsewhere.status_code == 422 and list(elsewhere.get_json()["errors"]) == ["Idempotency-Key"]
    assert count(engine, CapitalEntry) == before  # none of them booked
    # Keys are per user: bea's key of the same name is her own.
    assert send(app, path, "bea", json=DEPOSIT, headers=key).status_code == 201
    assert count(engine, CapitalEntry) == before + 1
    for bad in ("", "x" * 256, "mit leerzeichen"):
        refused = send(app, path, "admin", json=DEPOSIT, headers={"Idempotency-Key": bad})
        assert refused.status_code == 422
        assert refused.get_json() == {"errors": {"Idempotency-Key": ["must be 1 to 255 visible ASCII characters"]}}
    german = app.test_client().post(path, json={**DEPOSIT, "amount_cents": 700}, headers={
        **appapi_headers("admin", language="de"), "X-CSRF-Token": _token(app, "admin"), **key})
    assert german.get_json()["errors"]["Idempotency-Key"][0].startswith("dieser Schlüssel wurde")
    assert count(engine, CapitalEntry) == before + 1


def test_a_refused_booking_keeps_no_key(app: Flask, engine: Engine, people: dict[str, int]) -> None:  # noqa: F811
    path = f"/api/v1/admin/members/{people['alice']}/bookings"
    key = {"Idempotency-Key": "retry-after-fix"}
    too_much = {**DEPOSIT, "amount_cents": 10_000_000}
    refused = send(app, path, "admin", json=too_much, headers=key)
    assert refused.status_code == 422 and "Idempotency-Key" not in refused.get_json()["errors"]
    assert count(engine, IdempotencyKey) == 0
    assert send(app, path, "admin", json=DEPOSIT, headers=key).status_code == 201


def test_twenty_api_admissions_with_one_key_admit_once(app: Flask, engine: Engine) -> None:  # noqa: F811
    body = {"kind": "natural", "family_name": "Mustermann", "given_names": "Erika", "postal_address": "Hauptstr. 1",
            "admitted_on": "2024-01-10", "shares": 1, "membership_kind": "regular"}
    before = count(engine, Membership)
    answers = together(app, same_request(path="/api/v1/admin/members", user="admin", json=body,
                                         headers={"Idempotency-Key": "admit-erika"}))
    assert statuses(answers) == Counter({201: THREADS}), bodies(answers, 422)[:1]
    assert len({a.get_data() for a in answers}) == 1
    assert count(engine, Membership) == before + 1 and audited(engine, "member.admit") == before + 1


# --- Idempotency keys: the forms ------------------------------------------------------------------------

def _token(app: Flask, user: str) -> str:
    with app.app_context():
        return csrf_token(user)


def _form_key(app: Flask, path: str, user: str = "bea") -> str:
    page = app.test_client().get(path, headers=appapi_headers(user)).get_data(as_text=True)
    found = re.findall(r'name="idempotency_key" value="([^"]+)"', page)
    assert len(found) == 1, "the form carries one key"
    return found[0]


def test_twenty_form_submits_of_one_booking_form_book_once(app: Flask, engine: Engine,  # noqa: F811
                                                           people: dict[str, int]) -> None:  # noqa: F811
    alice = people["alice"]
    path = f"/admin/members/{alice}"
    key = _form_key(app, path)
    assert _form_key(app, path) != key  # each rendering has its own
    before, events = _deposits(engine, alice), audited(engine, "capital.deposit")
    form = {"type": "deposit", "date": "2024-06-03", "amount": "5,00", "reference": "Überweisung",
            "idempotency_key": key}
    answers = together(app, same_request(path=path, user="bea", data=form))

    assert statuses(answers) == Counter({200: THREADS})
    assert {a.headers["X-NC-Coop-Continue"] for a in answers} == {f"{alice}?booked=1"}
    assert _deposits(engine, alice) == before + 1
    assert audited(engine, "capital.deposit") == events + 1

    # The same form sent back with other values (the back button, an edit) books nothing and says why.
    changed = send(app, path, "bea", data={**form, "amount": "6,00"})
    assert changed.status_code == 422
    assert "This form was sent already with other values." in changed.get_data(as_text=True)
    assert _deposits(engine, alice) == before + 1
    # A form without a key (rendered before keys existed) books as it always did.
    plain = {k: v for k, v in form.items() if k != "idempotency_key"}
    assert send(app, path, "bea", data=plain).headers.get("X-NC-Coop-Continue")
    assert _deposits(engine, alice) == before + 2


def test_twenty_submits_of_one_admission_form_admit_once(app: Flask, engine: Engine) -> None:  # noqa: F811
    key = _form_key(app, "/admin/members/new")
    form = {"kind": "natural", "family_name": "Beispiel", "given_names": "Berta", "postal_address": "Lindenstr. 4",
            "admitted_on": "2024-03-01", "shares": "1", "membership_kind": "regular", "idempotency_key": key}
    before = count(engine, Membership)
    answers = together(app, same_request(path="/admin/members/new", user="bea", data=form))

    assert statuses(answers) == Counter({200: THREADS}), [a.get_data(as_text=True)[:300] for a in answers][:1]
    assert len({a.headers["X-NC-Coop-Continue"] for a in answers}) == 1
    assert count(engine, Membership) == before + 1 and count(engine, Party, Party.given_names == "Berta") == 1

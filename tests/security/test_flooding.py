# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Flooding (issue 13, point 8): limits on open requests, on notifications per recipient and hour,
and one neutral answer to a transfer offer whatever the member number.

The bursts run like tests/security/test_quota_races.py: each POST in its own thread with its own
test client, released together by a Barrier, against the real app, database and Nextcloud
stand-in, on SQLite and on PostgreSQL (skipped, never silently absent, without
NC_COOP_TEST_DATABASE_URL).
"""
from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from nc_coop.audit.chain import verify
from nc_coop.audit.models import AuditEvent
from nc_coop.register.models import Account, Membership
from nc_coop.register.services import admit_member, book_capital, receive_notice, record_death
from nc_coop.requests.models import MemberRequest, NotificationLog
from nc_coop.standin import NextcloudStandIn, StandInUser
from nc_coop.standin.state import default_users
from nc_coop.web.csrf import csrf_token
from tests.conftest import BOTH_DATABASES, appapi_headers, database_on
from tests.register.conftest import OFFICE, engine, make_party  # noqa: F401  fixtures
from tests.requests.conftest import PEOPLE, people, post, row_counts  # noqa: F401  fixtures

SENDERS = [f"sender{i:02d}" for i in range(17)]  # 17 x 3 open offers >= 50
LIMIT = 3  # NC_COOP_MAX_OPEN_TRANSFERS and NC_COOP_OFFER_NOTIFICATIONS_PER_HOUR by default
OFFER_ROUTE = "/api/v1/requests/transfer"
NEUTRAL = ("The transfer was offered, if this member number can receive it. A member who can is asked to agree in "
           "their own account; you will be notified of their answer. Until then the offer waits on your Requests "
           "page, where you can withdraw it.")


@pytest.fixture(params=BOTH_DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database_on(request.param, tmp_path, "the flooding tests on PostgreSQL") as url:
        yield url


@pytest.fixture
def standin() -> Iterator[NextcloudStandIn]:
    users = default_users() + PEOPLE + [StandInUser(u, u.title(), ["users"], f"{u}@example.org") for u in SENDERS]
    users += [StandInUser("tom", "Tom Vorbei", ["users"], "tom@example.org"),
              StandInUser("lea", "Lea Geht", ["users"], "lea@example.org"),
              StandInUser("fay", "Fay Voll", ["users"], "fay@example.org")]
    server = NextcloudStandIn(users=users).start()
    try:
        yield server
    finally:
        server.stop()


def _admit(s: Session, name: str, user: str, shares: int = 3, capital_cents: int = 30_000) -> int:
    party = make_party(s, "natural", name)
    membership = admit_member(s, OFFICE, party_id=party.id, admitted_on=date(2024, 1, 10), shares=shares)
    book_capital(s, OFFICE, membership_id=membership.id, kind="deposit", amount_cents=capital_cents,
                 value_date=date(2024, 1, 20))
    s.add(Account(nextcloud_user_id=user, party_id=party.id, role="self", created_at=datetime.now(UTC)))
    return membership.id


@pytest.fixture
def senders(engine: Engine, people: dict[str, int]) -> dict[str, int]:  # noqa: F811
    """17 more members (3 shares, fully paid), each with their own login; membership ids by user."""
    with Session(engine) as s:
        ids = {user: _admit(s, f"Sender {user}", user) for user in SENDERS}
        s.commit()
    return ids


@pytest.fixture
def numbers(engine: Engine, people: dict[str, int]) -> dict[str, int]:  # noqa: F811
    """Member numbers of bob (receives), tom (gone: died in 2024, out since 31.12.2024), lea (has
    given notice: leaving), fay (her one share is fully paid: it cannot take more capital), and
    one no membership has."""
    with Session(engine) as s:
        tom = _admit(s, "Tom Vorbei", "tom")
        record_death(s, OFFICE, membership_id=tom, died_on=date(2024, 6, 1))
        lea = _admit(s, "Lea Geht", "lea")
        receive_notice(s, OFFICE, membership_id=lea, received_on=date(2025, 1, 15))
        fay = _admit(s, "Fay Voll", "fay", shares=1, capital_cents=10_000)
        s.commit()
        number = {key: s.scalar(select(Membership.member_no).where(Membership.id == mid))
                  for key, mid in (("bob", people["bob"]), ("tom", tom), ("lea", lea), ("fay", fay))}
    number["unknown"] = 9999
    return number


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Not pytest-flask's ``with app.test_client()``: that keeps each request's context for the next
    one, so one request's language would stick to every later one (production has one per request)."""
    return app.test_client()


# --- Helpers ------------------------------------------------------------------------------------------

def offer(app: Flask, user: str, membership_id: int, to_member_no: int, *, amount_cents: int = 100,
          language: str = "en") -> Any:
    with app.app_context():
        token = csrf_token(user)
    return app.test_client().post(OFFER_ROUTE, json={"membership_id": membership_id, "to_member_no": to_member_no,
                                                     "shares": 0, "amount_cents": amount_cents},
                                  headers={**appapi_headers(user, language=language), "X-CSRF-Token": token})


def together(app: Flask, calls: list[tuple[str, str, dict[str, Any]]]) -> list[Any]:
    """Every (user, path, JSON body) POSTed at once from its own thread; the answers in order."""
    tokens = {}
    with app.app_context():
        for user, _, _ in calls:
            tokens[user] = csrf_token(user)
    barrier = threading.Barrier(len(calls))
    answers: list[Any] = [None] * len(calls)
    failures: list[BaseException] = []

    def send(i: int) -> None:
        user, path, body = calls[i]
        client = app.test_client()
        try:
            barrier.wait(timeout=60)
            answers[i] = client.post(path, json=body,
                                     headers={**appapi_headers(user), "X-CSRF-Token": tokens[user]})
        except BaseException as exc:  # noqa: BLE001 - reported below, not lost in the thread
            failures.append(exc)

    threads = [threading.Thread(target=send, args=(i,), name=f"flood-{i}") for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not any(t.is_alive() for t in threads), "a request hangs"
    assert not failures, failures[:3]
    return answers


def count(engine: Engine, model: Any, *where: Any) -> int:  # noqa: F811
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def audited(engine: Engine, action: str) -> int:  # noqa: F811
    return count(engine, AuditEvent, AuditEvent.action == action)


def chain_intact(engine: Engine) -> bool:  # noqa: F811
    with Session(engine) as s:
        return verify(s).ok


def offer_notes(standin: NextcloudStandIn, user: str) -> list[dict[str, Any]]:
    return [n for n in standin.state.notifications if n["user"] == user
            and n["subject_params"]["rich_subject"] == "A member offers you a transfer"]


def my_requests(client: FlaskClient, user: str) -> list[dict[str, Any]]:
    return client.get("/api/v1/requests", headers=appapi_headers(user)).get_json()["requests"]


# --- 1. A burst of offers to one member -----------------------------------------------------------------

def test_fifty_offers_from_seventeen_members_at_once_notify_the_receiver_three_times(
        app: Flask, client: FlaskClient, engine: Engine, standin: NextcloudStandIn,  # noqa: F811
        senders: dict[str, int], numbers: dict[str, int]) -> None:
    calls = [(user, OFFER_ROUTE, {"membership_id": senders[user], "to_member_no": numbers["bob"], "shares": 0,
                                  "amount_cents": 100})
             for _ in range(LIMIT) for user in SENDERS][:50]

    answers = together(app, calls)

    assert Counter(a.status_code for a in answers) == Counter({201: 50}), [a.get_json() for a in answers][:3]
    notes = offer_notes(standin, "bob")
    assert len(notes) == LIMIT  # not 50
    # The last one says that more may come without a notification; the others do not.
    assert ["Further offers within the next hour" in n["subject_params"]["rich_message"] for n in notes] == \
        [False] * (LIMIT - 1) + [True]
    # Nothing is lost: every offer is on bob's page, waiting for his answer.
    offered = [r for r in my_requests(client, "bob") if r["kind"] == "transfer"]
    assert len(offered) == 50 and all(r["awaiting_my_consent"] for r in offered)
    page = client.get("/requests", headers=appapi_headers("bob")).get_data(as_text=True)
    assert page.count('value="1">Agree to receive</button>') == 50
    with Session(engine) as s:
        logged = s.scalars(select(NotificationLog).where(NotificationLog.recipient == "bob")).all()
    assert Counter((row.collapsed, row.sent_at is not None) for row in logged) == \
        Counter({(False, True): LIMIT, (True, False): 50 - LIMIT})
    assert audited(engine, "request.submit") == 50 and audited(engine, "request.transfer_routed") == 50
    assert chain_intact(engine)


def test_the_hourly_allowance_comes_back_after_an_hour(app: Flask, engine: Engine,  # noqa: F811
                                                       standin: NextcloudStandIn, senders: dict[str, int],
                                                       numbers: dict[str, int]) -> None:
    for user in SENDERS[:4]:
        assert offer(app, user, senders[user], numbers["bob"]).status_code == 201
    assert len(offer_notes(standin, "bob")) == LIMIT
    with Session(engine) as s, s.begin():  # as if they had been sent 61 minutes ago
        s.execute(update(NotificationLog).values(created_at=datetime.now(UTC) - timedelta(minutes=61)))
    assert offer(app, SENDERS[4], senders[SENDERS[4]], numbers["bob"]).status_code == 201
    notes = offer_notes(standin, "bob")
    assert len(notes) == LIMIT + 1
    assert "Further offers" not in notes[-1]["subject_params"]["rich_message"]


# --- 2. Limits on open requests ----------------------------------------------------------------------

def test_twenty_offers_at_once_from_one_membership_leave_exactly_the_limit(
        app: Flask, engine: Engine, people: dict[str, int], numbers: dict[str, int]) -> None:  # noqa: F811
    body = {"membership_id": people["alice"], "to_member_no": numbers["bob"], "shares": 0, "amount_cents": 100}

    answers = together(app, [("alice", OFFER_ROUTE, body)] * 20)

    assert Counter(a.status_code for a in answers) == Counter({201: LIMIT, 422: 20 - LIMIT})
    again = offer(app, "alice", people["alice"], numbers["bob"])
    assert again.status_code == 422
    refusal = {"membership_id": ["This membership already has 3 transfer offer(s) waiting for an answer; at most 3 "
                                 "may be open at a time. Wait for an answer or withdraw one."]}
    assert again.get_json()["errors"] == refusal
    assert [a.get_json()["errors"] for a in answers if a.status_code == 422] == [refusal] * (20 - LIMIT)
    assert count(engine, MemberRequest, MemberRequest.kind == "transfer") == LIMIT
    assert audited(engine, "request.submit") == LIMIT
    assert chain_intact(engine)


def test_twenty_share_declarations_at_once_leave_one_open(app: Flask, engine: Engine,  # noqa: F811
                                                          people: dict[str, int]) -> None:  # noqa: F811
    body = {"membership_id": people["alice"], "shares": 1, "acknowledged": ["payment", "notice_period"]}

    answers = together(app, [("alice", "/api/v1/requests/shares", body)] * 20)

    assert Counter(a.status_code for a in answers) == Counter({201: 1, 422: 19})
    refusals = [a.get_json()["errors"] for a in answers if a.status_code == 422]
    assert refusals == [{"membership_id": ["A request of this membership for further shares is already with the "
                                           "board; please wait for its decision."]}] * 19
    assert count(engine, MemberRequest, MemberRequest.kind == "shares") == 1
    assert audited(engine, "request.submit") == 1


def test_over_the_limit_the_form_and_the_api_refuse_at_the_field_and_write_nothing(
        app: Flask, client: FlaskClient, engine: Engine, people: dict[str, int],  # noqa: F811
        numbers: dict[str, int]) -> None:
    alice = people["alice"]
    for _ in range(LIMIT):
        assert offer(app, "alice", alice, numbers["unknown"]).status_code == 201  # offers nobody gets count too
    assert post(app, client, "/requests/shares", "alice", {"membership_id": str(alice), "shares": "1",
                                                           "ack_payment": "1", "ack_notice_period": "1"}
                ).headers.get("X-NC-Coop-Continue")
    before = row_counts(engine)

    answer = offer(app, "alice", alice, numbers["bob"], language="de")
    assert answer.status_code == 422
    assert answer.get_json()["errors"] == {"membership_id": [
        "Diese Mitgliedschaft hat bereits 3 Übertragungsangebot(e), die auf eine Antwort warten; höchstens 3 dürfen "
        "gleichzeitig offen sein. Warten Sie eine Antwort ab oder ziehen Sie ein Angebot zurück."]}
    form = post(app, client, "/requests/transfer", "alice", {"membership_id": str(alice),
                                                             "to_member_no": str(numbers["bob"]), "amount": "1"})
    assert form.status_code == 422
    assert re.search(r'<p class="field-error" id="e-membership_id">This membership already has 3 transfer',
                     form.get_data(as_text=True))
    shares = post(app, client, "/api/v1/requests/shares", "alice",
                  json={"membership_id": alice, "shares": 1, "acknowledged": ["payment", "notice_period"]})
    assert shares.status_code == 422 and list(shares.get_json()["errors"]) == ["membership_id"]
    form = post(app, client, "/requests/shares", "alice", {"membership_id": str(alice), "shares": "1",
                                                           "ack_payment": "1", "ack_notice_period": "1"})
    assert form.status_code == 422
    assert 'id="e-membership_id">A request of this membership for further shares' in form.get_data(as_text=True)
    assert row_counts(engine) == before


def test_a_withdrawn_offer_frees_its_place_and_only_the_giver_can_withdraw(
        app: Flask, client: FlaskClient, engine: Engine, standin: NextcloudStandIn,  # noqa: F811
        people: dict[str, int], numbers: dict[str, int]) -> None:  # noqa: F811
    ids = [offer(app, "alice", people["alice"], numbers[key]).get_json()["id"] for key in ("bob", "unknown", "tom")]
    assert offer(app, "alice", people["alice"], numbers["bob"]).status_code == 422
    # bob receives the first offer: he may answer it, not withdraw it (404, as for a stranger's request).
    assert post(app, client, f"/api/v1/requests/{ids[0]}/withdraw", "bob", json={}).status_code == 404
    assert post(app, client, f"/requests/{ids[1]}/withdraw", "rita").status_code == 404
    page = client.get("/requests", headers=appapi_headers("alice")).get_data(as_text=True)
    assert page.count("Withdraw the offer") == 3
    odd = post(app, client, f"/api/v1/requests/{ids[1]}/withdraw", "alice", json={"reason": "x"})
    assert odd.status_code == 422 and list(odd.get_json()["errors"]) == ["reason"]  # unknown field: nothing done
    assert post(app, client, "/api/v1/requests/99999/withdraw", "alice", json={}).status_code == 404
    withdrawn = post(app, client, f"/api/v1/requests/{ids[1]}/withdraw", "alice", json={})
    assert withdrawn.status_code == 200
    assert (withdrawn.get_json()["status"], withdrawn.get_json()["withdrawable"]) == ("withdrawn", False)
    again = post(app, client, f"/requests/{ids[1]}/withdraw", "alice")
    assert again.status_code == 422 and "This offer has been answered or withdrawn already." in again.get_data(
        as_text=True)
    assert offer(app, "alice", people["alice"], numbers["bob"]).status_code == 201
    # Answered offers cannot be withdrawn any more.
    assert post(app, client, f"/api/v1/requests/{ids[0]}/consent", "bob", json={"consent": False}).status_code == 201
    late = post(app, client, f"/api/v1/requests/{ids[0]}/withdraw", "alice", json={})
    assert late.status_code == 422 and list(late.get_json()["errors"]) == ["decision"]
    assert audited(engine, "request.withdraw") == 1
    assert chain_intact(engine)


# --- 3. One answer, whatever the number --------------------------------------------------------------------

def _neutral(answer: Any) -> dict[str, Any]:
    """An offer's API answer without what differs between any two offers (id, times, the sender's
    membership and the number typed)."""
    body = dict(answer.get_json())
    for key in ("id", "submitted_at", "received_on", "counterpart_member_no", "membership_id", "member_no"):
        body.pop(key)
    return body


def test_the_answer_is_the_same_for_a_member_an_unknown_number_a_gone_and_a_leaving_member(
        app: Flask, client: FlaskClient, engine: Engine, standin: NextcloudStandIn,  # noqa: F811
        people: dict[str, int], senders: dict[str, int], numbers: dict[str, int]) -> None:
    targets = ("bob", "unknown", "tom", "lea", "fay")
    answers = {key: offer(app, SENDERS[i], senders[SENDERS[i]], numbers[key]) for i, key in enumerate(targets)}

    assert {key: a.status_code for key, a in answers.items()} == dict.fromkeys(answers, 201)
    assert {a.get_json()["message"] for a in answers.values()} == {NEUTRAL}
    assert {repr(_neutral(a)) for a in answers.values()} == {repr(_neutral(answers["bob"]))}
    assert _neutral(answers["bob"])["status"] == "awaiting_consent"
    assert {a.get_json()["counterpart_member_no"] for a in answers.values()} == set(numbers.values())
    # German: the same single answer.
    german = {offer(app, SENDERS[6 + i], senders[SENDERS[6 + i]], numbers[key], language="de").get_json()["message"]
              for i, key in enumerate(targets)}
    assert german == {"Die Übertragung wurde angeboten, sofern diese Mitgliedsnummer sie empfangen kann. Ein Mitglied, "
                      "das sie empfangen kann, wird in seinem eigenen Konto um Zustimmung gebeten; über seine Antwort "
                      "werden Sie benachrichtigt. Bis dahin wartet das Angebot auf Ihrer Seite „Anträge“, wo Sie es "
                      "zurückziehen können."}

    # Only a member who can receive it is asked and told; the sender is told nothing either way.
    assert len(offer_notes(standin, "bob")) == 2
    assert offer_notes(standin, "tom") == offer_notes(standin, "lea") == offer_notes(standin, "fay") == []
    assert [n for n in standin.state.notifications if n["user"].startswith("sender")] == []
    assert my_requests(client, "tom") == my_requests(client, "lea") == my_requests(client, "fay") == []
    assert len([r for r in my_requests(client, "bob") if r["awaiting_my_consent"]]) == 2

    # What the senders see later is the same too: their list, the API, their data export.
    for i, key in enumerate(targets):
        [mine] = my_requests(client, SENDERS[i])
        assert (mine["status"], mine["counterpart_member_no"], mine["withdrawable"]) == \
            ("awaiting_consent", numbers[key], True)
        export = client.get("/api/v1/privacy/export", headers=appapi_headers(SENDERS[i])).get_json()
        [row] = export["requests"]
        assert (row["counterpart_membership_id"], row["to_member_no"]) == (None, numbers[key])
        assert [e["diff"].get("to_membership_id") for e in export["audit_events"]
                if e["action"] == "request.submit"] == [None]
    # Stored: the board's record of where each offer went.
    with Session(engine) as s:
        routed = {r.id: r.counterpart_membership_id for r in s.scalars(select(MemberRequest))}
    assert routed[answers["bob"].get_json()["id"]] == people["bob"]
    assert {routed[answers[key].get_json()["id"]] for key in ("unknown", "tom", "lea", "fay")} == {None}


def test_the_form_answers_byte_for_byte_the_same(app: Flask, client: FlaskClient, engine: Engine,  # noqa: F811
                                                 senders: dict[str, int], numbers: dict[str, int]) -> None:
    pages = {}
    for i, key in enumerate(("bob", "unknown", "tom", "lea", "fay")):
        answer = post(app, client, "/requests/transfer", SENDERS[i], {"membership_id": str(senders[SENDERS[i]]),
                                                                      "to_member_no": str(numbers[key]),
                                                                      "amount": "1"})
        landing = client.get("/requests?sent=transfer", headers=appapi_headers(SENDERS[i])).get_data(as_text=True)
        # The page names the sender's own membership and the offer's id and number; nothing else may differ.
        [offer_id] = re.findall(r'<tr id="request-(\d+)">', landing)
        member_no = str(numbers[key])
        own_no = str(client.get("/api/v1/requests", headers=appapi_headers(SENDERS[i])).get_json()
                     ["requests"][0]["member_no"])
        landing = (landing.replace(f"Sender {SENDERS[i]}", "SENDER").replace(SENDERS[i].title(), "LOGIN").replace(f">{offer_id}<", ">ID<")
                   .replace(f"request-{offer_id}", "request-ID").replace(f"request_id={offer_id}", "ID")
                   .replace(f"requests/{offer_id}/", "requests/ID/").replace(f"no. {member_no}", "no. NUMBER")
                   .replace(f"no. {own_no}", "no. OWN"))
        landing = re.sub(r'name="csrf_token" value="[^"]+"', "TOKEN", landing)
        landing = re.sub(r'"membership_id=\d+|membership_id=\d+', "MID", landing)
        landing = re.sub(r'nonce="[^"]+"|memberships/\d+/', "X", landing)
        pages[key] = (answer.status_code, answer.headers.get("X-NC-Coop-Continue"), answer.get_data(), landing)
        assert NEUTRAL in pages[key][3]
    assert len({(status, cont, body) for status, cont, body, _ in pages.values()}) == 1
    assert len({landing for *_, landing in pages.values()}) == 1, [p[3] for p in pages.values()][:2]


def test_the_migration_gives_existing_transfers_their_receivers_number(app: Flask, engine: Engine,  # noqa: F811
                                                                        people: dict[str, int],  # noqa: F811
                                                                        numbers: dict[str, int]) -> None:
    """Transfers made before 0012 have no to_member_no; the upgrade takes their receiver's."""
    import importlib  # noqa: PLC0415

    backfill = importlib.import_module("nc_coop.migrations.versions.0012_request_limits")._BACKFILL
    first = offer(app, "alice", people["alice"], numbers["bob"]).get_json()["id"]
    second = offer(app, "alice", people["alice"], numbers["unknown"]).get_json()["id"]
    with Session(engine) as s, s.begin():
        s.execute(update(MemberRequest).values(to_member_no=None))
    with engine.begin() as connection:
        connection.execute(backfill)
    with Session(engine) as s:
        assert s.get(MemberRequest, first).to_member_no == numbers["bob"]
        assert s.get(MemberRequest, second).to_member_no is None  # no receiver: nothing to take it from


def test_the_limits_are_settings_with_bounds() -> None:
    from nc_coop.config import ConfigError, load_settings  # noqa: PLC0415

    base = {"APP_SECRET": "s" * 32, "NEXTCLOUD_URL": "http://nc.example"}
    defaults = load_settings(base)
    assert (defaults.max_open_transfers, defaults.offer_notifications_per_hour) == (LIMIT, LIMIT)
    tuned = load_settings({**base, "NC_COOP_MAX_OPEN_TRANSFERS": "1", "NC_COOP_OFFER_NOTIFICATIONS_PER_HOUR": "10"})
    assert (tuned.max_open_transfers, tuned.offer_notifications_per_hour) == (1, 10)
    for name, raw, reason in (("NC_COOP_MAX_OPEN_TRANSFERS", "0", "between 1 and 50"),
                              ("NC_COOP_MAX_OPEN_TRANSFERS", "drei", "whole number"),
                              ("NC_COOP_OFFER_NOTIFICATIONS_PER_HOUR", "61", "between 1 and 60")):
        with pytest.raises(ConfigError, match=f"^{name}: must be .*{reason}"):
            load_settings({**base, name: raw})


@pytest.mark.parametrize("settings_env", [{"NC_COOP_MAX_OPEN_TRANSFERS": "1",
                                           "NC_COOP_OFFER_NOTIFICATIONS_PER_HOUR": "1"}])
def test_the_app_applies_the_configured_limits(settings_env: dict[str, str], database_url: str,
                                               standin: NextcloudStandIn, tmp_path: Path) -> None:
    from nc_coop import create_app, migrate  # noqa: PLC0415
    from nc_coop.register.statutes import add_statute_version  # noqa: PLC0415
    from tests.conftest import INFO_XML, TEST_SECRET, app_config, get_db_engine  # noqa: PLC0415
    from tests.register.conftest import STATUTE  # noqa: PLC0415

    app = create_app(app_config(database_url, standin, tmp_path, **settings_env))
    app.config["TESTING"] = True
    standin.register("nc_coop", TEST_SECRET, "0.1.0", "http://127.0.0.1:9", INFO_XML).enabled = True
    db = get_db_engine(app)
    try:
        migrate.upgrade(db)
        with Session(db) as s:
            add_statute_version(s, actor="office", version=1, adopted_at=date(2019, 5, 1),
                                registered_at=date(2019, 7, 1), params=STATUTE)
            giver, bob = _admit(s, "Alice Normal", "alice"), _admit(s, "Bob Beispiel", "bob", capital_cents=10_000)
            s.commit()
            bob_no = s.get(Membership, bob).member_no
        assert offer(app, "alice", giver, bob_no).status_code == 201
        again = offer(app, "alice", giver, bob_no)
        assert again.status_code == 422 and "at most 1 may be open" in again.get_json()["errors"]["membership_id"][0]
        [note] = offer_notes(standin, "bob")
        assert "Further offers within the next hour" in note["subject_params"]["rich_message"]
    finally:
        app.extensions["nc_coop.quota.runner"].wait(30)
        db.dispose()

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Applying quotas against a real slapd and the Nextcloud stand-in over HTTP: LDAP users through
the quota attribute and the refresh search, local users through the admin login password, the
AppAPI PUT only when configured (and then its refusal is reported), and nothing lost or applied
twice when LDAP or Nextcloud is down."""
from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nc_coop.nextcloud import NextcloudGateway
from nc_coop.quota.models import CONFIRMED, DONE, QUEUED, REFUSED, QuotaChange
from nc_coop.quota.services import Actor, plan_and_queue, set_override
from nc_coop.quota.units import UNLIMITED
from tests.conftest import appapi_headers
from tests.ldapsync.conftest import admin
from tests.quota.conftest import GB, TODAY, World

OFFICE = Actor("bea", "test")


def override(world: World, user_id: str, amount: int, reason: str = "board decision") -> list[int]:
    """What the admin page does: an override, then the plan for that user, queued."""
    with world.factory() as session, session.begin():
        set_override(session, OFFICE, scope="user", user_id=user_id, amount=amount, reason=reason, until=None)
        return plan_and_queue(session, OFFICE, TODAY, users=[user_id])


def changes(world: World, user_id: str) -> list[QuotaChange]:
    with world.factory() as session:
        return list(session.scalars(select(QuotaChange).where(QuotaChange.nextcloud_user_id == user_id)
                                    .order_by(QuotaChange.id)))


def no_appapi_quota_put(world: World) -> bool:
    return not [c for c in world.standin.state.calls if c.method == "PUT" and "/cloud/users/" in c.path
                and c.via == "appapi"]


def test_an_override_lands_in_the_ldap_entry_and_the_refresh_search_confirms_it(world: World) -> None:
    assert world.standin.state.users["anna.schmidt"].quota_bytes == 2 * GB  # "2 GB" in the demo directory
    ids = override(world, "anna.schmidt", 20 * GB)
    assert len(ids) == 1

    report = world.apply()

    assert (report.done, report.confirmed, report.failed) == (1, 1, 0)
    assert world.ldap_quota("anna.schmidt") == str(20 * GB)
    assert world.standin.state.users["anna.schmidt"].quota_bytes == 20 * GB
    [change] = changes(world, "anna.schmidt")
    assert (change.status, change.confirmation, change.old_amount, change.new_amount, change.backend) == (
        DONE, CONFIRMED, 2 * GB, 20 * GB, "ldap")
    # The refresh was an admin-impersonated search for the display name, then a read-back.
    searches = [c for c in world.standin.state.calls if c.path == "/ocs/v1.php/cloud/users" and c.as_user == "quota-service"]
    assert searches and searches[-1].via == "appapi"
    assert world.ldap_writes("anna.schmidt") == 1
    assert no_appapi_quota_put(world)


def test_an_entry_without_the_quota_class_gets_it_added(world: World) -> None:
    assert world.ldap_quota("lea.wagner") is None  # no nextcloudUser class in the demo directory
    override(world, "lea.wagner", 3 * GB)
    assert world.apply().confirmed == 1
    assert world.ldap_quota("lea.wagner") == str(3 * GB)
    with admin(world.directory) as conn:
        conn.search(world.directory.user_dn("lea.wagner"), "(objectClass=nextcloudUser)", attributes=["1.1"])
        assert len(conn.entries) == 1


def test_a_single_user_get_does_not_refresh_an_ldap_quota_but_a_matching_search_does(world: World) -> None:
    with admin(world.directory) as conn:
        conn.modify(world.directory.user_dn("jonas.mueller"), {"nextcloudQuota": [("MODIFY_REPLACE", ["3 GB"])]})
    gateway = world.gateway
    assert gateway.get_user("jonas.mueller", as_user="quota-service").quota_bytes == 500 * 1024**2  # still "500 MB"
    assert gateway.search_users("jonas.mueller@coop.example", as_user="quota-service") == []  # mail: no match, no refresh
    assert gateway.get_user("jonas.mueller", as_user="quota-service").quota_bytes == 500 * 1024**2
    assert gateway.search_users("Jonas Müller", as_user="quota-service") == ["jonas.mueller"]
    assert gateway.get_user("jonas.mueller", as_user="quota-service").quota_bytes == 3 * GB


def test_unlimited_is_written_as_none(world: World) -> None:
    override(world, "jonas.mueller", UNLIMITED)
    assert world.apply().confirmed == 1
    assert world.ldap_quota("jonas.mueller") == "none"
    assert world.standin.state.users["jonas.mueller"].quota_bytes == UNLIMITED


def test_a_local_user_gets_the_quota_through_the_admin_login_password(world: World) -> None:
    override(world, "alice", 7 * GB)

    report = world.apply()

    assert (report.done, report.confirmed) == (1, 1)
    assert world.standin.state.users["alice"].quota_bytes == 7 * GB
    [put] = world.quota_puts("alice")
    assert (put.as_user, put.via, put.ocs_status) == ("quota-service", "password", 100)
    assert no_appapi_quota_put(world)


def test_an_app_password_is_refused_like_appapi_auth_and_the_refusal_is_recorded(world: World) -> None:
    world.standin.state.users["quota-service"].app_passwords.append("quota-service-app-password-0123456789")
    settings = dataclasses.replace(world.settings, admin_password="quota-service-app-password-0123456789")
    override(world, "alice", 7 * GB)

    report = world.apply(settings=settings)

    assert (report.done, report.refused) == (0, 1)
    [change] = changes(world, "alice")
    assert change.status == REFUSED and "Password confirmation is required" in (change.last_error or "")
    assert world.standin.state.users["alice"].quota_bytes != 7 * GB
    # nc_py_api sends a PUT refused this way once more on a fresh session before it gives up.
    assert {(p.via, p.ocs_status) for p in world.quota_puts("alice")} == {("app_password", 403)}


def test_the_appapi_put_is_sent_only_when_configured_and_its_refusal_is_shown(make_world: Callable[..., World]) -> None:
    world = make_world(NC_COOP_QUOTA_TRY_APPAPI="1")
    override(world, "alice", 7 * GB)

    report = world.apply()

    assert report.refused == 1
    assert {(p.via, p.ocs_status) for p in world.quota_puts("alice")} == {("appapi", 403)}
    [change] = changes(world, "alice")
    assert change.status == REFUSED and "Password confirmation is required" in (change.last_error or "")
    client: FlaskClient = world.app.test_client()
    page = client.get("/admin/quota", headers=appapi_headers("admin"))
    assert page.status_code == 200 and "Password confirmation is required" in page.get_data(as_text=True)
    listed = client.get("/api/v1/admin/quota/changes?status=refused", headers=appapi_headers("admin")).get_json()
    assert [c["last_error"] for c in listed["changes"]] == [change.last_error]


def test_nextcloud_down_keeps_the_change_queued_and_a_retry_applies_it_once(world: World) -> None:
    override(world, "alice", 9 * GB)
    down = NextcloudGateway(dataclasses.replace(world.app.config["NC_COOP_SETTINGS"], nextcloud_url="http://127.0.0.1:9",
                                                nextcloud_timeout=2))

    first = world.apply(gateway=down)

    assert (first.done, first.failed) == (0, 1)
    [change] = changes(world, "alice")
    assert change.status == QUEUED and change.attempts == 1 and change.next_attempt_at is not None
    assert "unavailable" in (change.last_error or "").lower() or "connect" in (change.last_error or "").lower()
    assert world.apply().claimed == 0  # waiting for its backoff
    assert world.quota_puts("alice") == []

    retry = world.apply(force=True)  # `nc-coop quota retry`: Nextcloud is back

    assert retry.done == 1
    assert world.apply(force=True).claimed == 0
    assert [p.ocs_status for p in world.quota_puts("alice")] == [100]
    assert world.standin.state.users["alice"].quota_bytes == 9 * GB
    [change] = changes(world, "alice")
    assert (change.status, change.attempts) == (DONE, 2)


def test_slapd_down_keeps_the_change_queued_and_a_retry_writes_it_once(world: World) -> None:
    override(world, "anna.schmidt", 11 * GB)

    first = world.apply(ldap_url="ldap://127.0.0.1:9")

    assert (first.done, first.failed) == (0, 1)
    [change] = changes(world, "anna.schmidt")
    assert change.status == QUEUED and "cannot reach the directory" in (change.last_error or "")
    assert world.ldap_writes("anna.schmidt") == 0

    assert world.apply(force=True).done == 1
    assert world.apply(force=True).claimed == 0
    assert world.ldap_writes("anna.schmidt") == 1
    assert world.ldap_quota("anna.schmidt") == str(11 * GB)


def test_the_queue_survives_a_restart(world: World, make_world: Callable[..., World]) -> None:
    override(world, "anna.schmidt", 12 * GB)
    world.apply(ldap_url="ldap://127.0.0.1:9")
    # A new app process on the same database finds the change still queued and applies it.
    with Session(world.engine) as session:
        assert session.scalar(select(func.count()).select_from(QuotaChange).where(QuotaChange.status == QUEUED)) == 1
    runner = world.app.extensions["nc_coop.quota.runner"]
    assert runner.start("test", force=True)
    runner.wait(30)
    assert runner.last_report is not None and runner.last_report.done == 1
    assert world.ldap_writes("anna.schmidt") == 1


def test_two_workers_never_apply_the_same_change(world: World) -> None:
    users = ["anna.schmidt", "jonas.mueller", "lea.wagner", "felix.schaefer", "sophie.fischer", "marie.hoffmann",
             "lukas.becker", "juergen.krueger"]
    for number, user in enumerate(users, start=1):
        override(world, user, number * GB)
    reports = []

    def work() -> None:
        reports.append(world.applier().run())

    workers = [threading.Thread(target=work) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)

    assert sum(r.done for r in reports) == len(users)
    assert {u: world.ldap_writes(u) for u in users} == {u: 1 for u in users}
    with world.factory() as session:
        statuses = session.scalars(select(QuotaChange.status)).all()
    assert statuses == [DONE] * len(users)


def test_an_unchanged_quota_is_not_written(world: World) -> None:
    override(world, "anna.schmidt", 2 * GB)  # what the directory already says
    assert world.apply().claimed == 0
    assert world.ldap_writes("anna.schmidt") == 0


def test_a_newer_change_supersedes_a_queued_one(world: World) -> None:
    override(world, "alice", 3 * GB)
    override(world, "alice", 4 * GB)
    assert world.apply().done == 1
    assert [c.status for c in changes(world, "alice")] == ["superseded", DONE]
    assert [p.ocs_status for p in world.quota_puts("alice")] == [100]
    assert world.standin.state.users["alice"].quota_bytes == 4 * GB

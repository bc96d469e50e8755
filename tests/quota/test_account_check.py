# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The quota account (NC_COOP_QUOTA_ADMIN_USER) as Nextcloud 34 treats it: outside the admin
group its search is OCS 403 and its quota PUT OCS 998 (APPAPI.md "Corrections"). The system
status page checks it without changing any quota and names the cause of a failure; a refused
quota change names it too."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from nc_coop import create_app
from nc_coop.nextcloud import NextcloudForbidden, NextcloudNotFound
from nc_coop.quota.models import REFUSED, QuotaChange
from nc_coop.standin import NextcloudStandIn, StandInUser
from tests.migrated import migrate_for_test
from tests.conftest import (
    INFO_XML,
    QUOTA_ADMIN_PASSWORD,
    TEST_SECRET,
    app_config,
    appapi_headers,
    get_db_engine,
    wait_for_init,
)
from tests.quota.conftest import GB, World
from tests.quota.test_apply import override

QUOTA_ADMIN = "quota-service"  # the stand-in's login password is "quota-service-password"
assert QUOTA_ADMIN_PASSWORD == f"{QUOTA_ADMIN}-password"


class _Notecards(HTMLParser):
    """The status page's notecards: (kind, heading, text)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.cards: list[list[str]] = []
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "div" and "notecard" in classes:
            kind = next(c.removeprefix("notecard--") for c in classes if c.startswith("notecard--"))
            self.cards.append([kind, ""])
            self._depth = 1
        elif self._depth and tag == "div":
            self._depth += 1

    def handle_endtag(self, tag: str) -> None:
        if self._depth and tag == "div":
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._depth:
            self.cards[-1][1] += data


def quota_cards(app: Flask, language: str = "en") -> dict[str, tuple[str, str]]:
    """GET /admin/ as a Nextcloud admin; the notecards after the quota account heading by heading."""
    with app.app_context():
        response = app.test_client().get("/admin/", headers=appapi_headers("admin", language=language))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    parser = _Notecards()
    parser.feed(html[html.index('id="quota-account"'):])
    cards = {}
    for kind, text in parser.cards:
        heading, _, message = text.strip().partition("\n")
        cards[heading.strip()] = (kind, " ".join(message.split()))
    return cards


@pytest.fixture
def make_app(database_url: str, standin: NextcloudStandIn, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    built: list[Flask] = []

    def make(groups: list[str] | None = None, **extra: str) -> Flask:
        if groups is not None:
            standin.state.users[QUOTA_ADMIN] = StandInUser(QUOTA_ADMIN, "Quota Service", groups)
        app = create_app(app_config(database_url, standin, tmp_path, **extra))
        app.config["TESTING"] = True
        standin.register("nc_coop", TEST_SECRET, "0.1.0", "http://127.0.0.1:9", INFO_XML).enabled = True
        migrate_for_test(get_db_engine(app))
        built.append(app)
        return app

    yield make
    for app in built:
        app.extensions["nc_coop.quota.runner"].wait(30)
        wait_for_init(app)
        get_db_engine(app).dispose()


CONFIGURED = {"NC_COOP_QUOTA_ADMIN_USER": QUOTA_ADMIN, "NC_COOP_QUOTA_ADMIN_PASSWORD": QUOTA_ADMIN_PASSWORD}


def quotas(standin: NextcloudStandIn) -> dict[str, int]:
    return {u.user_id: u.quota_bytes for u in standin.state.users.values()}


def test_the_status_page_confirms_a_quota_account_in_the_admin_group_and_changes_nothing(
        make_app: Callable[..., Flask], standin: NextcloudStandIn) -> None:
    app = make_app(["admin"], **CONFIGURED)
    before = quotas(standin)
    cards = quota_cards(app)
    assert cards["List users"][0] == "success" and "quota-service can list users" in cards["List users"][1]
    assert cards["Set quotas"][0] == "success" and "in Nextcloud's admin group" in cards["Set quotas"][1]
    assert quotas(standin) == before
    assert [c for c in standin.state.calls if c.method != "GET"] == []
    # the search matched nobody, so user_ldap would refresh (and apply a quota to) nobody
    searches = [c for c in standin.state.calls if c.path == "/ocs/v1.php/cloud/users"]
    assert [(c.as_user, c.via, c.json) for c in searches] == [(QUOTA_ADMIN, "appapi", None)]


def test_a_quota_account_outside_the_admin_group_is_named_as_the_cause(make_app: Callable[..., Flask],
                                                                       standin: NextcloudStandIn) -> None:
    app = make_app(["users"], **CONFIGURED)
    before = quotas(standin)
    cards = quota_cards(app)
    kind, message = cards["List users"]
    assert kind == "error" and "it must be in Nextcloud's admin group" in message
    assert "Logged in account must be at least a sub admin" in message  # what Nextcloud said
    kind, message = cards["Set quotas"]
    assert kind == "error" and "quota-service is not in Nextcloud's admin group" in message
    assert quotas(standin) == before
    german = quota_cards(app, "de")
    assert "Administratorgruppe" in german["Benutzer auflisten"][1]
    assert "Administratorgruppe" in german["Kontingente setzen"][1]


def test_a_wrong_password_and_an_unknown_account_are_named(make_app: Callable[..., Flask]) -> None:
    wrong = make_app(["admin"], NC_COOP_QUOTA_ADMIN_USER=QUOTA_ADMIN, NC_COOP_QUOTA_ADMIN_PASSWORD="not-it")
    kind, message = quota_cards(wrong)["Set quotas"]
    assert kind == "error" and "NC_COOP_QUOTA_ADMIN_PASSWORD must be that account's login password" in message
    unknown = make_app(None, NC_COOP_QUOTA_ADMIN_USER="nobody-here", NC_COOP_QUOTA_ADMIN_PASSWORD="x")
    kind, message = quota_cards(unknown)["List users"]
    assert kind == "error" and "there is no such account" in message


def test_without_a_quota_account_the_page_says_what_is_not_done(make_app: Callable[..., Flask],
                                                                standin: NextcloudStandIn) -> None:
    cards = quota_cards(make_app())
    assert cards == {"Quota account": ("info", "NC_COOP_QUOTA_ADMIN_USER is not set: quota changes in LDAP are "
                                                "not confirmed and local users' quotas are not written.")}
    local_off = make_app(["admin"], **CONFIGURED, NC_COOP_QUOTA_LOCAL_USERS="0")
    assert quota_cards(local_off)["Set quotas"][0] == "info"


def test_the_standin_answers_a_non_admin_quota_account_as_nextcloud_34_does(make_app: Callable[..., Flask],
                                                                            standin: NextcloudStandIn) -> None:
    app = make_app(["users"], **CONFIGURED)
    auth = (QUOTA_ADMIN, QUOTA_ADMIN_PASSWORD)
    headers = {"OCS-APIRequest": "true"}
    other = requests.put(f"{standin.url}/ocs/v1.php/cloud/users/alice?format=json", auth=auth, headers=headers,
                         data={"key": "quota", "value": "1 GB"}, timeout=10)
    assert other.status_code == 200
    assert other.json()["ocs"]["meta"] == {"status": "failure", "statuscode": 998, "message": "",
                                                "totalitems": "", "itemsperpage": ""}
    own = requests.put(f"{standin.url}/ocs/v1.php/cloud/users/{QUOTA_ADMIN}?format=json", auth=auth,
                       headers=headers, data={"key": "quota", "value": "1 GB"}, timeout=10)
    assert own.json()["ocs"]["meta"]["statuscode"] == 113
    assert standin.state.users["alice"].quota_bytes != GB
    gateway = app.extensions["nc_coop.gateway"]
    with pytest.raises(NextcloudNotFound) as refused:  # nc_py_api turns OCS 998 into 404
        gateway.set_quota_with_password("alice", str(GB), QUOTA_ADMIN, QUOTA_ADMIN_PASSWORD)
    assert str(refused.value) == "set_quota [404]"
    with pytest.raises(NextcloudForbidden, match="Logged in account must be at least a sub admin"):
        gateway.search_users("Alice", as_user=QUOTA_ADMIN)


def test_a_quota_change_refused_for_that_reason_says_so_in_the_change_log(world: World) -> None:
    world.standin.state.users[QUOTA_ADMIN].groups = ["users"]
    override(world, "alice", 7 * GB)

    report = world.apply()

    assert report.refused == 1
    with world.factory() as session:
        [change] = session.scalars(select(QuotaChange).where(QuotaChange.nextcloud_user_id == "alice")).all()
    assert change.status == REFUSED
    assert "quota account quota-service must be in Nextcloud's admin group" in (change.last_error or "")
    assert {(p.via, p.ocs_status) for p in world.quota_puts("alice")} == {("password", 998)}

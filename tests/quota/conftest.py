# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Quota fixtures: a world of the demo directory (a slapd of the test's own, which the tests
change), the register synced from it, and the Nextcloud stand-in with user_ldap pointed at that
slapd. Nothing is stubbed: writes go to slapd, reads and refreshes over HTTP to the stand-in.

Members: anna.schmidt (no. 1) and jonas.mueller (no. 2), natural persons; the TSV (no. 4, an
association: felix.schaefer, sophie.fischer) and Hoffmann IT (no. 5, a GmbH: marie.hoffmann,
lukas.becker) as organisations; alice is a local (non-LDAP) Nextcloud user with her own
membership (no. 7). felix.schaefer represents the TSV.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from nc_coop import create_app
from nc_coop.ldapsync.job import run_sync
from nc_coop.ldapsync.models import LdapEntry
from nc_coop.nextcloud import NextcloudGateway
from nc_coop.quota.apply import Applier, ApplyReport
from nc_coop.quota.settings import QuotaSettings
from nc_coop.register.models import Account, Party
from nc_coop.standin import NextcloudStandIn
from nc_coop.standin.state import StandInUser
from nc_coop.standin.userldap import LdapSource
from tests.migrated import migrate_for_test
from tests.conftest import INFO_XML, TEST_SECRET, app_config, get_db_engine, wait_for_init
from tests.ldap_support import Slapd
from tests.ldapsync.conftest import admin, admit, ldap_env, settings_for, with_statute

QUOTA_ADMIN = "quota-service"
GB = 1024**3
DISPLAY_NAMES = {"anna.schmidt": "Anna Schmidt", "jonas.mueller": "Jonas Müller", "lea.wagner": "Lea Wagner",
                 "felix.schaefer": "Felix Schäfer", "sophie.fischer": "Sophie Fischer",
                 "marie.hoffmann": "Marie Hoffmann", "lukas.becker": "Lukas Becker",
                 "juergen.krueger": "Jürgen Krüger"}


@dataclass
class World:
    app: Flask
    engine: Engine
    standin: NextcloudStandIn
    directory: Slapd
    parties: dict[str, int]  # "anna", "jonas", "tsv", "hoffmann", "alice" → party id

    @property
    def factory(self) -> sessionmaker[Session]:
        return sessionmaker(self.engine, expire_on_commit=False)

    @property
    def gateway(self) -> NextcloudGateway:
        return self.app.extensions["nc_coop.gateway"]

    @property
    def settings(self) -> QuotaSettings:
        return self.app.extensions["nc_coop.quota"]

    def applier(self, *, gateway: NextcloudGateway | None = None, settings: QuotaSettings | None = None,
                ldap_url: str | None = None) -> Applier:
        ldap = settings_for(self.directory, **({"NC_COOP_LDAP_URL": ldap_url} if ldap_url else {}))
        return Applier(self.factory, gateway or self.gateway, settings or self.settings, ldap, actor="test")

    def apply(self, **kwargs: Any) -> ApplyReport:
        force = kwargs.pop("force", False)
        return self.applier(**kwargs).run(force=force)

    def ldap_quota(self, uid: str) -> str | None:
        with admin(self.directory) as conn:
            conn.search(self.directory.user_dn(uid), "(objectClass=*)", attributes=["nextcloudQuota"])
            values = conn.entries[0].entry_attributes_as_dict.get("nextcloudQuota", [])
            return str(values[0]) if values else None

    def ldap_writes(self, uid: str) -> int:
        """Modify operations on the user's entry that slapd carried out (its own log: a MOD line
        and the RESULT with err=0 of the same connection and operation)."""
        log = (self.directory.workdir / "slapd.log").read_text(encoding="utf-8", errors="replace")
        dn = re.escape(self.directory.user_dn(uid))
        mods = set(re.findall(rf'(conn=\d+ op=\d+) MOD dn="{dn}"', log, re.IGNORECASE))
        ok = set(re.findall(r"(conn=\d+ op=\d+) RESULT tag=103 err=0\b", log))
        return len(mods & ok)

    def quota_puts(self, user_id: str) -> list[Any]:
        """Quota PUTs the stand-in answered for ``user_id`` (every attempt that reached it)."""
        return [c for c in self.standin.state.calls if c.method == "PUT" and c.path == f"/ocs/v1.php/cloud/users/{user_id}"]


def quota_config(directory: Slapd, **extra: str) -> dict[str, str]:
    return {**ldap_env(directory), "NC_COOP_QUOTA_ADMIN_USER": QUOTA_ADMIN,
            "NC_COOP_QUOTA_ADMIN_PASSWORD": f"{QUOTA_ADMIN}-password", **extra}


def build_world(database_url: str, standin: NextcloudStandIn, tmp_path: Path, directory: Slapd,
                **extra: str) -> World:
    app = create_app(app_config(database_url, standin, tmp_path, **quota_config(directory, **extra)))
    app.config["TESTING"] = True
    standin.register("nc_coop", TEST_SECRET, "0.1.0", "http://127.0.0.1:9", INFO_XML).enabled = True
    engine = get_db_engine(app)
    migrate_for_test(engine)
    # user_ldap: the stand-in reads quotas with Nextcloud's own agent account.
    standin.connect_ldap(LdapSource(directory.url, directory.nextcloud_dn, directory.nextcloud_password))
    standin.state.users[QUOTA_ADMIN] = StandInUser(QUOTA_ADMIN, "Quota Service", ["admin"])
    for uid, name in DISPLAY_NAMES.items():
        standin.add_ldap_user(uid, name, directory.user_dn(uid), used_bytes=300 * 1024**2)
    with_statute(engine)
    parties = {"anna": admit(engine, member_no=1, name="Anna Schmidt"),
               "jonas": admit(engine, member_no=2, name="Jonas Müller"),
               "tsv": admit(engine, member_no=4, kind="association", name="TSV Musterstadt 1890 e.V."),
               "hoffmann": admit(engine, member_no=5, kind="legal_person", name="Hoffmann IT GmbH"),
               "alice": admit(engine, member_no=7, name="Alice Normal")}
    report = run_sync(engine, settings_for(directory), full=True)
    assert report.status == "ok", report.errors
    with Session(engine) as session, session.begin():
        session.add(Account(nextcloud_user_id="alice", party_id=parties["alice"], role="self",
                            created_at=datetime.now(UTC)))
        session.add(Account(nextcloud_user_id="felix.schaefer", party_id=parties["tsv"], role="representative",
                            created_at=datetime.now(UTC)))
    return World(app, engine, standin, directory, parties)


@pytest.fixture
def world(database_url: str, standin: NextcloudStandIn, tmp_path: Path, directory: Slapd) -> Iterator[World]:
    built = build_world(database_url, standin, tmp_path, directory)
    yield built
    built.app.extensions["nc_coop.quota.runner"].wait(30)
    wait_for_init(built.app)
    built.engine.dispose()


@pytest.fixture
def make_world(database_url: str, standin: NextcloudStandIn, tmp_path: Path,
               directory: Slapd) -> Iterator[Callable[..., World]]:
    """A world with extra settings (e.g. NC_COOP_QUOTA_TRY_APPAPI=1)."""
    built: list[World] = []

    def make(**extra: str) -> World:
        built.append(build_world(database_url, standin, tmp_path, directory, **extra))
        return built[-1]

    yield make
    for w in built:
        w.app.extensions["nc_coop.quota.runner"].wait(30)
        w.engine.dispose()


def entry_dn(engine: Engine, uid: str) -> str:
    with Session(engine) as session:
        return session.scalars(select(LdapEntry.dn).where(LdapEntry.uid == uid)).one()


def party(engine: Engine, party_id: int) -> Party | None:
    with Session(engine) as session:
        return session.get(Party, party_id)


TODAY = date.today()

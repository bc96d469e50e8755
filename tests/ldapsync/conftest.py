# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""LDAP sync fixtures: a migrated database (SQLite, and PostgreSQL when configured), a
throw-away slapd per test with the demo directory and BULK more people (the demo directory
alone is ``directory`` in tests/conftest.py), settings for it, and helpers to change the
directory as its admin and to look at the database."""
from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from nc_coop.db import make_engine
from nc_coop.ldapsync._ldap3 import NONE, Connection, Server
from nc_coop.ldapsync.models import LdapEntry
from nc_coop.ldapsync.settings import LdapSettings, load_ldap_settings
from nc_coop.models import metadata
from nc_coop.register.services import Actor, admit_member
from nc_coop.register.statutes import add_statute_version
from tests.migrated import migrate_for_test
from tests.ldap_support import DEMO_LDIF, Slapd, own_slapd
from tests.register.conftest import STATUTE, make_party

OFFICE = Actor("office", "test-request")
BULK = 600  # more than the 500 entries cn=nc_coop-limited may read (ldap/acl.ldif)


# The ids the sync writes without a foreign key: exactly those migration 0009 dropped.
UNCHECKED_IDS = importlib.import_module("nc_coop.migrations.versions.0009_ldap_sync_bulk_writes").DROPPED


def dangling_ids(engine: Engine) -> dict[str, int]:
    """'table.column' -> rows whose id names no row of the referenced table (none, if the sync
    wrote what it should)."""
    found = {}
    with engine.connect() as conn:
        for table, column, referred in UNCHECKED_IDS:
            count = conn.exec_driver_sql(
                f"SELECT COUNT(*) FROM {table} t LEFT JOIN {referred} r ON r.id = t.{column} "
                f"WHERE t.{column} IS NOT NULL AND r.id IS NULL").scalar()
            if count:
                found[f"{table}.{column}"] = count
    return found


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated database. After the test, every id the sync wrote without a foreign key
    must resolve."""
    engine = make_engine(database_url)
    migrate_for_test(engine)
    try:
        yield engine
        assert dangling_ids(engine) == {}
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def bulk_ldif(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """BULK more people, to add to ldap/demo.ldif."""
    path = tmp_path_factory.mktemp("ldif") / "bulk.ldif"
    path.write_text("".join(
        f"dn: uid=bulk{i:04d},ou=people,dc=coop,dc=example\nobjectClass: inetOrgPerson\nuid: bulk{i:04d}\n"
        f"cn: Bulk {i}\nsn: Bulk\ngivenName: Person{i}\n\n" for i in range(BULK)))
    return path


@pytest.fixture
def big_directory(tmp_path: Path, bulk_ldif: Path) -> Iterator[Slapd]:
    """Like ``directory`` (tests/conftest.py), with BULK more people."""
    with own_slapd(tmp_path / "ldap", DEMO_LDIF, bulk_ldif) as instance:
        yield instance


def ldap_env(slapd: Slapd, *, limited: bool = False, **extra: str) -> dict[str, str]:
    dn, password = (slapd.limited_dn, slapd.limited_password) if limited else (slapd.sync_dn, slapd.sync_password)
    return {"NC_COOP_LDAP_URL": slapd.url, "NC_COOP_LDAP_BIND_DN": dn, "NC_COOP_LDAP_BIND_PASSWORD": password,
            "NC_COOP_LDAP_USER_BASE": slapd.people_base, "NC_COOP_LDAP_GROUP_BASE": slapd.groups_base,
            "NC_COOP_LDAP_TIMEOUT": "5", **extra}


def settings_for(slapd: Slapd, **extra: str) -> LdapSettings:
    limited = extra.pop("limited", "") == "1"
    return load_ldap_settings(ldap_env(slapd, limited=limited, **extra))


@contextmanager
def admin(slapd: Slapd) -> Iterator[Connection]:
    """The directory's rootdn, to change entries as an LDAP admin would."""
    conn = Connection(Server(slapd.url, get_info=NONE, connect_timeout=5), user=slapd.admin_dn,
                      password=slapd.admin_password, raise_exceptions=True, receive_timeout=10)
    conn.bind()
    try:
        yield conn
    finally:
        conn.unbind()


def add_person(conn: Connection, slapd: Slapd, uid: str, *, given: str = "Test", family: str = "Person",
               member_no: int | None = None, dn: str | None = None) -> str:
    dn = dn or slapd.user_dn(uid)
    classes = ["inetOrgPerson"] + (["ncCoopMember"] if member_no is not None else [])
    attrs: dict[str, Any] = {"uid": uid, "cn": f"{given} {family}", "sn": family, "givenName": given,
                             "mail": f"{uid.replace('*', 'x').replace('(', 'x').replace(')', 'x')}@coop.example"}
    if member_no is not None:
        attrs["ncCoopMemberNumber"] = str(member_no)
    conn.add(dn, classes, attrs)
    return dn


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows in every table of the schema."""
    with Session(engine) as session:
        return {t.name: session.scalar(select(func.count()).select_from(t)) or 0 for t in metadata.sorted_tables}


def entries(engine: Engine) -> dict[str, LdapEntry]:
    """ldap_entry rows by uid (users) or cn (groups)."""
    with Session(engine) as session:
        return {e.uid or e.dn: e for e in session.scalars(select(LdapEntry))}


def with_statute(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        add_statute_version(session, actor="office", version=1, adopted_at=date(2019, 5, 1),
                            registered_at=date(2019, 7, 1), params=STATUTE)


def admit(engine: Engine, *, member_no: int, kind: str = "natural", name: str = "Erika Mustermann") -> int:
    """A member admitted by the board (with the given number); returns the party id."""
    with Session(engine) as session, session.begin():
        party = make_party(session, kind, name)
        admit_member(session, OFFICE, party_id=party.id, admitted_on=date(2024, 1, 10), shares=3,
                     member_no=member_no)
        return party.id

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The files in ldap/ (schema, ACLs, demo data, slapd.sh) against a real slapd."""

from __future__ import annotations

import os
import subprocess
import warnings
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():
    # ldap3 2.9.1 imports names that pyasn1 0.6.1+ deprecates (tagMap, typeMap).
    warnings.filterwarnings(
        "ignore", category=DeprecationWarning, module=r"ldap3\.utils\.asn1"
    )
    from ldap3 import (
        BASE,
        DSA,
        LEVEL,
        MODIFY_ADD,
        MODIFY_DELETE,
        MODIFY_REPLACE,
        NONE,
        SUBTREE,
        Connection,
        Server,
    )
    from ldap3.utils.conv import escape_filter_chars

REPO = Path(__file__).resolve().parents[2]

SUCCESS = 0
SIZE_LIMIT_EXCEEDED = 4
NO_SUCH_OBJECT = 32
INVALID_CREDENTIALS = 49
INSUFFICIENT_ACCESS_RIGHTS = 50

PAGED_RESULTS_OID = "1.2.840.113556.1.4.319"
SYNCREPL_OID = "1.3.6.1.4.1.4203.1.9.1.1"

DEMO_UIDS = {
    "anna.schmidt",
    "jonas.mueller",
    "lea.wagner",
    "felix.schaefer",
    "sophie.fischer",
    "marie.hoffmann",
    "lukas.becker",
    "juergen.krueger",
}
BULK_USERS = 1200
LIMIT = 500  # olcLimits of cn=nc_coop-limited (ldap/acl.ldif)


@contextmanager
def bound(slapd: Any, dn: str | None = None, password: str | None = None,
          *, raise_exceptions: bool = False) -> Iterator[Connection]:
    """A bound ldap3 connection (anonymous without dn) that is always unbound."""
    server = Server(slapd.url, get_info=NONE, connect_timeout=5)
    conn = Connection(server, user=dn, password=password,
                      raise_exceptions=raise_exceptions, receive_timeout=10)
    try:
        assert conn.bind(), conn.result
        yield conn
    finally:
        conn.unbind()


def as_sync(slapd: Any, **kwargs: Any) -> AbstractContextManager[Connection]:
    return bound(slapd, slapd.sync_dn, slapd.sync_password, **kwargs)


def as_admin(slapd: Any) -> AbstractContextManager[Connection]:
    return bound(slapd, slapd.admin_dn, slapd.admin_password, raise_exceptions=True)


def paged_cookie(conn: Connection) -> bytes | None:
    """The cookie of the last paged-results response; None if there was no control."""
    control = (conn.result.get("controls") or {}).get(PAGED_RESULTS_OID)
    return None if control is None else control["value"]["cookie"]


# --- demo data -------------------------------------------------------------


def test_demo_people_are_present(slapd: Any) -> None:
    with as_sync(slapd) as conn:
        conn.search(slapd.people_base, "(objectClass=inetOrgPerson)", LEVEL,
                    attributes=["uid", "cn", "mail", "nextcloudQuota", "ncCoopMemberNumber"])
        people = {entry.uid.value: entry for entry in conn.entries}

    assert set(people) == DEMO_UIDS
    jonas = people["jonas.mueller"]
    assert jonas.cn.value == "Jonas Müller"
    assert jonas.mail.value == "jonas.mueller@coop.example"
    assert jonas.nextcloudQuota.value == "500 MB"
    assert jonas.ncCoopMemberNumber.value == "2"
    assert people["marie.hoffmann"].nextcloudQuota.value == "10737418240"
    assert people["lea.wagner"].nextcloudQuota.value is None


def test_demo_member_organisations(slapd: Any) -> None:
    with as_sync(slapd) as conn:
        conn.search(slapd.groups_base, "(objectClass=groupOfNames)", LEVEL,
                    attributes=["cn", "o", "member", "ncCoopMemberNumber"])
        groups = {entry.cn.value: entry for entry in conn.entries}

    assert {name: groups[name].ncCoopMemberNumber.value for name in groups} == {
        "tsv-musterstadt": "4", "hoffmann-it": "5", "kanzlei-krueger": "6",
    }
    assert groups["kanzlei-krueger"].o.value == "Kanzlei Krüger & Partner"
    assert set(groups["hoffmann-it"].member.values) == {
        slapd.user_dn("marie.hoffmann"), slapd.user_dn("lukas.becker"),
    }


def test_member_number_uses_integer_matching(slapd: Any) -> None:
    with as_sync(slapd) as conn:
        conn.search(slapd.base, "(&(objectClass=ncCoopMember)(ncCoopMemberNumber<=3))",
                    SUBTREE, attributes=["uid"])
        assert sorted(entry.uid.value for entry in conn.entries) == [
            "anna.schmidt", "jonas.mueller", "lea.wagner",
        ]
        conn.search(slapd.base, "(ncCoopMemberNumber=5)", SUBTREE, attributes=["cn"])
        assert [entry.cn.value for entry in conn.entries] == ["hoffmann-it"]
        # Compared as strings, "2" to "6" would all sort after "10".
        conn.search(slapd.base, "(ncCoopMemberNumber>=10)", SUBTREE, attributes=["cn"])
        assert conn.entries == []


@pytest.mark.parametrize("account", ["sync", "limited", "nextcloud", "person"])
def test_demo_accounts_can_bind(slapd: Any, account: str) -> None:
    dn, password = {
        "sync": (slapd.sync_dn, slapd.sync_password),
        "limited": (slapd.limited_dn, slapd.limited_password),
        "nextcloud": (slapd.nextcloud_dn, slapd.nextcloud_password),
        "person": (slapd.user_dn("anna.schmidt"), slapd.people_password),
    }[account]
    with bound(slapd, dn, password) as conn:
        assert conn.extend.standard.who_am_i() == f"dn:{dn}"


def test_wrong_password_is_rejected(slapd: Any) -> None:
    server = Server(slapd.url, get_info=NONE, connect_timeout=5)
    conn = Connection(server, user=slapd.sync_dn, password="wrong", receive_timeout=10)
    try:
        assert not conn.bind()
        assert conn.result["result"] == INVALID_CREDENTIALS
    finally:
        conn.unbind()


def test_root_dse_advertises_paging_and_syncrepl(slapd: Any) -> None:
    server = Server(slapd.url, get_info=DSA, connect_timeout=5)
    conn = Connection(server, receive_timeout=10)
    try:
        assert conn.bind()
        controls = {control[0] for control in server.info.supported_controls}
    finally:
        conn.unbind()
    assert {PAGED_RESULTS_OID, SYNCREPL_OID} <= controls


# --- what the sync account reads ----------------------------------------------


def test_sync_reads_operational_attributes_but_no_passwords(slapd: Any) -> None:
    with as_sync(slapd) as conn:
        conn.search(slapd.base, "(|(uid=anna.schmidt)(cn=hoffmann-it))", SUBTREE,
                    attributes=["*", "entryUUID", "createTimestamp", "modifyTimestamp"])
        entries = conn.entries

    assert len(entries) == 2
    for entry in entries:
        attributes = set(entry.entry_attributes)
        assert {"entryUUID", "createTimestamp", "modifyTimestamp"} <= attributes
        assert "userPassword" not in attributes


def run_as_admin(slapd: Any, tool: str, *args: str, stdin: str = "") -> None:
    """Run an ldap-utils tool (C, much faster than ldap3 for bulk work) as rootdn."""
    password_file = slapd.workdir / "admin.password"
    password_file.touch(mode=0o600)
    password_file.write_text(slapd.admin_password)  # -y uses the whole file: no newline
    result = subprocess.run(
        [tool, "-x", "-H", slapd.url, "-D", slapd.admin_dn, "-y", str(password_file), *args],
        input=stdin, capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "LDAPNOINIT": "1"})
    assert result.returncode == 0, f"{tool} failed: {result.stderr}"


@pytest.fixture(scope="module")
def bulk_users(slapd: Any) -> Iterator[int]:
    """1,200 extra people under ou=bulk,ou=people, added online as rootdn."""
    bulk_base = f"ou=bulk,{slapd.people_base}"
    ldif = [f"dn: {bulk_base}\nobjectClass: organizationalUnit\nou: bulk\n"]
    ldif += [
        f"dn: uid=bulk{number:05d},{bulk_base}\nobjectClass: inetOrgPerson\n"
        f"uid: bulk{number:05d}\ncn: Bulk User {number}\nsn: User\n"
        for number in range(BULK_USERS)
    ]
    run_as_admin(slapd, "ldapadd", stdin="\n".join(ldif))
    try:
        yield len(DEMO_UIDS) + BULK_USERS
    finally:
        run_as_admin(slapd, "ldapdelete", "-r", bulk_base)


def test_sync_paged_search_reads_all_entries(slapd: Any, bulk_users: int) -> None:
    with as_sync(slapd, raise_exceptions=True) as conn:
        uuids = {
            entry["attributes"]["entryUUID"][0]
            for entry in conn.extend.standard.paged_search(
                slapd.people_base, "(objectClass=inetOrgPerson)", SUBTREE,
                attributes=["uid", "entryUUID", "modifyTimestamp"],
                paged_size=200, generator=True)
            if entry["type"] == "searchResEntry"
        }
        # The completeness check the sync job needs: ldap3 does not raise on
        # sizeLimitExceeded, so look at the final result code and cookie.
        assert conn.result["result"] == SUCCESS
        assert paged_cookie(conn) == b""
    assert len(uuids) == bulk_users > LIMIT


def test_sync_plain_search_is_not_limited(slapd: Any, bulk_users: int) -> None:
    with as_sync(slapd) as conn:
        conn.search(slapd.people_base, "(objectClass=inetOrgPerson)", SUBTREE,
                    attributes=["uid"])
        assert conn.result["result"] == SUCCESS
        assert len(conn.entries) == bulk_users


# --- the size-limit trap ----------------------------------------------------


def test_limited_account_paged_search_is_truncated_without_exception(
        slapd: Any, bulk_users: int) -> None:
    """The trap: even with raise_exceptions=True, ldap3 stops quietly at 500."""
    with bound(slapd, slapd.limited_dn, slapd.limited_password,
               raise_exceptions=True) as conn:
        entries = [
            entry for entry in conn.extend.standard.paged_search(
                slapd.people_base, "(objectClass=inetOrgPerson)", SUBTREE,
                attributes=["uid"], paged_size=200, generator=True)
            if entry["type"] == "searchResEntry"
        ]
        assert conn.result["result"] == SIZE_LIMIT_EXCEEDED
        assert paged_cookie(conn) is None  # the last response has no paging control
    assert len(entries) == LIMIT < bulk_users


@pytest.mark.parametrize(("page_size", "pages"), [
    # (entries, result code, a non-empty cookie came back) for each page
    (200, [(200, SUCCESS, True), (200, SUCCESS, True), (100, SIZE_LIMIT_EXCEEDED, False)]),
    (499, [(499, SUCCESS, True), (1, SIZE_LIMIT_EXCEEDED, False)]),
    (500, [(500, SUCCESS, True), (0, SIZE_LIMIT_EXCEEDED, False)]),
    (1000, [(500, SIZE_LIMIT_EXCEEDED, False)]),
])
def test_limited_account_page_by_page(slapd: Any, bulk_users: int, page_size: int,
                                      pages: list[tuple[int, int, bool]]) -> None:
    """The limit counts entries over all pages (size.prtotal defaults to size.hard)."""
    seen: list[tuple[int, int, bool]] = []
    cookie: bytes | None = None
    with bound(slapd, slapd.limited_dn, slapd.limited_password) as conn:
        while True:
            conn.search(slapd.people_base, "(objectClass=inetOrgPerson)", SUBTREE,
                        attributes=["uid"], paged_size=page_size, paged_cookie=cookie)
            cookie = paged_cookie(conn)
            seen.append((len(conn.entries), conn.result["result"], bool(cookie)))
            if not cookie or conn.result["result"] != SUCCESS:
                break
    assert seen == pages


def test_limited_account_plain_search_stops_at_limit(slapd: Any, bulk_users: int) -> None:
    with bound(slapd, slapd.limited_dn, slapd.limited_password,
               raise_exceptions=True) as conn:
        conn.search(slapd.people_base, "(objectClass=inetOrgPerson)", SUBTREE,
                    attributes=["uid"])
        assert conn.result["result"] == SIZE_LIMIT_EXCEEDED
        assert len(conn.entries) == LIMIT


# --- what the sync account may write ---------------------------------------------


def test_sync_can_change_quota(slapd: Any) -> None:
    dn = slapd.user_dn("anna.schmidt")
    try:
        with as_sync(slapd) as conn:
            assert conn.modify(dn, {"nextcloudQuota": [(MODIFY_REPLACE, ["3 GB"])]}), conn.result
            conn.search(dn, "(objectClass=*)", BASE, attributes=["nextcloudQuota"])
            assert conn.entries[0].nextcloudQuota.value == "3 GB"
    finally:
        with as_admin(slapd) as conn:
            conn.modify(dn, {"nextcloudQuota": [(MODIFY_REPLACE, ["2 GB"])]})


def test_sync_can_give_a_quota_to_a_user_without_nextcloud_class(slapd: Any) -> None:
    dn = slapd.user_dn("lea.wagner")
    try:
        with as_sync(slapd) as conn:
            assert conn.modify(dn, {
                "objectClass": [(MODIFY_ADD, ["nextcloudUser"])],
                "nextcloudQuota": [(MODIFY_ADD, ["1 GB"])],
            }), conn.result
    finally:
        with as_admin(slapd) as conn:
            conn.modify(dn, {
                "nextcloudQuota": [(MODIFY_DELETE, [])],
                "objectClass": [(MODIFY_DELETE, ["nextcloudUser"])],
            })


ANNA = "uid=anna.schmidt,ou=people,{base}"


@pytest.mark.parametrize(("target", "changes"), [
    (ANNA, {"mail": [(MODIFY_REPLACE, ["evil@example.org"])]}),
    (ANNA, {"ncCoopMemberNumber": [(MODIFY_REPLACE, ["99"])]}),
    (ANNA, {"userPassword": [(MODIFY_REPLACE, ["secret"])]}),
    ("uid=sophie.fischer,ou=people,{base}", {
        "objectClass": [(MODIFY_ADD, ["ncCoopMember"])],
        "ncCoopMemberNumber": [(MODIFY_ADD, ["99"])],
    }),
    ("cn=hoffmann-it,ou=groups,{base}", {"member": [(MODIFY_ADD, [ANNA])]}),
    ("cn=nc_coop-limited,ou=services,{base}", {"description": [(MODIFY_REPLACE, ["x"])]}),
], ids=["mail", "member-number", "password", "object-class", "group-member", "service"])
def test_sync_cannot_write_anything_else(slapd: Any, target: str,
                                         changes: dict[str, Any]) -> None:
    changes = {
        name: [(op, [value.format(base=slapd.base) for value in values])
               for op, values in ops]
        for name, ops in changes.items()
    }
    with as_sync(slapd) as conn:
        assert not conn.modify(target.format(base=slapd.base), changes)
        assert conn.result["result"] == INSUFFICIENT_ACCESS_RIGHTS


def test_sync_cannot_add_or_delete_entries(slapd: Any) -> None:
    with as_sync(slapd) as conn:
        assert not conn.add(slapd.user_dn("intruder"), "inetOrgPerson",
                            {"uid": "intruder", "cn": "Intruder", "sn": "Intruder"})
        assert conn.result["result"] == INSUFFICIENT_ACCESS_RIGHTS
        assert not conn.delete(slapd.user_dn("lukas.becker"))
        assert conn.result["result"] == INSUFFICIENT_ACCESS_RIGHTS


@pytest.mark.parametrize("account", ["limited", "nextcloud", "person"])
def test_other_accounts_cannot_write_quota(slapd: Any, account: str) -> None:
    dn, password = {
        "limited": (slapd.limited_dn, slapd.limited_password),
        "nextcloud": (slapd.nextcloud_dn, slapd.nextcloud_password),
        "person": (slapd.user_dn("anna.schmidt"), slapd.people_password),
    }[account]
    with bound(slapd, dn, password) as conn:
        assert not conn.modify(slapd.user_dn("anna.schmidt"),
                               {"nextcloudQuota": [(MODIFY_REPLACE, ["1 TB"])]})
        assert conn.result["result"] == INSUFFICIENT_ACCESS_RIGHTS


# --- what everybody else sees ---------------------------------------------------


def test_anonymous_reads_nothing(slapd: Any) -> None:
    with bound(slapd) as conn:
        conn.search(slapd.people_base, "(objectClass=*)", SUBTREE, attributes=["*"])
        assert conn.entries == []
        # Not even the existence of ou=people is disclosed.
        assert conn.result["result"] == NO_SUCH_OBJECT

        conn.search(slapd.base, "(objectClass=*)", SUBTREE, attributes=["*"])
        assert conn.entries == []
        assert conn.result["result"] == NO_SUCH_OBJECT


def test_a_person_cannot_read_the_directory(slapd: Any) -> None:
    with bound(slapd, slapd.user_dn("anna.schmidt"), slapd.people_password) as conn:
        conn.search(slapd.people_base, "(uid=*)", SUBTREE, attributes=["uid"])
        assert conn.entries == []


def test_escaped_filter_value_matches_nothing(slapd: Any) -> None:
    value = "*)(uid=*"
    template = "(&(objectClass=inetOrgPerson)(uid={}))"
    with as_sync(slapd) as conn:
        conn.search(slapd.people_base, template.format(escape_filter_chars(value)),
                    LEVEL, attributes=["uid"])
        assert conn.result["result"] == SUCCESS
        assert conn.entries == []
        # The same value unescaped turns into a filter that matches everybody.
        conn.search(slapd.people_base, template.format(value), LEVEL, attributes=["uid"])
        assert {entry.uid.value for entry in conn.entries} == DEMO_UIDS


# --- the script and the directory layout ------------------------------------------------


def test_second_start_in_same_workdir_is_refused(slapd: Any) -> None:
    result = subprocess.run(
        ["bash", str(REPO / "ldap" / "slapd.sh"), "start", str(slapd.workdir)],
        capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode != 0
    assert "already running" in result.stderr
    assert result.stdout == ""


def test_ldap_directory_is_not_a_python_package() -> None:
    """ldap/ must never shadow the python-ldap module "ldap"."""
    assert not list((REPO / "ldap").rglob("*.py"))

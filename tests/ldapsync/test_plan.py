# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The pure parts of the sync: normalising, hashing, filters and the diff."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from nc_coop.ldapsync.plan import (
    DirGroup,
    DirUser,
    Stored,
    attr_hash,
    changed_fields,
    disable_refusal,
    generalized_time,
    newest,
    normalise_dn,
    parse_generalized_time,
    parse_member_no,
    plan_entries,
    plan_memberships,
    since_filter,
    value_filter,
)
from nc_coop.ldapsync.settings import LdapSettings


def user(uuid: str, uid: str | None = None, **attrs: object) -> DirUser:
    return DirUser(entry_uuid=uuid, dn=f"uid={uid or uuid},ou=people,dc=x", uid=uid or uuid, **attrs)  # type: ignore[arg-type]


def stored(record: DirUser, id_: int, **extra: object) -> Stored:
    return Stored(id=id_, entry_uuid=record.entry_uuid, kind="user", dn=record.dn,
                  attr_hash=attr_hash(record.attrs()), **extra)  # type: ignore[arg-type]


def test_plan_finds_created_changed_unchanged_and_restored() -> None:
    a, b, c, d = user("a"), user("b"), user("c"), user("d")
    db = {"a": stored(a, 1), "b": stored(b, 2), "d": stored(d, 4, missing_full_runs=2, disabled=True)}
    b2 = user("b", mail="new@example.org")
    plan = plan_entries(db, [a, b2, c, d], find_missing=True, missing_runs=3)
    assert [r.entry_uuid for r in plan.created] == ["c"]
    assert [(s.id, r.mail) for s, r in plan.changed] == [(2, "new@example.org")]
    assert [s.id for s in plan.unchanged] == [1, 4]
    assert [s.id for s in plan.restored] == [4]
    assert plan.missing == [] and plan.to_disable == []
    assert plan.counts() == {"created": 1, "changed": 1, "unchanged": 2, "missing": 0, "disabled": 0, "restored": 1}


def test_missing_counts_full_runs_and_disables_at_the_limit() -> None:
    a, b, c = user("a"), user("b"), user("c")
    db = {"a": stored(a, 1), "b": stored(b, 2, missing_full_runs=1), "c": stored(c, 3, disabled=True)}
    plan = plan_entries(db, [], find_missing=True, missing_runs=2)
    assert [(s.id, runs) for s, runs in plan.missing] == [(1, 1), (2, 2)]  # disabled ones are done
    assert [s.id for s in plan.to_disable] == [2]
    assert plan_entries(db, [], find_missing=False, missing_runs=2).missing == []  # incremental or cut short


def test_a_rename_is_a_change_and_a_duplicate_is_reported() -> None:
    a = user("a", "anna")
    renamed = user("a", "anna.neu")
    plan = plan_entries({"a": stored(a, 1)}, [renamed, renamed], find_missing=False, missing_runs=3)
    assert [s.id for s, _ in plan.changed] == [1] and plan.duplicates == ["a"]
    assert changed_fields(a.attrs(), renamed.attrs()) == ["dn", "uid"]


def test_group_hash_covers_the_member_list() -> None:
    g1 = DirGroup("g", "cn=g,ou=groups", "g", "G e.V.", 4, ("uid=a,ou=p",))
    g2 = DirGroup("g", "cn=g,ou=groups", "g", "G e.V.", 4, ("uid=a,ou=p", "uid=b,ou=p"))
    assert attr_hash(g1.attrs()) != attr_hash(g2.attrs())
    assert attr_hash(g1.attrs()) == attr_hash(DirGroup("g", "cn=g,ou=groups", "g", "G e.V.", 4, ("uid=a,ou=p",),
                                                        changed_at="20260101000000Z").attrs())


def test_memberships_diff_only_for_groups_read_and_ends_only_when_allowed() -> None:
    desired = {10: {1, 2}, 11: set()}
    active = {10: {2: 100, 3: 101}, 11: {4: 102}, 12: {5: 103}}
    assert plan_memberships(desired, active, may_end=True) == ([(10, 1)], [101, 102])
    assert plan_memberships(desired, active, may_end=False) == ([(10, 1)], [])


@pytest.mark.parametrize(("linked", "to_disable", "refused"), [(100, 50, False), (100, 51, True),
                                                                (10_000, 200, False), (10_000, 201, True)])
def test_disable_limit_is_max_of_count_and_percent(linked: int, to_disable: int, refused: bool) -> None:
    settings = LdapSettings(urls=("ldap://x",), bind_dn="cn=x", bind_password="p")
    limit = settings.disable_limit(linked)
    assert (disable_refusal(to_disable, linked, limit) is not None) == refused


def test_dn_normalisation() -> None:
    assert normalise_dn("UID=Anna , OU=People,dc=Coop") == "uid=anna,ou=people,dc=coop"


@pytest.mark.parametrize(("raw", "expected"), [("5", 5), (" 12 ", 12), ("x", None), ("0", None), (None, None),
                                               ("99999999999", None)])
def test_member_numbers(raw: str | None, expected: int | None) -> None:
    assert parse_member_no(raw) == expected


def test_generalized_time_round_trip_and_newest() -> None:
    moment = parse_generalized_time("20261126231600Z")
    assert moment == datetime(2026, 11, 26, 23, 16, tzinfo=UTC)
    assert parse_generalized_time("20261126231600.5Z") == moment
    assert generalized_time(moment) == "20261126231600Z"
    assert newest("20261126231600Z", "20261126231601Z") == "20261126231601Z"
    assert newest(None, "20261126231601Z") == "20261126231601Z" and newest(None, None) is None


def test_incremental_filter_subtracts_the_overlap() -> None:
    assert since_filter("(objectClass=inetOrgPerson)", "20261126231600Z", 120) == (
        "(&(objectClass=inetOrgPerson)(|(modifyTimestamp>=20261126231400Z)(createTimestamp>=20261126231400Z)))")


def test_filter_values_are_escaped() -> None:
    assert value_filter("(objectClass=*)", "uid", "*)(uid=*") == "(&(objectClass=*)(uid=\\2a\\29\\28uid=\\2a))"
    assert value_filter("(objectClass=*)", "uid", "a\\b\x00") == "(&(objectClass=*)(uid=a\\5cb\\00))"

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The sync against a real slapd: add, change, rename, remove and reappear, group moves, dry run,
the mass-disable guard, and what the register holds afterwards (SQLite and PostgreSQL)."""
from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from nc_coop.audit.chain import verify
from nc_coop.audit.models import AuditEvent
from nc_coop.ldapsync.job import run_sync
from nc_coop.ldapsync.models import LdapEntry, LdapOrgUser, LdapSyncRun, LdapSyncState
from nc_coop.ldapsync.plan import GROUP
from nc_coop.register.models import Account, Membership, Party
from nc_coop.register.queries import visible_membership_ids
from tests.ldap_support import Slapd
from tests.ldapsync.conftest import add_person, admin, admit, entries, settings_for, table_counts, with_statute

DEMO_UIDS = {"anna.schmidt", "jonas.mueller", "lea.wagner", "felix.schaefer", "sophie.fischer", "marie.hoffmann",
             "lukas.becker", "juergen.krueger"}


def org_users(engine: Engine, *, active: bool = True) -> set[tuple[str, str]]:
    """(group cn, user uid) of organisation users, active or ended."""
    with Session(engine) as session:
        by_id = {e.id: e.uid for e in session.scalars(select(LdapEntry))}
        rows = session.scalars(select(LdapOrgUser).where(
            LdapOrgUser.ended_at.is_(None) if active else LdapOrgUser.ended_at.is_not(None)))
        return {(by_id[r.group_entry_id], by_id[r.user_entry_id]) for r in rows}


def test_first_full_run_links_creates_and_audits_but_admits_nobody(engine: Engine, directory: Slapd) -> None:
    with_statute(engine)
    anna_party = admit(engine, member_no=1, name="Anna Schmidt")  # linked by member number
    org_party = admit(engine, member_no=5, kind="legal_person", name="Hoffmann IT GmbH")  # group's number
    with Session(engine) as session, session.begin():  # lea's own account exists already: linked by uid
        lea_party = Party(kind="natural", given_names="Lea", family_name="Wagner", postal_address="Weg 1",
                          created_at=datetime.now(UTC))
        session.add(lea_party)
        session.flush()
        lea_party_id = lea_party.id
        session.add(Account(nextcloud_user_id="lea.wagner", party_id=lea_party_id, role="self",
                            created_at=datetime.now(UTC)))
    before = table_counts(engine)

    report = run_sync(engine, settings_for(directory), full=True)

    assert (report.status, report.applied, report.complete, report.mode) == ("ok", True, True, "full")
    assert report.counts["users_read"] == 8 and report.counts["groups_read"] == 3
    assert report.counts["created"] == 11 and report.counts["memberships_changed"] == 6
    stored = entries(engine)
    assert {u for u, e in stored.items() if e.kind == "user"} == DEMO_UIDS
    with Session(engine) as session:
        anna = stored["anna.schmidt"]
        assert anna.party_id == anna_party and not anna.owns_party
        assert session.get(Account, anna.account_id).nextcloud_user_id == "anna.schmidt"
        assert stored["lea.wagner"].party_id == lea_party_id  # no second party for lea
        assert stored["hoffmann-it"].party_id == org_party and stored["hoffmann-it"].kind == GROUP
        tsv = session.get(Party, stored["tsv-musterstadt"].party_id)
        assert (tsv.kind, tsv.legal_name) == ("association", "TSV Musterstadt 1890 e.V.")
        jonas = session.get(Party, stored["jonas.mueller"].party_id)
        assert (jonas.kind, jonas.given_names, jonas.family_name, jonas.email) == (
            "natural", "Jonas", "Müller", "jonas.mueller@coop.example")
        accounts = session.scalars(select(Account)).all()
        assert {a.role for a in accounts} == {"self"}  # organisation users are no representatives
        # Joining the eG is the board's decision: the sync admits nobody.
        assert session.scalars(select(Membership.member_no)).all() == [1, 5]
        assert verify(session).ok
        events = session.scalars(select(AuditEvent).where(AuditEvent.actor == "ldap-sync")).all()
        assert {e.action for e in events} == {"ldap.sync.users_created", "ldap.sync.groups_created",
                                              "ldap.sync.org_users_added"}
        audited = json.loads(next(e.diff for e in events if e.action == "ldap.sync.users_created"))
        assert sorted(audited["entries"]) == sorted(e.id for e in stored.values() if e.kind == "user")
        assert "Müller" not in "".join(e.diff for e in events) and "@" not in "".join(e.diff for e in events)
        assert session.get(LdapSyncState, "ldap-sync").high_water is not None
    after = table_counts(engine)
    assert after["party"] - before["party"] == 6 + 2  # 6 people, 2 organisations (one linked by number)
    assert org_users(engine) == {("tsv-musterstadt", "felix.schaefer"), ("tsv-musterstadt", "sophie.fischer"),
                                 ("hoffmann-it", "marie.hoffmann"), ("hoffmann-it", "lukas.becker"),
                                 ("kanzlei-krueger", "juergen.krueger"), ("kanzlei-krueger", "anna.schmidt")}

    again = run_sync(engine, settings_for(directory), full=True)
    assert again.counts["unchanged"] == 11 and again.counts["created"] == again.counts["changed"] == 0
    assert table_counts(engine) == {**after, "ldap_sync_run": after["ldap_sync_run"] + 1}  # nothing else written


def test_change_add_and_rename_keep_the_links(engine: Engine, directory: Slapd) -> None:
    settings = settings_for(directory)
    run_sync(engine, settings, full=True)
    before = entries(engine)
    with admin(directory) as conn:
        conn.modify(directory.user_dn("jonas.mueller"), {"mail": [("MODIFY_REPLACE", ["jonas@neu.example"])],
                                                         "displayName": [("MODIFY_REPLACE", ["Jonas M."])]})
        conn.modify_dn(directory.user_dn("sophie.fischer"), "uid=sophie.meyer")  # a rename: same entryUUID
        add_person(conn, directory, "neu.mitglied", given="Nina", family="Neu")

    report = run_sync(engine, settings, full=False)

    assert report.mode == "incremental" and report.status == "ok"
    assert (report.counts["created"], report.counts["changed"]) == (1, 2)
    after = entries(engine)
    jonas, sophie = after["jonas.mueller"], after["sophie.meyer"]
    assert (jonas.id, jonas.party_id, jonas.account_id) == (before["jonas.mueller"].id,
                                                            before["jonas.mueller"].party_id,
                                                            before["jonas.mueller"].account_id)
    assert sophie.id == before["sophie.fischer"].id and sophie.entry_uuid == before["sophie.fischer"].entry_uuid
    assert sophie.dn == "uid=sophie.meyer,ou=people,dc=coop,dc=example" and "sophie.fischer" not in after
    with Session(engine) as session:
        assert session.get(Party, jonas.party_id).email == "jonas@neu.example"
        # Nextcloud keeps a user's internal name when the uid changes, so the account does too.
        assert session.get(Account, sophie.account_id).nextcloud_user_id == "sophie.fischer"
        assert session.get(Party, after["neu.mitglied"].party_id).family_name == "Neu"
        changed = [json.loads(e.diff) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.action == "ldap.sync.users_changed"))]
        assert changed[-1]["entries"] == {str(jonas.id): ["display_name", "mail"], str(sophie.id): ["dn", "uid"]}


def test_removed_users_are_missing_then_disabled_and_come_back(engine: Engine, directory: Slapd) -> None:
    with_statute(engine)
    admit(engine, member_no=3, name="Lea Wagner")  # lea's membership, linked by her member number
    settings = settings_for(directory, NC_COOP_LDAP_MISSING_RUNS="2")
    run_sync(engine, settings, full=True)
    assert visible_membership_ids_of(engine, "lea.wagner") != []
    lea_dn = directory.user_dn("lea.wagner")
    with admin(directory) as conn:  # out of the user base and back later: the same entryUUID
        conn.modify_dn(lea_dn, "uid=lea.wagner", new_superior=f"ou=services,{directory.base}")

    first = run_sync(engine, settings, full=True)
    assert (first.counts["missing"], first.counts["disabled"]) == (1, 0)
    lea = entries(engine)["lea.wagner"]
    assert lea.missing_full_runs == 1 and lea.missing_since_run_id == first.run_id and lea.disabled_at is None
    assert visible_membership_ids_of(engine, "lea.wagner") != []  # missing is not yet disabled

    incremental = run_sync(engine, settings, full=False)  # never marks anything missing
    assert incremental.mode == "incremental" and incremental.counts["missing"] == 0
    assert entries(engine)["lea.wagner"].missing_full_runs == 1

    second = run_sync(engine, settings, full=True)
    assert (second.counts["missing"], second.counts["disabled"]) == (1, 1)
    lea = entries(engine)["lea.wagner"]
    assert lea.disabled_at is not None and lea.missing_full_runs == 2
    with Session(engine) as session:
        assert session.get(Account, lea.account_id).disabled_at is not None
    assert visible_membership_ids_of(engine, "lea.wagner") == []  # a disabled account sees no membership
    third = run_sync(engine, settings, full=True)
    assert (third.counts["missing"], third.counts["disabled"]) == (0, 0)  # disabled once, not again

    with admin(directory) as conn:
        conn.modify_dn(f"uid=lea.wagner,ou=services,{directory.base}", "uid=lea.wagner",
                       new_superior=directory.people_base)
    back = run_sync(engine, settings, full=True)
    assert back.counts["restored"] == 1
    lea = entries(engine)["lea.wagner"]
    assert (lea.disabled_at, lea.missing_full_runs, lea.missing_since_run_id) == (None, 0, None)
    assert visible_membership_ids_of(engine, "lea.wagner") != []
    with Session(engine) as session:  # nothing was ever deleted
        assert session.get(Account, lea.account_id).disabled_at is None
        assert {e.action for e in session.scalars(select(AuditEvent))} >= {
            "ldap.sync.users_missing", "ldap.sync.users_disabled", "ldap.sync.users_restored"}


def visible_membership_ids_of(engine: Engine, user: str) -> list[int]:
    with Session(engine) as session:
        return visible_membership_ids(session, user)


def test_a_move_between_groups_ends_one_organisation_user_and_starts_another(engine: Engine,
                                                                              directory: Slapd) -> None:
    settings = settings_for(directory)
    run_sync(engine, settings, full=True)
    lukas = directory.user_dn("lukas.becker")
    with admin(directory) as conn:
        conn.modify(directory.group_dn("hoffmann-it"), {"member": [("MODIFY_DELETE", [lukas])]})
        conn.modify(directory.group_dn("tsv-musterstadt"), {"member": [("MODIFY_ADD", [lukas])]})

    report = run_sync(engine, settings, full=False)

    assert report.counts["memberships_changed"] == 2 and report.counts["changed"] == 2
    assert ("tsv-musterstadt", "lukas.becker") in org_users(engine)
    assert ("hoffmann-it", "lukas.becker") not in org_users(engine)
    assert org_users(engine, active=False) == {("hoffmann-it", "lukas.becker")}  # ended, not deleted
    with Session(engine) as session:
        ended = session.scalars(select(LdapOrgUser).where(LdapOrgUser.ended_at.is_not(None))).one()
        assert ended.ended_run_id == report.run_id


def test_dry_run_writes_nothing(engine: Engine, directory: Slapd) -> None:
    settings = settings_for(directory, NC_COOP_LDAP_MISSING_RUNS="1")
    empty = table_counts(engine)
    dry = run_sync(engine, settings, full=True, dry_run=True)
    assert (dry.status, dry.applied, dry.dry_run, dry.counts["created"]) == ("ok", False, True, 11)
    assert table_counts(engine) == {**empty, "ldap_sync_run": 1}

    run_sync(engine, settings, full=True)
    with admin(directory) as conn:
        conn.delete(directory.user_dn("lea.wagner"))
        conn.modify(directory.user_dn("jonas.mueller"), {"mail": [("MODIFY_REPLACE", ["j@neu.example"])]})
        add_person(conn, directory, "neu.mitglied")
        conn.modify(directory.group_dn("hoffmann-it"), {"member": [("MODIFY_DELETE", [directory.user_dn("lukas.becker")])]})
    before = table_counts(engine)
    with Session(engine) as session:
        state_before = session.get(LdapSyncState, "ldap-sync").high_water
        stored_before = {e.id: (e.attr_hash, e.missing_full_runs, e.disabled_at) for e in session.scalars(select(LdapEntry))}

    report = run_sync(engine, settings, full=True, dry_run=True)

    assert (report.applied, report.status) == (False, "ok")
    assert {k: report.counts[k] for k in ("created", "changed", "missing", "disabled", "memberships_changed")} == {
        "created": 1, "changed": 2, "missing": 1, "disabled": 1, "memberships_changed": 1}
    assert report.plan["users"]["created"] == ["neu.mitglied"]
    assert report.plan["users"]["disabled"] == ["uid=lea.wagner,ou=people,dc=coop,dc=example"]
    assert table_counts(engine) == {**before, "ldap_sync_run": before["ldap_sync_run"] + 1}
    with Session(engine) as session:
        assert session.get(LdapSyncState, "ldap-sync").high_water == state_before
        assert {e.id: (e.attr_hash, e.missing_full_runs, e.disabled_at)
                for e in session.scalars(select(LdapEntry))} == stored_before
        run = session.get(LdapSyncRun, report.run_id)
        assert run.dry_run and run.status == "ok" and json.loads(run.plan)["users"]["created"] == ["neu.mitglied"]


def test_the_mass_disable_guard_refuses_without_force(engine: Engine, directory: Slapd) -> None:
    settings = settings_for(directory, NC_COOP_LDAP_MISSING_RUNS="1", NC_COOP_LDAP_MAX_DISABLE="2",
                            NC_COOP_LDAP_MAX_DISABLE_PERCENT="0")
    run_sync(engine, settings, full=True)
    with admin(directory) as conn:
        for uid in ("lea.wagner", "jonas.mueller", "felix.schaefer"):
            conn.delete(directory.user_dn(uid))
        add_person(conn, directory, "neu.mitglied")
    before = table_counts(engine)

    refused = run_sync(engine, settings, full=True)

    assert (refused.status, refused.applied) == ("refused", False)
    assert "would disable 3 of 8 linked accounts, more than the limit of 2" in refused.errors[-1]
    assert table_counts(engine) == {**before, "ldap_sync_run": before["ldap_sync_run"] + 1}  # not even the new user
    assert all(e.disabled_at is None and e.missing_full_runs == 0 for e in entries(engine).values())
    with Session(engine) as session:
        assert session.get(LdapSyncRun, refused.run_id).status == "refused"

    forced = run_sync(engine, settings, full=True, force=True)

    assert (forced.status, forced.applied, forced.counts["disabled"], forced.counts["created"]) == ("ok", True, 3, 1)
    assert {u for u, e in entries(engine).items() if e.disabled_at} == {"lea.wagner", "jonas.mueller", "felix.schaefer"}
    with Session(engine) as session:
        assert session.get(LdapSyncRun, forced.run_id).forced


def test_within_the_limit_no_force_is_needed(engine: Engine, directory: Slapd) -> None:
    settings = settings_for(directory, NC_COOP_LDAP_MISSING_RUNS="1", NC_COOP_LDAP_MAX_DISABLE="2",
                            NC_COOP_LDAP_MAX_DISABLE_PERCENT="0")
    run_sync(engine, settings, full=True)
    with admin(directory) as conn:
        for uid in ("lea.wagner", "jonas.mueller"):
            conn.delete(directory.user_dn(uid))
    assert run_sync(engine, settings, full=True).counts["disabled"] == 2

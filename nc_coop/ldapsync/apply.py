# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Writing a sync plan: bulk statements in batches, one audit event per batch that names every
entity it changed (ids and field names; no names, addresses or e-mail addresses).

Every function flushes into the caller's transaction and never commits (as the register's
services do); the job commits once at the end, so a failure anywhere writes nothing."""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Connection, any_, bindparam, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import InstrumentedAttribute, Session

from nc_coop.audit.chain import record
from nc_coop.ldapsync.copier import BackgroundCopier, copy_rows
from nc_coop.ldapsync.models import LdapEntry, LdapOrgUser
from nc_coop.ldapsync.plan import (
    GROUP,
    USER,
    DirGroup,
    DirRecord,
    DirUser,
    Stored,
    attr_hash,
    canonical,
    changed_fields,
    text_hash,
)
from nc_coop.register.links import (
    CONFIRMED,
    HELD,
    LDAP_MEMBER_NO,
    LDAP_NEW,
    NAME_AND_EMAIL_DIFFER,
    PartyIdentity,
    hold_reason,
    party_identities,
)
from nc_coop.register.models import Account, Membership, Party

BATCH = 1000
PARTY_FIELDS = {"given_name", "family_name", "display_name", "uid", "mail"}  # what a created person's party shows
T = TypeVar("T")


def chunks(items: Sequence[T], size: int = BATCH) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def one_of(session: Session, column: InstrumentedAttribute[Any], values: Iterable[Any]) -> ColumnElement[bool]:
    """``column IN (values)``; on PostgreSQL as ``column = ANY(:array)``, one parameter: a
    thousand separate ones cost psycopg and SQLAlchemy more than the query itself."""
    values = list(values)
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


_PG_BINARY = {"BIGINT": "int8", "INTEGER": "int4", "SMALLINT": "int2", "BOOLEAN": "bool", "TEXT": "text",
              "TIMESTAMP WITH TIME ZONE": "timestamptz", "TIMESTAMP WITHOUT TIME ZONE": "timestamp",
              "TIMESTAMP": "timestamp", "DATE": "date"}
_copy_types_cache: dict[str, list[str] | None] = {}


def _copy_types(table: Any, dialect: Any) -> list[str] | None:
    """PostgreSQL type names of a table's columns for a binary COPY, or None if one is not
    plain (then the text format is used)."""
    if table.name not in _copy_types_cache:
        types: list[str] | None = []
        for column in table.columns:
            ddl = column.type.compile(dialect=dialect).upper()
            name = "text" if ddl.startswith("VARCHAR") else _PG_BINARY.get(ddl)
            if name is None:
                types = None
                break
            types.append(name)  # type: ignore[union-attr]
        _copy_types_cache[table.name] = types
    return _copy_types_cache[table.name]


def _processed(processor: Any, values: list[Any]) -> list[Any]:
    """A bind processor applied once per distinct value (a batch's dates are mostly one)."""
    try:
        done = {value: processor(value) for value in set(values)}
    except TypeError:  # unhashable values
        return [processor(value) for value in values]
    return [done[value] for value in values]


def _names(user: DirUser) -> tuple[str | None, str]:
    """(given names, family name) of a new natural person; the display name or uid if sn is absent."""
    if user.family_name:
        return user.given_name, user.family_name
    return user.given_name, user.display_name or user.uid


class Applier:
    """Writes a run's changes into the caller's transaction. On PostgreSQL, inside
    ``background()``, the bulk inserts run in a thread of their own (``copier.py``) while the
    next batches are built; every other statement first waits for them (``session``)."""

    def __init__(self, session: Session, *, run_id: int, actor: str, now: datetime, group_kind: str) -> None:
        self._session = session
        self.postgres = session.get_bind().dialect.name == "postgresql"
        self.copier: BackgroundCopier | None = None
        self._pending_audit: list[tuple[str, dict[str, Any]]] = []  # written when the copier is done
        self._id_connection: Connection | None = None  # background only: ids without waiting for the copier
        # Full runs in the background: the register's member numbers and accounts, loaded once
        # (a lookup per batch would wait for the copier each time); None: look up per batch.
        self._party_by_no: dict[int, int] | None = None
        self._accounts_by_uid: dict[str, list[tuple[int, int, str]]] | None = None
        self._identities: dict[int, PartyIdentity] | None = None  # party id -> name and e-mail
        # Links made by member number to a party whose name and e-mail differ from the entry:
        # held for the board's review (the run's report lists them).
        self.held_links: list[dict[str, Any]] = []
        self.run_id = run_id
        self.actor = actor
        self.now = now
        self.group_kind = group_kind
        # Filled while writing; the organisation users are resolved from them.
        self.user_by_dn: dict[str, tuple[int, int | None]] = {}  # dn -> (entry id, account id)
        self.group_ids: dict[str, tuple[int, int | None]] = {}  # entryUUID -> (entry id, party id)
        self._sequences: dict[str, str] = {}  # table -> its id sequence (PostgreSQL)

    @property
    def session(self) -> Session:
        """The transaction's session, once the copier has written everything handed to it."""
        if self.copier is not None:
            self.copier.drain()
        return self._session

    @contextmanager
    def background(self, *, preload: bool) -> Iterator[None]:
        """PostgreSQL: bulk inserts in a thread of their own until the block ends; then
        everything is written, the audit events last. ``preload``: a full run (reads every
        account and member number once instead of per batch). Elsewhere: nothing changes."""
        if not self.postgres:
            yield
            return
        if preload:
            self._party_by_no = dict(self.session.execute(select(Membership.member_no, Membership.party_id)).all())
            self._identities = party_identities(self.session)
            self._accounts_by_uid = {}
            for user_id, account_id, party_id, role in self.session.execute(
                    select(Account.nextcloud_user_id, Account.id, Account.party_id, Account.role).order_by(Account.id)):
                self._accounts_by_uid.setdefault(user_id, []).append((account_id, party_id, role))
        copier = BackgroundCopier(self._session.connection().connection.driver_connection).start()
        self.copier = copier
        # Ids come from the sequences on a connection of their own: nextval() is outside any
        # transaction anyway, and on the session's connection each batch would wait for the copier.
        self._id_connection = self._session.get_bind().connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            yield
            copier.drain()
        except BaseException:
            copier.close(cancel=True)  # the transaction rolls back: what is queued need not run
            raise
        finally:
            self.copier = None
            copier.close()
            self._id_connection.close()
            self._id_connection = None
        for action, diff in self._pending_audit:
            self._audit(action, diff)
        self._pending_audit.clear()

    def _audit(self, action: str, diff: dict[str, Any]) -> None:
        if self.copier is not None:  # the audit chain's statements would wait for the copier
            self._pending_audit.append((action, diff))
            return
        record(self.session, actor=self.actor, action=action, entity="ldap_sync_run", entity_id=str(self.run_id),
               diff={"run": self.run_id, **diff})

    def _entry_row(self, rec: DirRecord, *, party_id: int | None, account_id: int | None, owns: bool) -> dict[str, Any]:
        """The columns of a new ldap_entry row that differ between rows (see ``_entry_constants``)."""
        text = canonical(rec.attrs())
        return {"entry_uuid": rec.entry_uuid, "dn": rec.dn, "uid": rec.uid if isinstance(rec, DirUser) else rec.name,
                "attrs": text, "attr_hash": text_hash(text), "party_id": party_id, "account_id": account_id,
                "owns_party": owns}

    def _entry_constants(self, kind: str) -> dict[str, Any]:
        return {"kind": kind, "first_seen_run_id": self.run_id, "last_seen_run_id": self.run_id,
                "missing_since_run_id": None, "missing_full_runs": 0, "disabled_at": None}

    def _insert(self, model: Any, rows: list[dict[str, Any]], constants: dict[str, Any] | None = None) -> list[int]:
        """Insert rows (every column but id; those in ``constants`` are the same for every row)
        and return their ids, in order. The ids are taken
        first: with RETURNING, SQLAlchemy sends one large statement per 1000 rows, which psycopg
        parses slowly (10 s of a 16-s run at 20,000 users)."""
        if not rows:
            return []
        table = model.__table__
        ids = self._allocate_ids(table.name, len(rows))
        dialect = self._session.get_bind().dialect
        postgres = self.postgres
        # Column by column (one list per column, then zip): a fraction of the Python work of
        # building each row on its own, which holds the GIL the reader thread needs.
        values_by_column: list[list[Any]] = []
        for column in table.columns:
            if column.name == "id":
                values_by_column.append(ids)
                continue
            if constants is not None and column.name in constants:  # the same in every row
                values = [constants[column.name]] * len(rows)
            else:
                values = [row.get(column.name) for row in rows]
            processor = None if postgres else column.type._cached_bind_processor(dialect)  # noqa: SLF001
            values_by_column.append(_processed(processor, values) if processor else values)
        names = ", ".join(c.name for c in table.columns)  # names from the model
        if postgres:
            # COPY: one stream instead of a round trip per row (executemany ran at ~1,600 rows/s);
            # in the binary format when every column's type is known (less parsing for the server).
            types = _copy_types(table, dialect)
            binary = " (FORMAT BINARY)" if types else ""
            statement = f'COPY "{table.name}" ({names}) FROM STDIN{binary}'
            if self.copier is not None:
                self.copier.submit(statement, types, values_by_column)
            else:
                copy_rows(self.session.connection().connection.driver_connection, statement, types, values_by_column)
        else:
            dbapi = self.session.connection().connection.driver_connection
            # The DBAPI's executemany with each column's own bind processor (dates as SQLAlchemy
            # stores them): SQLAlchemy's per-row parameter handling cost more than SQLite's insert.
            cursor = dbapi.cursor()
            try:
                cursor.executemany(f'INSERT INTO "{table.name}" ({names}) '
                                   f'VALUES ({", ".join("?" for _ in table.columns)})', zip(*values_by_column))
            finally:
                cursor.close()
        return ids

    def _allocate_ids(self, table: str, count: int) -> list[int]:
        if not self.postgres:
            return self._sqlite_ids(table, count)
        db: Session | Connection = self._id_connection if self._id_connection is not None else self.session
        if table not in self._sequences:  # looked up once: per row, it cost 4 of every 5 ms
            self._sequences[table] = db.scalar(text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": table})
        return list(db.scalar(  # one row with an array: no round of fetchone() per id
            text("SELECT array_agg(nextval(CAST(:sequence AS regclass))) FROM generate_series(1, :count)"),
            {"sequence": self._sequences[table], "count": count}))

    def _sqlite_ids(self, table: str, count: int) -> list[int]:
        # SQLite: the run holds the database's write lock (BEGIN IMMEDIATE) from its first write, so no
        # other writer can take these ids; INTEGER PRIMARY KEY would hand out max + 1 as well.
        highest = self.session.execute(text(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')).scalar_one()
        return list(range(highest + 1, highest + 1 + count))

    # --- users -------------------------------------------------------------------------------

    def create_users(self, users: Sequence[DirUser]) -> None:
        """Link each new directory user to the register: by member number (the membership's
        party), then by uid (an existing own account); otherwise a new natural person with an
        own account. Never a membership: admission is the board's decision.

        A new account linked by member number is held for review (it grants nothing) unless the
        party's name or e-mail matches the entry: a directory typo or a reused number must not
        show one member's data to another."""
        for batch in chunks(users):
            party_by_no = self._parties_of_numbers({u.member_no for u in batch if u.member_no is not None})
            accounts = self._accounts_of_uids({u.uid for u in batch})
            identities = self._identities_of({party_by_no[u.member_no] for u in batch if u.member_no in party_by_no})
            held: list[tuple[int, DirUser, str]] = []  # (index in new_accounts, user, reason)
            links: list[tuple[int | None, int | None, bool]] = []  # (party, account, owns party)
            new_parties: list[dict[str, Any]] = []
            new_accounts: list[tuple[int, dict[str, Any]]] = []  # (index in batch, row without party for new ones)
            linked: dict[str, list[str]] = {"member_no": [], "uid": []}
            for index, user in enumerate(batch):
                own = accounts.get(user.uid, [])
                if user.member_no in party_by_no:
                    party_id = party_by_no[user.member_no]
                    account = next((a for a, p, _ in own if p == party_id), None)
                    if account is None:  # a new link: checked (an existing one was made by someone else)
                        identity = identities.get(party_id)
                        reason = NAME_AND_EMAIL_DIFFER if identity is None else hold_reason(
                            identity, given_name=user.given_name, family_name=user.family_name,
                            display_name=user.display_name, mail=user.mail)
                        if reason is not None:
                            held.append((len(new_accounts), user, reason))
                        new_accounts.append((index, {"nextcloud_user_id": user.uid, "party_id": party_id,
                                                     "link_source": LDAP_MEMBER_NO,
                                                     "link_status": CONFIRMED if reason is None else HELD,
                                                     "link_note": reason, "link_run_id": self.run_id}))
                    links.append((party_id, account, False))
                    linked["member_no"].append(user.entry_uuid)
                elif any(role == "self" for _, _, role in own):
                    account, party_id, _ = next(a for a in own if a[2] == "self")
                    links.append((party_id, account, False))
                    linked["uid"].append(user.entry_uuid)
                else:
                    given, family = _names(user)
                    new_parties.append({"given_names": given, "family_name": family, "email": user.mail})
                    new_accounts.append((index, {"nextcloud_user_id": user.uid, "party_id": None,
                                                 "link_source": LDAP_NEW, "link_status": CONFIRMED,
                                                 "link_note": None, "link_run_id": self.run_id}))
                    links.append((None, None, True))
            party_ids = iter(self._insert(Party, new_parties, {
                "kind": "natural", "legal_name": None, "postal_address": "", "register_court": None,
                "register_no": None, "created_at": self.now}))
            links = [(next(party_ids), None, True) if owns else (p, a, owns) for p, a, owns in links]
            for index, row in new_accounts:
                row["party_id"] = links[index][0]
            account_ids = self._insert(Account, [row for _, row in new_accounts],
                                       {"role": "self", "created_at": self.now})
            for position, user, reason in held:
                self.held_links.append({"account_id": account_ids[position], "uid": user.uid,
                                        "member_no": user.member_no, "reason": reason})
            for (index, row), account_id in zip(new_accounts, account_ids, strict=True):
                links[index] = (links[index][0], account_id, links[index][2])
                if self._accounts_by_uid is not None:  # later batches see the accounts created here
                    self._accounts_by_uid.setdefault(row["nextcloud_user_id"], []).append(
                        (account_id, row["party_id"], "self"))
            entry_ids = self._insert(LdapEntry, [self._entry_row(u, party_id=p, account_id=a, owns=owns)
                                                 for u, (p, a, owns) in zip(batch, links, strict=True)],
                                     self._entry_constants(USER))
            for user, entry_id, (_, account_id, _) in zip(batch, entry_ids, links, strict=True):
                self.user_by_dn[user.dn] = (entry_id, account_id)
            self._audit("ldap.sync.users_created", {
                "entries": entry_ids, "parties_created": [p for p, _, owns in links if owns],
                "accounts_created": account_ids, "links_held": [account_ids[i] for i, _, _ in held],
                "linked_by_member_no": len(linked["member_no"]), "linked_by_uid": len(linked["uid"])})

    def _parties_of_numbers(self, numbers: set[int]) -> dict[int, int]:
        """member number -> the party of its membership, for those that exist."""
        if self._party_by_no is not None:
            return {n: self._party_by_no[n] for n in numbers if n in self._party_by_no}
        if not numbers:
            return {}
        return dict(self.session.execute(select(Membership.member_no, Membership.party_id)
                                         .where(one_of(self.session, Membership.member_no, numbers))).all())

    def _identities_of(self, party_ids: set[int]) -> dict[int, PartyIdentity]:
        """Name and e-mail of the parties of member numbers (preloaded in a full background run)."""
        if self._identities is not None:
            return {p: self._identities[p] for p in party_ids if p in self._identities}
        return party_identities(self.session, party_ids)

    def _accounts_of_uids(self, uids: set[str]) -> dict[str, list[tuple[int, int, str]]]:
        """Nextcloud user id -> its accounts (id, party, role), oldest first."""
        if self._accounts_by_uid is not None:
            return {uid: self._accounts_by_uid[uid] for uid in uids if uid in self._accounts_by_uid}
        accounts: dict[str, list[tuple[int, int, str]]] = {}
        for user_id, account_id, party_id, role in self.session.execute(
                select(Account.nextcloud_user_id, Account.id, Account.party_id, Account.role)
                .where(one_of(self.session, Account.nextcloud_user_id, uids)).order_by(Account.id)):
            accounts.setdefault(user_id, []).append((account_id, party_id, role))
        return accounts

    def change(self, kind: str, pairs: Sequence[tuple[Stored, DirRecord]]) -> None:
        """Changed attributes (a rename is one: same entryUUID, new dn or uid). The link to the
        account stays: Nextcloud keeps a user's internal name when the uid changes. Names and
        e-mail of a party are only updated if the sync created that party."""
        for batch in chunks(pairs):
            ids = [old.id for old, _ in batch]
            before = {i: (json.loads(a), owns, party) for i, a, owns, party in self.session.execute(
                select(LdapEntry.id, LdapEntry.attrs, LdapEntry.owns_party, LdapEntry.party_id)
                .where(one_of(self.session, LdapEntry.id, ids)))}
            entry_rows, party_rows, fields = [], [], {}
            for old, rec in batch:
                attrs = rec.attrs()
                old_attrs, owns, party_id = before[old.id]
                fields[str(old.id)] = changed_fields(old_attrs, attrs)
                entry_rows.append({"id": old.id, "dn": rec.dn, "uid": rec.uid if isinstance(rec, DirUser) else rec.name,
                                   "attrs": canonical(attrs), "attr_hash": attr_hash(attrs),
                                   "last_seen_run_id": self.run_id})
                if owns and party_id is not None:
                    if isinstance(rec, DirUser) and PARTY_FIELDS & set(fields[str(old.id)]):
                        given, family = _names(rec)
                        party_rows.append({"id": party_id, "given_names": given, "family_name": family,
                                           "email": rec.mail})
                    elif isinstance(rec, DirGroup) and "legal_name" in fields[str(old.id)]:
                        party_rows.append({"id": party_id, "legal_name": rec.legal_name})
                if isinstance(rec, DirUser):
                    self.user_by_dn[rec.dn] = (old.id, old.account_id)
                else:
                    self.group_ids[rec.entry_uuid] = (old.id, old.party_id)
            self.session.execute(update(LdapEntry), entry_rows)
            natural = [r for r in party_rows if "given_names" in r]
            legal = [r for r in party_rows if "legal_name" in r]
            for rows in (natural, legal):
                if rows:
                    self.session.execute(update(Party), rows)
            self._audit(f"ldap.sync.{kind}s_changed", {"entries": fields,
                                                       "parties_updated": [r["id"] for r in party_rows]})

    def seen(self, kind: str, entries: Sequence[Stored]) -> None:
        """Unchanged entries are not written: ``last_seen_run_id`` is the last run that wrote the
        entry, and one that is not missing was seen by every complete full run since (touching
        100,000 unchanged rows per run would cost seconds and say nothing new)."""
        for old in entries:
            if kind == USER:
                self.user_by_dn[old.dn] = (old.id, old.account_id)
            else:
                self.group_ids[old.entry_uuid] = (old.id, old.party_id)

    def _accounts_of(self, entries: Sequence[Stored]) -> list[int]:
        """Every account of the Nextcloud users these entries are linked to (own and representative)."""
        account_ids = [e.account_id for e in entries if e.account_id is not None]
        if not account_ids:
            return []
        users = select(Account.nextcloud_user_id).where(Account.id.in_(account_ids)).scalar_subquery()
        return list(self.session.scalars(select(Account.id).where(Account.nextcloud_user_id.in_(users))))

    def restore(self, kind: str, entries: Sequence[Stored]) -> None:
        """Seen again: no longer missing; disabled accounts are enabled again."""
        for batch in chunks(entries):
            self.session.execute(update(LdapEntry).where(LdapEntry.id.in_([e.id for e in batch]))
                                 .values(missing_since_run_id=None, missing_full_runs=0, disabled_at=None,
                                         last_seen_run_id=self.run_id))
            enabled: list[int] = []
            disabled = [e for e in batch if e.disabled]
            if kind == USER and disabled:
                accounts = self._accounts_of(disabled)
                for ids in chunks(accounts):
                    self.session.execute(update(Account).where(Account.id.in_(ids), Account.disabled_at.is_not(None))
                                         .values(disabled_at=None))
                enabled = accounts
            self._audit(f"ldap.sync.{kind}s_restored", {"entries": [e.id for e in batch], "accounts_enabled": enabled})

    def mark_missing(self, kind: str, missing: Sequence[tuple[Stored, int]]) -> None:
        for batch in chunks(missing):
            rows = [{"id": e.id, "missing_full_runs": runs} for e, runs in batch]
            self.session.execute(update(LdapEntry), rows)
            first = [e.id for e, runs in batch if runs == 1]
            if first:
                self.session.execute(update(LdapEntry).where(LdapEntry.id.in_(first))
                                     .values(missing_since_run_id=self.run_id))
            self._audit(f"ldap.sync.{kind}s_missing", {"entries": {str(e.id): runs for e, runs in batch}})

    def disable(self, kind: str, entries: Sequence[Stored]) -> list[int]:
        """Missed too many full runs: disabled (accounts stop resolving to memberships). Returns
        the organisation-user rows of disabled groups, which the caller ends."""
        for batch in chunks(entries):
            self.session.execute(update(LdapEntry).where(LdapEntry.id.in_([e.id for e in batch]))
                                 .values(disabled_at=self.now))
            accounts = self._accounts_of(batch) if kind == USER else []
            for ids in chunks(accounts):
                self.session.execute(update(Account).where(Account.id.in_(ids), Account.disabled_at.is_(None))
                                     .values(disabled_at=self.now))
            self._audit(f"ldap.sync.{kind}s_disabled", {"entries": [e.id for e in batch],
                                                        "accounts_disabled": accounts})
        if kind != GROUP or not entries:
            return []
        return list(self.session.scalars(select(LdapOrgUser.id).where(
            LdapOrgUser.group_entry_id.in_([e.id for e in entries]), LdapOrgUser.ended_at.is_(None))))

    # --- groups ------------------------------------------------------------------------------

    def create_groups(self, groups: Sequence[DirGroup]) -> None:
        """A member organisation: the party of its member number if the group carries one, else a
        new organisation party (kind from NC_COOP_LDAP_GROUP_KIND)."""
        for batch in chunks(groups):
            party_by_no = self._parties_of_numbers({g.member_no for g in batch if g.member_no is not None})
            new = [g for g in batch if g.member_no not in party_by_no]
            party_ids = iter(self._insert(Party, [
                {"kind": self.group_kind, "legal_name": g.legal_name, "given_names": None, "family_name": None,
                 "postal_address": "", "email": None, "register_court": None, "register_no": None,
                 "created_at": self.now} for g in new]))
            links = [(party_by_no[g.member_no], False) if g.member_no in party_by_no else (next(party_ids), True)
                     for g in batch]
            entry_ids = self._insert(LdapEntry, [self._entry_row(g, party_id=p, account_id=None, owns=owns)
                                                 for g, (p, owns) in zip(batch, links, strict=True)],
                                     self._entry_constants(GROUP))
            for group, entry_id, (party_id, _) in zip(batch, entry_ids, links, strict=True):
                self.group_ids[group.entry_uuid] = (entry_id, party_id)
            self._audit("ldap.sync.groups_created", {
                "entries": entry_ids, "parties_created": [p for p, owns in links if owns],
                "linked_by_member_no": sum(1 for _, owns in links if not owns)})

    def memberships(self, added: Sequence[tuple[int, int]], ended: Sequence[int],
                    party_of_group: dict[int, int | None], account_of_user: dict[int, int | None]) -> None:
        for batch in chunks(added):
            self._insert(LdapOrgUser, [
                {"group_entry_id": g, "user_entry_id": u, "org_party_id": party_of_group.get(g),
                 "account_id": account_of_user.get(u)} for g, u in batch],
                {"since": self.now, "ended_at": None, "since_run_id": self.run_id, "ended_run_id": None})
            self._audit("ldap.sync.org_users_added", {"pairs": [list(p) for p in batch]})
        for batch in chunks(ended):
            self.session.execute(update(LdapOrgUser).where(LdapOrgUser.id.in_(list(batch)))
                                 .values(ended_at=self.now, ended_run_id=self.run_id))
            self._audit("ldap.sync.org_users_ended", {"rows": list(batch)})

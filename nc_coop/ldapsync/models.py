# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The LDAP sync's own tables: one row per directory entry, organisation users, runs, state.

Nothing here is ever deleted: vanished entries are marked missing, then disabled; an
organisation user who leaves a group gets ``ended_at``. The database refuses DELETE on
``ldap_sync_run``, ``ldap_entry`` and ``ldap_org_user`` (migration 0009), which is why the ids
that only the sync writes (runs, entries, and the copies of an entry's party and account) need
no foreign key checked on every row of a bulk write.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from nc_coop.db import Base
from nc_coop.register.models import ID

STATE_NAME = "ldap-sync"  # the single row of ldap_sync_state (seeded by migration 0004)


class LdapSyncRun(Base):
    """One sync run: what was asked, what happened. ``status``: running, ok, incomplete (read
    cut short: adds and changes applied, no removals), refused (guard or another run) or failed
    (nothing applied)."""

    __tablename__ = "ldap_sync_run"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    mode: Mapped[str] = mapped_column(String(20))  # full | incremental
    dry_run: Mapped[bool] = mapped_column(Boolean)
    forced: Mapped[bool] = mapped_column(Boolean)
    actor: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20))
    complete: Mapped[bool] = mapped_column(Boolean)  # the directory read ended with result 0, no cookie
    counts: Mapped[str] = mapped_column(Text)  # JSON object of counters
    errors: Mapped[str] = mapped_column(Text)  # one message per line, no credentials
    plan: Mapped[str | None] = mapped_column(Text)  # dry runs: JSON summary of what would change
    server_high_water: Mapped[str | None] = mapped_column(String(32))  # newest server timestamp read
    held_links: Mapped[str | None] = mapped_column(Text)  # JSON: links by member number held for review


class LdapSyncState(Base):
    """The one state row: the watermark of the last successful run (written in the same
    transaction as the data) and, on SQLite, the lease (holder, expiry)."""

    __tablename__ = "ldap_sync_state"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    high_water: Mapped[str | None] = mapped_column(String(32))  # server GeneralizedTime
    last_run_id: Mapped[int | None] = mapped_column(ForeignKey("ldap_sync_run.id"))
    last_full_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lease_holder: Mapped[str | None] = mapped_column(String(255))
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LdapEntry(Base):
    """A user or group of the directory, keyed by its entryUUID; dn and uid follow renames."""

    __tablename__ = "ldap_entry"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    entry_uuid: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # user | group
    dn: Mapped[str] = mapped_column(String(1024), index=True)  # normalised (lower case, no spaces at commas)
    uid: Mapped[str | None] = mapped_column(String(255))
    attrs: Mapped[str] = mapped_column(Text)  # canonical JSON of the mapped attributes
    attr_hash: Mapped[str] = mapped_column(String(64))
    party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    owns_party: Mapped[bool] = mapped_column(Boolean)  # the sync created the party, so it keeps its names
    # ldap_sync_run ids, written only by the sync (no foreign key: see the module's docstring)
    first_seen_run_id: Mapped[int] = mapped_column(ID)
    last_seen_run_id: Mapped[int] = mapped_column(ID)  # last run that wrote it
    missing_since_run_id: Mapped[int | None] = mapped_column(ID)
    missing_full_runs: Mapped[int] = mapped_column(Integer)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LdapOrgUser(Base):
    """A directory user acting for a member organisation (a group member). Not a representative:
    that is a legal role the register records. Rows end; they are never deleted."""

    __tablename__ = "ldap_org_user"
    __table_args__ = (Index("ix_ldap_org_user_group_user", "group_entry_id", "user_entry_id"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    # No foreign keys (see the module's docstring): ldap_entry ids, and copies of the group
    # entry's party and the user entry's account, whose own foreign keys hold.
    group_entry_id: Mapped[int] = mapped_column(ID)
    user_entry_id: Mapped[int] = mapped_column(ID, index=True)
    org_party_id: Mapped[int | None] = mapped_column(ID, index=True)
    account_id: Mapped[int | None] = mapped_column(ID)
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    since_run_id: Mapped[int] = mapped_column(ID)  # ldap_sync_run ids
    ended_run_id: Mapped[int | None] = mapped_column(ID)

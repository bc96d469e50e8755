# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""One sync at a time, across threads, processes and replicas.

PostgreSQL: a session-level advisory lock, held by a connection of its own for the whole run
(it goes with the connection if the process dies). SQLite: the state row's lease holder and
expiry, taken with one conditional UPDATE (SQLite serialises writers, so two cannot both win);
an expired lease (a crashed holder) may be taken over.
"""
from __future__ import annotations

import os
import socket
import uuid
from datetime import UTC, datetime, timedelta
from types import TracebackType

from sqlalchemy import Connection, Engine, or_, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from nc_coop.ldapsync.models import STATE_NAME, LdapSyncState

# Any 32-bit constant will do; it names "the LDAP sync" among PostgreSQL's advisory locks. The
# second key is the schema, because advisory locks are per database: nc_coop installs (or test
# and benchmark schemas) sharing one database must not block each other's syncs.
ADVISORY_KEY = 0x6E63_6C64  # "ncld"
_LOCK = text("SELECT pg_try_advisory_lock(:key, hashtext(current_schema()))")
_UNLOCK = text("SELECT pg_advisory_unlock(:key, hashtext(current_schema()))")
LEASE_SECONDS = 3600


def new_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Lease:
    """``with Lease(engine) as lease: if lease.acquired: …`` — released on exit."""

    def __init__(self, engine: Engine, seconds: int = LEASE_SECONDS) -> None:
        self.engine = engine
        self.seconds = seconds
        self.holder = new_holder()
        self.acquired = False
        self._connection: Connection | None = None

    @property
    def postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def acquire(self) -> bool:
        if self.postgres:
            connection = self.engine.connect()
            got = bool(connection.execute(_LOCK, {"key": ADVISORY_KEY}).scalar())
            connection.commit()  # end the implicit transaction; the session-level lock stays
            if got:
                self._connection = connection
            else:
                connection.close()
            self.acquired = got
            return got
        now = datetime.now(UTC)
        free = or_(LdapSyncState.lease_holder.is_(None), LdapSyncState.lease_expires_at < now)
        # A running sync holds SQLite's write lock for its whole write phase: the UPDATE below would
        # wait the 30 s busy timeout and fail with "database is locked". Reading works beside a
        # writer (WAL), so a lease that is plainly held is refused at once.
        with self.engine.connect() as connection:
            if connection.scalar(select(LdapSyncState.name).where(LdapSyncState.name == STATE_NAME, free)) is None:
                return False
        try:
            with self.engine.begin() as connection:
                taken = connection.execute(
                    update(LdapSyncState).where(LdapSyncState.name == STATE_NAME).where(free)
                    .values(lease_holder=self.holder, lease_expires_at=now + timedelta(seconds=self.seconds)))
        except OperationalError as exc:  # another writer kept the database locked past the busy timeout
            if "locked" not in str(exc.orig):
                raise
            return False
        self.acquired = taken.rowcount == 1
        return self.acquired

    def confirm(self, session: Session) -> bool:
        """Inside the write transaction (after its write lock): is the lease still ours? Renews it."""
        if self.postgres:
            return self.acquired and self._connection is not None and not self._connection.closed
        renewed = session.execute(
            update(LdapSyncState).where(LdapSyncState.name == STATE_NAME, LdapSyncState.lease_holder == self.holder)
            .values(lease_expires_at=datetime.now(UTC) + timedelta(seconds=self.seconds)))
        return renewed.rowcount == 1

    def release(self) -> None:
        if not self.acquired:
            return
        self.acquired = False
        if self.postgres:
            assert self._connection is not None
            try:
                self._connection.execute(_UNLOCK, {"key": ADVISORY_KEY})
                self._connection.commit()
            except Exception:
                # A pooled connection must not go back still holding the lock: drop it instead.
                self._connection.invalidate()
                raise
            finally:
                self._connection.close()
                self._connection = None
            return
        with self.engine.begin() as connection:
            connection.execute(update(LdapSyncState)
                               .where(LdapSyncState.name == STATE_NAME, LdapSyncState.lease_holder == self.holder)
                               .values(lease_holder=None, lease_expires_at=None))

    def __enter__(self) -> Lease:
        self.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()

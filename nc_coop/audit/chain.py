# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Appending to the audit chain and verifying it."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from nc_coop.audit.models import GENESIS_HASH, AuditEvent


def event_hash(prev_hash: str, at: datetime, actor: str, action: str, entity: str,
               entity_id: str | None, diff: str, request_id: str | None) -> str:
    """sha256 over the predecessor's hash and this event's canonical fields."""
    payload = json.dumps(
        [prev_hash, at.astimezone(UTC).isoformat(timespec="microseconds"), actor, action, entity,
         entity_id, diff, request_id],
        ensure_ascii=False, separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


# Any 32-bit constant will do; it names "the audit chain" among PostgreSQL's advisory locks. The
# second key is the schema: advisory locks are per database, and installs (or test and benchmark
# runs) in other schemas of the same database have chains of their own that must not wait for ours.
CHAIN_LOCK_KEY = 0x6E63_6F6F  # "ncoo"


def lock_chain(session: Session) -> None:
    """Hold the chain for the rest of the transaction, so that two writers never read the same
    tail. PostgreSQL: a transaction-scoped advisory lock (re-entrant). SQLite: the write lock."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key, hashtext(current_schema()))"),
                        {"key": CHAIN_LOCK_KEY})
    else:
        dbapi = connection.connection.dbapi_connection
        if dbapi is not None and not dbapi.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def record(session: Session, *, actor: str, action: str, entity: str, entity_id: str | None = None,
           diff: Mapping[str, Any] | None = None, request_id: str | None = None) -> AuditEvent:
    """Append one event in the caller's transaction (flush only; the caller commits)."""
    lock_chain(session)
    tail = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    prev_hash = tail or GENESIS_HASH
    at = datetime.now(UTC)
    diff_text = json.dumps(dict(diff or {}), sort_keys=True, ensure_ascii=False, default=str)
    event = AuditEvent(
        at=at, actor=actor, action=action, entity=entity, entity_id=entity_id, diff=diff_text,
        request_id=request_id, prev_hash=prev_hash,
        hash=event_hash(prev_hash, at, actor, action, entity, entity_id, diff_text, request_id),
    )
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_broken_id: int | None
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.first_broken_id is None


def verify(session: Session, batch: int = 5000) -> ChainReport:
    """Walk the chain in id order and name the first event whose link or hash does not hold."""
    expected_prev = GENESIS_HASH
    checked = 0
    last_id = 0
    while True:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).all()
        if not rows:
            return ChainReport(checked, None, None)
        for ev in rows:
            if ev.prev_hash != expected_prev:
                return ChainReport(checked, ev.id, "its link does not point at the previous event")
            at = ev.at if ev.at.tzinfo else ev.at.replace(tzinfo=UTC)  # SQLite drops the zone
            if ev.hash != event_hash(ev.prev_hash, at, ev.actor, ev.action, ev.entity, ev.entity_id,
                                     ev.diff, ev.request_id):
                return ChainReport(checked, ev.id, "its content does not match its hash")
            expected_prev = ev.hash
            checked += 1
            last_id = ev.id
        session.expunge_all()

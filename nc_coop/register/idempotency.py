# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Idempotency keys for the board's bookings and admissions (issue 13, point 3): a double click or
a client's retry books once.

The API takes an ``Idempotency-Key`` header, the forms a hidden ``idempotency_key`` field that
every rendering gets afresh. The first booking under a key stores its answer (status and body,
or the page a form leads to) in the same transaction as the booking; a repeat with the same key
and the same input gets that answer again and books nothing, the same key with other input is
refused. The key is looked up under the writers' lock (the audit chain's: every booking takes it
first anyway), so of 20 submits at once one books and 19 wait and then find its key. The unique
constraint (user, key) is the database's guard.

Only an answer that booked is stored: a refused booking wrote nothing, so repeating it is
harmless and a corrected one may reuse the key. Keys are kept for ``KEEP``; a key older than that
counts as new. The table is a technical cache of answers, not register data: the booking itself
is what the audit log records.
"""
from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, DateTime, Integer, String, Text, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from nc_coop.audit.chain import lock_chain
from nc_coop.db import Base

HEADER = "Idempotency-Key"
FIELD = "idempotency_key"  # the forms' hidden field
KEEP = timedelta(hours=24)
# Visible ASCII, as header values are; long enough for a UUID or a hash, short enough to index.
_VALID = re.compile(r"[\x21-\x7e]{1,255}")

INVALID = _l("must be 1 to 255 visible ASCII characters")
REUSED = _l("this key was used for another request; send a new key with each new booking")
FORM_REUSED = _l("This form was sent already with other values. The form below is new: check it and send it again.")


class IdempotencyKey(Base):
    """A key a user sent with a booking, and the answer that booking got."""

    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_key_user_key"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))  # sha256 of method, path and the validated input
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[str | None] = mapped_column(Text)  # the API's JSON answer
    location: Mapped[str | None] = mapped_column(Text)  # where a form's answer led
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class KeyReused(Exception):
    """The key is known with another input."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: str | None = None
    location: str | None = None


def new_key() -> str:
    """A fresh key for one rendering of a form."""
    return secrets.token_urlsafe(24)


def valid(key: str) -> bool:
    return bool(_VALID.fullmatch(key))


def fingerprint(method: str, path: str, data: dict[str, Any]) -> str:
    """The same input gives the same print: validated values (an amount typed as "250" or
    "250,00" is the same), keys sorted."""
    text = json.dumps([method, path, data], sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def stored_answer(session: Session, user_id: str, key: str, print_: str) -> Answer | None:
    """Under the writers' lock (held to the end of the transaction): the answer stored for this
    key, None if the key is new; ``KeyReused`` if it came with another input."""
    lock_chain(session)
    row = session.scalar(select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key,
                                                      IdempotencyKey.created_at >= _now() - KEEP))
    if row is None:
        return None
    if row.fingerprint != print_:
        raise KeyReused(key)
    return Answer(row.status, row.body, row.location)


def remember(session: Session, user_id: str, key: str, print_: str, answer: Answer) -> None:
    """Store the answer in the booking's transaction (the caller commits both or neither)."""
    now = _now()
    # Expired keys go first, so that an old key of this user can be used again.
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < now - KEEP))
    session.add(IdempotencyKey(user_id=user_id, key=key, fingerprint=print_, status=answer.status, body=answer.body,
                               location=answer.location, created_at=now))
    session.flush()

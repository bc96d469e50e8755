# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The quota tables: policy versions, overrides, pool allocations, the change queue, the last
known quota and usage per user, and members' requests for more storage.

The effective quota is never stored: it is computed from the register and these inputs each
time (policy.effective_quotas). ``quota_change`` is both the queue and the log: a row is queued,
claimed by one worker, and ends done or back in the queue with a later attempt.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from nc_coop.db import Base
from nc_coop.register.models import ID

# quota_change.status
QUEUED = "queued"  # waiting for its next attempt (also after a failed one)
APPLYING = "applying"  # claimed by one worker until claimed_until
DONE = "done"
SUPERSEDED = "superseded"  # a newer change for the same user replaced it before it was applied
REFUSED = "refused"  # the backend refused it for good (e.g. "Password confirmation is required")
OPEN_STATUSES = (QUEUED, APPLYING)

# quota_change.confirmation (LDAP writes: read back after Nextcloud's refresh search)
CONFIRMED = "confirmed"
NOT_YET_VISIBLE = "not yet visible"


class QuotaPolicyVersion(Base):
    """One version of the policy; the newest row is in force. Never changed after insert."""

    __tablename__ = "quota_policy_version"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    params: Mapped[str] = mapped_column(Text)  # JSON: {"base": {"kind/membership_kind": bytes}, "per_share", "non_member"}
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(255))

    def __repr__(self) -> str:
        return f"<QuotaPolicyVersion #{self.id}>"


class QuotaOverride(Base):
    """A fixed quota for one user or one organisation's pool, with a reason and an optional last
    day. Removing one sets ``ended_at``; rows are kept as history."""

    __tablename__ = "quota_override"
    __table_args__ = (Index("ix_quota_override_user", "nextcloud_user_id", "ended_at"),
                      Index("ix_quota_override_party", "party_id", "ended_at"))

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    scope: Mapped[str] = mapped_column(String(20))  # user | organisation
    nextcloud_user_id: Mapped[str | None] = mapped_column(String(255))
    party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id"))
    amount: Mapped[int] = mapped_column(BigInteger)  # bytes, or -3 unlimited
    reason: Mapped[str] = mapped_column(Text)
    until: Mapped[date | None] = mapped_column(Date)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("quota_request.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(255))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_by: Mapped[str | None] = mapped_column(String(255))

    def __repr__(self) -> str:
        return f"<QuotaOverride #{self.id} {self.scope} {self.nextcloud_user_id or self.party_id}>"


class QuotaAllocation(Base):
    """A fixed amount for one user within an organisation's pool (the rest is split equally)."""

    __tablename__ = "quota_allocation"
    __table_args__ = (UniqueConstraint("party_id", "nextcloud_user_id", name="uq_quota_allocation_party_user"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"))
    nextcloud_user_id: Mapped[str] = mapped_column(String(255))
    amount: Mapped[int] = mapped_column(BigInteger)
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(255))


class QuotaUserState(Base):
    """What nc_coop last saw or wrote for a user: where the quota lives, its value, the bytes used.
    The plan compares against this; it is refreshed from Nextcloud and from the writes."""

    __tablename__ = "quota_user_state"

    nextcloud_user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    backend: Mapped[str] = mapped_column(String(20))  # ldap | provisioning
    amount: Mapped[int | None] = mapped_column(BigInteger)  # None: not set (Nextcloud's default)
    used_bytes: Mapped[int | None] = mapped_column(BigInteger)
    display_name: Mapped[str | None] = mapped_column(String(255))
    observed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class QuotaChange(Base):
    """One quota change for one user: the queue entry and, once finished, the log entry."""

    __tablename__ = "quota_change"
    __table_args__ = (Index("ix_quota_change_status_next", "status", "next_attempt_at"),
                      Index("ix_quota_change_user", "nextcloud_user_id"))

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    nextcloud_user_id: Mapped[str] = mapped_column(String(255))
    backend: Mapped[str] = mapped_column(String(20))
    old_amount: Mapped[int | None] = mapped_column(BigInteger)
    new_amount: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(255))  # who caused it (admin, CLI, policy change)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    confirmation: Mapped[str | None] = mapped_column(String(30))

    def __repr__(self) -> str:
        return f"<QuotaChange #{self.id} {self.nextcloud_user_id} {self.status}>"


class QuotaRequest(Base):
    """A member's or representative's request for more storage, and the admin's decision."""

    __tablename__ = "quota_request"
    # One open request per requester and target (migration 0010): the database refuses a second
    # one that a concurrent request let through the service's check.
    __table_args__ = (Index("ix_quota_request_status", "status", "created_at"),
                      Index("uq_quota_request_open_user", "requester", unique=True,
                            postgresql_where=text("status = 'open' AND scope = 'user'"),
                            sqlite_where=text("status = 'open' AND scope = 'user'")),
                      Index("uq_quota_request_open_organisation", "requester", "party_id", unique=True,
                            postgresql_where=text("status = 'open' AND scope = 'organisation'"),
                            sqlite_where=text("status = 'open' AND scope = 'organisation'")))

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    requester: Mapped[str] = mapped_column(String(255))  # Nextcloud user id
    scope: Mapped[str] = mapped_column(String(20))  # user | organisation
    party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id"))  # the organisation
    amount: Mapped[int] = mapped_column(BigInteger)  # the quota asked for
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20))  # open | approved | rejected
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(255))
    decision_note: Mapped[str | None] = mapped_column(Text)
    notified: Mapped[str | None] = mapped_column(String(255))  # "ok" or the notification error

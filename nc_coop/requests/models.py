# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""A member's request and what became of it (DOMAIN.md §2.1 "Application", extended to notices,
transfers and contact changes).

The row is mutable on purpose: its status moves on, and a rejected application is purged to a
tombstone (§15 Abs. 2 GenG). The bookings it leads to are made by the register's services and
are append-only there; this row only links to them.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from nc_coop.db import Base

ID = BigInteger().with_variant(Integer, "sqlite")  # autoincrement works on both


class MemberRequest(Base):
    __tablename__ = "member_request"
    __table_args__ = (Index("ix_member_request_kind_status", "kind", "status"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # join | shares | notice | transfer | contact
    status: Mapped[str] = mapped_column(String(20))  # see rules.Status
    # Who sent it; NULL once a rejected application is purged.
    submitted_by: Mapped[str | None] = mapped_column(String(255), index=True)
    membership_id: Mapped[int | None] = mapped_column(ForeignKey("membership.id"), index=True)
    # §76: the receiving membership, and the login that consented for it.
    counterpart_membership_id: Mapped[int | None] = mapped_column(ForeignKey("membership.id"), index=True)
    # §76: the member number the giver typed. The sender's view shows this, never whether it
    # belongs to a membership (counterpart_membership_id stays NULL when it cannot receive).
    to_member_no: Mapped[int | None] = mapped_column(Integer)
    counterpart_user: Mapped[str | None] = mapped_column(String(255))
    counterpart_consented_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    shares: Mapped[int | None] = mapped_column(Integer)
    amount_cents: Mapped[int | None] = mapped_column(BigInteger)
    # The statute version shown with the declaration: its number and parameters as they were.
    statute_version_id: Mapped[int | None] = mapped_column(ForeignKey("statute_version.id"))
    statute_version: Mapped[int | None] = mapped_column(Integer)
    statute_params: Mapped[str | None] = mapped_column(Text)
    declaration_sha256: Mapped[str | None] = mapped_column(String(64))  # the exact text declared (§15a)
    acknowledgements: Mapped[str | None] = mapped_column(Text)  # JSON: each §15a flag the applicant ticked
    payload: Mapped[str | None] = mapped_column(Text)  # JSON; personal data of an application
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_on: Mapped[date] = mapped_column(Date)  # Zugang (§130 BGB)
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)  # e.g. after hours on the deadline day
    effective_date: Mapped[date | None] = mapped_column(Date)  # computed when sent (notice) or booked
    settlement_due: Mapped[date | None] = mapped_column(Date)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(255))
    decided_on: Mapped[date | None] = mapped_column(Date)  # admission / confirmation date
    reason: Mapped[str | None] = mapped_column(Text)  # why it was rejected, as told to the member
    notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    notify_error: Mapped[str | None] = mapped_column(String(500))
    purged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # What the decision booked in the register.
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notice.id"))
    share_entry_id: Mapped[int | None] = mapped_column(ForeignKey("share_entry.id"))
    transfer_id: Mapped[str | None] = mapped_column(String(36))

    def __repr__(self) -> str:
        return f"<MemberRequest #{self.id} {self.kind} {self.status}>"


class NotificationLog(Base):
    """One Nextcloud notification a member caused another user to get (a transfer offer), or the
    one that was collapsed because the recipient had their hourly share already. Counted under
    the writers' lock when an offer is made, so a burst of offers cannot exceed the limit."""

    __tablename__ = "notification_log"
    __table_args__ = (Index("ix_notification_log_recipient_kind_created_at", "recipient", "kind", "created_at"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    recipient: Mapped[str] = mapped_column(String(255))  # Nextcloud user id
    kind: Mapped[str] = mapped_column(String(40))  # transfer_offer
    request_id: Mapped[int | None] = mapped_column(ForeignKey("member_request.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    collapsed: Mapped[bool] = mapped_column(Boolean)  # over the limit: listed on the Requests page only
    last_in_window: Mapped[bool] = mapped_column(Boolean)  # the last one allowed: its text says so
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(String(500))

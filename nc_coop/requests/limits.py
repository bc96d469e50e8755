# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Limits against flooding (issue 13, point 8): how many requests a membership may have open,
and how many notifications one member can make another user get per hour.

The counts are read under the writers' lock (``register.lock_memberships`` takes the audit
chain's lock first: SQLite's write lock, PostgreSQL's advisory lock), so requests sent at once
are counted one after the other. No index can say "at most 3"; the lock is the guard.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nc_coop.register.links import account_grants
from nc_coop.register.models import Account, Membership
from nc_coop.requests.models import MemberRequest, NotificationLog
from nc_coop.requests.rules import Kind, Status

TRANSFER_OFFER = "transfer_offer"
WINDOW = timedelta(hours=1)
# An offer is open while the receiver or the board has still to answer it.
OPEN_TRANSFER = (Status.AWAITING_CONSENT.value, Status.SUBMITTED.value)


def open_transfers(session: Session, membership_id: int) -> int:
    """Offers this membership has made that wait for an answer (to any number, receivable or not)."""
    return session.scalar(select(func.count()).select_from(MemberRequest).where(
        MemberRequest.membership_id == membership_id, MemberRequest.kind == Kind.TRANSFER.value,
        MemberRequest.status.in_(OPEN_TRANSFER))) or 0


def open_share_requests(session: Session, membership_id: int) -> int:
    return session.scalar(select(func.count()).select_from(MemberRequest).where(
        MemberRequest.membership_id == membership_id, MemberRequest.kind == Kind.SHARES.value,
        MemberRequest.status == Status.SUBMITTED.value)) or 0


def logins_of(session: Session, membership_id: int | None, today: date) -> list[str]:
    """Nextcloud users who act for a membership today (the member, running representatives)."""
    if membership_id is None:
        return []
    return list(dict.fromkeys(session.scalars(
        select(Account.nextcloud_user_id).join(Membership, Membership.party_id == Account.party_id)
        .where(Membership.id == membership_id, account_grants(today))
        .order_by(Account.nextcloud_user_id))))


def notifications_in_window(session: Session, recipient: str, kind: str, now: datetime) -> int:
    return session.scalar(select(func.count()).select_from(NotificationLog).where(
        NotificationLog.recipient == recipient, NotificationLog.kind == kind,
        NotificationLog.collapsed.is_(False), NotificationLog.created_at > now - WINDOW)) or 0


def claim_notifications(session: Session, request: MemberRequest, recipients: list[str], *, kind: str,
                        per_hour: int, now: datetime) -> tuple[int, int]:
    """Log one notification per recipient for ``request``: to be sent while the recipient has had
    fewer than ``per_hour`` of this kind in the last hour, else collapsed (the request is on their
    Requests page all the same). The caller holds the writers' lock. (to send, collapsed)"""
    send = collapsed = 0
    for user in recipients:
        used = notifications_in_window(session, user, kind, now)
        over = used >= per_hour
        session.add(NotificationLog(recipient=user, kind=kind, request_id=request.id, created_at=now, collapsed=over,
                                    last_in_window=not over and used + 1 == per_hour))
        collapsed += over
        send += not over
    session.flush()
    return send, collapsed


def pending_notifications(session: Session, request_id: int, kind: str) -> list[NotificationLog]:
    """The notifications claimed for a request and not yet sent."""
    return list(session.scalars(select(NotificationLog).where(
        NotificationLog.request_id == request_id, NotificationLog.kind == kind, NotificationLog.collapsed.is_(False),
        NotificationLog.sent_at.is_(None), NotificationLog.error.is_(None)).order_by(NotificationLog.id)))

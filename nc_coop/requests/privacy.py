# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The data export (GDPR Art. 15 and 20): everything nc_coop holds about one Nextcloud user,
as plain JSON-able data. Read-only; the download itself is audited by the view."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import and_, inspect, or_, select
from sqlalchemy.orm import Session

from nc_coop.audit.models import AuditEvent
from nc_coop.documents.models import DocumentConfirmation
from nc_coop.quota.models import QuotaRequest
from nc_coop.register.models import (
    Account,
    CapitalEntry,
    Membership,
    MembershipEvent,
    Notice,
    Party,
    RepresentationEvent,
    ShareEntry,
)
from nc_coop.register.links import account_grants
from nc_coop.register.queries import visible_membership_ids
from nc_coop.requests.models import MemberRequest, NotificationLog
from nc_coop.requests.queries import visible_condition


def _row(obj: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """A row's columns as JSON-able values (dates as ISO text, JSON columns parsed)."""
    out: dict[str, Any] = {}
    for column in inspect(obj).mapper.column_attrs:
        if column.key in skip:
            continue
        value = getattr(obj, column.key)
        if isinstance(value, (date, datetime)):
            value = value.isoformat()
        elif column.key in ("payload", "acknowledgements", "diff") and isinstance(value, str):
            value = json.loads(value)
        out[column.key] = value
    return out


def _other_side(request: MemberRequest, mine: set[int]) -> dict[str, Any]:
    """A request row as this user may see it: of a transfer, the other member's login is left out."""
    row = _row(request)
    if request.membership_id is not None and request.membership_id not in mine:
        row["submitted_by"] = None  # the receiving side: the giver's login is not theirs
    if request.counterpart_membership_id is not None and request.counterpart_membership_id not in mine:
        row["counterpart_user"] = None  # the giving side: nor the receiver's login
    if request.kind == "transfer" and request.counterpart_membership_id not in mine:
        # Nor whether the number reached a membership (to_member_no is what they typed).
        row["counterpart_membership_id"] = None
    return row


def user_data(session: Session, user_id: str) -> dict[str, Any]:
    """Accounts of the user and every party they are linked to (their own, and organisations they
    act for while the appointment runs; the same accounts the register shows them), with
    memberships, both ledgers, notices, requests, the storage requests they made themselves,
    representations, read confirmations and the audit events about their own parties, memberships
    and requests."""
    membership_ids = visible_membership_ids(session, user_id)
    accounts = session.scalars(select(Account).where(
        Account.nextcloud_user_id == user_id, account_grants(date.today())).order_by(Account.id)).all()
    party_ids = sorted({a.party_id for a in accounts})
    parties = session.scalars(select(Party).where(Party.id.in_(party_ids)).order_by(Party.id)).all()
    memberships = session.scalars(select(Membership).where(Membership.id.in_(membership_ids))
                                  .order_by(Membership.member_no)).all()
    membership_rows = []
    for m in memberships:
        item = _row(m)
        item["share_entries"] = [_row(e) for e in session.scalars(
            select(ShareEntry).where(ShareEntry.membership_id == m.id).order_by(ShareEntry.id))]
        item["capital_entries"] = [_row(e) for e in session.scalars(
            select(CapitalEntry).where(CapitalEntry.membership_id == m.id).order_by(CapitalEntry.id))]
        item["events"] = [_row(e) for e in session.scalars(
            select(MembershipEvent).where(MembershipEvent.membership_id == m.id).order_by(MembershipEvent.id))]
        membership_rows.append(item)
    notices = session.scalars(select(Notice).where(Notice.membership_id.in_(membership_ids)).order_by(Notice.id)).all()
    requests = session.scalars(select(MemberRequest).where(visible_condition(user_id, set(membership_ids)))
                               .order_by(MemberRequest.id)).all()
    mine = set(membership_ids)
    own_requests = [r for r in requests if r.membership_id in mine or r.membership_id is None]
    representations = session.scalars(select(RepresentationEvent).where(or_(
        RepresentationEvent.organisation_party_id.in_(party_ids),
        RepresentationEvent.person_party_id.in_(party_ids))).order_by(RepresentationEvent.id)).all()
    confirmations = session.scalars(select(DocumentConfirmation).where(or_(
        DocumentConfirmation.nextcloud_user_id == user_id, DocumentConfirmation.membership_id.in_(membership_ids)))
        .order_by(DocumentConfirmation.id)).all()
    # Storage requests are the requester's own: another representative's request for the same
    # organisation is theirs, not this user's.
    storage_requests = session.scalars(select(QuotaRequest).where(QuotaRequest.requester == user_id)
                                       .order_by(QuotaRequest.id)).all()
    about = [and_(AuditEvent.entity == "membership", AuditEvent.entity_id.in_([str(i) for i in membership_ids])),
             and_(AuditEvent.entity == "party", AuditEvent.entity_id.in_([str(i) for i in party_ids])),
             and_(AuditEvent.entity == "member_request", AuditEvent.entity_id.in_([str(r.id) for r in own_requests])),
             and_(AuditEvent.entity == "quota_request",
                  AuditEvent.entity_id.in_([str(r.id) for r in storage_requests]))]
    audit = session.scalars(select(AuditEvent).where(or_(*about)).order_by(AuditEvent.id)).all()
    return {
        "generated_at": datetime.now(UTC).isoformat(),
        "nextcloud_user": user_id,
        "accounts": [_row(a) for a in accounts],
        "parties": [_row(p) for p in parties],
        "memberships": membership_rows,
        "notices": [_row(n) for n in notices],
        "requests": [_other_side(r, mine) for r in requests],
        "storage_requests": [_row(r) for r in storage_requests],
        "representations": [_row(r) for r in representations],
        "document_confirmations": [_row(c) for c in confirmations],
        "audit_events": [_row(e, skip=("prev_hash", "hash")) for e in audit],
        "notifications": [_row(n) for n in session.scalars(
            select(NotificationLog).where(NotificationLog.recipient == user_id).order_by(NotificationLog.id))],
    }

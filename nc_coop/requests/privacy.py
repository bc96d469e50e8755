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
from nc_coop.requests.models import MemberRequest


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


def user_data(session: Session, user_id: str) -> dict[str, Any]:
    """Accounts of the user and every party they are linked to (their own, and organisations they
    act for), with memberships, both ledgers, notices, requests, representations, read
    confirmations and the audit events about any of these."""
    accounts = session.scalars(select(Account).where(Account.nextcloud_user_id == user_id)
                               .order_by(Account.id)).all()
    party_ids = sorted({a.party_id for a in accounts})
    # The person behind a representative login (RepresentationEvent.person_party_id) is theirs too.
    account_ids = [a.id for a in accounts]
    person_ids = set(session.scalars(select(RepresentationEvent.person_party_id)
                                     .where(RepresentationEvent.account_id.in_(account_ids)))) if account_ids else set()
    all_party_ids = sorted(set(party_ids) | person_ids)
    parties = session.scalars(select(Party).where(Party.id.in_(all_party_ids)).order_by(Party.id)).all()
    memberships = session.scalars(select(Membership).where(Membership.party_id.in_(party_ids))
                                  .order_by(Membership.member_no)).all()
    membership_ids = [m.id for m in memberships]
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
    requests = session.scalars(select(MemberRequest).where(or_(
        MemberRequest.submitted_by == user_id, MemberRequest.membership_id.in_(membership_ids),
        MemberRequest.counterpart_membership_id.in_(membership_ids))).order_by(MemberRequest.id)).all()
    representations = session.scalars(select(RepresentationEvent).where(or_(
        RepresentationEvent.organisation_party_id.in_(party_ids),
        RepresentationEvent.person_party_id.in_(all_party_ids))).order_by(RepresentationEvent.id)).all()
    confirmations = session.scalars(select(DocumentConfirmation).where(or_(
        DocumentConfirmation.nextcloud_user_id == user_id, DocumentConfirmation.membership_id.in_(membership_ids)))
        .order_by(DocumentConfirmation.id)).all()
    about = [and_(AuditEvent.entity == "membership", AuditEvent.entity_id.in_([str(i) for i in membership_ids])),
             and_(AuditEvent.entity == "party", AuditEvent.entity_id.in_([str(i) for i in all_party_ids])),
             and_(AuditEvent.entity == "member_request", AuditEvent.entity_id.in_([str(r.id) for r in requests])),
             AuditEvent.actor == user_id]
    audit = session.scalars(select(AuditEvent).where(or_(*about)).order_by(AuditEvent.id)).all()
    return {
        "generated_at": datetime.now(UTC).isoformat(),
        "nextcloud_user": user_id,
        "accounts": [_row(a) for a in accounts],
        "parties": [_row(p) for p in parties],
        "memberships": membership_rows,
        "notices": [_row(n) for n in notices],
        "requests": [_row(r) for r in requests],
        "representations": [_row(r) for r in representations],
        "document_confirmations": [_row(c) for c in confirmations],
        "audit_events": [_row(e, skip=("prev_hash", "hash")) for e in audit],
    }

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Read models of requests: a member's own, the board's inbox, and who may see which request."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from nc_coop.register.models import Membership, Party
from nc_coop.register.queries import visible_membership_ids
from nc_coop.register.schemas import MAX_ID
from nc_coop.requests.models import MemberRequest
from nc_coop.requests.rules import Kind, Status


@dataclass(frozen=True)
class RequestView:
    id: int
    kind: str
    status: str
    membership_id: int | None
    member_no: int | None
    member_name: str | None  # the membership's party, or the applicant (board only)
    counterpart_member_no: int | None
    shares: int | None
    amount_cents: int | None
    scope: str | None  # notice: all | partial
    statute_version: int | None
    submitted_at: datetime
    received_on: date
    needs_review: bool
    effective_date: date | None
    settlement_due: date | None
    decided_at: datetime | None
    decided_on: date | None
    reason: str | None
    notified_at: datetime | None
    notify_error: str | None
    purged: bool
    awaiting_my_consent: bool  # §76: the viewing user may consent for the receiving membership
    mine: bool  # sent by the viewing user (or for a membership they act for)
    withdrawable: bool  # §76: an offer from a membership the viewer acts for, not answered yet
    applicant: dict[str, str | None] | None  # join: the declared data (board only; None once purged)


def _view(session: Session, r: MemberRequest, *, viewer_memberships: set[int] | None, viewer: str | None,
          board: bool) -> RequestView:
    member_no = name = None
    if r.membership_id is not None:
        row = session.execute(select(Membership.member_no, Party.legal_name, Party.given_names, Party.family_name)
                              .join(Party, Party.id == Membership.party_id)
                              .where(Membership.id == r.membership_id)).one()
        member_no = row[0]
        name = row[1] or f"{row[2] or ''} {row[3] or ''}".strip()
    payload = json.loads(r.payload) if r.payload else {}
    applicant = None
    if r.kind == Kind.JOIN.value and payload:
        applicant = {k: payload.get(k) for k in ("kind", "family_name", "given_names", "legal_name",
                                                 "postal_address", "email", "register_court", "register_no")}
        if name is None:
            name = payload.get("legal_name") or f"{payload.get('given_names') or ''} {payload.get('family_name') or ''}".strip()
    # The number the giver typed: the same entry whether or not it reached a membership.
    counterpart_no = r.to_member_no if r.to_member_no is not None else (
        session.scalar(select(Membership.member_no).where(Membership.id == r.counterpart_membership_id))
        if r.counterpart_membership_id else None)
    mine_ids = viewer_memberships or set()
    awaiting = (r.status == Status.AWAITING_CONSENT.value and r.counterpart_membership_id in mine_ids)
    mine = (viewer is not None and r.submitted_by == viewer) or (r.membership_id in mine_ids)
    return RequestView(
        id=r.id, kind=r.kind, status=r.status, membership_id=r.membership_id, member_no=member_no,
        member_name=name, counterpart_member_no=counterpart_no, shares=r.shares, amount_cents=r.amount_cents,
        scope=payload.get("scope") if r.kind == Kind.NOTICE.value else None, statute_version=r.statute_version,
        submitted_at=r.submitted_at, received_on=r.received_on, needs_review=r.needs_review,
        effective_date=r.effective_date, settlement_due=r.settlement_due, decided_at=r.decided_at,
        decided_on=r.decided_on, reason=r.reason, notified_at=r.notified_at,
        notify_error=r.notify_error if board else None, purged=r.purged_at is not None,
        awaiting_my_consent=awaiting, mine=mine,
        withdrawable=(r.kind == Kind.TRANSFER.value and r.status == Status.AWAITING_CONSENT.value
                      and r.membership_id in mine_ids), applicant=applicant if board else None)


def visible_condition(user_id: str, memberships: set[int]) -> object:
    """Requests for the memberships the user may see now, and their own join applications. The
    sender of a request for a membership sees it only while they still see the membership (a
    former representative or a disabled account does not)."""
    return or_(and_(MemberRequest.submitted_by == user_id, MemberRequest.membership_id.is_(None)),
               MemberRequest.membership_id.in_(memberships),
               MemberRequest.counterpart_membership_id.in_(memberships))


def my_requests(session: Session, user_id: str) -> list[RequestView]:
    """Requests the user sent, those for memberships they act for, and transfers offered to them.
    A transfer offered to them shows only what they need to decide; the rest is the giver's."""
    memberships = set(visible_membership_ids(session, user_id))
    rows = session.scalars(select(MemberRequest).where(visible_condition(user_id, memberships))
                           .order_by(MemberRequest.submitted_at.desc(), MemberRequest.id.desc())).all()
    return [_view(session, r, viewer_memberships=memberships, viewer=user_id, board=False) for r in rows]


def request_for_user(session: Session, user_id: str, request_id: int) -> MemberRequest | None:
    """The request if this user may see it (else None: the caller answers 404)."""
    if request_id > MAX_ID:
        return None
    memberships = set(visible_membership_ids(session, user_id))
    return session.scalar(select(MemberRequest).where(MemberRequest.id == request_id,
                                                      visible_condition(user_id, memberships)))


def view_for_user(session: Session, user_id: str, request: MemberRequest) -> RequestView:
    return _view(session, request, viewer_memberships=set(visible_membership_ids(session, user_id)), viewer=user_id,
                 board=False)


def board_view(session: Session, request: MemberRequest) -> RequestView:
    return _view(session, request, viewer_memberships=None, viewer=None, board=True)


def inbox(session: Session, *, kind: str | None = None, status: str | None = None, limit: int = 200) -> list[RequestView]:
    """The board's inbox: the oldest open request first, then the newest decided."""
    query = select(MemberRequest)
    if kind:
        query = query.where(MemberRequest.kind == kind)
    if status:
        query = query.where(MemberRequest.status == status)
    open_first = (MemberRequest.status != Status.SUBMITTED.value)
    rows = session.scalars(query.order_by(open_first, MemberRequest.submitted_at, MemberRequest.id).limit(limit)).all()
    return [board_view(session, r) for r in rows]


def request_or_none(session: Session, request_id: int) -> MemberRequest | None:
    return session.get(MemberRequest, request_id) if request_id <= MAX_ID else None

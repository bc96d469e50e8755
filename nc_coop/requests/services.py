# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Writes of member requests. Every function flushes, never commits (the request's unit of work
commits once); a ``RuleViolation`` leaves the caller to roll back, so a refused request writes
nothing. Bookings go through ``nc_coop.register.services``; nothing here touches a ledger.

Audit diffs name ids, kinds and numbers, never names, addresses or e-mails: an application
that is rejected must leave no personal data behind (§15 Abs. 2 GenG), and the audit chain
cannot be purged. That is also why an application is audited as actor "applicant".
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nc_coop.audit.chain import lock_chain, record
from nc_coop.dates import coop_zone, lazy_day, local_day
from nc_coop.register import services as register
from nc_coop.register.ledger import position_on
from nc_coop.register.models import Account, Membership, Party
from nc_coop.register.queries import visible_membership_ids
from nc_coop.register.services import Actor
from nc_coop.register.statute import PartyKind, StatuteParams, TransferPolicy
from nc_coop.register.statutes import Statutes, params_to_json
from nc_coop.requests import limits, rules
from nc_coop.requests.models import MemberRequest
from nc_coop.requests.rules import Acknowledgement, Action, Kind, NoticePreview, RuleViolation, Status

APPLICANT = "applicant"  # the audit actor of an application: no user id in the chain
Render = Callable[[Acknowledgement], str]

__all__ = ["Actor", "submit_join", "submit_shares", "preview_notice", "submit_notice", "submit_transfer",
           "withdraw_transfer", "respond_transfer", "decide", "change_contact", "after_notification", "membership_state"]


def _now() -> datetime:
    return datetime.now(UTC)


def _statute(statutes: Statutes, day: date, field: str = "date") -> tuple[int, int, StatuteParams]:
    try:
        row_id, version = statutes.in_force(day)
    except ValueError:
        raise RuleViolation(field, _l("no statute version is in force on %(date)s", date=day.isoformat())) from None
    return row_id, version.version, version.params


@dataclass(frozen=True)
class MembershipState:
    """What the request rules need to know about a membership on a day."""

    membership: Membership
    party: Party
    running: bool
    exit_pending: bool  # an exit date is set (notice, exclusion, death, transfer of everything)
    held: int
    paid_in_cents: int
    mandatory: int


def membership_state(session: Session, statutes: Statutes, membership_id: int, day: date) -> MembershipState:
    membership = session.get(Membership, membership_id)
    if membership is None:
        raise RuleViolation("membership_id", _l("No such membership."))
    party = session.get(Party, membership.party_id)
    window = register.window_of(session, membership)
    params = statutes.params_on(max(day, membership.admitted_on))
    return MembershipState(membership, party, window.running(day), window.exit_on is not None,
                           position_on(register.share_moves(session, membership_id), day),
                           position_on(register.capital_moves(session, membership_id), day),
                           params.mandatory_shares_for(PartyKind(party.kind)))


def _declaration(kind: Kind, params: StatuteParams, version: int, acknowledged: set[str],
                 render: Render) -> tuple[str, str]:
    """Check the §15a statements were ticked; (text hash, acknowledgements JSON) to store."""
    required = rules.acknowledgements_for(kind, params)
    rules.check_acknowledged(required, acknowledged)
    return (rules.declaration_sha256(version, [render(item) for item in required]),
            json.dumps({item.key: True for item in required}, sort_keys=True))


def _new_request(kind: Kind, status: Status, submitted_by: str | None, today: date, **values: Any) -> MemberRequest:
    return MemberRequest(kind=kind.value, status=status.value, submitted_by=submitted_by, submitted_at=_now(),
                         received_on=today, needs_review=False, **values)


def _audit(session: Session, actor: str, action: str, request: MemberRequest, request_id: str | None,
           **diff: Any) -> None:
    record(session, actor=actor, action=f"request.{action}", entity="member_request", entity_id=str(request.id),
           diff={"kind": request.kind, "status": request.status, **diff}, request_id=request_id)


def _statute_columns(statutes: Statutes, day: date) -> dict[str, Any]:
    row_id, version, params = _statute(statutes, day)
    return {"statute_version_id": row_id, "statute_version": version, "statute_params": params_to_json(params)}


# --- §15 join ------------------------------------------------------------------------------------

def is_member(session: Session, user_id: str, today: date) -> bool:
    """A member personally: their own account (not one they represent an organisation with)
    is linked to a membership that has not ended. A representative may still join themself."""
    statutes = Statutes(session)
    own = set(session.scalars(select(Membership.id).join(Account, Account.party_id == Membership.party_id)
                              .where(Account.nextcloud_user_id == user_id, Account.role == "self")))
    return any(membership_state(session, statutes, mid, today).running
               or session.get(Membership, mid).admitted_on > today
               for mid in visible_membership_ids(session, user_id) if mid in own)


def submit_join(session: Session, actor: Actor, *, data: dict[str, Any], acknowledged: set[str], render: Render,
                today: date) -> MemberRequest:
    """A Beitrittserklärung in Textform, with the statute version in force today snapshotted."""
    lock_chain(session)  # one application at a time per database: the pending check below stands
    statutes = Statutes(session)
    _, version, params = _statute(statutes, today, "shares")
    pending = session.scalar(select(func.count()).select_from(MemberRequest).where(
        MemberRequest.submitted_by == actor.user_id, MemberRequest.kind == Kind.JOIN.value,
        MemberRequest.status == Status.SUBMITTED.value))
    rules.check_join(already_member=is_member(session, actor.user_id, today), pending_application=bool(pending),
                     shares=data["shares"], mandatory=params.mandatory_shares_for(PartyKind(data["kind"])),
                     params=params)
    sha, acks = _declaration(Kind.JOIN, params, version, acknowledged, render)
    personal = {k: data.get(k) for k in ("kind", "family_name", "given_names", "legal_name", "postal_address",
                                         "email", "register_court", "register_no")}
    request = _new_request(Kind.JOIN, Status.SUBMITTED, actor.user_id, today, shares=data["shares"],
                           declaration_sha256=sha, acknowledgements=acks,
                           payload=json.dumps(personal, ensure_ascii=False, sort_keys=True),
                           **_statute_columns(statutes, today))
    session.add(request)
    session.flush()
    _audit(session, APPLICANT, "submit", request, actor.request_id, shares=data["shares"], statute_version=version)
    return request


# --- §15b further shares -------------------------------------------------------------------------

def _pending_shares(session: Session, membership_id: int) -> int:
    return session.scalar(select(func.coalesce(func.sum(MemberRequest.shares), 0)).where(
        MemberRequest.membership_id == membership_id, MemberRequest.kind == Kind.SHARES.value,
        MemberRequest.status == Status.SUBMITTED.value)) or 0


def submit_shares(session: Session, actor: Actor, *, membership_id: int, shares: int, acknowledged: set[str],
                  render: Render, today: date) -> MemberRequest:
    """A Beteiligungserklärung (§15b); refused while older shares are unpaid."""
    register.lock_memberships(session, [membership_id])
    statutes = Statutes(session)
    _, version, params = _statute(statutes, today, "shares")
    state = membership_state(session, statutes, membership_id, today)
    if state.running and not state.exit_pending:  # a membership that ends gets its own message below
        rules.check_open_shares(limits.open_share_requests(session, membership_id))  # under the lock above
    rules.check_further_shares(running=state.running and not state.exit_pending, held=state.held,
                               paid_in_cents=state.paid_in_cents, wanted=shares,
                               pending=_pending_shares(session, membership_id), params=params)
    sha, acks = _declaration(Kind.SHARES, params, version, acknowledged, render)
    request = _new_request(Kind.SHARES, Status.SUBMITTED, actor.user_id, today, membership_id=membership_id,
                           shares=shares, declaration_sha256=sha, acknowledgements=acks,
                           **_statute_columns(statutes, today))
    session.add(request)
    session.flush()
    _audit(session, actor.user_id, "submit", request, actor.request_id, membership_id=membership_id, shares=shares)
    return request


# --- §65 / §67b notice ---------------------------------------------------------------------------

def _pending_notice(session: Session, membership_id: int) -> bool:
    return bool(session.scalar(select(func.count()).select_from(MemberRequest).where(
        MemberRequest.membership_id == membership_id, MemberRequest.kind == Kind.NOTICE.value,
        MemberRequest.status == Status.SUBMITTED.value)))


def preview_notice(session: Session, *, membership_id: int, shares: int | None, today: date) -> NoticePreview:
    """The dates a notice received today would have, with the statute version in force today."""
    statutes = Statutes(session)
    _, _, params = _statute(statutes, today, "scope")
    state = membership_state(session, statutes, membership_id, today)
    if not state.running:
        raise RuleViolation("membership_id", _l("This membership does not run any more."))
    if _pending_notice(session, membership_id):
        raise RuleViolation("scope", _l("A notice of yours is already with the board."))
    preview = rules.notice_preview(today, params, held=state.held, mandatory=state.mandatory, shares=shares,
                                   exit_pending=state.exit_pending)
    # The shares held when the notice takes effect decide (a later booking may change them).
    return preview


def submit_notice(session: Session, actor: Actor, *, membership_id: int, shares: int | None,
                  now: datetime | None = None) -> MemberRequest:
    """A Kündigung in Textform: received when sent (Zugang); dates as the preview showed them."""
    register.lock_memberships(session, [membership_id])
    sent = now or _now()
    local = sent.astimezone(coop_zone())  # received and business hours (§130 BGB) count at the cooperative
    today = local.date()
    preview = preview_notice(session, membership_id=membership_id, shares=shares, today=today)
    statutes = Statutes(session)
    request = _new_request(Kind.NOTICE, Status.SUBMITTED, actor.user_id, today, membership_id=membership_id,
                           shares=preview.shares, effective_date=preview.effective_date,
                           settlement_due=preview.settlement_due, payload=json.dumps({"scope": preview.scope}),
                           **_statute_columns(statutes, today))
    request.submitted_at = sent
    request.needs_review = rules.after_hours_on_deadline(local, preview)
    session.add(request)
    session.flush()
    _audit(session, actor.user_id, "submit", request, actor.request_id, membership_id=membership_id,
           scope=preview.scope, shares=preview.shares, received_on=today.isoformat(),
           effective=preview.effective_date.isoformat())
    return request


def notice_scope(request: MemberRequest) -> str:
    return json.loads(request.payload or "{}").get("scope", "all")


# --- §76 transfer --------------------------------------------------------------------------------

def submit_transfer(session: Session, actor: Actor, *, membership_id: int, to_member_no: int, shares: int,
                    amount_cents: int, today: date, max_open: int = 3,
                    notifications_per_hour: int = 3) -> MemberRequest:
    """The giver's side of a §76 agreement; it waits for the receiving member's consent.

    The answer is the same whether ``to_member_no`` can receive it or not (issue 13, point 8):
    an offer to an unknown number, a member who has left or is leaving, or one whose shares cannot
    take the amount is stored all the same, without a receiving membership, so nobody sees or
    answers it and it counts against ``max_open`` like any other; the sender can withdraw it.
    Notifications for the receiver are claimed here, under the lock (see ``limits``)."""
    receiver_id = session.scalar(select(Membership.id).where(Membership.member_no == to_member_no))
    ids = [membership_id] + ([receiver_id] if receiver_id is not None else [])
    register.lock_memberships(session, ids)
    statutes = Statutes(session)
    _, _, params = _statute(statutes, today, "to_member_no")
    giver = membership_state(session, statutes, membership_id, today)
    if not giver.running:
        raise RuleViolation("membership_id", _l("This membership does not run any more."))
    receiver = membership_state(session, statutes, receiver_id, today) if receiver_id is not None else None
    rules.check_transfer(params, same_membership=receiver_id == membership_id,
                         giver_shares=giver.held, giver_capital_cents=giver.paid_in_cents,
                         giver_mandatory=giver.mandatory, shares=shares, amount_cents=amount_cents)
    rules.check_open_transfers(limits.open_transfers(session, membership_id), max_open)  # under the lock above
    delivered = receiver is not None and rules.can_receive(
        params, receiver_running=receiver.running and not receiver.exit_pending, shares=shares,
        amount_cents=amount_cents, receiver_shares=receiver.held, receiver_capital_cents=receiver.paid_in_cents)
    request = _new_request(Kind.TRANSFER, Status.AWAITING_CONSENT, actor.user_id, today, membership_id=membership_id,
                           counterpart_membership_id=receiver_id if delivered else None, to_member_no=to_member_no,
                           shares=shares, amount_cents=amount_cents, **_statute_columns(statutes, today))
    session.add(request)
    session.flush()
    # The sender's data export holds this event: it names the number typed, not where it went.
    _audit(session, actor.user_id, "submit", request, actor.request_id, membership_id=membership_id,
           to_member_no=to_member_no, shares=shares, amount_cents=amount_cents)
    notify, collapsed = limits.claim_notifications(
        session, request, limits.logins_of(session, request.counterpart_membership_id, today),
        kind=limits.TRANSFER_OFFER, per_hour=notifications_per_hour, now=request.submitted_at) if delivered else (0, 0)
    record(session, actor=actor.user_id, action="request.transfer_routed", entity="member_request_routing",
           entity_id=str(request.id), diff={"to_membership_id": request.counterpart_membership_id,
                                            "delivered": delivered, "notifications": notify, "collapsed": collapsed},
           request_id=actor.request_id)
    return request


def withdraw_transfer(session: Session, actor: Actor, request: MemberRequest) -> MemberRequest:
    """The giver takes back an offer the receiver has not answered (also one that reached
    nobody): it frees a place under the open-offer limit. Re-read under the lock: an answer that
    came first wins, and the withdrawal is refused."""
    lock_chain(session)
    session.refresh(request)
    if request.kind != Kind.TRANSFER.value:
        raise RuleViolation("decision", _l("Only a transfer offer can be withdrawn."))
    if request.status != Status.AWAITING_CONSENT.value:
        raise RuleViolation("decision", _l("This offer has been answered or withdrawn already."))
    request.status = rules.next_status(Status(request.status), Action.WITHDRAW).value
    request.decided_at = _now()
    session.flush()
    _audit(session, actor.user_id, "withdraw", request, actor.request_id, membership_id=request.membership_id)
    return request


def _book_transfer(session: Session, actor: Actor, request: MemberRequest, *, agreed_on: date,
                   board_consent_on: date | None) -> None:
    request.transfer_id = register.transfer(
        session, actor, from_membership_id=request.membership_id, to_membership_id=request.counterpart_membership_id,
        shares=request.shares or 0, amount_cents=request.amount_cents or 0, agreed_on=agreed_on,
        board_consent_on=board_consent_on, basis_document=f"request #{request.id}")
    request.effective_date = agreed_on if board_consent_on is None else max(agreed_on, board_consent_on)


def respond_transfer(session: Session, actor: Actor, request: MemberRequest, *, consent: bool,
                     today: date) -> MemberRequest:
    """The receiving member agrees or declines. Agreed, the transfer is booked at once unless the
    statute wants the board's consent (§76 Abs. 2), which then decides from its inbox."""
    lock_chain(session)
    session.refresh(request)  # read after the lock: a second click decides nothing twice
    request.status = rules.next_status(Status(request.status), Action.CONSENT if consent else Action.DECLINE).value
    request.counterpart_user = actor.user_id
    request.counterpart_consented_at = _now() if consent else None
    if consent:
        statutes = Statutes(session)
        _, _, params = _statute(statutes, today, "decision")
        if params.transfer_policy is TransferPolicy.FREE:
            _book_transfer(session, actor, request, agreed_on=today, board_consent_on=None)
            request.status = rules.next_status(Status(request.status), Action.APPROVE).value
            request.decided_at, request.decided_on = _now(), today
    session.flush()
    _audit(session, actor.user_id, "consent" if consent else "decline", request, actor.request_id,
           transfer_id=request.transfer_id)
    return request


# --- The board's decision ------------------------------------------------------------------------

def _check_decision_date(request: MemberRequest, on: date, today: date) -> None:
    if on > today:
        raise RuleViolation("date", _l("A decision cannot be dated in the future."))
    if on < request.received_on:
        raise RuleViolation("date", _l("Before the request was received (%(day)s).", day=lazy_day(request.received_on)))


def _admit(session: Session, actor: Actor, request: MemberRequest, on: date) -> None:
    data = json.loads(request.payload or "{}")
    party = Party(kind=data["kind"], family_name=data.get("family_name"), given_names=data.get("given_names"),
                  legal_name=data.get("legal_name"), postal_address=data["postal_address"], email=data.get("email"),
                  register_court=data.get("register_court"), register_no=data.get("register_no"), created_at=_now())
    session.add(party)
    session.flush()
    membership = register.admit_member(session, actor, party_id=party.id, admitted_on=on, shares=request.shares or 0,
                                       basis_document=f"request #{request.id}")
    session.add(Account(nextcloud_user_id=request.submitted_by, party_id=party.id, role="self", created_at=_now()))
    request.membership_id = membership.id
    request.effective_date = on


def decide(session: Session, actor: Actor, request: MemberRequest, *, action: Action, on: date, today: date,
           reason: str | None = None) -> MemberRequest:
    """Admit, confirm or book (approve) or reject a request in the inbox. Approval books through
    the register's services with their checks; a refusal there leaves the request undecided."""
    lock_chain(session)
    session.refresh(request)  # read after the lock: two board members never decide one request twice
    new_status = rules.next_status(Status(request.status), action)
    _check_decision_date(request, on, today)
    if action is Action.REJECT and not (reason or "").strip():
        raise RuleViolation("reason", _l("Tell the member why."))
    if action is Action.APPROVE:
        kind = Kind(request.kind)
        if kind is Kind.JOIN:
            _admit(session, actor, request, on)
        elif kind is Kind.SHARES:
            entry = register.subscribe_shares(session, actor, membership_id=request.membership_id,
                                              shares=request.shares or 0, admitted_on=on,
                                              declared_on=request.received_on, basis_document=f"request #{request.id}")
            request.share_entry_id = entry.id
            request.effective_date = on
        elif kind is Kind.NOTICE:
            notice = register.receive_notice(
                session, actor, membership_id=request.membership_id, received_on=request.received_on,
                shares=None if notice_scope(request) == "all" else request.shares,
                basis_document=f"request #{request.id}")
            request.notice_id = notice.id
            request.effective_date, request.settlement_due = notice.effective_date, notice.settlement_due
        elif kind is Kind.TRANSFER:
            agreed = local_day(request.counterpart_consented_at or _now(), coop_zone())
            _book_transfer(session, actor, request, agreed_on=agreed, board_consent_on=on)
    request.status = new_status.value
    request.decided_at, request.decided_by, request.decided_on = _now(), actor.user_id, on
    request.reason = (reason or "").strip() or None
    session.flush()
    _audit(session, actor.user_id, action.value, request, actor.request_id, decided_on=on.isoformat(),
           membership_id=request.membership_id)
    return request


def after_notification(session: Session, request: MemberRequest, error: str | None) -> None:
    """Record how the decision was delivered. A rejected application is purged once its rejection
    has been sent (§15 Abs. 2 S. 4 GenG): a tombstone with id, kind, outcome and dates remains."""
    if error is not None:
        request.notify_error = error[:500]
        session.flush()
        return
    request.notified_at, request.notify_error = _now(), None
    if request.kind == Kind.JOIN.value and request.status == Status.REJECTED.value:
        for name in rules.PERSONAL_FIELDS:
            setattr(request, name, None)
        request.purged_at = _now()
        session.flush()
        record(session, actor="nc_coop", action="request.purge", entity="member_request", entity_id=str(request.id),
               diff={"kind": request.kind, "reason": "§15 Abs. 2 GenG"})
    session.flush()


# --- Contact data --------------------------------------------------------------------------------

def change_contact(session: Session, actor: Actor, *, membership_id: int, postal_address: str,
                   email: str | None, today: date) -> MemberRequest | None:
    """The member changes their address and e-mail. The address is §30 data: its old and new
    values go into the audit diff, so the register can say what it held when; of the e-mail
    only that it changed. None when nothing changed."""
    register.lock_memberships(session, [membership_id])
    party = session.get(Party, session.get(Membership, membership_id).party_id)
    address, mail = postal_address.strip(), (email or "").strip() or None
    changed: dict[str, Any] = {}
    if address != party.postal_address:
        changed["postal_address"] = {"old": party.postal_address, "new": address}
        party.postal_address = address
    if mail != party.email:
        changed["email"] = "changed"
        party.email = mail
    if not changed:
        return None
    request = _new_request(Kind.CONTACT, Status.APPROVED, actor.user_id, today, membership_id=membership_id,
                           payload=json.dumps({"fields": sorted(changed)}), decided_on=today)
    request.decided_at, request.decided_by, request.effective_date = request.submitted_at, actor.user_id, today
    session.add(request)
    session.flush()
    record(session, actor=actor.user_id, action="party.contact_change", entity="party", entity_id=str(party.id),
           diff=changed, request_id=actor.request_id)
    return request

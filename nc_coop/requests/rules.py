# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Pure rules of member requests: which §15a notices a declaration needs, whether a request may
be sent or decided, the dates a notice will have. No database, no request: tests call them directly
(their messages are lazy translations, English outside a request).

Dates and limits come from ``nc_coop.register.rules`` with the statute version in force; these
functions only decide what a *request* may do before the register's services book anything.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l

from nc_coop.register import rules as register_rules
from nc_coop.register.rules import RuleViolation
from nc_coop.register.statute import Nachschuss, StatuteParams, TransferPolicy

__all__ = ["Kind", "Status", "Action", "Acknowledgement", "NoticePreview", "RuleViolation", "acknowledgements_for",
           "check_acknowledged", "declaration_sha256", "check_join", "check_further_shares", "notice_preview",
           "after_hours_on_deadline", "check_transfer", "next_status", "PERSONAL_FIELDS",
           "check_representation_date", "can_receive", "check_open_transfers", "check_open_shares",
           "MAX_OPEN_SHARE_REQUESTS"]


class Kind(StrEnum):
    JOIN = "join"  # §15 Beitrittserklärung
    SHARES = "shares"  # §15b further shares
    NOTICE = "notice"  # §65 / §67b
    TRANSFER = "transfer"  # §76
    CONTACT = "contact"  # address, e-mail (§30 data)


class Status(StrEnum):
    AWAITING_CONSENT = "awaiting_consent"  # §76: the receiving member has not agreed yet
    SUBMITTED = "submitted"  # in the board's inbox
    APPROVED = "approved"  # admitted / confirmed / booked / applied
    REJECTED = "rejected"  # by the board
    DECLINED = "declined"  # §76: the receiving member said no
    WITHDRAWN = "withdrawn"  # §76: the giver took the offer back before the receiver answered


class Action(StrEnum):
    CONSENT = "consent"
    DECLINE = "decline"
    APPROVE = "approve"
    REJECT = "reject"
    WITHDRAW = "withdraw"


# The columns of a request that hold personal data; a purged application keeps none of them.
PERSONAL_FIELDS = ("submitted_by", "payload", "reason", "counterpart_user", "acknowledgements", "notify_error",
                   "shares", "amount_cents")

_TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (Status.AWAITING_CONSENT, Action.CONSENT): Status.SUBMITTED,
    (Status.AWAITING_CONSENT, Action.DECLINE): Status.DECLINED,
    (Status.AWAITING_CONSENT, Action.WITHDRAW): Status.WITHDRAWN,
    (Status.SUBMITTED, Action.APPROVE): Status.APPROVED,
    (Status.SUBMITTED, Action.REJECT): Status.REJECTED,
}


def next_status(status: Status, action: Action) -> Status:
    """The status after ``action``; a decided request stays decided."""
    try:
        return _TRANSITIONS[(status, action)]
    except KeyError:
        raise RuleViolation("decision", _l("This request is %(status)s: it cannot be given %(action)s.", status=status.value, action=action.value)) from None


# --- §15a: what a declaration must state, highlighted, and the member must acknowledge -----------

@dataclass(frozen=True)
class Acknowledgement:
    """One highlighted statement of a declaration (§15a GenG). ``values`` are what the text says."""

    key: str  # statute | payment | nachschuss | notice_period | entrance_fee
    values: tuple[tuple[str, int | str], ...] = ()

    def value(self, name: str) -> int | str:
        return dict(self.values)[name]


def acknowledgements_for(kind: Kind, params: StatuteParams) -> list[Acknowledgement]:
    """The statements a declaration of ``kind`` must highlight: the payment duty always;
    Nachschuss, further payments and a notice period over a year only when the statute has them
    (§15a S. 1–3 GenG). A join also confirms receipt of the statute (§15 Abs. 1). Amounts are per
    share, so the text the member ticks does not change with the number of shares."""
    items: list[Acknowledgement] = []
    if kind is Kind.JOIN:
        items.append(Acknowledgement("statute"))
    items.append(Acknowledgement("payment", (
        ("nominal_cents", params.share_nominal_cents),
        ("minimum_cents", register_rules.minimum_payment_cents(1, params)))))
    if params.nachschuss is Nachschuss.UNLIMITED:
        items.append(Acknowledgement("nachschuss", (("kind", "unlimited"),)))
    elif params.nachschuss is Nachschuss.HAFTSUMME:
        items.append(Acknowledgement("nachschuss", (("kind", "haftsumme"),
                                                    ("per_share_cents", params.haftsumme_per_share_cents or 0))))
    if kind is Kind.JOIN and params.entrance_fee_cents:
        items.append(Acknowledgement("entrance_fee", (("amount_cents", params.entrance_fee_cents),)))
    if params.notice_months > 12:
        items.append(Acknowledgement("notice_period", (("months", params.notice_months),)))
    return items


def check_acknowledged(required: Iterable[Acknowledgement], given: Iterable[str]) -> None:
    """Every highlighted statement must be ticked; the first one missing is the field in error."""
    ticked = set(given)
    for item in required:
        if item.key not in ticked:
            raise RuleViolation(f"ack_{item.key}", _l("Please confirm this statement."))


def declaration_sha256(statute_version: int, texts: Iterable[str]) -> str:
    """The hash of the exact declaration shown (statute version and every statement as worded)."""
    digest = hashlib.sha256(f"statute:{statute_version}".encode())
    for text in texts:
        digest.update(b"\x00" + text.encode("utf-8"))
    return digest.hexdigest()


# --- Join and further shares ---------------------------------------------------------------------

def check_join(*, already_member: bool, pending_application: bool, shares: int, mandatory: int,
               params: StatuteParams) -> None:
    """§15: one membership per party; at least the mandatory shares, at most the statute's maximum."""
    if already_member:
        raise RuleViolation("shares", _l("You are a member already; declare further shares instead."))
    if pending_application:
        raise RuleViolation("shares", _l("Your application is already with the board."))
    if shares < mandatory:
        raise RuleViolation("shares", _l("At least the %(mandatory)s mandatory share(s).", mandatory=mandatory))
    if params.max_shares is not None and shares > params.max_shares:
        raise RuleViolation("shares", _l("At most %(max)s shares.", max=params.max_shares))


# One open declaration of further shares per membership: a second one can always wait for the
# board's decision on the first, and each one costs the board a decision (issue 13, point 8).
MAX_OPEN_SHARE_REQUESTS = 1


def check_open_shares(open_requests: int) -> None:
    if open_requests >= MAX_OPEN_SHARE_REQUESTS:
        raise RuleViolation("membership_id", _l("A request of this membership for further shares is already with "
                                                "the board; please wait for its decision."))


def check_further_shares(*, running: bool, held: int, paid_in_cents: int, wanted: int, pending: int,
                         params: StatuteParams) -> None:
    """§15b Abs. 2: refused while any share but the newest is not fully paid; never above the
    statute's maximum, counting requests already waiting for admission."""
    if not running:
        raise RuleViolation("membership_id", _l("This membership does not run any more."))
    if wanted < 1:
        raise RuleViolation("shares", _l("At least 1 share."))
    try:
        register_rules.check_further_shares_admissible(held, paid_in_cents, params)
    except RuleViolation as exc:
        raise RuleViolation("shares", _l("Your older shares are not fully paid yet (%(detail)s).", detail=exc.reason)) from None
    if params.max_shares is not None and held + pending + wanted > params.max_shares:
        raise RuleViolation("shares", _l("At most %(max)s shares in all; you hold %(held)s and have asked for "
                                         "%(pending)s more.", max=params.max_shares, held=held, pending=pending))


# --- Notice --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NoticePreview:
    scope: str  # all | partial
    shares: int  # shares the notice ends
    received_on: date
    effective_date: date  # §65 Abs. 2: the end of the fiscal year after the notice period
    settlement_due: date  # §73 Abs. 2 S. 2
    deadline: date  # the last receipt day for this effective date


def notice_preview(received_on: date, params: StatuteParams, *, held: int, mandatory: int,
                   shares: int | None, exit_pending: bool) -> NoticePreview:
    """What a notice received on ``received_on`` does, with the statute in force that day:
    ``shares=None`` for all shares (§65), a number for further shares only (§67b)."""
    if exit_pending:
        raise RuleViolation("scope", _l("The membership already ends; a further notice changes nothing."))
    effective = register_rules.notice_effective_date(received_on, params)
    if shares is not None:
        register_rules.check_partial_notice(held, shares, mandatory, params)
    return NoticePreview("all" if shares is None else "partial", held if shares is None else shares, received_on,
                         effective, register_rules.settlement_due_date(effective, params),
                         register_rules.notice_deadline(effective, params))


def after_hours_on_deadline(submitted_local: datetime, preview: NoticePreview, *, opens: int = 8,
                            closes: int = 18) -> bool:
    """A notice sent on the last day of its period outside business hours may count as received
    only the next business day (§130 BGB): the board decides (DOMAIN.md §1.2 edge rules)."""
    if submitted_local.date() != preview.deadline:
        return False
    return submitted_local.weekday() >= 5 or not opens <= submitted_local.hour < closes


# --- Transfer (§76) ------------------------------------------------------------------------------

def check_transfer(params: StatuteParams, *, same_membership: bool, giver_shares: int, giver_capital_cents: int,
                   giver_mandatory: int, shares: int, amount_cents: int) -> None:
    """§76, the giver's side: not to oneself, not where the statute excludes it, no more than the
    giver holds, no partial transfer of mandatory shares. Nothing here depends on the receiver:
    whether the number can receive it must not show in the answer (see ``can_receive``)."""
    if params.transfer_policy is TransferPolicy.EXCLUDED:
        raise RuleViolation("to_member_no", _l("The statute excludes transfers (§76 Abs. 2 GenG)."))
    if same_membership:
        raise RuleViolation("to_member_no", _l("You cannot transfer to yourself."))
    if shares < 0 or amount_cents < 0 or (shares == 0 and amount_cents == 0):
        raise RuleViolation("amount", _l("Transfer some shares or some capital."))
    if shares > giver_shares:
        raise RuleViolation("shares", _l("You hold %(shares)s share(s).", shares=giver_shares))
    if amount_cents > giver_capital_cents:
        raise RuleViolation("amount", _l("More than your paid-in capital."))
    everything = shares == giver_shares and amount_cents == giver_capital_cents
    if not everything and giver_shares - shares < giver_mandatory:
        raise RuleViolation("shares", _l("You must keep your %(mandatory)s mandatory share(s) unless you transfer "
                                         "everything.", mandatory=giver_mandatory))


def can_receive(params: StatuteParams, *, receiver_running: bool, shares: int, amount_cents: int,
                receiver_shares: int, receiver_capital_cents: int) -> bool:
    """§76, the receiver's side: a running membership without a pending exit whose
    Geschäftsanteile (with the shares that come along) can take the amount. The sender is never
    told the outcome; an offer that fails here reaches nobody."""
    if not receiver_running:
        return False
    if amount_cents:
        try:
            register_rules.check_transfer_capacity(receiver_shares + shares, receiver_capital_cents, amount_cents,
                                                   params)
        except RuleViolation:
            return False
    return True


def check_open_transfers(open_offers: int, limit: int) -> None:
    """At most ``limit`` offers of one membership wait for an answer (NC_COOP_MAX_OPEN_TRANSFERS)."""
    if open_offers >= limit:
        raise RuleViolation("membership_id", _l("This membership already has %(count)s transfer offer(s) waiting for an "
                                                "answer; at most %(limit)s may be open at a time. Wait for an answer "
                                                "or withdraw one.", count=open_offers, limit=limit))


def check_representation_date(on: date, today: date) -> None:
    """An organisation records its own appointments and their ends from today on; the board
    records past ones (it checks the documents)."""
    if on < today:
        raise RuleViolation("effective_date", _l("Not before today: ask the board to record a past date."))

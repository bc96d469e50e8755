# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""From a validated booking form (BookingSchema) to the service that books it."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from nc_coop.register import services
from nc_coop.register.models import Account, Membership, Party
from nc_coop.register.rules import RuleViolation
from nc_coop.register.services import Actor

# Services name their arguments; forms name what the user typed. Errors go to the form's field.
FORM_FIELD = {"paid_in_cents": "shares", "terminated": "shares", "admitted_on": "date", "received_on": "date",
              "value_date": "date", "effective_date": "date", "agreed_on": "date", "board_consent_on": "date",
              "to_membership_id": "to_member_no", "membership_id": "to_member_no", "scope": "shares",
              "amount_cents": "amount", "dispatched_on": "date", "died_on": "date"}


def form_field(service_field: str) -> str:
    return FORM_FIELD.get(service_field, service_field)


def apply_booking(session: Session, actor: Actor, membership_id: int, data: dict[str, Any]) -> dict[str, Any]:
    """Book one validated booking; raises RuleViolation (with the service's field name)."""
    kind, day = data["type"], data["date"]
    common = {"basis_document": data.get("basis_document")}
    if kind == "subscribe":
        entry = services.subscribe_shares(session, actor, membership_id=membership_id, shares=data["shares"],
                                          admitted_on=day, **common)
        return {"share_entry_id": entry.id}
    if kind in services.CAPITAL_SIGN:
        entry = services.book_capital(session, actor, membership_id=membership_id, kind=kind,
                                      amount_cents=data["amount_cents"], value_date=day,
                                      reference=data.get("reference"), **common)
        return {"capital_entry_id": entry.id}
    if kind == "notice":
        notice = services.receive_notice(session, actor, membership_id=membership_id, received_on=day,
                                         shares=data.get("shares") or None, **common)
        return {"notice_id": notice.id, "effective_date": notice.effective_date.isoformat(),
                "settlement_due": notice.settlement_due.isoformat()}
    if kind == "transfer":
        receiver = session.scalar(select(Membership.id).where(Membership.member_no == data["to_member_no"]))
        if receiver is None:
            raise RuleViolation("to_membership_id", _l("no member with this number"))
        transfer_id = services.transfer(session, actor, from_membership_id=membership_id, to_membership_id=receiver,
                                        shares=data.get("shares") or 0, amount_cents=data.get("amount_cents") or 0,
                                        agreed_on=day, **common)
        return {"transfer_id": transfer_id}
    if kind == "reversal":
        owner = {"shares": services.ShareEntry, "capital": services.CapitalEntry}[data["ledger"]]
        entry = session.get(owner, data["entry_id"])
        if entry is None or entry.membership_id != membership_id:
            raise RuleViolation("entry_id", _l("no such entry on this membership"))
        created = services.reverse(session, actor, ledger=data["ledger"], entry_id=data["entry_id"],
                                   reason=data["reason"])
        return {"reversal_ids": created}
    if kind == "exclusion":
        event = services.record_exclusion(session, actor, membership_id=membership_id, decided_on=data["decided_on"],
                                          dispatched_on=day, **common)
        return {"event_id": event.id, "exit_on": event.effective_date.isoformat()}
    if kind == "death":
        event = services.record_death(session, actor, membership_id=membership_id, died_on=day, **common)
        return {"event_id": event.id, "exit_on": event.effective_date.isoformat()}
    raise RuleViolation("type", _l("unknown booking type"))


def admit_from_form(session: Session, actor: Actor, data: dict[str, Any]) -> Membership:
    """Create the party (and the member's account link) and admit it."""
    party = Party(kind=data["kind"], family_name=data.get("family_name"), given_names=data.get("given_names"),
                  legal_name=data.get("legal_name"), postal_address=data["postal_address"].strip(),
                  email=data.get("email"), register_court=data.get("register_court"),
                  register_no=data.get("register_no"), created_at=datetime.now(UTC))
    session.add(party)
    session.flush()
    membership = services.admit_member(session, actor, party_id=party.id, admitted_on=data["admitted_on"],
                                       shares=data["shares"], kind=data["membership_kind"],
                                       basis_document=data.get("basis_document"))
    if data.get("nextcloud_user"):
        session.add(Account(nextcloud_user_id=data["nextcloud_user"].strip(), party_id=party.id, role="self",
                            created_at=datetime.now(UTC)))
    return membership

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Input and output schemas of the register (marshmallow); views validate here, services trust them."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates_schema

from nc_coop.register.representatives import ROLES
from nc_coop.register.statute import PartyKind
from nc_coop.register.status import Status
from nc_coop.web.schema import Day, Schema, WholeNumber
from nc_coop.web.text import ADDRESS, NAME

PARTY_KINDS = [k.value for k in PartyKind]
REPRESENTATIVE_ROLES = list(ROLES)
BOOKING_TYPES = ["subscribe", "deposit", "payout", "profit_credit", "loss_write_off", "notice", "transfer", "reversal",
                 "exclusion", "death"]
# The database's integers: member numbers are INTEGER, ids BIGINT. Larger numbers are refused (422),
# not sent to the database, which would fail on them (a 500).
MAX_MEMBER_NO = 2**31 - 1
MAX_ID = 2**63 - 1
# Text a database can store: no NUL (PostgreSQL refuses it) and no lone surrogate (not UTF-8), both
# possible in JSON ("\u0000", "\ud800") and in a query string (%00). Refused with 422, not a 500.
STORABLE = validate.Regexp(r"^[^\x00\ud800-\udfff]*$", error=_l("Contains a character that cannot be stored."))


def parse_euro_cents(text: str) -> int:
    """'1.234,56', '1234,56', '1234.56' or '1234' euros as integer cents; ValueError otherwise."""
    cleaned = text.strip().replace("€", "").replace(" ", "")
    if re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d{1,2})?", cleaned):  # German thousands separators
        cleaned = cleaned.replace(".", "")
    cleaned = cleaned.replace(",", ".")
    if not re.fullmatch(r"\d+(\.\d{1,2})?", cleaned):
        raise ValueError(text)
    try:
        return int(Decimal(cleaned) * 100)
    except InvalidOperation:
        raise ValueError(text) from None


class AdmitSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(PARTY_KINDS))
    family_name = fields.String(load_default=None, validate=[validate.Length(max=255), STORABLE, NAME])
    given_names = fields.String(load_default=None, validate=[validate.Length(max=255), STORABLE, NAME])
    legal_name = fields.String(load_default=None, validate=[validate.Length(max=255), STORABLE, NAME])
    postal_address = fields.String(required=True, validate=[validate.Length(min=5, max=1000), STORABLE, ADDRESS])
    email = fields.Email(load_default=None, validate=STORABLE)
    register_court = fields.String(load_default=None, validate=[validate.Length(max=255), STORABLE, NAME])
    register_no = fields.String(load_default=None, validate=[validate.Length(max=100), STORABLE, NAME])
    admitted_on = Day(required=True)
    shares = WholeNumber(required=True, strict=False, validate=validate.Range(min=1, max=100_000))
    membership_kind = fields.String(load_default="regular", validate=validate.OneOf(["regular", "investing"]))
    nextcloud_user = fields.String(load_default=None, validate=[validate.Length(max=255), STORABLE])
    basis_document = fields.String(load_default=None, validate=[validate.Length(max=255), STORABLE])

    @validates_schema
    def _names(self, data: dict[str, Any], **_: Any) -> None:
        if data["kind"] == PartyKind.NATURAL.value:
            if not (data.get("family_name") or "").strip():
                raise ValidationError(str(_l("A person needs a family name.")), "family_name")
        elif not (data.get("legal_name") or "").strip():
            raise ValidationError(str(_l("An organisation needs its name.")), "legal_name")


class BookingSchema(Schema):
    """One booking on a membership; which fields are needed depends on ``type``."""

    type = fields.String(required=True, validate=validate.OneOf(BOOKING_TYPES))
    date = Day(required=True)
    shares = WholeNumber(load_default=None, validate=validate.Range(min=0, max=100_000))
    amount_cents = WholeNumber(load_default=None, strict=True, validate=validate.Range(min=0, max=10**12))
    to_member_no = WholeNumber(load_default=None, validate=validate.Range(min=1, max=MAX_MEMBER_NO))
    ledger = fields.String(load_default=None, validate=validate.OneOf(["shares", "capital"]))
    entry_id = WholeNumber(load_default=None, validate=validate.Range(min=1, max=MAX_ID))
    reason = fields.String(load_default="", validate=[validate.Length(max=500), STORABLE])
    decided_on = Day(load_default=None)  # exclusion: the board's decision; ``date`` is the dispatch
    reference = fields.String(load_default=None, validate=[validate.Length(max=255), STORABLE])
    basis_document = fields.String(load_default=None, validate=[validate.Length(max=255), STORABLE])

    REQUIRED = {"subscribe": ["shares"], "deposit": ["amount_cents"], "payout": ["amount_cents"],
                "profit_credit": ["amount_cents"], "loss_write_off": ["amount_cents"], "notice": [],
                "transfer": ["to_member_no"], "reversal": ["ledger", "entry_id", "reason"],
                "exclusion": ["decided_on"], "death": []}

    @validates_schema
    def _required_for_type(self, data: dict[str, Any], **_: Any) -> None:
        missing = {name: [str(_l("Required for this booking."))]
                   for name in self.REQUIRED.get(data.get("type", ""), []) if data.get(name) in (None, "")}
        if missing:
            raise ValidationError(missing)


class SearchSchema(Schema):
    q = fields.String(load_default="", validate=[validate.Length(max=200), STORABLE])
    offset = WholeNumber(load_default=0, validate=validate.Range(min=0, max=MAX_MEMBER_NO))
    limit = WholeNumber(load_default=50, validate=validate.Range(min=1, max=500))


# Output schemas: their validators never run (dump), but name the values the OpenAPI document allows.
class BookingOut(Schema):
    ledger = fields.String(validate=validate.OneOf(["shares", "capital"]))
    id = WholeNumber()
    kind = fields.String()
    amount = WholeNumber(metadata={"description": "shares, or cents for the capital ledger"})
    effective_date = Day()
    recorded_at = fields.String()
    reference = fields.String(allow_none=True)
    reverses_id = WholeNumber(allow_none=True)
    basis_document = fields.String(allow_none=True, metadata={
        "description": "the letter, resolution or contract the booking rests on"})


class NoticeOut(Schema):
    scope = fields.String(validate=validate.OneOf(["all", "partial"]))
    shares = WholeNumber()
    received_on = Day()
    effective_date = Day()
    settlement_due = Day()


class MemberOverviewOut(Schema):
    membership_id = WholeNumber()
    member_no = WholeNumber()
    name = fields.String()
    party_kind = fields.String(validate=validate.OneOf(PARTY_KINDS))
    kind = fields.String(validate=validate.OneOf(["regular", "investing"]))
    member_since = Day()
    status = fields.String(validate=validate.OneOf([s.value for s in Status]))
    exit_on = Day(allow_none=True)
    shares = WholeNumber()
    mandatory_shares = WholeNumber()
    further_shares = WholeNumber()
    nominal_cents = WholeNumber()
    capital_cents = WholeNumber()
    outstanding_cents = WholeNumber()
    notices = fields.List(fields.Nested(NoticeOut))
    bookings = fields.List(fields.Nested(BookingOut))


class SearchHitOut(Schema):
    membership_id = WholeNumber()
    member_no = WholeNumber()
    name = fields.String()
    party_kind = fields.String(validate=validate.OneOf(PARTY_KINDS))
    member_since = Day()


class MembershipsOut(Schema):
    memberships = fields.List(fields.Nested(MemberOverviewOut))


class SearchResultOut(Schema):
    total = WholeNumber(metadata={"description": "hits in all, of which ``members`` is one page"})
    members = fields.List(fields.Nested(SearchHitOut))


class BookingResultOut(Schema):
    """What a booking created; which keys are present depends on the booking's type."""

    share_entry_id = WholeNumber(metadata={"description": "subscribe"})
    capital_entry_id = WholeNumber(metadata={"description": "deposit, payout, profit_credit, loss_write_off"})
    notice_id = WholeNumber(metadata={"description": "notice (with effective_date and settlement_due)"})
    effective_date = Day()
    settlement_due = Day()
    transfer_id = fields.String(metadata={"description": "transfer"})
    reversal_ids = fields.List(WholeNumber(), metadata={"description": "reversal"})
    event_id = WholeNumber(metadata={"description": "exclusion, death (with exit_on)"})
    exit_on = Day()


class SettlementOut(Schema):
    membership_id = WholeNumber()
    member_no = WholeNumber()
    name = fields.String()
    exit_on = Day()
    due_on = Day()
    balance_cents = WholeNumber(metadata={"description": "to be paid out"})
    overdue = fields.Boolean()
    scope = fields.String(validate=validate.OneOf(["exit", "partial"]), metadata={
        "description": "exit: the membership ended (exit_on); partial: shares ended by a partial notice "
                       "on exit_on (§67b), the membership runs on"})


class SettlementsOut(Schema):
    settlements = fields.List(fields.Nested(SettlementOut))


class AppointSchema(Schema):
    """Appoint a representative of an organisation: an existing person (``person_party_id``) or a
    new one by name."""

    role = fields.String(required=True, validate=validate.OneOf(REPRESENTATIVE_ROLES))
    effective_date = Day(required=True)
    person_party_id = WholeNumber(load_default=None, validate=validate.Range(min=1, max=MAX_ID))
    given_names = fields.String(load_default=None, validate=[validate.Length(max=255), STORABLE, NAME])
    family_name = fields.String(load_default=None, validate=[validate.Length(max=255), STORABLE, NAME])
    email = fields.Email(load_default=None, validate=STORABLE)
    nextcloud_user = fields.String(load_default=None, validate=[validate.Length(max=255), STORABLE])
    basis_document = fields.String(load_default=None, validate=[validate.Length(max=255), STORABLE])

    @validates_schema
    def _person(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("person_party_id") is None and not (data.get("family_name") or "").strip():
            raise ValidationError(str(_l("A person needs a family name.")), "family_name")


class EndRepresentationSchema(Schema):
    person_party_id = WholeNumber(required=True, validate=validate.Range(min=1, max=MAX_ID))
    role = fields.String(required=True, validate=validate.OneOf(REPRESENTATIVE_ROLES))
    effective_date = Day(required=True, metadata={"description": "the last day of the appointment"})
    basis_document = fields.String(load_default=None, validate=[validate.Length(max=255), STORABLE])


class RepresentativeOut(Schema):
    person_party_id = WholeNumber()
    name = fields.String()
    role = fields.String(validate=validate.OneOf(REPRESENTATIVE_ROLES))
    since = Day()
    until = Day(allow_none=True, metadata={"description": "last day; null while the appointment runs"})
    nextcloud_user = fields.String(allow_none=True)


class RepresentativesOut(Schema):
    representatives = fields.List(fields.Nested(RepresentativeOut))


class LinkOut(Schema):
    """An account <-> party link as the board reviews it (nc_coop.register.links)."""

    account_id = WholeNumber()
    nextcloud_user = fields.String()
    role = fields.String(metadata={"enum": ["self", "representative"]})
    status = fields.String(metadata={"enum": ["confirmed", "held", "removed"],
                                     "description": "held: made by the LDAP sync by member number, name and e-mail "
                                                    "differ; grants nothing until the board confirms it"})
    source = fields.String(metadata={"enum": ["ldap_member_no", "ldap_uid", "ldap_new", "admin"],
                                     "description": "how the link came about: the LDAP sync by member number, by "
                                                    "uid (an account made in nc_coop), with a party it created, or "
                                                    "made in nc_coop by the board or office"})
    reason = fields.String(allow_none=True, metadata={"description": "why the link is or was held"})
    created_at = fields.DateTime()
    reviewed_at = fields.DateTime(allow_none=True)
    reviewed_by = fields.String(allow_none=True)
    disabled = fields.Boolean(metadata={"description": "the account's LDAP entry is gone (disabled by the sync)"})
    ldap_uid = fields.String(allow_none=True)
    ldap_member_no = WholeNumber(allow_none=True)


class LinksOut(Schema):
    links = fields.List(fields.Nested(LinkOut), metadata={"description": "Held links first, then by account id"})


class LinkActionSchema(Schema):
    """Confirming or removing a link needs no fields (the action is in the URL)."""

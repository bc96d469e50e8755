# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Input and output schemas of member requests (marshmallow); views validate here."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates_schema

from nc_coop.register.schemas import MAX_ID, MAX_MEMBER_NO, PARTY_KINDS, REPRESENTATIVE_ROLES, STORABLE
from nc_coop.register.statute import PartyKind
from nc_coop.requests.rules import Kind, Status
from nc_coop.web.schema import Day, Schema, WholeNumber
from nc_coop.web.text import ADDRESS, NAME

ACK_KEYS = ["statute", "payment", "nachschuss", "entrance_fee", "notice_period"]
KINDS = [k.value for k in Kind]
STATUSES = [s.value for s in Status]
MAX_SHARES = 100_000
MAX_CENTS = 10**12


# A Nextcloud login: letters, digits and _ . @ - ' and spaces (the characters Nextcloud allows).
NEXTCLOUD_USER = validate.Regexp(r"^[A-Za-z0-9_.@' -]+\Z", error=_l("Not a Nextcloud login."))


def _text(max_length: int, **kwargs: Any) -> fields.String:
    return fields.String(validate=[validate.Length(max=max_length), STORABLE], **kwargs)


def _name(max_length: int, **kwargs: Any) -> fields.String:
    """A name (or register court/number): one line, no control or bidi characters."""
    return fields.String(validate=[validate.Length(max=max_length), STORABLE, NAME], **kwargs)


class JoinSchema(Schema):
    """A Beitrittserklärung: who joins, with how many shares, and the §15a statements ticked."""

    kind = fields.String(required=True, validate=validate.OneOf(PARTY_KINDS))
    family_name = _name(255, load_default=None)
    given_names = _name(255, load_default=None)
    legal_name = _name(255, load_default=None)
    postal_address = fields.String(required=True, validate=[validate.Length(min=5, max=1000), STORABLE, ADDRESS])
    email = fields.Email(required=True, validate=[validate.Length(max=255), STORABLE])
    register_court = _name(255, load_default=None)
    register_no = _name(100, load_default=None)
    shares = WholeNumber(required=True, validate=validate.Range(min=1, max=MAX_SHARES))
    acknowledged = fields.List(fields.String(validate=validate.OneOf(ACK_KEYS)), load_default=list,
                               validate=validate.Length(max=len(ACK_KEYS)))

    @validates_schema
    def _names(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("kind") == PartyKind.NATURAL.value:
            errors = {}
            for name in ("family_name", "given_names"):
                if not (data.get(name) or "").strip():
                    errors[name] = [str(_l("Required for a person."))]
            if errors:
                raise ValidationError(errors)
        elif not (data.get("legal_name") or "").strip():
            raise ValidationError(str(_l("An organisation needs its name.")), "legal_name")


class SharesSchema(Schema):
    membership_id = WholeNumber(required=True, validate=validate.Range(min=1, max=MAX_ID))
    shares = WholeNumber(required=True, validate=validate.Range(min=1, max=MAX_SHARES))
    acknowledged = fields.List(fields.String(validate=validate.OneOf(ACK_KEYS)), load_default=list,
                               validate=validate.Length(max=len(ACK_KEYS)))


class NoticeSchema(Schema):
    membership_id = WholeNumber(required=True, validate=validate.Range(min=1, max=MAX_ID))
    scope = fields.String(required=True, validate=validate.OneOf(["all", "partial"]),
                          metadata={"description": "all: the membership (§65); partial: further shares (§67b)"})
    shares = WholeNumber(load_default=None, validate=validate.Range(min=1, max=MAX_SHARES),
                            metadata={"description": "partial: the number of further shares"})

    @validates_schema
    def _shares(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("scope") == "partial" and data.get("shares") is None:
            raise ValidationError(str(_l("How many shares?")), "shares")


class TransferSchema(Schema):
    membership_id = WholeNumber(required=True, validate=validate.Range(min=1, max=MAX_ID))
    to_member_no = WholeNumber(required=True, validate=validate.Range(min=1, max=MAX_MEMBER_NO))
    shares = WholeNumber(load_default=0, validate=validate.Range(min=0, max=MAX_SHARES))
    amount_cents = WholeNumber(load_default=0, strict=True, validate=validate.Range(min=0, max=MAX_CENTS))


class MemberAppointSchema(Schema):
    """An organisation appoints a representative itself: a new person by name only (linking an
    existing person is the board's), from today on (see rules.check_representation_date)."""

    role = fields.String(required=True, validate=validate.OneOf(REPRESENTATIVE_ROLES))
    effective_date = Day(required=True)
    given_names = _name(255, load_default=None)
    family_name = fields.String(required=True, validate=[validate.Length(min=1, max=255), STORABLE, NAME])
    email = fields.Email(load_default=None, validate=[validate.Length(max=255), STORABLE])
    nextcloud_user = fields.String(load_default=None, validate=[validate.Length(max=64), NEXTCLOUD_USER])
    basis_document = _text(255, load_default=None)


class ConsentSchema(Schema):
    consent = fields.Boolean(required=True, metadata={"description": "true: agree to receive; false: decline"})


class WithdrawSchema(Schema):
    """Withdrawing a transfer offer takes no fields: ``{}`` (an unknown field is refused)."""


class ContactSchema(Schema):
    membership_id = WholeNumber(required=True, validate=validate.Range(min=1, max=MAX_ID))
    postal_address = fields.String(required=True, validate=[validate.Length(min=5, max=1000), STORABLE, ADDRESS])
    email = fields.Email(load_default=None, validate=[validate.Length(max=255), STORABLE])


class DecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["approve", "reject"]))
    date = Day(load_default=None, metadata={
        "description": "admission or confirmation date; default today; not before receipt, not in the future"})
    reason = _text(2000, load_default=None, metadata={"description": "required to reject: told to the member"})


class InboxQuerySchema(Schema):
    kind = fields.String(load_default=None, validate=validate.OneOf(KINDS))
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))


class NoticePreviewQuerySchema(Schema):
    membership_id = WholeNumber(required=True, validate=validate.Range(min=1, max=MAX_ID))
    shares = WholeNumber(load_default=None, validate=validate.Range(min=1, max=MAX_SHARES),
                            metadata={"description": "further shares only (§67b); absent: all (§65)"})


class EmptySchema(Schema):
    pass


# --- Output ----------------------------------------------------------------------------------------

class RequestOut(Schema):
    id = WholeNumber()
    kind = fields.String(validate=validate.OneOf(KINDS))
    status = fields.String(validate=validate.OneOf(STATUSES))
    membership_id = WholeNumber(allow_none=True)
    member_no = WholeNumber(allow_none=True)
    counterpart_member_no = WholeNumber(allow_none=True, metadata={"description": "§76: the receiving member"})
    shares = WholeNumber(allow_none=True)
    amount_cents = WholeNumber(allow_none=True)
    scope = fields.String(allow_none=True, validate=validate.OneOf(["all", "partial"]))
    statute_version = WholeNumber(allow_none=True, metadata={"description": "the version shown when declaring"})
    submitted_at = fields.DateTime()
    received_on = Day(metadata={"description": "Zugang"})
    needs_review = fields.Boolean(metadata={"description": "sent after hours on the last day of the period"})
    effective_date = Day(allow_none=True)
    settlement_due = Day(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    decided_on = Day(allow_none=True)
    reason = fields.String(allow_none=True)
    notified_at = fields.DateTime(allow_none=True)
    purged = fields.Boolean(metadata={"description": "a rejected application's personal data was deleted"})
    awaiting_my_consent = fields.Boolean()
    withdrawable = fields.Boolean(metadata={"description": "§76: the user may withdraw this offer (not answered yet)"})


class TransferOfferOut(RequestOut):
    message = fields.String(metadata={"description": "The same for every offer: whether the member number can "
                                                     "receive it is not told"})


class AdminRequestOut(RequestOut):
    member_name = fields.String(allow_none=True)
    notify_error = fields.String(allow_none=True)
    applicant = fields.Dict(keys=fields.String(), values=fields.String(allow_none=True), allow_none=True,
                            metadata={"description": "join: the declared data; null once purged"})


class RequestsOut(Schema):
    requests = fields.List(fields.Nested(RequestOut))


class AdminRequestsOut(Schema):
    requests = fields.List(fields.Nested(AdminRequestOut))


class NoticePreviewOut(Schema):
    scope = fields.String(validate=validate.OneOf(["all", "partial"]))
    shares = WholeNumber()
    received_on = Day()
    effective_date = Day()
    settlement_due = Day()
    deadline = Day(metadata={"description": "the last receipt day for this effective date"})


class DataExportOut(Schema):
    """Everything nc_coop holds about the user (GDPR Art. 15, 20)."""

    generated_at = fields.DateTime()
    nextcloud_user = fields.String()
    accounts = fields.List(fields.Dict())
    parties = fields.List(fields.Dict())
    memberships = fields.List(fields.Dict())
    notices = fields.List(fields.Dict())
    requests = fields.List(fields.Dict())
    storage_requests = fields.List(fields.Dict(), metadata={"description": "Requests for more storage the user made"})
    representations = fields.List(fields.Dict())
    document_confirmations = fields.List(fields.Dict())
    audit_events = fields.List(fields.Dict())
    notifications = fields.List(fields.Dict(), metadata={"description": "Notifications about transfer offers to "
                                                                         "the user, sent or collapsed"})


class ContactResultOut(Schema):
    changed = fields.Boolean(metadata={"description": "false: the data was already so; nothing was written"})
    request = fields.Nested(RequestOut, allow_none=True)

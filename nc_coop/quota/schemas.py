# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Input and output schemas of the quota feature (marshmallow).

A quota is typed as people type it ("500 MB", "5 GB", "1,5 TB", "unlimited"); a value that is
not a size is refused at its field with a message that says what is accepted.
"""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate

from nc_coop.quota.units import MAX_BYTES, UNLIMITED, QuotaInputError, parse_quota
from nc_coop.register.schemas import MAX_ID, STORABLE
from nc_coop.register.statute import PartyKind
from nc_coop.web.schema import Day, Schema, WholeNumber

ID_RANGE = validate.Range(min=1, max=MAX_ID)
PARTY_KINDS = [k.value for k in PartyKind]
MEMBERSHIP_KINDS = ["regular", "investing"]
FILTERS = ["", "over80", "over", "unlimited", "pending"]
SORTS = ["user", "quota", "used", "relative"]
CHANGE_STATUSES = ["", "queued", "applying", "done", "superseded", "refused"]
USER_ID = [validate.Length(min=1, max=255), STORABLE]
QUOTA_EXAMPLE = "5 GB"


class Quota(fields.Field):
    """A size as text ("500 MB", "5 GB", "1,5 TiB") or "unlimited" → bytes (-3 unlimited).
    Also takes a whole number of bytes (the JSON API's own output)."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"type": "string", "example": QUOTA_EXAMPLE,
                    "description": 'A size such as "500 MB", "5 GB", "1,5 TB" or "1.5 TiB" (1 GB = 1024 MB, '
                                   'as Nextcloud counts), or "unlimited"', **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ValidationError(str(_l('Not a size: enter a size like "500 MB", "5 GB", "1,5 TB" or "1.5 TiB" '
                                         '(B, KB, MB, GB, TB, PB; 1 GB = 1024 MB), or "unlimited".')))
        if isinstance(value, int):
            if value == UNLIMITED or 0 <= value <= MAX_BYTES:
                return value
            raise ValidationError(str(_l("A size in bytes is zero or more (or -3 for unlimited).")))
        try:
            return parse_quota(value)
        except QuotaInputError:
            raise ValidationError(str(_l('"%(value)s" is not a size: enter a size like "500 MB", "5 GB", "1,5 TB" '
                                         'or "1.5 TiB" (B, KB, MB, GB, TB, PB; 1 GB = 1024 MB), or "unlimited".',
                                         value=value.strip()[:50]))) from None


def _reason(required: bool = True) -> fields.String:
    if required:
        return fields.String(required=True, validate=[validate.Length(min=1, max=2000), STORABLE])
    return fields.String(load_default="", validate=[validate.Length(max=2000), STORABLE])


# --- Input ---------------------------------------------------------------------------------------------

class OverrideSchema(Schema):
    scope = fields.String(required=True, validate=validate.OneOf(["user", "organisation"]))
    user_id = fields.String(load_default=None, validate=USER_ID, metadata={"description": "scope user: the Nextcloud user"})
    party_id = WholeNumber(load_default=None, strict=False, validate=ID_RANGE,
                              metadata={"description": "scope organisation: the organisation's party id"})
    amount = Quota(required=True)
    reason = _reason()
    until = Day(load_default=None, metadata={"description": "The last day it applies"})


class AllocationSchema(Schema):
    party_id = WholeNumber(required=True, strict=False, validate=ID_RANGE)
    user_id = fields.String(required=True, validate=USER_ID)
    amount = Quota(load_default=None, allow_none=True,
                   metadata={"description": "A fixed amount within the pool; null: back to the equal split"})


class PolicySchema(Schema):
    base = fields.Dict(keys=fields.String(validate=validate.Regexp(
        r"^(natural|legal_person|association|partnership|public_body)/(regular|investing)$")),
        values=Quota(), load_default=dict,
        metadata={"description": 'Base quota per "party kind/membership kind", e.g. {"natural/regular": "5 GB"}',
                  "example": {"natural/regular": "5 GB", "association/regular": "50 GB"}})
    per_share = Quota(metadata={"description": "Added per share held (may be 0; absent: 0)", "example": "1 GB"})
    non_member = Quota(load_default=None, allow_none=True,
                       metadata={"description": "For users who are no member and in no organisation; null: "
                                                "left to Nextcloud's default"})
    note = _reason(required=False)


class RequestSchema(Schema):
    scope = fields.String(load_default="user", validate=validate.OneOf(["user", "organisation"]))
    party_id = WholeNumber(load_default=None, strict=False, validate=ID_RANGE,
                              metadata={"description": "scope organisation: the organisation you represent"})
    amount = Quota(required=True, metadata={"description": "The quota you ask for"})
    reason = _reason()


class DecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["approve", "reject"]))
    note = _reason(required=False)
    amount = Quota(load_default=None, allow_none=True,
                   metadata={"description": "Approve: grant this instead of the amount asked for"})
    until = Day(load_default=None)


class UsersQuerySchema(Schema):
    filter = fields.String(load_default="", validate=validate.OneOf(FILTERS))
    sort = fields.String(load_default="user", validate=validate.OneOf(SORTS))
    order = fields.String(load_default="asc", validate=validate.OneOf(["asc", "desc"]))
    q = fields.String(load_default="", validate=[validate.Length(max=255), STORABLE])


class ChangesQuerySchema(Schema):
    status = fields.String(load_default="", validate=validate.OneOf(CHANGE_STATUSES))
    limit = WholeNumber(load_default=100, strict=False, validate=validate.Range(min=1, max=1000))


class NoFieldsSchema(Schema):
    """A POST that needs no fields (the action is in the URL)."""


class ApplySchema(Schema):
    retry_now = fields.Boolean(load_default=False, metadata={"description": "Also changes waiting for their backoff, "
                                                                             "and refused ones again"})


# --- Output --------------------------------------------------------------------------------------------

class UsageOut(Schema):
    user_id = fields.String()
    display_name = fields.String(allow_none=True)
    backend = fields.String(allow_none=True, metadata={"description": "ldap or provisioning"})
    quota = WholeNumber(allow_none=True, metadata={"description": "Bytes; -3 unlimited; null not known"})
    quota_text = fields.String()
    used = WholeNumber(allow_none=True, metadata={"description": "Bytes used; null not known"})
    used_text = fields.String()
    relative = fields.Float(allow_none=True, metadata={"description": "used / quota (0–1+); null unlimited or unknown"})
    desired = WholeNumber(allow_none=True, metadata={"description": "What the policy and overrides give; null: "
                                                                       "not managed"})
    reason = fields.String(allow_none=True)
    pending = WholeNumber(allow_none=True, metadata={"description": "A queued change to this quota"})


class OrganisationUsageOut(Schema):
    party_id = WholeNumber()
    name = fields.String()
    pool = WholeNumber(allow_none=True)
    pool_text = fields.String()
    used = WholeNumber()
    used_text = fields.String()
    users = fields.List(fields.Nested(UsageOut))


class MyQuotaOut(Schema):
    me = fields.Nested(UsageOut)
    organisations = fields.List(fields.Nested(OrganisationUsageOut))


class UsersOut(Schema):
    users = fields.List(fields.Nested(UsageOut))
    total = WholeNumber()


class ChangeOut(Schema):
    id = WholeNumber()
    user_id = fields.String(attribute="nextcloud_user_id")
    backend = fields.String()
    old = WholeNumber(attribute="old_amount", allow_none=True)
    new = WholeNumber(attribute="new_amount")
    reason = fields.String()
    actor = fields.String()
    created_at = fields.DateTime()
    status = fields.String()
    attempts = WholeNumber()
    next_attempt_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    confirmation = fields.String(allow_none=True)
    last_error = fields.String(allow_none=True)


class ChangesOut(Schema):
    changes = fields.List(fields.Nested(ChangeOut))


class PlannedChangeOut(Schema):
    user_id = fields.String()
    backend = fields.String()
    old = WholeNumber(allow_none=True)
    new = WholeNumber()
    reason = fields.String()


class PlanOut(Schema):
    changes = fields.List(fields.Nested(PlannedChangeOut))
    unchanged = WholeNumber()
    unmanaged = WholeNumber()
    unknown = fields.List(fields.String())
    already_queued = WholeNumber()
    queued = fields.List(WholeNumber(), metadata={"description": "Ids of the changes queued (empty for a preview)"})


class QueuedOut(Schema):
    queued = fields.List(WholeNumber(), metadata={"description": "Ids of the changes queued"})


class PolicyOut(Schema):
    base = fields.Dict(keys=fields.String(), values=WholeNumber())
    per_share = WholeNumber()
    non_member = WholeNumber(allow_none=True)
    version = WholeNumber(allow_none=True)
    note = fields.String(allow_none=True)


class OverrideOut(Schema):
    id = WholeNumber()
    scope = fields.String()
    user_id = fields.String(attribute="nextcloud_user_id", allow_none=True)
    party_id = WholeNumber(allow_none=True)
    amount = WholeNumber()
    reason = fields.String()
    until = Day(allow_none=True)
    created_at = fields.DateTime()
    actor = fields.String()
    queued = fields.List(WholeNumber())


class RequestOut(Schema):
    id = WholeNumber()
    requester = fields.String()
    scope = fields.String()
    party_id = WholeNumber(allow_none=True)
    amount = WholeNumber()
    reason = fields.String()
    created_at = fields.DateTime()
    status = fields.String()
    decided_at = fields.DateTime(allow_none=True)
    decided_by = fields.String(allow_none=True)
    decision_note = fields.String(allow_none=True)
    notified = fields.String(allow_none=True)


class RequestsOut(Schema):
    requests = fields.List(fields.Nested(RequestOut))


class ApplyStateOut(Schema):
    active = fields.Dict(allow_none=True, metadata={"description": "The run in progress: started_at, done, total"})
    open = WholeNumber(metadata={"description": "Changes queued or being applied"})
    last = fields.Dict(allow_none=True, metadata={"description": "The last run's counts"})

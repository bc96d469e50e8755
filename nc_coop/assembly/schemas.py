# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Input and output schemas of the general assembly's pages and JSON API (marshmallow)."""
from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate

from nc_coop.assembly.rules import Choice, Form, ResolutionType
from nc_coop.register.schemas import MAX_ID, MAX_MEMBER_NO, STORABLE
from nc_coop.web.schema import Day, Schema, WholeNumber
from nc_coop.web.text import ADDRESS, NAME

FORMS = [f.value for f in Form]
TYPES = [t.value for t in ResolutionType]
CHOICES = [c.value for c in Choice]
MAX_COUNT = 10_000_000
MAX_CANDIDATES = 100
ID = validate.Range(min=1, max=MAX_ID)
MEMBER_NO = validate.Range(min=1, max=MAX_MEMBER_NO)
# "$(?!\n)": the end of the text in Python and in the OpenAPI document's ECMA-262 dialect alike
# (Python's "$" alone also matches before a final newline; ECMA-262 has no "\Z").
NEXTCLOUD_USER = validate.Regexp(r"^[A-Za-z0-9_.@' -]+$(?!\n)", error=_l("Not a Nextcloud login."))
RECEIPT_CODE = validate.Regexp(r"^[A-Za-z0-9_-]{8,64}$(?!\n)", error=_l("Not a receipt code."))


def _line(max_length: int, **kwargs: Any) -> fields.String:
    """One line of text: a title, a name, a document reference."""
    return fields.String(validate=[validate.Length(min=1, max=max_length), STORABLE, NAME], **kwargs)


class EmptySchema(Schema):
    """An action without input (unknown fields are refused)."""


# --- Member input -----------------------------------------------------------------------------------

class ProxySchema(Schema):
    """§43 Abs. 5 GenG: the member's authorisation, declared in text form in the app."""

    membership_id = WholeNumber(required=True, validate=ID,
                                metadata={"description": "The principal: a membership the user acts for"})
    proxy_member_no = WholeNumber(required=True, validate=MEMBER_NO,
                                  metadata={"description": "The member number of the member authorised"})
    declare = fields.Boolean(required=True, validate=validate.Equal(True, error=_l(
        "Confirm the declaration to authorise the proxy.")),
        metadata={"description": "Must be true: the user makes the declaration of authorisation"})


class DemandSchema(Schema):
    """§45 GenG: a demand for an agenda item, with its purpose and reasons."""

    membership_id = WholeNumber(required=True, validate=ID,
                                metadata={"description": "The membership demanding: one the user acts for"})
    title = _line(500, required=True, metadata={"description": "The agenda item demanded"})
    reasoning = fields.String(required=True, validate=[validate.Length(min=1, max=10_000), STORABLE, ADDRESS],
                              metadata={"description": "Purpose and reasons (§45 Abs. 1 GenG)"})


class DemandSupportSchema(Schema):
    membership_id = WholeNumber(required=True, validate=ID,
                                metadata={"description": "The membership supporting (or withdrawing): one the user "
                                                         "acts for"})


class ChoiceField(fields.Field):
    """One item's choice: "yes", "no" or "abstain"; for an election a list of candidate numbers
    (0-based, at most 100) or "abstain"."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str) and value in CHOICES:
            return value
        if isinstance(value, list) and len(value) <= MAX_CANDIDATES and all(
                isinstance(v, int) and not isinstance(v, bool) and 0 <= v < MAX_CANDIDATES for v in value):
            return list(value)
        raise ValidationError(str(_l("Must be yes, no or abstain, or a list of candidate numbers.")))


class VoteSchema(Schema):
    membership_id = WholeNumber(required=True, validate=ID,
                                metadata={"description": "Whose votes: a member the user may vote for"})
    choices = fields.Dict(keys=fields.String(validate=validate.Regexp(r"^[1-9][0-9]{0,17}\Z",
                                                                      error=_l("Not an item id."))),
                          values=ChoiceField(), required=True, validate=validate.Length(min=1, max=1000),
                          metadata={"description": "Per item id: yes | no | abstain; an election: candidate "
                                                   "numbers (0-based) or abstain",
                                    "example": {"1": "yes", "3": [0, 2]}})

    def item_choices(self, data: dict[str, Any]) -> dict[int, Any]:
        return {int(k): v for k, v in data["choices"].items()}


class ReceiptCheckSchema(Schema):
    code = fields.String(required=True, validate=RECEIPT_CODE,
                         metadata={"description": "The receipt code shown once after voting"})


# --- Board input ------------------------------------------------------------------------------------

class AssemblySchema(Schema):
    title = _line(255, required=True)
    form = fields.String(required=True, validate=validate.OneOf(FORMS))
    held_on = Day(required=True, metadata={"description": "The assembly date (gestreckt: the discussion begins)"})
    place = fields.String(load_default=None, validate=[validate.Length(max=1000), STORABLE, ADDRESS])
    link = fields.Url(load_default=None, schemes={"https", "http"}, validate=[validate.Length(max=1024), STORABLE])
    voting_from = Day(load_default=None)
    voting_until = Day(load_default=None)


class ItemSchema(Schema):
    title = _line(500, required=True)
    resolution_type = fields.String(required=True, validate=validate.OneOf(TYPES))
    secret = fields.Boolean(load_default=False)
    seats = WholeNumber(load_default=None, validate=validate.Range(min=1, max=MAX_CANDIDATES))
    candidates = fields.List(_line(255), load_default=list, validate=validate.Length(max=MAX_CANDIDATES))
    supporters = WholeNumber(load_default=None, validate=validate.Range(min=0, max=MAX_COUNT),
                             metadata={"description": "§45 GenG: an item demanded by this many members"})


class DemandAddSchema(Schema):
    """The board puts a demand that reached its supporters on the agenda (§45 GenG)."""

    resolution_type = fields.String(required=True, validate=validate.OneOf(TYPES))
    secret = fields.Boolean(load_default=False)
    seats = WholeNumber(load_default=None, validate=validate.Range(min=1, max=MAX_CANDIDATES))
    candidates = fields.List(_line(255), load_default=list, validate=validate.Length(max=MAX_CANDIDATES))


class DemandRefuseSchema(Schema):
    reason = fields.String(required=True, validate=[validate.Length(min=1, max=2000), STORABLE, ADDRESS],
                           metadata={"description": "Why the board refuses the demand; members see it"})


class ConveneSchema(Schema):
    accept_warnings = fields.Boolean(load_default=False, metadata={
        "description": "Convene although the invitation is late (§46 GenG): the board decides"})


class HeirsSchema(Schema):
    member_no = WholeNumber(required=True, validate=MEMBER_NO)
    nextcloud_user = fields.String(required=True, validate=[validate.Length(min=1, max=255), NEXTCLOUD_USER])
    basis_document = _line(255, required=True)


class AttendanceSchema(Schema):
    member_no = WholeNumber(required=True, validate=MEMBER_NO)


def _count(**kwargs: Any) -> WholeNumber:
    return WholeNumber(validate=validate.Range(min=0, max=MAX_COUNT), **kwargs)


class RoomCountSchema(Schema):
    yes = _count(load_default=0)
    no = _count(load_default=0)
    abstain = _count(load_default=0)
    investing_yes = _count(load_default=0)
    investing_no = _count(load_default=0)
    investing_abstain = _count(load_default=0)
    participants = _count(required=True)
    candidate_votes = fields.List(_count(), load_default=None, validate=validate.Length(max=MAX_CANDIDATES))
    investing_candidate_votes = fields.List(_count(), load_default=None, validate=validate.Length(max=MAX_CANDIDATES))


class MinutesSchema(Schema):
    language = fields.String(load_default="de", validate=validate.OneOf(["de", "en"]),
                             metadata={"description": "The language of the minutes"})


# --- Output -----------------------------------------------------------------------------------------

class AgendaItemOut(Schema):
    id = WholeNumber()
    position = WholeNumber()
    title = fields.String()
    resolution_type = fields.String()
    secret = fields.Boolean()
    seats = WholeNumber(allow_none=True)
    candidates = fields.List(fields.String())
    announced_on = Day(allow_none=True)
    requested_by_members = fields.Boolean()
    resolvable = fields.Boolean(metadata={"description": "Announced by the agenda deadline (§46 Abs. 2 GenG)"})


class GeneralAssemblyOut(Schema):
    id = WholeNumber()
    general_assembly_id = WholeNumber(metadata={"description": "The documents' assembly (its papers)"})
    title = fields.String()
    form = fields.String()
    state = fields.String()
    held_on = Day()
    place = fields.String(allow_none=True)
    link = fields.String(allow_none=True)
    voting_from = Day(allow_none=True)
    voting_until = Day(allow_none=True)
    convened_on = Day(allow_none=True)
    minutes_document = fields.String(allow_none=True)


class GeneralAssembliesOut(Schema):
    assemblies = fields.List(fields.Nested(GeneralAssemblyOut))


class AssemblyMembershipOut(Schema):
    membership_id = WholeNumber()
    member_no = WholeNumber()
    name = fields.String()


class AssemblyProxyOut(Schema):
    id = WholeNumber()
    principal = fields.Nested(AssemblyMembershipOut)
    proxy = fields.Nested(AssemblyMembershipOut)
    textform_reference = fields.String()
    granted_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)


class VoterOut(Schema):
    membership_id = WholeNumber()
    member_no = WholeNumber()
    name = fields.String()
    votes = WholeNumber()
    capacity = fields.String(metadata={"description": "self | representative | heirs | proxy"})
    in_room = fields.Boolean()
    voted_items = fields.List(WholeNumber())


class PaperOut(Schema):
    id = WholeNumber()
    category = fields.String()
    title = fields.String()
    published_on = Day()


class AgendaRequestOut(Schema):
    deadline = Day(metadata={"description": "§46 Abs. 2 GenG: the last day to announce an item"})
    supporters_needed = WholeNumber(allow_none=True,
                                       metadata={"description": "§45 GenG: members who must support a demand"})
    open = fields.Boolean()


class DemandOut(Schema):
    id = WholeNumber()
    title = fields.String()
    reasoning = fields.String()
    filed_on = Day()
    filed_by = fields.Nested(AssemblyMembershipOut)
    status = fields.String(metadata={"description": "open | added | refused"})
    supporters = WholeNumber()
    needed = WholeNumber(metadata={"description": "§45 GenG: supporters needed (of the members invited)"})
    reached = fields.Boolean(metadata={"description": "Enough supporters: the board must put it on the agenda"})
    item_id = WholeNumber(allow_none=True, metadata={"description": "The agenda item, once added"})
    refusal_reason = fields.String(allow_none=True)
    supported_by_me = fields.List(WholeNumber(), metadata={"description": "My memberships supporting it"})


class DemandsOut(Schema):
    demands = fields.List(fields.Nested(DemandOut))


class AssemblyDetailOut(Schema):
    assembly = fields.Nested(GeneralAssemblyOut)
    items = fields.List(fields.Nested(AgendaItemOut))
    papers = fields.List(fields.Nested(PaperOut))
    annual_documents_deadline = Day(allow_none=True)
    my_memberships = fields.List(fields.Nested(AssemblyMembershipOut))
    proxies_granted = fields.List(fields.Nested(AssemblyProxyOut), metadata={"description": "Proxies my memberships gave"})
    proxies_held = fields.List(fields.Nested(AssemblyProxyOut), metadata={"description": "Members I vote for as a proxy"})
    voters = fields.List(fields.Nested(VoterOut), metadata={"description": "Whose votes I may cast (frozen roll)"})
    agenda_request = fields.Nested(AgendaRequestOut)
    demands = fields.List(fields.Nested(DemandOut), metadata={"description": "Members' demands (§45 GenG)"})


class ReceiptOut(Schema):
    code = fields.String(metadata={"description": "Shown once, never stored: keep it to find your ballots"})
    member_no = WholeNumber()
    items = fields.List(WholeNumber())
    explanation = fields.String()


class ItemResultOut(Schema):
    item_id = WholeNumber()
    position = WholeNumber()
    title = fields.String()
    resolution_type = fields.String()
    secret = fields.Boolean()
    participants = WholeNumber()
    entitled = WholeNumber()
    yes = fields.String(allow_none=True, metadata={"description": "Counted yes votes (a fraction where investing "
                                                                  "members' votes are scaled, §8 Abs. 2 GenG)"})
    no = fields.String(allow_none=True)
    abstain = WholeNumber()
    required = fields.String(allow_none=True, metadata={"description": "Share of yes+no that yes needs, e.g. 3/4"})
    strictly_more = fields.Boolean(allow_none=True)
    quorum_met = fields.Boolean()
    passed = fields.Boolean(allow_none=True)
    candidates = fields.List(fields.String())
    candidate_votes = fields.List(fields.String())
    elected = fields.List(fields.String())
    tie = fields.List(fields.String())


class ResultsOut(Schema):
    results = fields.List(fields.Nested(ItemResultOut))


class ReceiptListOut(Schema):
    item_id = WholeNumber()
    title = fields.String()
    receipts = fields.List(fields.String())


class ReceiptsOut(Schema):
    items = fields.List(fields.Nested(ReceiptListOut))


class ReceiptFoundOut(Schema):
    item_id = WholeNumber()
    title = fields.String()
    ballots_found = WholeNumber(metadata={"description": "Counted ballots with this receipt (0: none)"})


class ReceiptCheckOut(Schema):
    items = fields.List(fields.Nested(ReceiptFoundOut))


class BoardFactsOut(Schema):
    roll_voters = WholeNumber()
    roll_votes = WholeNumber()
    roll_frozen = fields.Boolean()
    left_out = WholeNumber()
    invited = WholeNumber()
    present = WholeNumber()
    latest_convening = Day()
    agenda_deadline = Day()
    convening_warnings = fields.List(fields.String())


class AdminAssemblyOut(Schema):
    assembly = fields.Nested(GeneralAssemblyOut)
    items = fields.List(fields.Nested(AgendaItemOut))
    facts = fields.Nested(BoardFactsOut)
    proxies = fields.List(fields.Nested(AssemblyProxyOut))
    demands = fields.List(fields.Nested(DemandOut), metadata={"description": "Members' demands (§45 GenG)"})
    notes = fields.List(fields.String(), metadata={"description": "What the last action told (outreach)"})


class AssemblyAttendeeOut(Schema):
    member_no = WholeNumber()
    capacity = fields.String()
    proxy_member_no = WholeNumber(allow_none=True)
    in_room = fields.Boolean()
    voted_online = fields.Boolean()


class AssemblyAttendanceOut(Schema):
    attendees = fields.List(fields.Nested(AssemblyAttendeeOut))


def candidate_lines(text: str | None) -> list[str]:
    """A form's candidates, one per line."""
    return [line.strip() for line in re.split(r"\r?\n", text or "") if line.strip()]

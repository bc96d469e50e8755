# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The register's part of the OpenAPI document (nc_coop.web.openapi): its paths, from its schemas."""
from __future__ import annotations

from typing import Any

from apispec import APISpec

from nc_coop.register.schemas import (
    AdmitSchema,
    AppointSchema,
    BookingOut,
    BookingResultOut,
    BookingSchema,
    EndRepresentationSchema,
    LinkActionSchema,
    LinkOut,
    LinksOut,
    MemberOverviewOut,
    MembershipsOut,
    NoticeOut,
    RepresentativeOut,
    RepresentativesOut,
    SearchHitOut,
    SearchResultOut,
    SearchSchema,
    SettlementOut,
    SettlementsOut,
)
from nc_coop.web.openapi import error_responses, output_schema, security

MEMBERSHIP_ID = {"in": "path", "name": "membership_id", "required": True,
                 "description": "The membership's id (not the member number)",
                 "schema": {"type": "integer", "format": "int64", "minimum": 0, "maximum": 2**63 - 1}, "example": 1}
IDEMPOTENCY_KEY = {
    "in": "header", "name": "Idempotency-Key", "required": False,
    "description": "Books once however often the request is sent (a retry after a timeout, a double "
                   "click): a fresh key per booking, e.g. a UUID. The first answer that booked is kept "
                   "for 24 hours; a repeat with the same key and the same body gets it again (same "
                   "status and body, with the header `Idempotent-Replayed: true`) and books nothing. "
                   "The same key with another body is refused with 422 at `Idempotency-Key`. A refused "
                   "booking is not kept: its key may be sent again. Keys are per user.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"},
    "example": "3f2b8c1e-6d0a-4f5e-9b7a-2c1d0e9f8a7b"}
ADMISSION_EXAMPLE = {"kind": "natural", "family_name": "Mustermann", "given_names": "Erika",
                     "postal_address": "Hauptstr. 1, 10115 Berlin", "email": "erika@example.org",
                     "admitted_on": "2024-01-10", "shares": 2, "nextcloud_user": "erika"}
BOOKING_EXAMPLES = {
    "deposit": ("A payment on the shares, in cents",
                {"type": "deposit", "date": "2024-06-03", "amount_cents": 5_000, "reference": "SEPA-4711"}),
    "subscribe": ("Further shares", {"type": "subscribe", "date": "2024-06-10", "shares": 1}),
    "notice": ("Notice on all shares, received on date", {"type": "notice", "date": "2024-06-12"}),
    "transfer": ("Shares and their capital to member no. 2",
                 {"type": "transfer", "date": "2024-06-14", "to_member_no": 2, "shares": 1, "amount_cents": 5_000}),
    "reversal": ("Take back a wrong entry", {"type": "reversal", "date": "2024-06-17", "ledger": "capital",
                                             "entry_id": 1, "reason": "booked on the wrong member"}),
    "exclusion": ("Exclusion decided by the board, dispatched on date",
                  {"type": "exclusion", "date": "2024-06-20", "decided_on": "2024-06-18"}),
    "death": ("The member died on date", {"type": "death", "date": "2024-06-24"}),
}


def _json(schema: str | dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def describe(spec: APISpec) -> None:
    for name, schema in (("Notice", NoticeOut), ("Booking", BookingOut), ("MemberOverview", MemberOverviewOut),
                         ("Memberships", MembershipsOut), ("SearchHit", SearchHitOut),
                         ("SearchResult", SearchResultOut), ("Settlement", SettlementOut),
                         ("Settlements", SettlementsOut), ("Representative", RepresentativeOut),
                         ("Representatives", RepresentativesOut), ("AccountLink", LinkOut),
                         ("AccountLinks", LinksOut)):
        output_schema(spec, name, schema)
    spec.components.schema("BookingResult", {"minProperties": 1}, schema=BookingResultOut)
    spec.components.schema("Admission", schema=AdmitSchema)
    spec.components.schema("BookingRequest", schema=BookingSchema)
    spec.components.schema("Appointment", schema=AppointSchema)
    spec.components.schema("AppointmentEnd", schema=EndRepresentationSchema)

    spec.path("/api/v1/memberships", operations={"get": {
        "operationId": "listMyMemberships", "tags": ["member"], "security": security(),
        "summary": "The memberships the user is linked to (as the member or a representative)",
        "responses": {"200": _json("Memberships", "Each membership's overview as of today"),
                      **error_responses(401)},
    }})
    spec.path("/api/v1/memberships/{membership_id}", parameters=[MEMBERSHIP_ID], operations={"get": {
        "operationId": "getMyMembership", "tags": ["member"], "security": security(),
        "summary": "One of the user's memberships",
        "responses": {"200": _json("MemberOverview", "The membership's overview as of today"),
                      **error_responses(401, 404)},
    }})
    spec.path("/api/v1/admin/members", operations={
        "get": {
            "operationId": "searchMembers", "tags": ["admin"], "security": security(),
            "summary": "Search members by number or name (cooperative admins)",
            "parameters": [{"in": "query", "schema": SearchSchema}],
            "responses": {"200": _json("SearchResult", "One page of hits, ordered by member number"),
                          **error_responses(401, 403, 422, 502, 503)},
        },
        "post": {
            "operationId": "admitMember", "tags": ["admin"], "security": security(csrf=True),
            "summary": "Admit a new member (cooperative admins)",
            "parameters": [IDEMPOTENCY_KEY],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": "Admission", "example": ADMISSION_EXAMPLE}}},
            "responses": {"201": _json("MemberOverview", "The new membership"),
                          **error_responses(401, 403, 413, 422, 502, 503)},
        },
    })
    spec.path("/api/v1/admin/members/{membership_id}", parameters=[MEMBERSHIP_ID], operations={"get": {
        "operationId": "getMember", "tags": ["admin"], "security": security(),
        "summary": "A member's overview and ledgers (cooperative admins)",
        "responses": {"200": _json("MemberOverview", "The membership's overview as of today"),
                      **error_responses(401, 403, 404, 502, 503)},
    }})
    spec.path("/api/v1/admin/members/{membership_id}/bookings", parameters=[MEMBERSHIP_ID], operations={"post": {
        "operationId": "bookOnMembership", "tags": ["admin"], "security": security(csrf=True),
        "summary": "Book on a membership: shares, capital, notice, transfer or a reversal (cooperative admins)",
        "description": "Which fields a booking needs depends on its type; a booking the statute or the "
                       "ledgers do not allow is refused with 422 at the field concerned. Send an "
                       "`Idempotency-Key` to make a retry safe.",
        "parameters": [IDEMPOTENCY_KEY],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": "BookingRequest",
            "examples": {name: {"summary": summary, "value": value}
                         for name, (summary, value) in BOOKING_EXAMPLES.items()}}}},
        "responses": {"201": _json("BookingResult", "What the booking created"),
                      **error_responses(401, 403, 404, 413, 422, 502, 503)},
    }})
    spec.path("/api/v1/admin/members/{membership_id}/representatives", parameters=[MEMBERSHIP_ID], operations={
        "get": {
            "operationId": "listRepresentatives", "tags": ["admin"], "security": security(),
            "summary": "Who acts for a member organisation, past and present (cooperative admins)",
            "responses": {"200": _json("Representatives", "Every appointment, the earliest first"),
                          **error_responses(401, 403, 404, 502, 503)},
        },
        "post": {
            "operationId": "appointRepresentative", "tags": ["admin"], "security": security(csrf=True),
            "summary": "Appoint a natural person to act for the member organisation (cooperative admins)",
            "description": "With nextcloud_user, that login sees the organisation's entry while the "
                           "appointment runs.",
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": "Appointment", "example": {"role": "board_member", "effective_date": "2024-03-01",
                                                     "given_names": "Erika", "family_name": "Mustermann",
                                                     "nextcloud_user": "erika"}}}},
            "responses": {"201": _json("Representatives", "Every appointment after this one"),
                          **error_responses(401, 403, 404, 413, 422, 502, 503)},
        },
    })
    spec.path("/api/v1/admin/members/{membership_id}/representatives/end", parameters=[MEMBERSHIP_ID],
              operations={"post": {
                  "operationId": "endRepresentation", "tags": ["admin"], "security": security(csrf=True),
                  "summary": "End an appointment on its last day (cooperative admins)",
                  "requestBody": {"required": True, "content": {"application/json": {
                      "schema": "AppointmentEnd", "example": {"person_party_id": 7, "role": "board_member",
                                                              "effective_date": "2025-12-31"}}}},
                  "responses": {"201": _json("Representatives", "Every appointment after this end"),
                                **error_responses(401, 403, 404, 413, 422, 502, 503)},
              }})
    spec.path("/api/v1/admin/settlements", operations={"get": {
        "operationId": "listOpenSettlements", "tags": ["admin"], "security": security(),
        "summary": "Members who have left and are still to be paid out (cooperative admins)",
        "responses": {"200": _json("Settlements", "Open settlements, the earliest due first"),
                      **error_responses(401, 403, 502, 503)},
    }})
    _describe_links(spec)


ACCOUNT_ID = {"in": "path", "name": "account_id", "required": True,
              "description": "The linked account's id (account_id in the list of links)",
              "schema": {"type": "integer", "format": "int64", "minimum": 0, "maximum": 2**63 - 1}, "example": 1}


def _describe_links(spec: APISpec) -> None:
    spec.components.schema("AccountLinkAction", schema=LinkActionSchema)
    spec.path("/api/v1/admin/members/{membership_id}/links", parameters=[MEMBERSHIP_ID], operations={"get": {
        "operationId": "listAccountLinks", "tags": ["admin"], "security": security(),
        "summary": "Every Nextcloud account ever linked to the member: confirmed, held for review or removed, "
                   "and how each came about (cooperative admins)",
        "responses": {"200": _json("AccountLinks", "The links, held ones first"),
                      **error_responses(401, 403, 404, 502, 503)},
    }})
    for action, summary, description in (
            ("confirm", "Confirm a link held for review: the account then sees the membership (cooperative admins)",
             "Only a held link can be confirmed (422 otherwise). Audited as account.link_confirmed."),
            ("remove", "Remove a link: the account no longer sees the membership (cooperative admins)",
             "The link stays listed as removed; nothing of the register's history is deleted. A removed link "
             "cannot be removed again (422). Audited as account.link_removed.")):
        spec.path(f"/api/v1/admin/members/{{membership_id}}/links/{{account_id}}/{action}",
                  parameters=[MEMBERSHIP_ID, ACCOUNT_ID], operations={"post": {
                      "operationId": f"{action}AccountLink", "tags": ["admin"], "security": security(csrf=True),
                      "summary": summary, "description": description,
                      "requestBody": {"required": True, "content": {"application/json": {
                          "schema": {"$ref": "#/components/schemas/AccountLinkAction"}, "example": {}}}},
                      "responses": {"200": _json("AccountLinks", "The member's links after the change"),
                                    **error_responses(401, 403, 404, 422, 502, 503)},
                  }})

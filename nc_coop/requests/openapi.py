# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The requests' part of the OpenAPI document (nc_coop.web.openapi)."""
from __future__ import annotations

from typing import Any

from apispec import APISpec

from nc_coop.requests.schemas import (
    AdminRequestOut,
    AdminRequestsOut,
    ConsentSchema,
    ContactResultOut,
    ContactSchema,
    DataExportOut,
    DecisionSchema,
    InboxQuerySchema,
    JoinSchema,
    NoticePreviewOut,
    NoticePreviewQuerySchema,
    NoticeSchema,
    RequestOut,
    RequestsOut,
    SharesSchema,
    TransferOfferOut,
    TransferSchema,
    WithdrawSchema,
)
from nc_coop.web.openapi import error_responses, output_schema, security

REQUEST_ID = {"in": "path", "name": "request_id", "required": True, "description": "The request's id",
              "schema": {"type": "integer", "format": "int64", "minimum": 0, "maximum": 2**63 - 1}, "example": 1}
MEMBER_ERRORS = (401, 403, 404, 413, 422)


def _json(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(schema: str, example: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema, "example": example}}}


def _post(operation_id: str, summary: str, body: str, example: dict[str, Any], result: str, description: str,
          *, codes: tuple[int, ...] = MEMBER_ERRORS, tags: tuple[str, ...] = ("requests",)) -> dict[str, Any]:
    return {"post": {"operationId": operation_id, "tags": list(tags), "security": security(csrf=True),
                     "summary": summary, "requestBody": _body(body, example),
                     "responses": {"201": _json(result, description), **error_responses(*codes)}}}


def describe(spec: APISpec) -> None:
    for name, schema in (("Request", RequestOut), ("Requests", RequestsOut), ("AdminRequest", AdminRequestOut),
                         ("AdminRequests", AdminRequestsOut), ("NoticePreview", NoticePreviewOut),
                         ("ContactResult", ContactResultOut), ("DataExport", DataExportOut),
                         ("TransferOffer", TransferOfferOut)):
        output_schema(spec, name, schema)
    for name, schema in (("JoinRequest", JoinSchema), ("SharesRequest", SharesSchema), ("NoticeRequest", NoticeSchema),
                         ("TransferRequest", TransferSchema), ("ConsentRequest", ConsentSchema),
                         ("ContactRequest", ContactSchema), ("DecisionRequest", DecisionSchema),
                         ("WithdrawRequest", WithdrawSchema)):
        spec.components.schema(name, schema=schema)

    spec.path("/api/v1/requests", operations={"get": {
        "operationId": "listMyRequests", "tags": ["requests"], "security": security(),
        "summary": "The user's requests, those of memberships they act for, and transfers offered to them",
        "responses": {"200": _json("Requests", "The newest first"), **error_responses(401)},
    }})
    spec.path("/api/v1/requests/{request_id}", parameters=[REQUEST_ID], operations={"get": {
        "operationId": "getMyRequest", "tags": ["requests"], "security": security(),
        "summary": "One of the user's requests with its status",
        "responses": {"200": _json("Request", "The request"), **error_responses(401, 404)},
    }})
    spec.path("/api/v1/requests/join", operations=_post(
        "requestJoin", "Declare to join (§15 GenG): a person or organisation not yet a member", "JoinRequest",
        {"kind": "natural", "given_names": "Erika", "family_name": "Mustermann",
         "postal_address": "Hauptstr. 1, 10115 Berlin", "email": "erika@example.org", "shares": 1,
         "acknowledged": ["statute", "payment", "notice_period"]},
        "Request", "Sent to the board; the statute version in force is stored with it",
        codes=(401, 403, 413, 422)))
    spec.path("/api/v1/requests/shares", operations=_post(
        "requestShares", "Declare further shares (§15b GenG); refused while older shares are unpaid",
        "SharesRequest", {"membership_id": 1, "shares": 2, "acknowledged": ["payment", "notice_period"]},
        "Request", "Sent to the board"))
    spec.path("/api/v1/requests/notice-preview", operations={"get": {
        "operationId": "previewNotice", "tags": ["requests"], "security": security(),
        "summary": "The effective and payout dates of a notice sent today, from the statute in force",
        "parameters": [{"in": "query", "schema": NoticePreviewQuerySchema}],
        "responses": {"200": _json("NoticePreview", "The dates"), **error_responses(401, 404, 422)},
    }})
    spec.path("/api/v1/requests/notice", operations=_post(
        "requestNotice", "Give notice (§65 GenG) or notice on further shares (§67b GenG); received when sent",
        "NoticeRequest", {"membership_id": 1, "scope": "all"}, "Request",
        "Sent to the board, with the dates computed on receipt"))
    spec.path("/api/v1/requests/transfer", operations=_post(
        "requestTransfer", "Offer shares and capital to another member (§76 GenG); they must consent",
        "TransferRequest", {"membership_id": 1, "to_member_no": 2, "shares": 1, "amount_cents": 10000}, "TransferOffer",
        "Recorded, waiting for the receiving member's consent; the same answer whether or not the number can "
        "receive it. 422 at membership_id: NC_COOP_MAX_OPEN_TRANSFERS offers are open already"))
    spec.path("/api/v1/requests/{request_id}/withdraw", parameters=[REQUEST_ID], operations={"post": {
        "operationId": "withdrawTransfer", "tags": ["requests"], "security": security(csrf=True),
        "summary": "The giver withdraws a transfer offer the receiving member has not answered",
        "requestBody": _body("WithdrawRequest", {}),
        "responses": {"200": _json("Request", "Withdrawn; 422 at decision: answered or withdrawn already"),
                      **error_responses(*MEMBER_ERRORS)},
    }})
    spec.path("/api/v1/requests/{request_id}/consent", parameters=[REQUEST_ID], operations=_post(
        "consentToTransfer", "The receiving member agrees to or declines a transfer offered to them",
        "ConsentRequest", {"consent": True}, "Request",
        "Booked at once, or sent to the board where the statute wants its consent"))
    spec.path("/api/v1/requests/contact", operations=_post(
        "changeContactData", "Change the address and e-mail of a membership's party (audited)", "ContactRequest",
        {"membership_id": 1, "postal_address": "Neue Str. 2, 10115 Berlin", "email": "erika@example.org"},
        "ContactResult", "Applied at once"))
    spec.path("/api/v1/privacy/export", operations={"get": {
        "operationId": "exportMyData", "tags": ["requests", "privacy"], "security": security(),
        "summary": "Everything nc_coop holds about the user, as a JSON download (GDPR Art. 15, 20)",
        "responses": {"200": _json("DataExport", "The data"), **error_responses(401)},
    }})

    spec.path("/api/v1/admin/requests", operations={"get": {
        "operationId": "listRequestInbox", "tags": ["admin", "requests"], "security": security(),
        "summary": "The board's inbox, filtered by kind and status (cooperative admins)",
        "parameters": [{"in": "query", "schema": InboxQuerySchema}],
        "responses": {"200": _json("AdminRequests", "Open requests first, the oldest first"),
                      **error_responses(401, 403, 422, 502, 503)},
    }})
    spec.path("/api/v1/admin/requests/{request_id}", parameters=[REQUEST_ID], operations={"get": {
        "operationId": "getInboxRequest", "tags": ["admin", "requests"], "security": security(),
        "summary": "One request with the applicant's data (cooperative admins)",
        "responses": {"200": _json("AdminRequest", "The request"), **error_responses(401, 403, 404, 502, 503)},
    }})
    spec.path("/api/v1/admin/requests/{request_id}/decision", parameters=[REQUEST_ID], operations=_post(
        "decideRequest", "Admit, confirm or book (approve), or reject a request; the member is notified",
        "DecisionRequest", {"decision": "approve"}, "AdminRequest",
        "Decided; a rejected application is purged once the rejection has been sent",
        codes=(401, 403, 404, 413, 422, 502, 503), tags=("admin", "requests")))

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The quota feature's part of the OpenAPI document (nc_coop.web.openapi)."""
from __future__ import annotations

from typing import Any

from apispec import APISpec

from nc_coop.quota.schemas import (
    AllocationSchema,
    ApplySchema,
    ApplyStateOut,
    ChangeOut,
    ChangesOut,
    ChangesQuerySchema,
    DecisionSchema,
    MyQuotaOut,
    NoFieldsSchema,
    OrganisationUsageOut,
    OverrideOut,
    OverrideSchema,
    PlannedChangeOut,
    PlanOut,
    PolicyOut,
    PolicySchema,
    QueuedOut,
    RequestOut,
    RequestSchema,
    RequestsOut,
    UsageOut,
    UsersOut,
    UsersQuerySchema,
)
from nc_coop.web.openapi import error_responses, output_schema, security


def _id(name: str, description: str) -> dict[str, Any]:
    return {"in": "path", "name": name, "required": True, "description": description,
            "schema": {"type": "integer", "format": "int64", "minimum": 0, "maximum": 2**63 - 1}, "example": 1}


PARTY_ID = _id("party_id", "The organisation's party id")
OVERRIDE_ID = _id("override_id", "The override's id")
REQUEST_ID = _id("request_id", "The request's id")
TAGS = ["quota"]
ADMIN_TAGS = ["admin", "quota"]


def _json(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(schema: str, example: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema, "example": example}}}


def describe(spec: APISpec) -> None:
    for name, schema in (("QuotaUsage", UsageOut), ("QuotaOrganisation", OrganisationUsageOut),
                         ("MyQuota", MyQuotaOut), ("QuotaUsers", UsersOut), ("QuotaChange", ChangeOut),
                         ("QuotaChanges", ChangesOut), ("QuotaPlannedChange", PlannedChangeOut),
                         ("QuotaPlan", PlanOut), ("QuotaPolicy", PolicyOut), ("QuotaOverride", OverrideOut),
                         ("QuotaRequest", RequestOut), ("QuotaRequests", RequestsOut),
                         ("QuotaApplyState", ApplyStateOut), ("QuotaQueued", QueuedOut)):
        output_schema(spec, name, schema)
    spec.components.schema("QuotaRequestInput", schema=RequestSchema)
    spec.components.schema("QuotaOverrideInput", schema=OverrideSchema)
    spec.components.schema("QuotaAllocationInput", schema=AllocationSchema)
    spec.components.schema("QuotaPolicyInput", schema=PolicySchema)
    spec.components.schema("QuotaDecisionInput", schema=DecisionSchema)
    spec.components.schema("QuotaApplyInput", schema=ApplySchema)
    spec.components.schema("QuotaNoFields", {"additionalProperties": False}, schema=NoFieldsSchema)

    spec.path("/api/v1/quota", operations={"get": {
        "operationId": "getMyQuota", "tags": TAGS, "security": security(),
        "summary": "The user's own quota and usage, and every user of the organisations they represent",
        "description": "Bytes; -3 is unlimited. Read from Nextcloud now, or the last known values when it "
                       "cannot answer.",
        "responses": {"200": _json("MyQuota", "Own usage and represented organisations"),
                      **error_responses(401, 502, 503)},
    }})
    spec.path("/api/v1/quota/organisations/{party_id}", parameters=[PARTY_ID], operations={"get": {
        "operationId": "getOrganisationQuota", "tags": TAGS, "security": security(),
        "summary": "An organisation's pool and its users' usage (its representatives, cooperative admins)",
        "responses": {"200": _json("QuotaOrganisation", "The pool and its users"), **error_responses(401, 404, 502, 503)},
    }})
    spec.path("/api/v1/quota/requests", operations={
        "get": {"operationId": "listMyQuotaRequests", "tags": TAGS, "security": security(),
                "summary": "The user's requests for more storage",
                "responses": {"200": _json("QuotaRequests", "The newest first"), **error_responses(401, 502, 503)}},
        "post": {"operationId": "requestMoreStorage", "tags": TAGS, "security": security(csrf=True),
                 "summary": "Ask for more storage, for oneself or for an organisation one represents",
                 "requestBody": _body("QuotaRequestInput", {"scope": "user", "amount": "20 GB",
                                                            "reason": "Photo archive of the club"}),
                 "responses": {"201": _json("QuotaRequest", "The request, open"),
                               **error_responses(401, 403, 404, 413, 422, 502, 503)}},
    })
    spec.path("/api/v1/admin/quota/users", operations={"get": {
        "operationId": "listQuotaUsers", "tags": ADMIN_TAGS, "security": security(),
        "summary": "Every user's quota, usage, desired quota and queued change (cooperative admins)",
        "parameters": [{"in": "query", "schema": UsersQuerySchema}],
        "responses": {"200": _json("QuotaUsers", "At most 200 users; total counts all that match"),
                      **error_responses(401, 403, 422, 502, 503)},
    }})
    spec.path("/api/v1/admin/quota/overrides", operations={"post": {
        "operationId": "setQuotaOverride", "tags": ADMIN_TAGS, "security": security(csrf=True),
        "summary": "A fixed quota for a user or an organisation's pool, with a reason (cooperative admins)",
        "description": "Replaces the previous override of that user or organisation; the changes are queued and "
                       "applied in the background.",
        "requestBody": _body("QuotaOverrideInput", {"scope": "user", "user_id": "anna.schmidt", "amount": "20 GB",
                                                    "reason": "Board decision 2026-03"}),
        "responses": {"201": _json("QuotaOverride", "The override and the changes queued"),
                      **error_responses(401, 403, 413, 422, 502, 503)},
    }})
    spec.path("/api/v1/admin/quota/overrides/{override_id}/end", parameters=[OVERRIDE_ID], operations={"post": {
        "operationId": "endQuotaOverride", "tags": ADMIN_TAGS, "security": security(csrf=True),
        "summary": "Remove an override: the policy applies again (cooperative admins)",
        "requestBody": _body("QuotaNoFields", {}),
        "responses": {"200": _json("QuotaOverride", "The ended override and the changes queued"),
                      **error_responses(401, 403, 404, 413, 422, 502, 503)},
    }})
    spec.path("/api/v1/admin/quota/allocations", operations={"post": {
        "operationId": "setQuotaAllocation", "tags": ADMIN_TAGS, "security": security(csrf=True),
        "summary": "A fixed amount for one user within an organisation's pool (cooperative admins)",
        "requestBody": _body("QuotaAllocationInput", {"party_id": 4, "user_id": "felix.schaefer", "amount": "10 GB"}),
        "responses": {"200": _json("QuotaQueued", "The changes queued"), **error_responses(401, 403, 413, 422, 502, 503)},
    }})
    spec.path("/api/v1/admin/quota/policy", operations={
        "get": {"operationId": "getQuotaPolicy", "tags": ADMIN_TAGS, "security": security(),
                "summary": "The policy in force (cooperative admins)",
                "responses": {"200": _json("QuotaPolicy", "Amounts in bytes"), **error_responses(401, 403, 502, 503)}},
        "post": {"operationId": "setQuotaPolicy", "tags": ADMIN_TAGS, "security": security(csrf=True),
                 "summary": "Put a new policy in force and queue the changes it makes (cooperative admins)",
                 "requestBody": _body("QuotaPolicyInput", {"base": {"natural/regular": "5 GB"}, "per_share": "1 GB",
                                                           "note": "GV 2026"}),
                 "responses": {"201": _json("QuotaPlan", "Who changes, and the changes queued"),
                               **error_responses(401, 403, 413, 422, 502, 503)}},
    })
    spec.path("/api/v1/admin/quota/policy/preview", operations={"post": {
        "operationId": "previewQuotaPolicy", "tags": ADMIN_TAGS, "security": security(csrf=True),
        "summary": "Who would change under a policy; writes nothing (cooperative admins)",
        "requestBody": _body("QuotaPolicyInput", {"base": {"natural/regular": "10 GB"}}),
        "responses": {"200": _json("QuotaPlan", "The changes it would make"),
                      **error_responses(401, 403, 413, 422, 502, 503)},
    }})
    spec.path("/api/v1/admin/quota/changes", operations={"get": {
        "operationId": "listQuotaChanges", "tags": ADMIN_TAGS, "security": security(),
        "summary": "The change log and queue: who, old, new, why, backend, result, attempts, next attempt, error",
        "parameters": [{"in": "query", "schema": ChangesQuerySchema}],
        "responses": {"200": _json("QuotaChanges", "The newest first"), **error_responses(401, 403, 422, 502, 503)},
    }})
    spec.path("/api/v1/admin/quota/apply", operations={
        "get": {"operationId": "getQuotaApplyState", "tags": ADMIN_TAGS, "security": security(),
                "summary": "Progress of the background run and the number of open changes",
                "responses": {"200": _json("QuotaApplyState", "The state"), **error_responses(401, 403, 502, 503)}},
        "post": {"operationId": "applyQuotaChanges", "tags": ADMIN_TAGS, "security": security(csrf=True),
                 "summary": "Apply the queued changes now, in the background (cooperative admins)",
                 "requestBody": _body("QuotaApplyInput", {"retry_now": True}),
                 "responses": {"200": _json("QuotaApplyState", "Started (or already running, or nothing to do)"),
                               **error_responses(401, 403, 413, 422, 502, 503)}},
    })
    spec.path("/api/v1/admin/quota/usage", operations={"post": {
        "operationId": "readQuotaUsage", "tags": ADMIN_TAGS, "security": security(csrf=True),
        "summary": "Read every known user's quota and usage from Nextcloud, in the background (cooperative admins)",
        "requestBody": _body("QuotaNoFields", {}),
        "responses": {"200": _json("QuotaApplyState", "Started (or already running)"),
                      "409": {"description": "NC_COOP_QUOTA_ADMIN_USER is not set",
                              "content": {"application/json": {"schema": "Error"}}},
                      **error_responses(401, 403, 413, 422, 502, 503)},
    }})
    spec.path("/api/v1/admin/quota/requests", operations={"get": {
        "operationId": "listQuotaRequests", "tags": ADMIN_TAGS, "security": security(),
        "summary": "Requests for more storage (cooperative admins)",
        "responses": {"200": _json("QuotaRequests", "The newest first"), **error_responses(401, 403, 502, 503)},
    }})
    spec.path("/api/v1/admin/quota/requests/{request_id}/decision", parameters=[REQUEST_ID], operations={"post": {
        "operationId": "decideQuotaRequest", "tags": ADMIN_TAGS, "security": security(csrf=True),
        "summary": "Approve (an override) or reject a request; the requester is notified in Nextcloud",
        "requestBody": _body("QuotaDecisionInput", {"decision": "approve", "note": "granted until year end",
                                                    "until": "2026-12-31"}),
        "responses": {"200": _json("QuotaRequest", "The decided request"),
                      **error_responses(401, 403, 404, 413, 422, 502, 503)},
    }})

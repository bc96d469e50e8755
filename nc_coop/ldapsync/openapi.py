# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The LDAP sync's part of the OpenAPI document (nc_coop.web.openapi)."""
from __future__ import annotations

from apispec import APISpec

from nc_coop.ldapsync.schemas import ActiveOut, HeldLinkOut, RunOut, RunsOut, StartSchema
from nc_coop.web.openapi import error_responses, output_schema, security


def describe(spec: APISpec) -> None:
    for name, schema in (("LdapSyncHeldLink", HeldLinkOut), ("LdapSyncRun", RunOut), ("LdapSyncActive", ActiveOut),
                         ("LdapSyncRuns", RunsOut)):
        output_schema(spec, name, schema)
    spec.components.schema("LdapSyncStart", schema=StartSchema)
    runs = {"description": "Whether the sync is configured, the run in progress and the latest runs",
            "content": {"application/json": {"schema": "LdapSyncRuns"}}}
    spec.path("/api/v1/admin/ldap/runs", operations={
        "get": {
            "operationId": "listLdapSyncRuns", "tags": ["admin"], "security": security(),
            "summary": "LDAP sync runs, newest first, and the one in progress (cooperative admins)",
            "responses": {"200": runs, **error_responses(401, 403, 502, 503)},
        },
        "post": {
            "operationId": "startLdapSync", "tags": ["admin"], "security": security(csrf=True),
            "summary": "Start an LDAP sync in the background (cooperative admins); poll the GET for progress",
            "description": "A run that would disable more linked accounts than the limit is refused and "
                           "recorded; only `nc-coop ldap sync --force` passes that guard.",
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": "LdapSyncStart", "example": {"full": True, "dry_run": False}}}},
            "responses": {"200": {**runs, "description": "Started: the state with the new run as `active`"},
                          "409": {"description": "A sync is already running, or the sync is not configured",
                                  "content": {"application/json": {"schema": "Error"}}},
                          **error_responses(401, 403, 413, 422, 502, 503)},
        },
    })

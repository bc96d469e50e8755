# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The documents' part of the OpenAPI document (nc_coop.web.openapi)."""
from __future__ import annotations

from typing import Any

from apispec import APISpec

from nc_coop.documents.schemas import (
    AdminDocumentOut,
    AdminDocumentsOut,
    AnnualStatusOut,
    AssembliesOut,
    AssemblyOut,
    AssemblySchema,
    CheckResultOut,
    ConfirmationOut,
    ConfirmationsOut,
    ConfirmResultOut,
    DocumentOut,
    DocumentsOut,
    EmptySchema,
    FolderEntryOut,
    FolderOut,
    FolderQuerySchema,
    PublishResultOut,
    PublishSchema,
    UnpublishSchema,
)
from nc_coop.web.openapi import error_responses, output_schema, security

DOCUMENT_ID = {"in": "path", "name": "document_id", "required": True, "description": "The document's id",
               "schema": {"type": "integer", "format": "int64", "minimum": 0, "maximum": 2**63 - 1}, "example": 1}
NOT_CONFIGURED = {"description": "Documents are not configured (NC_COOP_DOCUMENTS_FOLDER, NC_COOP_DOCUMENTS_USER)",
                  "content": {"application/json": {"schema": "Error"}}}
PUBLISH_EXAMPLE = {"path": "Satzung 2025.pdf", "category": "statutes", "title": "Satzung",
                   "adopted_on": "2025-05-20", "valid_from": "2025-07-01", "audience": "members",
                   "requires_confirmation": True}


def _json(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(schema: str, example: dict[str, Any] | None = None) -> dict[str, Any]:
    content: dict[str, Any] = {"schema": schema}
    if example is not None:
        content["example"] = example
    return {"required": True, "content": {"application/json": content}}


def describe(spec: APISpec) -> None:
    for name, schema in (("Document", DocumentOut), ("Documents", DocumentsOut), ("AdminDocument", AdminDocumentOut),
                         ("AdminDocuments", AdminDocumentsOut), ("PublishResult", PublishResultOut),
                         ("FolderEntry", FolderEntryOut), ("Folder", FolderOut), ("AnnualStatus", AnnualStatusOut),
                         ("Assembly", AssemblyOut), ("Assemblies", AssembliesOut), ("Confirmation", ConfirmationOut),
                         ("Confirmations", ConfirmationsOut), ("ConfirmResult", ConfirmResultOut),
                         ("CheckResult", CheckResultOut)):
        output_schema(spec, name, schema)
    spec.components.schema("PublishRequest", schema=PublishSchema)
    spec.components.schema("AssemblyRequest", schema=AssemblySchema)
    spec.components.schema("UnpublishRequest", schema=UnpublishSchema)
    spec.components.schema("NoFields", {"additionalProperties": False}, schema=EmptySchema)

    spec.path("/api/v1/documents", operations={"get": {
        "operationId": "listDocuments", "tags": ["documents"], "security": security(),
        "summary": "The governance documents the user may see",
        "description": "Members see members' documents published up to the end of their membership; "
                       "cooperative admins also board documents. Unpublished documents are not listed.",
        "responses": {"200": _json("Documents", "The documents, the newest first"), **error_responses(401, 502, 503)},
    }})
    spec.path("/api/v1/documents/{document_id}/file", parameters=[DOCUMENT_ID], operations={"get": {
        "operationId": "downloadDocument", "tags": ["documents"], "security": security(),
        "summary": "The document's file, streamed from Nextcloud after the access check",
        "description": "Served only while its sha256 is the published one (header X-Document-SHA256); "
                       "a file changed in Nextcloud is withheld (409) and flagged to the board.",
        "responses": {"200": {"description": "The file", "content": {
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
            "409": {"description": "Withheld: the file changed since publication, or documents are not configured",
                    "content": {"application/json": {"schema": "Error"}}},
            **error_responses(401, 404, 502, 503)},
    }})
    spec.path("/api/v1/documents/{document_id}/confirmation", parameters=[DOCUMENT_ID], operations={"post": {
        "operationId": "confirmDocument", "tags": ["documents"], "security": security(csrf=True),
        "summary": "Confirm having read the document, for every current membership the user acts for",
        "requestBody": _body("NoFields", {}),
        "responses": {"201": _json("ConfirmResult", "The memberships confirmed now (empty: all were already)"),
                      **error_responses(401, 403, 404, 413, 422, 502, 503)},
    }})
    spec.path("/api/v1/admin/documents", operations={
        "get": {
            "operationId": "listAllDocuments", "tags": ["admin", "documents"], "security": security(),
            "summary": "Every publication, unpublished ones and file findings included (cooperative admins)",
            "responses": {"200": _json("AdminDocuments", "The newest first"), **error_responses(401, 403, 502, 503)},
        },
        "post": {
            "operationId": "publishDocument", "tags": ["admin", "documents"], "security": security(csrf=True),
            "summary": "Publish a file of the documents folder (cooperative admins)",
            "description": "nc_coop reads the file as the documents account, stores its sha256 and notifies "
                           "every current member of a members' document in Nextcloud.",
            "requestBody": _body("PublishRequest", PUBLISH_EXAMPLE),
            "responses": {"201": _json("PublishResult", "The publication and how many were notified"),
                          "409": NOT_CONFIGURED, **error_responses(401, 403, 413, 422, 502, 503)},
        },
    })
    spec.path("/api/v1/admin/documents/files", operations={"get": {
        "operationId": "listDocumentsFolder", "tags": ["admin", "documents"], "security": security(),
        "summary": "The picker: files and folders in the documents folder (cooperative admins)",
        "parameters": [{"in": "query", "schema": FolderQuerySchema}],
        "responses": {"200": _json("Folder", "Folders first, then files"), "409": NOT_CONFIGURED,
                      **error_responses(401, 403, 404, 422, 502, 503)},
    }})
    spec.path("/api/v1/admin/documents/check", operations={"post": {
        "operationId": "checkDocumentFiles", "tags": ["admin", "documents"], "security": security(csrf=True),
        "summary": "Hash every published file in Nextcloud now and flag the changed and missing ones",
        "requestBody": _body("NoFields", {}),
        "responses": {"200": _json("CheckResult", "What the check found"), "409": NOT_CONFIGURED,
                      **error_responses(401, 403, 413, 422, 502, 503)},
    }})
    spec.path("/api/v1/admin/documents/{document_id}/unpublish", parameters=[DOCUMENT_ID], operations={"post": {
        "operationId": "unpublishDocument", "tags": ["admin", "documents"], "security": security(csrf=True),
        "summary": "Withdraw a publication; its history stays (cooperative admins)",
        "requestBody": _body("UnpublishRequest", {"reason": "replaced by the corrected version"}),
        "responses": {"200": _json("AdminDocument", "The document, now unpublished"),
                      **error_responses(401, 403, 404, 413, 422, 502, 503)},
    }})
    spec.path("/api/v1/admin/documents/{document_id}/confirmations", parameters=[DOCUMENT_ID], operations={"get": {
        "operationId": "listDocumentConfirmations", "tags": ["admin", "documents"], "security": security(),
        "summary": "Who has confirmed the document and who has not (cooperative admins)",
        "responses": {"200": _json("Confirmations", "Every current member, by member number"),
                      **error_responses(401, 403, 404, 502, 503)},
    }})
    spec.path("/api/v1/admin/assemblies", operations={
        "get": {
            "operationId": "listAssemblies", "tags": ["admin", "documents"], "security": security(),
            "summary": "General assemblies with the §48(3) GenG deadline of their annual documents",
            "responses": {"200": _json("Assemblies", "The latest first"), **error_responses(401, 403, 502, 503)},
        },
        "post": {
            "operationId": "createAssembly", "tags": ["admin", "documents"], "security": security(csrf=True),
            "summary": "Record a general assembly (cooperative admins)",
            "requestBody": _body("AssemblyRequest", {"held_on": "2026-06-20", "title": "Ordentliche GV 2026"}),
            "responses": {"201": _json("Assembly", "The assembly with its deadline"),
                          **error_responses(401, 403, 413, 422, 502, 503)},
        },
    })

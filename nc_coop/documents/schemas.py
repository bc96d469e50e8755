# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Input and output schemas of the documents feature (marshmallow)."""
from __future__ import annotations

from marshmallow import fields, validate

from nc_coop.documents.rules import Audience, Category
from nc_coop.register.schemas import MAX_ID, STORABLE
from nc_coop.web.schema import Day, Schema, WholeNumber

CATEGORIES = [c.value for c in Category]
AUDIENCES = [a.value for a in Audience]
ID_RANGE = validate.Range(min=1, max=MAX_ID)
# Dates a cooperative deals with; far-off ones would overflow the deadline arithmetic (a 500).


class PublishSchema(Schema):
    path = fields.String(required=True, validate=[validate.Length(min=1, max=900), STORABLE],
                         metadata={"description": "The file, relative to the documents folder", "example": "Satzung 2025.pdf"})
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    title = fields.String(required=True, validate=[validate.Length(min=1, max=255), STORABLE])
    audience = fields.String(load_default="members", validate=validate.OneOf(AUDIENCES))
    fiscal_year = WholeNumber(load_default=None, strict=False, validate=validate.Range(min=1900, max=2999))
    assembly_id = WholeNumber(load_default=None, strict=False, validate=ID_RANGE)
    version = fields.String(load_default=None, validate=[validate.Length(max=50), STORABLE])
    adopted_on = Day(load_default=None, metadata={"description": "Statutes: adopted by the assembly on"})
    valid_from = Day(load_default=None, metadata={"description": "Statutes: in force from (registration)"})
    statute_version_id = WholeNumber(load_default=None, strict=False, validate=ID_RANGE,
                                        metadata={"description": "Statutes: the register's statute version"})
    requires_confirmation = fields.Boolean(load_default=False)


class AssemblySchema(Schema):
    held_on = Day(required=True)
    title = fields.String(required=True, validate=[validate.Length(min=1, max=255), STORABLE])


class UnpublishSchema(Schema):
    reason = fields.String(load_default=None, validate=[validate.Length(max=2000), STORABLE])


class EmptySchema(Schema):
    """A POST that needs no fields (the action is in the URL)."""


class FolderQuerySchema(Schema):
    dir = fields.String(load_default="", validate=[validate.Length(max=900), STORABLE],
                        metadata={"description": "A subfolder of the documents folder; empty for the folder itself"})


class DocumentOut(Schema):
    id = WholeNumber()
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    title = fields.String()
    fiscal_year = WholeNumber(allow_none=True)
    assembly_id = WholeNumber(allow_none=True)
    assembly_on = Day(allow_none=True)
    version = fields.String(allow_none=True)
    adopted_on = Day(allow_none=True)
    valid_from = Day(allow_none=True)
    statute_version_id = WholeNumber(allow_none=True)
    audience = fields.String(validate=validate.OneOf(AUDIENCES))
    requires_confirmation = fields.Boolean()
    confirmed = fields.Boolean(metadata={"description": "Confirmed for the user's memberships (member list)"})
    sha256 = fields.String()
    size_bytes = WholeNumber()
    content_type = fields.String()
    published_at = fields.DateTime()
    published_on = Day()
    withdrawn_at = fields.DateTime(allow_none=True, metadata={"description": "When it was unpublished"})
    integrity = fields.String(validate=validate.OneOf(["ok", "file_changed", "file_missing"]),
                              metadata={"description": "What the last check of the file in Nextcloud found"})


class AdminDocumentOut(DocumentOut):
    path = fields.String(metadata={"description": "In the reading account's files"})
    published_by = fields.String()


class DocumentsOut(Schema):
    documents = fields.List(fields.Nested(DocumentOut), required=True)


class AdminDocumentsOut(Schema):
    documents = fields.List(fields.Nested(AdminDocumentOut), required=True)


class PublishResultOut(Schema):
    document = fields.Nested(AdminDocumentOut, required=True)
    notified = WholeNumber(required=True)
    notification_failures = WholeNumber(required=True)


class FolderEntryOut(Schema):
    path = fields.String(metadata={"description": "Relative to the documents folder: the value to publish"})
    name = fields.String()
    is_dir = fields.Boolean()
    size = WholeNumber()
    content_type = fields.String()
    last_modified = fields.DateTime(allow_none=True)
    published = fields.Boolean(metadata={"description": "A standing publication of this path exists"})


class FolderOut(Schema):
    dir = fields.String(required=True)
    entries = fields.List(fields.Nested(FolderEntryOut), required=True)


class AnnualStatusOut(Schema):
    category = fields.String()
    document_id = WholeNumber(allow_none=True)
    published_on = Day(allow_none=True)
    state = fields.String(validate=validate.OneOf(["on_time", "late", "due", "missed"]))
    warning = fields.Boolean()


class AssemblyOut(Schema):
    id = WholeNumber()
    held_on = Day()
    title = fields.String()
    deadline = Day(metadata={"description": "§48(3) GenG: annual documents published by this day"})
    warning = fields.Boolean()
    annual = fields.List(fields.Nested(AnnualStatusOut))


class AssembliesOut(Schema):
    assemblies = fields.List(fields.Nested(AssemblyOut), required=True)


class ConfirmationOut(Schema):
    membership_id = WholeNumber()
    member_no = WholeNumber()
    name = fields.String()
    confirmed_at = fields.DateTime(allow_none=True)
    confirmed_by = fields.String(allow_none=True)


class ConfirmationsOut(Schema):
    confirmed = WholeNumber(required=True)
    not_confirmed = WholeNumber(required=True)
    members = fields.List(fields.Nested(ConfirmationOut), required=True)


class ConfirmResultOut(Schema):
    confirmed_memberships = fields.List(WholeNumber(), required=True)


class CheckResultOut(Schema):
    checked = WholeNumber(required=True)
    changed = fields.List(WholeNumber(), required=True)
    missing = fields.List(WholeNumber(), required=True)

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Read models of the documents: what a member sees, the admin overview, §48(3) deadlines and
who has confirmed a document."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from nc_coop.dates import coop_zone, local_day
from nc_coop.documents.models import DocumentConfirmation, DocumentEvent, GeneralAssembly, GovernanceDocument
from nc_coop.documents.rules import (
    ANNUAL_DOCUMENTS,
    DeadlineState,
    MemberWindow,
    annual_documents_deadline,
    deadline_state,
    needs_warning,
    visible_to_member,
)
from nc_coop.register.exports import member_list_rows
from nc_coop.register.models import Membership, Party
from nc_coop.register.queries import visible_membership_ids
from nc_coop.register.services import window_of

INTEGRITY_EVENTS = ("file_changed", "file_missing", "file_verified")


def aware(at: datetime | None) -> datetime | None:
    """SQLite returns the stored UTC times without their zone; the API always states it."""
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at


@dataclass(frozen=True)
class DocumentView:
    """A publication as pages and the API show it."""

    id: int
    category: str
    title: str
    fiscal_year: int | None
    assembly_id: int | None
    assembly_on: date | None
    version: str | None
    adopted_on: date | None
    valid_from: date | None
    statute_version_id: int | None
    audience: str
    requires_confirmation: bool
    path: str
    etag: str
    sha256: str
    size_bytes: int
    content_type: str
    published_at: datetime
    published_by: str
    published_on: date
    withdrawn_at: datetime | None  # unpublished
    integrity: str  # ok | file_changed | file_missing
    confirmed: bool = False  # by the current user (member pages)


@dataclass(frozen=True)
class UserMemberships:
    """The memberships a user acts for, with their windows (as the member or a representative)."""

    ids: tuple[int, ...]
    windows: tuple[MemberWindow, ...]

    def current_ids(self, today: date) -> list[int]:
        return [mid for mid, w in zip(self.ids, self.windows, strict=True)
                if w.admitted_on <= today and (w.exit_on is None or today <= w.exit_on)]


def user_memberships(session: Session, user_id: str) -> UserMemberships:
    ids = visible_membership_ids(session, user_id)
    windows = []
    for membership_id in ids:
        window = window_of(session, session.get(Membership, membership_id))
        windows.append(MemberWindow(window.admitted_on, window.exit_on))
    return UserMemberships(tuple(ids), tuple(windows))


def _events_by_document(session: Session, ids: list[int]) -> dict[int, list[DocumentEvent]]:
    found: dict[int, list[DocumentEvent]] = defaultdict(list)
    if ids:
        for event in session.scalars(select(DocumentEvent).where(DocumentEvent.document_id.in_(ids))
                                     .order_by(DocumentEvent.at, DocumentEvent.id)):
            found[event.document_id].append(event)
    return found


def _view(doc: GovernanceDocument, events: list[DocumentEvent], assemblies: dict[int, date],
          confirmed: bool = False) -> DocumentView:
    withdrawn = aware(next((e.at for e in events if e.kind == "unpublished"), None))
    checks = [e for e in events if e.kind in INTEGRITY_EVENTS]
    integrity = "ok" if not checks or checks[-1].kind == "file_verified" else checks[-1].kind
    return DocumentView(
        id=doc.id, category=doc.category, title=doc.title, fiscal_year=doc.fiscal_year, assembly_id=doc.assembly_id,
        assembly_on=assemblies.get(doc.assembly_id) if doc.assembly_id else None, version=doc.version,
        adopted_on=doc.adopted_on, valid_from=doc.valid_from, statute_version_id=doc.statute_version_id,
        audience=doc.audience, requires_confirmation=doc.requires_confirmation, path=doc.dav_path,
        etag=doc.etag, sha256=doc.sha256, size_bytes=doc.size_bytes, content_type=doc.content_type, published_at=aware(doc.published_at),
        published_by=doc.published_by, published_on=local_day(doc.published_at, coop_zone()), withdrawn_at=withdrawn,
        integrity=integrity, confirmed=confirmed)


def _assembly_days(session: Session) -> dict[int, date]:
    return {assembly_id: held_on for assembly_id, held_on in session.execute(select(GeneralAssembly.id, GeneralAssembly.held_on))}


def all_documents(session: Session) -> list[DocumentView]:
    """Every publication, withdrawn ones included, the newest first (admins)."""
    docs = session.scalars(select(GovernanceDocument).order_by(GovernanceDocument.published_at.desc(),
                                                               GovernanceDocument.id.desc())).all()
    events = _events_by_document(session, [d.id for d in docs])
    assemblies = _assembly_days(session)
    return [_view(d, events.get(d.id, []), assemblies) for d in docs]


def document_view(session: Session, document_id: int) -> DocumentView | None:
    doc = session.get(GovernanceDocument, document_id)
    if doc is None:
        return None
    return _view(doc, _events_by_document(session, [doc.id]).get(doc.id, []), _assembly_days(session))


def visible_documents(session: Session, memberships: UserMemberships, is_coop_admin: bool,
                      today: date) -> list[DocumentView]:
    """What the user may see: members' documents by their membership (rules.visible_to_member),
    and, for cooperative admins, board documents too. Withdrawn ones never."""
    confirmed_ids = set(session.scalars(select(DocumentConfirmation.document_id).where(
        DocumentConfirmation.membership_id.in_(memberships.ids)))) if memberships.ids else set()
    result = []
    for view in all_documents(session):
        if view.withdrawn_at is not None:
            continue
        member_sees = visible_to_member(view.audience, view.published_on, False, memberships.windows, today)
        if member_sees or (is_coop_admin and view.audience in ("members", "board")):
            result.append(_with_confirmation(view, view.id in confirmed_ids))
    return result


def _with_confirmation(view: DocumentView, confirmed: bool) -> DocumentView:
    return replace(view, confirmed=confirmed)


# --- §48(3) ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AnnualDocumentStatus:
    category: str
    document_id: int | None
    published_on: date | None
    state: DeadlineState

    @property
    def warning(self) -> bool:
        return needs_warning(self.state)


@dataclass(frozen=True)
class AssemblyView:
    id: int
    held_on: date
    title: str
    deadline: date
    annual: list[AnnualDocumentStatus] = field(default_factory=list)

    @property
    def warning(self) -> bool:
        return any(a.warning for a in self.annual)


def assemblies(session: Session, today: date, documents: list[DocumentView] | None = None) -> list[AssemblyView]:
    """Every assembly, the latest first, with the §48(3) state of its annual documents: the
    earliest standing publication of each category counts."""
    documents = all_documents(session) if documents is None else documents
    result = []
    for assembly in session.scalars(select(GeneralAssembly).order_by(GeneralAssembly.held_on.desc(),
                                                                     GeneralAssembly.id.desc())):
        annual = []
        for category in ANNUAL_DOCUMENTS:
            published = sorted((d for d in documents if d.assembly_id == assembly.id and d.category == category
                                and d.withdrawn_at is None), key=lambda d: d.published_at)
            first = published[0] if published else None
            annual.append(AnnualDocumentStatus(
                category.value, first.id if first else None, first.published_on if first else None,
                deadline_state(assembly.held_on, first.published_on if first else None, today)))
        result.append(AssemblyView(assembly.id, assembly.held_on, assembly.title,
                                   annual_documents_deadline(assembly.held_on), annual))
    return result


# --- Read confirmations ----------------------------------------------------------------------------

@dataclass(frozen=True)
class ConfirmationRow:
    membership_id: int
    member_no: int
    name: str
    confirmed_at: datetime | None
    confirmed_by: str | None


def confirmations(session: Session, document_id: int, today: date) -> list[ConfirmationRow]:
    """Every current member (the §30 list as of today) with their confirmation, and former
    members who confirmed while they were members."""
    done = {c.membership_id: c for c in session.scalars(
        select(DocumentConfirmation).where(DocumentConfirmation.document_id == document_id))}
    rows = []
    for entry in member_list_rows(session, today):
        confirmation = done.pop(entry.membership_id, None)
        rows.append(ConfirmationRow(entry.membership_id, entry.member_no, entry.name,
                                    aware(confirmation.confirmed_at) if confirmation else None,
                                    confirmation.nextcloud_user_id if confirmation else None))
    for membership_id, confirmation in done.items():  # left since they confirmed
        membership = session.get(Membership, membership_id)
        party = session.get(Party, membership.party_id)
        rows.append(ConfirmationRow(membership_id, membership.member_no, party.display_name if party else "",
                                    aware(confirmation.confirmed_at), confirmation.nextcloud_user_id))
    return sorted(rows, key=lambda r: r.member_no)


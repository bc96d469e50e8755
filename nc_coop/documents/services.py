# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Writes of the documents feature, each audited: publish, unpublish, assemblies, read
confirmations, integrity findings and notifications. Services flush; the caller commits.

Files are read through the gateway as the documents account; a file is hashed while it is read,
never held in memory as a whole.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from nc_coop.audit.chain import lock_chain, record
from nc_coop.dates import lazy_day
from nc_coop.documents.models import (
    DocumentConfirmation,
    DocumentEvent,
    DocumentNotification,
    GeneralAssembly,
    GovernanceDocument,
)
from nc_coop.documents.queries import DocumentView, UserMemberships, document_view
from nc_coop.documents.rules import (
    FISCAL_YEAR_CATEGORIES,
    Category,
    RuleViolation,
    check_statute_dates,
    dav_path,
    normalise_relative_path,
)
from nc_coop.documents.settings import DocumentsSettings
from nc_coop.nextcloud import NextcloudError, NextcloudGateway, NextcloudNotFound
from nc_coop.register.exports import member_list_rows
from nc_coop.register.links import account_grants
from nc_coop.register.models import Account, Membership, StatuteVersionRow
from nc_coop.web.i18n import recipient_locale

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Actor:
    user_id: str
    request_id: str | None


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class FileDigest:
    sha256: str
    size: int
    etag: str
    content_type: str


def digest_file(gateway: NextcloudGateway, settings: DocumentsSettings, path: str,
                request_id: str | None) -> FileDigest:
    """sha256 and size of a file in Nextcloud, read in chunks (the ETag is that of the bytes read)."""
    sha = hashlib.sha256()
    size = 0
    with gateway.open_file(path, settings.user, request_id) as download:
        for chunk in download.chunks():
            sha.update(chunk)
            size += len(chunk)
        return FileDigest(sha.hexdigest(), size, download.etag, download.content_type.split(";")[0].strip())


# --- Assemblies ------------------------------------------------------------------------------------

def create_assembly(session: Session, actor: Actor, *, held_on: date, title: str) -> GeneralAssembly:
    assembly = GeneralAssembly(held_on=held_on, title=title.strip(), recorded_at=_now(), actor=actor.user_id)
    session.add(assembly)
    session.flush()
    record(session, actor=actor.user_id, action="assembly.create", entity="general_assembly",
           entity_id=str(assembly.id), diff={"held_on": held_on, "title": assembly.title},
           request_id=actor.request_id)
    return assembly


# --- Publishing ------------------------------------------------------------------------------------

def _check_metadata(session: Session, data: dict[str, Any]) -> dict[str, Any]:
    """The category's rules on the other fields; returns the values to store."""
    category = Category(data["category"])
    values = {k: data.get(k) for k in ("fiscal_year", "assembly_id", "version", "adopted_on", "valid_from",
                                        "statute_version_id")}
    if values["assembly_id"] is not None and session.get(GeneralAssembly, values["assembly_id"]) is None:
        raise RuleViolation("assembly_id", _l("No such assembly."))
    if category in FISCAL_YEAR_CATEGORIES and values["fiscal_year"] is None:
        raise RuleViolation("fiscal_year", _l("Annual documents need their fiscal year."))
    if category is not Category.STATUTES:
        for name in ("adopted_on", "valid_from", "statute_version_id"):
            if values[name] is not None:
                raise RuleViolation(name, _l("Only statutes have this."))
        return values
    version_id = values["statute_version_id"]
    if version_id is not None:
        row = session.get(StatuteVersionRow, version_id)
        if row is None:
            raise RuleViolation("statute_version_id", _l("No such statute version in the register."))
        # The register's version is the truth: fill in its dates, refuse others.
        for name, registered in (("adopted_on", row.adopted_at), ("valid_from", row.registered_at)):
            if values[name] is None:
                values[name] = registered
            elif values[name] != registered:
                raise RuleViolation(name, _l("The register's statute version %(version)s says %(day)s.",
                                             version=row.version, day=lazy_day(registered)))
        values["version"] = values["version"] or str(row.version)
    check_statute_dates(values["adopted_on"], values["valid_from"])
    return values


def publish(session: Session, actor: Actor, gateway: NextcloudGateway, settings: DocumentsSettings,
            data: dict[str, Any]) -> GovernanceDocument:
    """Publish a file of the documents folder with its metadata; ``RuleViolation`` at a field for
    anything refused (nothing is written then). Notifications are sent after the commit
    (``notify_members``)."""
    relative = normalise_relative_path(data["path"])
    values = _check_metadata(session, data)
    path = dav_path(settings.folder, relative)
    try:
        entry = gateway.stat(path, settings.user, actor.request_id)
    except NextcloudNotFound:
        raise RuleViolation("path", _l("There is no such file in the documents folder.")) from None
    if entry.is_dir:
        raise RuleViolation("path", _l("This is a folder; choose a file."))
    try:
        digest = digest_file(gateway, settings, path, actor.request_id)
    except NextcloudNotFound:
        raise RuleViolation("path", _l("There is no such file in the documents folder.")) from None
    doc = GovernanceDocument(
        category=data["category"], title=data["title"].strip(), audience=data["audience"],
        requires_confirmation=bool(data.get("requires_confirmation")), dav_path=path, file_id=entry.file_id or None,
        etag=digest.etag or entry.etag, sha256=digest.sha256, size_bytes=digest.size,
        content_type=digest.content_type or entry.content_type or "application/octet-stream",
        published_at=_now(), published_by=actor.user_id, **values)
    session.add(doc)
    session.flush()
    record(session, actor=actor.user_id, action="document.publish", entity="governance_document",
           entity_id=str(doc.id), diff={"path": path, "category": doc.category, "title": doc.title,
                                        "audience": doc.audience, "sha256": doc.sha256, "size": doc.size_bytes},
           request_id=actor.request_id)
    return doc


def unpublish(session: Session, actor: Actor, view: DocumentView, reason: str | None) -> DocumentEvent:
    """Withdraw a publication; the row and its history stay. The state is read again under the
    writers' lock: of two withdrawals at once, the second is refused as a later one is."""
    lock_chain(session)
    view = document_view(session, view.id) or view
    if view.withdrawn_at is not None:
        raise RuleViolation("document", _l("This document is already unpublished."))
    event = DocumentEvent(document_id=view.id, kind="unpublished", at=_now(), actor=actor.user_id,
                          reason=(reason or "").strip() or None)
    session.add(event)
    session.flush()
    record(session, actor=actor.user_id, action="document.unpublish", entity="governance_document",
           entity_id=str(view.id), diff={"reason": event.reason}, request_id=actor.request_id)
    return event


# --- Read confirmations ----------------------------------------------------------------------------

def confirm(session: Session, actor: Actor, view: DocumentView, memberships: UserMemberships,
            today: date) -> list[int]:
    """Confirm for every current membership the user acts for; returns the membership ids newly
    confirmed (none when all were). ``RuleViolation`` when the document asks for none or the
    user has no current membership."""
    if not view.requires_confirmation:
        raise RuleViolation("document", _l("This document asks for no confirmation."))
    current = memberships.current_ids(today)
    if not current:
        raise RuleViolation("document", _l("Only current members confirm documents."))
    lock_chain(session)  # before reading what is confirmed: a second click finds the first's rows
    done = set(session.scalars(select(DocumentConfirmation.membership_id).where(
        DocumentConfirmation.document_id == view.id, DocumentConfirmation.membership_id.in_(current))))
    new = [mid for mid in current if mid not in done]
    for membership_id in new:
        session.add(DocumentConfirmation(document_id=view.id, membership_id=membership_id,
                                         nextcloud_user_id=actor.user_id, confirmed_at=_now()))
    if new:
        session.flush()
        record(session, actor=actor.user_id, action="document.confirm", entity="governance_document",
               entity_id=str(view.id), diff={"memberships": new}, request_id=actor.request_id)
    return new


# --- Integrity -------------------------------------------------------------------------------------

def record_integrity(session: Session, actor: str, view: DocumentView, kind: str, *, sha256: str | None = None,
                     etag: str | None = None, request_id: str | None = None) -> None:
    """Note what a check found, when it differs from what is known (no repeats). What is known
    is read again under the writers' lock, so that checks and downloads at once note it once."""
    lock_chain(session)
    view = document_view(session, view.id) or view
    if kind == ("file_verified" if view.integrity == "ok" else view.integrity):
        return
    session.add(DocumentEvent(document_id=view.id, kind=kind, at=_now(), actor=actor, observed_sha256=sha256,
                              observed_etag=etag))
    session.flush()
    record(session, actor=actor, action=f"document.{kind}", entity="governance_document", entity_id=str(view.id),
           diff={"expected_sha256": view.sha256, "observed_sha256": sha256}, request_id=request_id)
    if kind != "file_verified":
        log.warning("Document %s: %s in Nextcloud since its publication", view.id, kind.replace("_", " "))


def check_file(session: Session, actor: Actor, gateway: NextcloudGateway, settings: DocumentsSettings,
               view: DocumentView) -> str:
    """Hash the file as it is in Nextcloud now and record the finding: ok, file_changed or file_missing."""
    try:
        digest = digest_file(gateway, settings, view.path, actor.request_id)
    except NextcloudNotFound:
        record_integrity(session, actor.user_id, view, "file_missing", request_id=actor.request_id)
        return "file_missing"
    if digest.sha256 != view.sha256:
        record_integrity(session, actor.user_id, view, "file_changed", sha256=digest.sha256, etag=digest.etag,
                         request_id=actor.request_id)
        return "file_changed"
    record_integrity(session, actor.user_id, view, "file_verified", sha256=digest.sha256, etag=digest.etag,
                     request_id=actor.request_id)
    return "ok"


class Withheld(Exception):
    """The file is not what was published (or is gone): it is not served."""

    def __init__(self, finding: str) -> None:
        super().__init__(finding)
        self.finding = finding


def verified_stream(gateway: NextcloudGateway, settings: DocumentsSettings, view: DocumentView,
                    request_id: str | None, on_mismatch: Callable[[str, str | None], None]) -> Iterator[bytes]:
    """The published bytes, streamed from Nextcloud, or ``Withheld`` before the first byte.

    Decision: a file that differs from its publication is withheld, never served with a warning:
    members must get exactly what the cooperative published. A changed ETag means the file was
    written since: it is hashed once without sending (no memory, no disk) and withheld if it
    differs. With the ETag unchanged the bytes are streamed one chunk behind the hash; if they
    still turn out different (storage edited behind Nextcloud's back), the last chunk is held
    back, so the member never receives a complete altered file, and ``on_mismatch`` flags it."""
    if view.integrity != "ok":
        raise Withheld(view.integrity)
    try:
        download = gateway.open_file(view.path, settings.user, request_id)
    except NextcloudNotFound:
        on_mismatch("file_missing", None)
        raise Withheld("file_missing") from None
    if download.etag != view.etag:
        with download:
            sha = hashlib.sha256()
            for chunk in download.chunks():
                sha.update(chunk)
        if sha.hexdigest() != view.sha256:
            on_mismatch("file_changed", sha.hexdigest())
            raise Withheld("file_changed")
        download = gateway.open_file(view.path, settings.user, request_id)
    return _lagging(download, view, on_mismatch)


def _lagging(download: Any, view: DocumentView, on_mismatch: Callable[[str, str | None], None]) -> Iterator[bytes]:
    with download:
        sha = hashlib.sha256()
        size = 0
        held: bytes | None = None
        for chunk in download.chunks():
            sha.update(chunk)
            size += len(chunk)
            if size > view.size_bytes:
                on_mismatch("file_changed", None)
                return
            if held is not None:
                yield held
            held = chunk
        if sha.hexdigest() != view.sha256 or size != view.size_bytes:
            on_mismatch("file_changed", sha.hexdigest())
            return
        if held is not None:
            yield held


# --- Notifications ---------------------------------------------------------------------------------

def recipients(session: Session, view: DocumentView, today: date) -> list[str]:
    """Nextcloud users linked to a current membership (as the member or an active representative)
    for a members' document. Board documents notify nobody: the board publishes them itself."""
    if view.audience != "members":
        return []
    current = [row.membership_id for row in member_list_rows(session, today)]
    if not current:
        return []
    users = session.scalars(
        select(Account.nextcloud_user_id).join(Membership, Membership.party_id == Account.party_id)
        .where(Membership.id.in_(current), account_grants(today))
        .order_by(Account.nextcloud_user_id)).all()
    return list(dict.fromkeys(users))


def notify_members(session: Session, gateway: NextcloudGateway, view: DocumentView, users: list[str], *,
                   text: Callable[[], tuple[str, str]], link: str, request_id: str | None) -> tuple[int, int]:
    """One notification per user, its ``text()`` (subject, message) written in that user's
    language; a failure is recorded and does not stop the others (nor undo the publication,
    committed before). Returns (sent, failed)."""
    sent = failed = 0
    for user_id in users:
        error = None
        with force_locale(recipient_locale(gateway, user_id, request_id)):
            subject, message = text()
        try:
            gateway.notify(user_id, subject, message, link, request_id)
            sent += 1
        except NextcloudError as exc:
            error = str(exc)[:500]
            failed += 1
            log.warning("Notification about document %s to %s failed: %s", view.id, user_id, exc)
        session.add(DocumentNotification(document_id=view.id, nextcloud_user_id=user_id, attempted_at=_now(),
                                         ok=error is None, error=error))
    session.flush()
    return sent, failed

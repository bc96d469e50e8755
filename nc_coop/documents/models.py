# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The index of governance documents. The files stay in Nextcloud; nc_coop keeps what was
published, when, by whom and with which sha256.

A published document row is never changed: unpublishing, integrity findings, read
confirmations and notifications are rows of their own (append-only at the database), so the
history of what members could see is never lost.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nc_coop.db import Base

ID = BigInteger().with_variant(Integer, "sqlite")  # autoincrement works on both


class GeneralAssembly(Base):
    """A general assembly (Generalversammlung) that documents can be attached to."""

    __tablename__ = "general_assembly"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    held_on: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(255))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(255))

    def __repr__(self) -> str:
        return f"<GeneralAssembly #{self.id} on {self.held_on}>"


class GovernanceDocument(Base):
    """One publication of a file from the documents folder; never changed after insert."""

    __tablename__ = "governance_document"
    __table_args__ = (Index("ix_governance_document_category_published", "category", "published_at"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    category: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(255))
    fiscal_year: Mapped[int | None] = mapped_column(Integer)
    assembly_id: Mapped[int | None] = mapped_column(ForeignKey("general_assembly.id"), index=True)
    version: Mapped[str | None] = mapped_column(String(50))
    adopted_on: Mapped[date | None] = mapped_column(Date)  # statutes: resolution of the assembly
    valid_from: Mapped[date | None] = mapped_column(Date)  # statutes: registration (§16 Abs. 6 GenG)
    statute_version_id: Mapped[int | None] = mapped_column(ForeignKey("statute_version.id"), index=True)
    audience: Mapped[str] = mapped_column(String(10))  # members | board
    requires_confirmation: Mapped[bool] = mapped_column(Boolean)
    dav_path: Mapped[str] = mapped_column(String(1024))  # in the reading account's files, e.g. /Governance/x.pdf
    file_id: Mapped[str | None] = mapped_column(String(64))
    etag: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(255))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[str] = mapped_column(String(255))

    def __repr__(self) -> str:
        return f"<GovernanceDocument #{self.id} {self.category} {self.title!r}>"


class DocumentEvent(Base):
    """Something that happened to a publication: unpublished, or its file found changed / intact."""

    __tablename__ = "document_event"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("governance_document.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # unpublished | file_changed | file_missing | file_verified
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(255))
    observed_sha256: Mapped[str | None] = mapped_column(String(64))
    observed_etag: Mapped[str | None] = mapped_column(String(255))
    reason: Mapped[str | None] = mapped_column(Text)


class DocumentConfirmation(Base):
    """A member confirmed having read a document (once per membership and document)."""

    __tablename__ = "document_confirmation"
    __table_args__ = (UniqueConstraint("document_id", "membership_id", name="uq_document_confirmation_member"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("governance_document.id"), index=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("membership.id"))
    nextcloud_user_id: Mapped[str] = mapped_column(String(255))  # who clicked (the member or a representative)
    confirmed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DocumentNotification(Base):
    """One Nextcloud notification attempt about a new publication, sent or failed."""

    __tablename__ = "document_notification"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("governance_document.id"), index=True)
    nextcloud_user_id: Mapped[str] = mapped_column(String(255))
    attempted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ok: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(String(500))


APPEND_ONLY_TABLES = ("governance_document", "document_event", "document_confirmation", "document_notification")

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""What the assembly's outreach keeps (migration 0015): the Nextcloud notifications per event and
recipient, the stored minutes with their retention, and the Talk room and calendar event made
for an assembly."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nc_coop.db import Base

ID = BigInteger().with_variant(Integer, "sqlite")  # autoincrement works on both


class AssemblyNotification(Base):
    """One notification about an assembly event to one Nextcloud user. The unique key makes
    "once per event and recipient" a fact of the database; a row is claimed (``claim_token``)
    before the notification is sent and marked sent or failed afterwards."""

    __tablename__ = "assembly_notification"
    __table_args__ = (UniqueConstraint("assembly_id", "event", "recipient",
                                       name="uq_assembly_notification_assembly_event_recipient"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assembly.id"))
    event: Mapped[str] = mapped_column(String(20))  # convened | voting_open | closing_soon | results
    recipient: Mapped[str] = mapped_column(String(255))  # Nextcloud user id
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    claim_token: Mapped[str] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(String(500))

    def __repr__(self) -> str:
        return f"<AssemblyNotification {self.assembly_id}/{self.event} to {self.recipient!r}>"


class AssemblyMinutesFile(Base):
    """The minutes PDF as stored in the documents folder, and how long it is kept: ``keep_until``
    is the end of the statute's ``minutes_retention_years`` (None: kept for good). Append-only."""

    __tablename__ = "assembly_minutes_file"

    assembly_id: Mapped[int] = mapped_column(ForeignKey("assembly.id"), primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("governance_document.id"))
    dav_path: Mapped[str] = mapped_column(String(1024))
    sha256: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(5))
    keep_until: Mapped[date | None] = mapped_column(Date)
    stored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(255))


class AssemblyMeetingPlace(Base):
    """A Talk conversation or a calendar event created for an assembly (one of each). Append-only."""

    __tablename__ = "assembly_meeting_place"
    __table_args__ = (UniqueConstraint("assembly_id", "kind", name="uq_assembly_meeting_place_assembly_kind"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assembly.id"))
    kind: Mapped[str] = mapped_column(String(20))  # talk | calendar
    reference: Mapped[str] = mapped_column(String(255))  # the room's token, the event's path
    url: Mapped[str | None] = mapped_column(String(1024))
    owner: Mapped[str] = mapped_column(String(255))  # the Nextcloud user it was created as
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


APPEND_ONLY_TABLES = ("assembly_minutes_file", "assembly_meeting_place")

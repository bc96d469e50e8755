# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The member register's tables (DOMAIN.md §2.1).

Ledgers, membership events and notices are append-only at the database (triggers): nothing
is edited, corrections are reversals, and a membership's status is derived from its events.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nc_coop.db import Base

ID = BigInteger().with_variant(Integer, "sqlite")  # autoincrement works on both


class StatuteVersionRow(Base):
    """A Satzung version with its parameters (JSON); effective from its registration date."""

    __tablename__ = "statute_version"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    adopted_at: Mapped[date] = mapped_column(Date)
    registered_at: Mapped[date] = mapped_column(Date)
    params: Mapped[str] = mapped_column(Text)
    document_ref: Mapped[str | None] = mapped_column(String(255))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    def __repr__(self) -> str:
        return f"<StatuteVersion {self.version} in force from {self.registered_at}>"


class Party(Base):
    """A person or organisation that is, was or wants to be a member (§30 Abs. 2 data)."""

    __tablename__ = "party"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    legal_name: Mapped[str | None] = mapped_column(String(255))  # firm or association name
    family_name: Mapped[str | None] = mapped_column(String(255))
    given_names: Mapped[str | None] = mapped_column(String(255))
    postal_address: Mapped[str] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(String(255))
    register_court: Mapped[str | None] = mapped_column(String(255))
    register_no: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    @property
    def display_name(self) -> str:
        if self.legal_name:
            return self.legal_name
        return f"{self.given_names or ''} {self.family_name or ''}".strip()

    @property
    def sort_name(self) -> str:
        return self.legal_name or f"{self.family_name or ''}, {self.given_names or ''}"

    def __repr__(self) -> str:
        return f"<Party #{self.id} {self.kind} {self.display_name!r}>"


class Account(Base):
    """Links a Nextcloud user to a party: as the member themself or as a representative."""

    __tablename__ = "account"
    __table_args__ = (UniqueConstraint("nextcloud_user_id", "party_id", name="uq_account_user_party"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    nextcloud_user_id: Mapped[str] = mapped_column(String(255), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"))
    role: Mapped[str] = mapped_column(String(20))  # self | representative
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # gone from LDAP (sync)
    # How the link came about and whether it grants access (nc_coop.register.links): a link the
    # LDAP sync made by member number to a party whose name and e-mail differ is "held" until
    # the board confirms it; a removed link stays as a row (accounts are never deleted).
    link_source: Mapped[str] = mapped_column(String(20), default="admin", server_default="admin")
    link_status: Mapped[str] = mapped_column(String(10), default="confirmed", server_default="confirmed")
    link_note: Mapped[str | None] = mapped_column(String(255))  # why held (a reason code)
    link_run_id: Mapped[int | None] = mapped_column(ID)  # the ldap_sync_run that made the link
    link_reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    link_reviewed_by: Mapped[str | None] = mapped_column(String(255))


class Membership(Base):
    """Member number and admission; never changed after insert (exits are events)."""

    __tablename__ = "membership"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    member_no: Mapped[int] = mapped_column(Integer, unique=True)  # sequential, never reused
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # regular | investing
    admitted_on: Mapped[date] = mapped_column(Date)
    statute_version_id: Mapped[int] = mapped_column(ForeignKey("statute_version.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(255))
    basis_document: Mapped[str | None] = mapped_column(String(255))

    def __repr__(self) -> str:
        return f"<Membership no. {self.member_no} party #{self.party_id} since {self.admitted_on}>"


class MembershipEvent(Base):
    """Something that changes a membership's state: notice received, exit, exclusion, death."""

    __tablename__ = "membership_event"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("membership.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    event_date: Mapped[date] = mapped_column(Date)  # when it happened (receipt, dispatch, death)
    effective_date: Mapped[date | None] = mapped_column(Date)  # when it takes legal effect
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notice.id"))
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("membership_event.id"), unique=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(255))
    reference: Mapped[str | None] = mapped_column(String(255))


class Notice(Base):
    """A Kündigung (§65) or partial notice (§67b) with the dates computed at receipt."""

    __tablename__ = "notice"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("membership.id"), index=True)
    scope: Mapped[str] = mapped_column(String(10))  # all | partial
    shares: Mapped[int] = mapped_column(Integer)  # shares given notice on
    received_on: Mapped[date] = mapped_column(Date)  # Zugang
    statute_version_id: Mapped[int] = mapped_column(ForeignKey("statute_version.id"))
    effective_date: Mapped[date] = mapped_column(Date)
    settlement_due: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(255))
    basis_document: Mapped[str | None] = mapped_column(String(255))


class ShareEntry(Base):
    """One change of a membership's share count; signed, effective-dated, never edited."""

    __tablename__ = "share_entry"
    __table_args__ = (Index("ix_share_entry_membership_date", "membership_id", "effective_date"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("membership.id"))
    kind: Mapped[str] = mapped_column(String(30))
    delta: Mapped[int] = mapped_column(Integer)
    effective_date: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(255))
    reference: Mapped[str | None] = mapped_column(String(255))
    basis_document: Mapped[str | None] = mapped_column(String(255))
    statute_version_id: Mapped[int] = mapped_column(ForeignKey("statute_version.id"))
    transfer_id: Mapped[str | None] = mapped_column(String(36), index=True)  # links a §76 pair
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notice.id"))
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("share_entry.id"), unique=True)


class CapitalEntry(Base):
    """One change of Geschäftsguthaben in integer cents; value-dated, never edited."""

    __tablename__ = "capital_entry"
    __table_args__ = (Index("ix_capital_entry_membership_date", "membership_id", "value_date"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("membership.id"))
    kind: Mapped[str] = mapped_column(String(30))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    value_date: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(255))
    reference: Mapped[str | None] = mapped_column(String(255))  # bank reference, voucher number
    basis_document: Mapped[str | None] = mapped_column(String(255))
    transfer_id: Mapped[str | None] = mapped_column(String(36), index=True)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("capital_entry.id"), unique=True)


APPEND_ONLY_TABLES = ("statute_version", "membership", "membership_event", "notice", "share_entry",
                      "capital_entry")


class RepresentationEvent(Base):
    """A natural person appointed to act for an organisation party (board of an association,
    managing director, authorised officer, ...) or the end of that appointment. Append-only:
    who represents an organisation on a day is derived from these events."""

    __tablename__ = "representation_event"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    organisation_party_id: Mapped[int] = mapped_column(ForeignKey("party.id"), index=True)
    person_party_id: Mapped[int] = mapped_column(ForeignKey("party.id"))
    role: Mapped[str] = mapped_column(String(30))
    action: Mapped[str] = mapped_column(String(10))  # appoint | end
    effective_date: Mapped[date] = mapped_column(Date)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))  # the person's Nextcloud login
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(255))
    basis_document: Mapped[str | None] = mapped_column(String(255))

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The general assembly's tables (migration 0014).

Secret ballots. Who voted and how they voted live in two tables that share no key:
``assembly_participation`` (item, voter, the day) and ``assembly_ballot`` (item, choice, receipt
hash, investing flag; no voter, no time). What else could join them, and what we do about it:

- Insertion order. PostgreSQL appends new rows to the heap (``ctid``, and pg_dump's output
  follow it), SQLite numbers rows in a hidden, increasing ``rowid``; both would put the n-th
  ballot next to the n-th participation. So ballot ids are 128 random bits, the SQLite tables are
  ``WITHOUT ROWID`` (stored in id order, i.e. random order), and ballots are written to
  ``assembly_ballot`` only when voting closes, all in one statement ordered by that random id.
- Transaction ids. PostgreSQL stamps every row with the id of the transaction that wrote it
  (``xmin``); a ballot written with its participation would carry the same one. While voting is
  open, ballots wait in the sealed ``assembly_ballot_pool`` (same random ids, WITHOUT ROWID);
  closing moves them all in one transaction and deletes the pool's rows, so every ballot has the
  same ``xmin``. Limit: during the voting window a database superuser watching live can still
  pair pool rows with participations by ``xmin``, and deleted pool rows stay on disk until VACUUM.
- Times. A participation keeps only the day; ballots keep none; the audit event of a vote names
  the voter and items, never a choice of a secret item.
- Weights. A member with several votes casts several one-vote rows (each with its own receipt
  hash), so no ballot row stands out by its weight. The investing flag must stay (§8 Abs. 2 caps
  those votes); where few investing members vote, their ballots are a small group by nature.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from nc_coop.db import Base

ID = BigInteger().with_variant(Integer, "sqlite")  # autoincrement works on both


class Assembly(Base):
    """One general assembly: its form, dates and state. The row moves through the states; every
    move is an audit event."""

    __tablename__ = "assembly"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    # The documents' assembly (invitation, annual statement and minutes attach there).
    general_assembly_id: Mapped[int] = mapped_column(ForeignKey("general_assembly.id"), unique=True)
    title: Mapped[str] = mapped_column(String(255))
    form: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20))
    held_on: Mapped[date] = mapped_column(Date)  # gestreckt: start of the discussion phase
    place: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(1024))
    voting_from: Mapped[date | None] = mapped_column(Date)
    voting_until: Mapped[date | None] = mapped_column(Date)
    statute_version_id: Mapped[int] = mapped_column(ForeignKey("statute_version.id"))
    convened_on: Mapped[date | None] = mapped_column(Date)
    roll_frozen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    minutes_document: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(255))


class AssemblyItem(Base):
    """An agenda item with its resolution type; elections carry their candidates and seats."""

    __tablename__ = "assembly_item"
    __table_args__ = (UniqueConstraint("assembly_id", "position", name="uq_assembly_item_assembly_position"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assembly.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    resolution_type: Mapped[str] = mapped_column(String(20))
    secret: Mapped[bool] = mapped_column(Boolean)
    seats: Mapped[int | None] = mapped_column(Integer)
    candidates: Mapped[str | None] = mapped_column(Text)  # JSON list of names
    announced_on: Mapped[date | None] = mapped_column(Date)  # None until the assembly is convened
    requested_by_members: Mapped[bool] = mapped_column(Boolean)  # §45 Abs. 2
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(255))


class AssemblyInvitation(Base):
    """A member entitled on the convening date (§46), invited. Append-only."""

    __tablename__ = "assembly_invitation"

    assembly_id: Mapped[int] = mapped_column(ForeignKey("assembly.id"), primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("membership.id"), primary_key=True)
    member_no: Mapped[int] = mapped_column(Integer)


class AssemblyDelegate(Base):
    """The joint representative of a deceased member's heirs (§77 Abs. 1 S. 3 GenG) for one
    assembly. Append-only."""

    __tablename__ = "assembly_delegate"
    __table_args__ = (UniqueConstraint("assembly_id", "membership_id", name="uq_assembly_delegate_assembly_member"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assembly.id"))
    membership_id: Mapped[int] = mapped_column(ForeignKey("membership.id"))
    nextcloud_user_id: Mapped[str] = mapped_column(String(255))
    basis_document: Mapped[str] = mapped_column(String(255))  # e.g. the Erbschein and the heirs' appointment
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(255))


class AssemblyProxy(Base):
    """§43 Abs. 5 GenG: a member authorises another member; revocable until voting opens."""

    __tablename__ = "assembly_proxy"
    __table_args__ = (
        # One standing proxy per principal (the service checks first; this catches a race).
        Index("ux_assembly_proxy_principal", "assembly_id", "principal_membership_id", unique=True,
              sqlite_where=text("revoked_at IS NULL"), postgresql_where=text("revoked_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assembly.id"), index=True)
    principal_membership_id: Mapped[int] = mapped_column(ForeignKey("membership.id"))
    proxy_membership_id: Mapped[int] = mapped_column(ForeignKey("membership.id"))
    textform_reference: Mapped[str] = mapped_column(String(255))
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(255))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by: Mapped[str | None] = mapped_column(String(255))


class AssemblyVoter(Base):
    """The frozen voter roll: written when voting opens, never changed (append-only)."""

    __tablename__ = "assembly_voter"
    __table_args__ = (UniqueConstraint("assembly_id", "membership_id", name="uq_assembly_voter_assembly_member"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assembly.id"))
    membership_id: Mapped[int] = mapped_column(ForeignKey("membership.id"))
    member_no: Mapped[int] = mapped_column(Integer)
    votes: Mapped[int] = mapped_column(Integer)
    investing: Mapped[bool] = mapped_column(Boolean)
    capacity: Mapped[str] = mapped_column(String(20))  # rules.Capacity
    proxy_membership_id: Mapped[int | None] = mapped_column(ForeignKey("membership.id"))


class AssemblyVoterLogin(Base):
    """Who may cast a voter's votes: own login, representatives, heirs' representative, proxy."""

    __tablename__ = "assembly_voter_login"

    voter_id: Mapped[int] = mapped_column(ForeignKey("assembly_voter.id"), primary_key=True)
    nextcloud_user_id: Mapped[str] = mapped_column(String(255), primary_key=True, index=True)


class AssemblyAttendance(Base):
    """A voter present in the room (in person, by representative or by proxy; §47 minutes)."""

    __tablename__ = "assembly_attendance"

    assembly_id: Mapped[int] = mapped_column(ForeignKey("assembly.id"), primary_key=True)
    voter_id: Mapped[int] = mapped_column(ForeignKey("assembly_voter.id"), primary_key=True)
    recorded_on: Mapped[date] = mapped_column(Date)
    actor: Mapped[str] = mapped_column(String(255))


class AssemblyParticipation(Base):
    """That a voter voted on an item: the primary key makes a second vote impossible. Only the
    day, no time; the choice only for a named (not secret) item. Append-only."""

    __tablename__ = "assembly_participation"

    item_id: Mapped[int] = mapped_column(ForeignKey("assembly_item.id"), primary_key=True)
    voter_id: Mapped[int] = mapped_column(ForeignKey("assembly_voter.id"), primary_key=True)
    voted_on: Mapped[date] = mapped_column(Date)
    choice: Mapped[str | None] = mapped_column(String(200))  # named items only


class AssemblyBallotPool(Base):
    """Ballots while voting is open, sealed until close (see the module's docstring)."""

    __tablename__ = "assembly_ballot_pool"
    __table_args__ = {"sqlite_with_rowid": False}

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # 128 random bits
    item_id: Mapped[int] = mapped_column(ForeignKey("assembly_item.id"))
    choice: Mapped[str] = mapped_column(String(200))
    investing: Mapped[bool] = mapped_column(Boolean)
    receipt_hash: Mapped[str] = mapped_column(String(64))


class AssemblyBallot(Base):
    """One vote on one item, counted: no voter, no time, random id. Append-only."""

    __tablename__ = "assembly_ballot"
    __table_args__ = (Index("ix_assembly_ballot_item_choice", "item_id", "choice"), {"sqlite_with_rowid": False})

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("assembly_item.id"))
    choice: Mapped[str] = mapped_column(String(200))
    investing: Mapped[bool] = mapped_column(Boolean)
    receipt_hash: Mapped[str] = mapped_column(String(64))


class AssemblyRoomCount(Base):
    """Votes counted in the room (presence, hybrid), entered by the board once per item."""

    __tablename__ = "assembly_room_count"

    item_id: Mapped[int] = mapped_column(ForeignKey("assembly_item.id"), primary_key=True)
    yes: Mapped[int] = mapped_column(Integer)
    no: Mapped[int] = mapped_column(Integer)
    abstain: Mapped[int] = mapped_column(Integer)
    investing_yes: Mapped[int] = mapped_column(Integer)
    investing_no: Mapped[int] = mapped_column(Integer)
    investing_abstain: Mapped[int] = mapped_column(Integer)
    candidate_votes: Mapped[str | None] = mapped_column(Text)  # elections: JSON list per candidate
    investing_candidate_votes: Mapped[str | None] = mapped_column(Text)
    participants: Mapped[int] = mapped_column(Integer)  # members who took part in the room count
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(255))


class AssemblyAgendaDemand(Base):
    """Members' demand for an agenda item (§45 Abs. 2 GenG), filed in the app for a convened
    assembly. ``status``: open, added (``item_id`` is the agenda item) or refused (with a reason)."""

    __tablename__ = "assembly_agenda_demand"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assembly.id"), index=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("membership.id"))  # who filed it
    title: Mapped[str] = mapped_column(String(500))
    reasoning: Mapped[str] = mapped_column(Text)
    filed_on: Mapped[date] = mapped_column(Date)
    filed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("assembly_item.id"))
    refusal_reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(255))


class AssemblyAgendaSupport(Base):
    """One membership's support of a demand (the filer's included). Withdrawn support keeps its
    row; the partial unique index lets a membership support a demand once at a time."""

    __tablename__ = "assembly_agenda_support"
    __table_args__ = (
        Index("ux_assembly_agenda_support_member", "demand_id", "membership_id", unique=True,
              sqlite_where=text("withdrawn_at IS NULL"), postgresql_where=text("withdrawn_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    demand_id: Mapped[int] = mapped_column(ForeignKey("assembly_agenda_demand.id"), index=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("membership.id"))
    supported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(255))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_by: Mapped[str | None] = mapped_column(String(255))


APPEND_ONLY_TABLES = ("assembly_invitation", "assembly_delegate", "assembly_voter", "assembly_voter_login",
                      "assembly_attendance", "assembly_participation", "assembly_ballot", "assembly_room_count")

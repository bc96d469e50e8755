# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The rules of the documents feature as pure functions: paths inside the documents folder,
who sees which document, the current statutes, and the §48(3) GenG deadline.

Decisions (README "Governance documents"):
- A member sees every members' document published on or before the last day of their
  membership. There is no lower bound: a new member is entitled to the statutes in force and to
  the earlier minutes (§15, §47 GenG). A former member sees nothing published after their exit.
- "Board" documents are for the cooperative admins (NC_COOP_ADMIN_GROUPS and Nextcloud admins):
  that is nc_coop's notion of the board and office.
- Publication dates are days in the cooperative's time zone (NC_COOP_TIME_ZONE, by default
  Europe/Berlin): the §48(3) week is counted in local days.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, Protocol, TypeVar
from urllib.parse import unquote

from flask_babel import lazy_gettext as _l


class Category(StrEnum):
    STATUTES = "statutes"
    RULES_OF_PROCEDURE = "rules_of_procedure"
    ASSEMBLY_INVITATION = "assembly_invitation"
    AGENDA = "agenda"
    ANNUAL_STATEMENT = "annual_statement"
    MANAGEMENT_REPORT = "management_report"
    SUPERVISORY_REPORT = "supervisory_report"
    MINUTES = "minutes"
    OTHER = "other"


class Audience(StrEnum):
    MEMBERS = "members"
    BOARD = "board"


# §48 Abs. 3 GenG: annual statement, management report and the supervisory board's report are
# made available at least one week before the assembly that adopts the statement.
ANNUAL_DOCUMENTS = (Category.ANNUAL_STATEMENT, Category.MANAGEMENT_REPORT, Category.SUPERVISORY_REPORT)
DAYS_BEFORE_ASSEMBLY = 7
# Documents that belong to one fiscal year.
FISCAL_YEAR_CATEGORIES = ANNUAL_DOCUMENTS


class RuleViolation(Exception):
    """Input the rules refuse; ``field`` names the input it is about."""

    def __init__(self, field: str, message: Any) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = str(message)


# --- Paths -----------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _check_segments(text: str) -> None:
    if "\\" in text or _CONTROL.search(text):
        raise RuleViolation("path", _l("contains a character that is not allowed in a path"))
    for segment in text.split("/"):
        if segment in ("", ".", ".."):
            raise RuleViolation("path", _l("must name a file inside the documents folder (no '.', '..' or '//')"))


def normalise_relative_path(raw: str, *, allow_empty: bool = False) -> str:
    """A path inside the documents folder, as segments joined by "/"; ``RuleViolation`` for
    anything that could leave it: '..' and '.' segments, empty segments, a leading '/',
    backslashes, control characters, and the same hidden behind percent-encoding ('..%2F')."""
    text = raw.strip()
    if text.endswith("/"):
        text = text[:-1]
    if not text:
        if allow_empty:
            return ""
        raise RuleViolation("path", _l("is required"))
    if text.startswith("/"):
        raise RuleViolation("path", _l("must be relative to the documents folder (no leading '/')"))
    if len(text) > 900:
        raise RuleViolation("path", _l("is too long"))
    _check_segments(text)
    # Percent-encoding is decoded by whoever reads the path next; what it decodes to must be safe too.
    decoded = text
    for _ in range(3):
        once = unquote(decoded)
        if once == decoded:
            break
        decoded = once
        _check_segments(decoded)
    return text


def normalise_folder(raw: str) -> str:
    """The documents folder setting: an absolute path in the reading account's files, without a
    trailing '/' ("" for the account's root). ValueError with the reason otherwise."""
    text = raw.strip()
    if not text.startswith("/"):
        raise ValueError("must start with / (a folder in the reading account's files, e.g. /Governance)")
    text = text.rstrip("/")
    if text:
        try:
            normalise_relative_path(text[1:])
        except RuleViolation as exc:
            raise ValueError(exc.message) from None
    return text


def dav_path(folder: str, relative: str) -> str:
    """The path in the reading account's files of ``relative`` (already normalised) in ``folder``."""
    return f"{folder}/{relative}" if relative else folder or "/"


def relative_to_folder(folder: str, path: str) -> str | None:
    """``path`` relative to ``folder``, or None when it lies outside."""
    prefix = folder + "/"
    return path[len(prefix):] if path.startswith(prefix) else None


# --- Dates -----------------------------------------------------------------------------------------

def annual_documents_deadline(assembly_on: date) -> date:
    """The last day on which the §48(3) documents may be published for an assembly on ``assembly_on``
    (an assembly on 20.06. needs them by 13.06.; DOMAIN.md §1.2)."""
    return assembly_on - timedelta(days=DAYS_BEFORE_ASSEMBLY)


class DeadlineState(StrEnum):
    ON_TIME = "on_time"  # published on or before the deadline
    LATE = "late"  # published after the deadline
    DUE = "due"  # not published yet, the deadline has not passed
    MISSED = "missed"  # not published and the deadline has passed


def deadline_state(assembly_on: date, published_on: date | None, today: date) -> DeadlineState:
    deadline = annual_documents_deadline(assembly_on)
    if published_on is not None:
        return DeadlineState.ON_TIME if published_on <= deadline else DeadlineState.LATE
    return DeadlineState.DUE if today <= deadline else DeadlineState.MISSED


def needs_warning(state: DeadlineState) -> bool:
    return state in (DeadlineState.LATE, DeadlineState.MISSED)


# --- Who sees what ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class MemberWindow:
    """One membership of the user: admitted on, and the last day of membership (None: open)."""

    admitted_on: date
    exit_on: date | None


def is_member_on(windows: Iterable[MemberWindow], day: date) -> bool:
    return any(w.admitted_on <= day and (w.exit_on is None or day <= w.exit_on) for w in windows)


def visible_to_member(audience: str, published_on: date, withdrawn: bool, windows: Sequence[MemberWindow],
                      today: date) -> bool:
    """Whether a member (with these memberships) may see a document; see the module doc."""
    if withdrawn or audience != Audience.MEMBERS:
        return False
    return any(w.admitted_on <= today and (w.exit_on is None or published_on <= w.exit_on) for w in windows)


# --- Statutes --------------------------------------------------------------------------------------

class StatuteLike(Protocol):
    @property
    def valid_from(self) -> date | None: ...

    @property
    def id(self) -> int: ...


S = TypeVar("S", bound=StatuteLike)


def split_statutes(statutes: Iterable[S], today: date) -> tuple[S | None, list[S], list[S]]:
    """(the version in force today, older versions newest first, adopted versions not yet in force)."""
    dated = sorted((s for s in statutes if s.valid_from is not None), key=lambda s: (s.valid_from, s.id),
                   reverse=True)
    in_force = [s for s in dated if s.valid_from <= today]
    upcoming = [s for s in reversed(dated) if s.valid_from > today]
    return (in_force[0] if in_force else None), in_force[1:], upcoming


def check_statute_dates(adopted_on: date | None, valid_from: date | None) -> None:
    """A statute version is adopted by an assembly and in force from its registration, not before."""
    if adopted_on is None:
        raise RuleViolation("adopted_on", _l("Statutes need the date the assembly adopted them."))
    if valid_from is None:
        raise RuleViolation("valid_from", _l("Statutes need the date they are in force from (registration)."))
    if valid_from < adopted_on:
        raise RuleViolation("valid_from", _l("A statute version cannot be in force before it was adopted."))

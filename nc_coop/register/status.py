# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""A membership's status, derived from its events, never stored (DOMAIN.md §2.3)."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class EventKind(StrEnum):
    NOTICE_RECEIVED = "notice_received"  # §65 full notice; effective at a fiscal-year end
    NOTICE_WITHDRAWN = "notice_withdrawn"  # by agreement; reverses a notice event
    EXCLUSION_DISPATCHED = "exclusion_dispatched"  # §68: rights lost on dispatch, exit at FY end
    DEATH = "death"  # §77: heirs until the end of the fiscal year
    TRANSFER_ALL = "transfer_all"  # §76: exit on the transfer date, no settlement


class Status(StrEnum):
    ACTIVE = "active"
    NOTICE_PENDING = "notice_pending"
    EXCLUSION_PENDING = "exclusion_pending"
    HEIRS_INTERIM = "heirs_interim"
    EXITED = "exited"
    SETTLED = "settled"


EXIT_EVENTS = {EventKind.NOTICE_RECEIVED, EventKind.EXCLUSION_DISPATCHED, EventKind.DEATH, EventKind.TRANSFER_ALL}
PENDING_STATUS = {EventKind.NOTICE_RECEIVED: Status.NOTICE_PENDING,
                  EventKind.EXCLUSION_DISPATCHED: Status.EXCLUSION_PENDING,
                  EventKind.DEATH: Status.HEIRS_INTERIM}


@dataclass(frozen=True)
class Event:
    id: int
    kind: EventKind
    event_date: date
    effective_date: date | None
    reverses_id: int | None = None


def standing_events(events: Iterable[Event]) -> list[Event]:
    """Events that no later event reverses (a withdrawn notice no longer counts)."""
    events = list(events)
    reversed_ids = {e.reverses_id for e in events if e.reverses_id is not None}
    return [e for e in events if e.id not in reversed_ids and e.reverses_id is None]


def exit_event(events: Iterable[Event]) -> Event | None:
    """The standing event that ends the membership first, if any."""
    exits = [e for e in standing_events(events) if e.kind in EXIT_EVENTS and e.effective_date]
    return min(exits, key=lambda e: (e.effective_date, e.id), default=None)


def status_on(day: date, events: Iterable[Event], capital_cents: int) -> Status:
    """The status on ``day``. A member is still a member on the exit date itself (§30 lists
    members leaving on the reference date), so EXITED starts the day after."""
    leaving = exit_event(events)
    if leaving is None or leaving.effective_date is None:
        return Status.ACTIVE
    if day > leaving.effective_date:
        if leaving.kind is EventKind.TRANSFER_ALL:
            return Status.EXITED
        return Status.SETTLED if capital_cents == 0 else Status.EXITED
    if leaving.kind is EventKind.TRANSFER_ALL:
        return Status.ACTIVE
    return PENDING_STATUS[leaving.kind]

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Ledger invariants checked per date (DOMAIN.md §2.2), as pure functions.

Summing all rows (as hsadmin-ng does) misses a back-dated cancellation that makes a position
negative on some earlier date, so every check walks the dates on which a position changes and
evaluates it with the statute version in force on that date.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import groupby

from flask_babel import lazy_gettext as _l

from nc_coop.register.rules import RuleViolation


@dataclass(frozen=True)
class Move:
    """A signed change (shares or cents) on a date."""

    on: date
    amount: int


def positions(moves: Iterable[Move]) -> list[tuple[date, int]]:
    """(date, position at the end of that date) for every date on which the position changes."""
    result: list[tuple[date, int]] = []
    total = 0
    for day, group in groupby(sorted(moves, key=lambda m: m.on), key=lambda m: m.on):
        total += sum(m.amount for m in group)
        result.append((day, total))
    return result


def position_on(moves: Iterable[Move], day: date) -> int:
    return sum(m.amount for m in moves if m.on <= day)


@dataclass(frozen=True)
class Window:
    """The days on which a membership runs: from admission up to (not including) the exit date."""

    admitted_on: date
    exit_on: date | None

    def running(self, day: date) -> bool:
        return self.admitted_on <= day and (self.exit_on is None or day < self.exit_on)


def check_shares(moves: list[Move], window: Window, mandatory_on: Callable[[date], int],
                 max_on: Callable[[date], int | None]) -> None:
    """Shares ≥ 0 on every date, ≥ the mandatory holding while the membership runs, ≤ the
    maximum (§7a GenG; DOMAIN.md §2.2 no. 2)."""
    for day, held in positions(moves):
        if day < window.admitted_on:
            raise RuleViolation("effective_date", _l("%(date)s is before the admission on %(admitted)s",
                                                     date=day.isoformat(), admitted=window.admitted_on.isoformat()))
        if held < 0:
            raise RuleViolation("shares", _l("the member would hold %(held)s shares on %(date)s", held=held,
                                             date=day.isoformat()))
        if window.running(day) and held < mandatory_on(day):
            raise RuleViolation("shares", _l("%(held)s shares on %(date)s is below the %(mandatory)s mandatory shares",
                                             held=held, date=day.isoformat(), mandatory=mandatory_on(day)))
        maximum = max_on(day)
        if maximum is not None and held > maximum:
            raise RuleViolation("shares", _l("%(held)s shares on %(date)s is above the maximum of %(maximum)s",
                                             held=held, date=day.isoformat(), maximum=maximum))
    if window.exit_on is not None:
        remaining = position_on(moves, window.exit_on)
        if remaining != 0:  # DOMAIN.md §2.2 no. 6: a full exit leaves no shares behind
            raise RuleViolation("shares", _l("the membership ends on %(date)s; %(remaining)s share(s) would remain "
                                             "after it", date=window.exit_on.isoformat(), remaining=remaining))


def check_capital(capital: list[Move], shares: list[Move], window: Window,
                  nominal_on: Callable[[date], int], partial_exits: Iterable[date] = (),
                  partial_payouts: Iterable[Move] = ()) -> None:
    """Geschäftsguthaben ≥ 0 on every date and, while the membership runs, not above the
    Geschäftsanteile held that day (§7 Nr. 1 GenG; DOMAIN.md §2.2 no. 2). After the exit it
    is the settlement balance, which only goes down to zero.

    Shares ended by a partial notice (§67b) are settled like an exit (§73 applies to them): on
    the day they end, the balance of the day before above the shares left becomes a settlement
    claim, and the balance may stay that far above the shares until the claim is paid out.
    ``partial_exits`` are those days, ``partial_payouts`` the payouts booked while the membership
    runs (negative; their reversals positive). A payout beyond the open claim is refused, and so
    is a deposit that would fill the room the claim leaves."""
    for _day in _capital_days(capital, shares, window, nominal_on, partial_exits, partial_payouts):
        pass


def open_partial_claim(capital: list[Move], shares: list[Move], window: Window, nominal_on: Callable[[date], int],
                       partial_exits: Iterable[date], partial_payouts: Iterable[Move], day: date) -> int:
    """What is still to be paid out on ``day`` for shares ended by partial notices (§67b, §73)."""
    claim = 0
    for on, open_claim in _capital_days(capital, shares, window, nominal_on, partial_exits, partial_payouts):
        if on > day:
            break
        claim = open_claim
    return claim


def _capital_days(capital: list[Move], shares: list[Move], window: Window, nominal_on: Callable[[date], int],
                  partial_exits: Iterable[date], partial_payouts: Iterable[Move]) -> Iterator[tuple[date, int]]:
    """Walk the days on which anything changes, check them, and yield (day, open partial claim)."""
    exits = set(partial_exits)
    paid = list(partial_payouts)
    days = sorted({m.on for m in capital} | {m.on for m in shares} | exits | {m.on for m in paid})
    open_claim = 0
    for day in days:
        balance = position_on(capital, day)
        if day < window.admitted_on:
            if any(m.on == day for m in capital):
                raise RuleViolation("value_date", _l("%(date)s is before the admission on %(admitted)s",
                                                     date=day.isoformat(), admitted=window.admitted_on.isoformat()))
            continue
        if balance < 0:
            raise RuleViolation("amount_cents", _l("the capital would be %(cents)s cents on %(date)s", cents=balance,
                                                   date=day.isoformat()))
        open_claim += sum(m.amount for m in paid if m.on == day)
        if open_claim < 0:
            raise RuleViolation("amount_cents", _l("the payout on %(date)s exceeds the open settlement claim for "
                                                   "shares ended by partial notice (§67b, §73 GenG) by %(cents)s cents",
                                                   date=day.isoformat(), cents=-open_claim))
        if window.running(day):
            capacity = position_on(shares, day) * nominal_on(day)
            if day in exits:  # the balance the day before: a deposit on that day buys no claim
                before = position_on(capital, day - timedelta(days=1))
                open_claim += max(0, before - capacity - open_claim)
            if balance > capacity + open_claim:
                raise RuleViolation("amount_cents", _l("%(cents)s cents on %(date)s exceeds the %(capacity)s cents of "
                                                       "the shares held", cents=balance, date=day.isoformat(),
                                                       capacity=capacity))
        yield day, open_claim

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Date and statute rules of the member register (GenG as amended from 1 Jan 2025).

Month periods are counted per §§187, 188 BGB, which is what relativedelta does: the
same day number N months later, clamped to the last day of a shorter month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from flask_babel import lazy_gettext as _l

from nc_coop.register.statute import StatuteParams, TransferPolicy

_ONE_DAY = timedelta(days=1)


class RuleViolation(Exception):
    """A refusal by a rule; `field` names the offending input, `reason` says why.

    ``reason`` may be a lazy gettext message: it is turned into text when raised, in the language
    of the request that raised it (English outside a request)."""

    def __init__(self, field: str, reason: object) -> None:
        self.field = field
        self.reason = str(reason)
        super().__init__(f"{field}: {self.reason}")


@dataclass(frozen=True, slots=True)
class ExclusionDates:
    rights_lost_on: date
    exit_on: date


def _add_months(day: date, months: int) -> date:
    result: date = day + relativedelta(months=months)
    return result


def _roll_forward(day: date, params: StatuteParams) -> date:
    """§193 BGB, only if the statute parameters opt in: next business day."""
    if not params.deadline_rollover_193:
        return day
    while day.weekday() >= 5 or day in params.non_business_days:
        day += _ONE_DAY
    return day


def fiscal_year_end(year: int, params: StatuteParams) -> date:
    """Last day of the fiscal year that ends in calendar year `year` (Satzung; §240 Abs. 2 HGB)."""
    if (params.fy_start_month, params.fy_start_day) == (1, 1):
        return date(year, 12, 31)
    return date(year, params.fy_start_month, params.fy_start_day) - _ONE_DAY


def next_fiscal_year_end(on: date, params: StatuteParams) -> date:
    """The first fiscal-year end on or after `on` (every calendar year has exactly one)."""
    end = fiscal_year_end(on.year, params)
    return end if end >= on else fiscal_year_end(on.year + 1, params)


def full_fiscal_years(member_since: date, before: date, params: StatuteParams) -> int:
    """Number of whole fiscal years of membership that ended before `before` (§65 Abs. 3 GenG)."""
    first_end = next_fiscal_year_end(member_since, params)
    if fiscal_year_end(first_end.year - 1, params) + _ONE_DAY < member_since:
        first_end = fiscal_year_end(first_end.year + 1, params)  # joined mid-year
    last_end = fiscal_year_end(next_fiscal_year_end(before, params).year - 1, params)
    return max(0, last_end.year - first_end.year + 1)


def _latest_receipt(fy_end: date, months: int, params: StatuteParams) -> date:
    day = fy_end - relativedelta(months=months)
    # Clamping maps several receipt days onto one month end (29.02 and 28.02 + 12 months).
    while _add_months(day + _ONE_DAY, months) <= fy_end:
        day += _ONE_DAY
    return _roll_forward(day, params)


def _effective_date(received_on: date, months: int, params: StatuteParams) -> date:
    effective = next_fiscal_year_end(_add_months(received_on, months), params)
    # Only a §193 rollover can make an earlier fiscal-year end reachable.
    while params.deadline_rollover_193:
        previous = fiscal_year_end(effective.year - 1, params)
        if received_on > _latest_receipt(previous, months, params):
            break
        effective = previous
    return effective


def notice_deadline(fy_end: date, params: StatuteParams, *, unternehmer: bool = False) -> date:
    """Last receipt (Zugang) day of a notice that takes effect at `fy_end` (§65 Abs. 2 GenG)."""
    if fy_end != fiscal_year_end(fy_end.year, params):
        raise RuleViolation("fy_end", _l("%(date)s is not the end of a fiscal year", date=fy_end.isoformat()))
    return _latest_receipt(fy_end, params.notice_months_for(unternehmer=unternehmer), params)


def notice_effective_date(
    received_on: date, params: StatuteParams, *, unternehmer: bool = False
) -> date:
    """Exit date of an ordinary notice, full (§65 Abs. 2 GenG) or partial (§67b GenG).

    The first fiscal-year end on or after receipt + N months; `params` must be the
    statute version in force on the receipt date.
    """
    return _effective_date(received_on, params.notice_months_for(unternehmer=unternehmer), params)


def hardship_notice_effective_date(
    received_on: date, member_since: date, params: StatuteParams, *, unternehmer: bool = False
) -> date:
    """Early exit for hardship (§65 Abs. 3 GenG): as a notice, but with the hardship period.

    Allowed only if the Satzung period exceeds the threshold and the member has completed
    the minimum number of full fiscal years before receipt. Whether staying is
    unreasonable is a board decision the caller records; this rule only computes.
    """
    months = params.notice_months_for(unternehmer=unternehmer)
    if months <= params.hardship_threshold_months:
        raise RuleViolation(
            "notice_months",
            _l("hardship exit needs a Satzung period over %(threshold)s months; this one is %(months)s",
               threshold=params.hardship_threshold_months, months=months),
        )
    if member_since > received_on:
        raise RuleViolation("member_since", _l("membership starts after the notice was received"))
    completed = full_fiscal_years(member_since, received_on, params)
    if completed < params.hardship_min_full_fiscal_years:
        raise RuleViolation(
            "member_since",
            _l("hardship exit needs %(years)s full fiscal year(s) of membership before receipt; completed: "
               "%(completed)s", years=params.hardship_min_full_fiscal_years, completed=completed),
        )
    return _effective_date(received_on, params.hardship_notice_months, params)


def settlement_due_date(exit_on: date, params: StatuteParams) -> date:
    """Payout due date of the Auseinandersetzungsguthaben (§73 Abs. 2 S. 2 GenG, §§187/188 BGB)."""
    return _roll_forward(_add_months(exit_on, params.payout_months), params)


def extraordinary_notice_deadline(
    resolved_on: date, params: StatuteParams, *, learned_on: date | None = None
) -> date:
    """Last day for a notice after a Satzung change (§67a Abs. 2 GenG): one month from the
    resolution, or from learning of it for members who could not attend."""
    if learned_on is not None and learned_on < resolved_on:
        raise RuleViolation("learned_on", _l("cannot learn of a resolution before it was adopted"))
    return _roll_forward(_add_months(learned_on or resolved_on, 1), params)


def extraordinary_notice_exit_date(
    resolved_on: date,
    received_on: date,
    params: StatuteParams,
    *,
    learned_on: date | None = None,
) -> date:
    """Exit date of a valid §67a GenG notice: the end of the fiscal year of receipt."""
    if received_on < resolved_on:
        raise RuleViolation("received_on", _l("notice received before the resolution was adopted"))
    deadline = extraordinary_notice_deadline(resolved_on, params, learned_on=learned_on)
    if received_on > deadline:
        raise RuleViolation(
            "received_on",
            _l("received after the one-month period ended on %(date)s", date=deadline.isoformat()),
        )
    return next_fiscal_year_end(received_on, params)


def death_exit_date(
    died_on: date, params: StatuteParams, *, heirs_continue: bool = False
) -> date | None:
    """Exit of a deceased member's membership held by the heirs (§77 Abs. 1 GenG): end of the
    fiscal year of death. None if the heirs continue it under a Satzung clause (§77 Abs. 2)."""
    if heirs_continue:
        if not params.heirs_continue:
            raise RuleViolation("heirs_continue", _l("the Satzung does not let heirs continue"))
        return None
    return next_fiscal_year_end(died_on, params)


def dissolution_exit_date(dissolved_on: date, params: StatuteParams) -> date:
    """A dissolved legal person or partnership leaves at the end of that fiscal year (§77a GenG)."""
    return next_fiscal_year_end(dissolved_on, params)


def exclusion_dates(decided_on: date, dispatched_on: date, params: StatuteParams) -> ExclusionDates:
    """Exclusion (§68 GenG): GV and organ rights end on dispatch of the registered letter
    (Abs. 2); the exit is the end of the fiscal year of dispatch (Abs. 1 S. 2)."""
    if dispatched_on < decided_on:
        raise RuleViolation("dispatched_on", _l("letter dispatched before the decision"))
    return ExclusionDates(dispatched_on, next_fiscal_year_end(dispatched_on, params))


def transfer_effective_date(
    agreed_on: date, params: StatuteParams, *, board_consent_on: date | None = None
) -> date:
    """Transfer of Geschäftsguthaben (§76 GenG): effective at any time of the year, on the
    agreement or, if the Satzung requires it, on board consent. No settlement follows."""
    match params.transfer_policy:
        case TransferPolicy.EXCLUDED:
            raise RuleViolation("transfer_policy", _l("the Satzung excludes transfers (§76 Abs. 2)"))
        case TransferPolicy.BOARD_CONSENT:
            if board_consent_on is None:
                raise RuleViolation("board_consent_on", _l("the Satzung requires board consent"))
            return max(agreed_on, board_consent_on)
        case TransferPolicy.FREE:
            return agreed_on


def check_transfer_capacity(
    receiver_shares: int, receiver_balance_cents: int, amount_cents: int, params: StatuteParams
) -> None:
    """§76 Abs. 1 GenG: the receiver's Geschäftsguthaben plus the amount may not exceed the
    total of the receiver's Geschäftsanteile, counting shares subscribed with the transfer."""
    if amount_cents <= 0:
        raise RuleViolation("amount_cents", _l("a transfer amount must be positive"))
    capacity = receiver_shares * params.share_nominal_cents
    if receiver_balance_cents + amount_cents > capacity:
        raise RuleViolation(
            "amount_cents",
            _l("receiver would hold %(balance)s cents on shares worth %(capacity)s cents; subscribe further "
               "shares first", balance=receiver_balance_cents + amount_cents, capacity=capacity),
        )


def check_partial_notice(held: int, terminated: int, mandatory: int, params: StatuteParams) -> None:
    """§67b GenG: notice on further shares only, never below the mandatory holding."""
    if not params.partial_notice_allowed:
        raise RuleViolation("scope", _l("the statute parameters do not allow partial notice"))
    if terminated < 1 or held - terminated < mandatory:
        raise RuleViolation(
            "terminated",
            _l("may give notice on 1..%(most)s of %(held)s shares (%(mandatory)s mandatory)", most=held - mandatory,
               held=held, mandatory=mandatory),
        )


def minimum_payment_cents(shares: int, params: StatuteParams) -> int:
    """Pflichteinzahlung on `shares` Geschäftsanteile (§7 Nr. 1 GenG), rounded up to a cent."""
    return -(-shares * params.share_nominal_cents * params.min_payment_permille // 1000)


def further_shares_effective_date(declared_on: date, admitted_on: date) -> date:
    """Further shares take effect on admission, not on payment (§15b Abs. 3 GenG)."""
    if admitted_on < declared_on:
        raise RuleViolation("admitted_on", _l("admission cannot precede the declaration"))
    return admitted_on


def check_further_shares_admissible(
    shares_held: int, paid_in_cents: int, params: StatuteParams, *, mandatory: bool = False
) -> None:
    """§15b Abs. 2 GenG: no admission until all shares but the newest are fully paid,
    unless the further shares are a Pflichtbeteiligung."""
    required = max(0, shares_held - 1) * params.share_nominal_cents
    if not mandatory and paid_in_cents < required:
        raise RuleViolation(
            "paid_in_cents",
            _l("%(cents)s cents outstanding on existing shares", cents=required - paid_in_cents),
        )


def annual_documents_deadline(assembly_on: date) -> date:
    """Jahresabschluss, Lagebericht and AR report available a week before the GV (§48 Abs. 3)."""
    return assembly_on - timedelta(days=7)


def convening_deadline(assembly_on: date, params: StatuteParams) -> date:
    """Latest dispatch of the GV invitation (§46 Abs. 1 GenG; period and delivery per Satzung)."""
    return assembly_on - timedelta(
        days=params.convening_days_before + params.convening_delivery_days
    )


def agenda_deadline(assembly_on: date, params: StatuteParams) -> date:
    """Latest dispatch of agenda items announced after the invitation (§46 Abs. 2 GenG)."""
    return assembly_on - timedelta(days=params.agenda_days_before + params.convening_delivery_days)


def retention_end(reference_on: date, years: int) -> date:
    """End of a retention period that starts at the end of the calendar year (§257 Abs. 5 HGB)."""
    return date(reference_on.year + years, 12, 31)


def member_list_retention_end(exit_on: date) -> date:
    """Documents behind member-list entries: 3 years after the year of exit (§30 Abs. 3 GenG)."""
    return retention_end(exit_on, 3)

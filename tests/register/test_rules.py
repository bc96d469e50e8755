# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Tests for the register's date and statute rules (DOMAIN.md 1.2 and edge cases)."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nc_coop.register.rules import (
    RuleViolation,
    agenda_deadline,
    annual_documents_deadline,
    check_further_shares_admissible,
    check_partial_notice,
    check_transfer_capacity,
    convening_deadline,
    death_exit_date,
    dissolution_exit_date,
    exclusion_dates,
    extraordinary_notice_deadline,
    extraordinary_notice_exit_date,
    fiscal_year_end,
    full_fiscal_years,
    further_shares_effective_date,
    hardship_notice_effective_date,
    member_list_retention_end,
    minimum_payment_cents,
    next_fiscal_year_end,
    notice_deadline,
    notice_effective_date,
    retention_end,
    settlement_due_date,
    transfer_effective_date,
)
from nc_coop.register.statute import (
    MandatoryShares,
    Nachschuss,
    PartyKind,
    StatuteParams,
    StatuteVersion,
    TransferPolicy,
    statute_in_force,
)

D = date
BASE = StatuteParams(share_nominal_cents=250_00)
JULY_FY = replace(BASE, fy_start_month=7, fy_start_day=1)


def cal(months: int) -> StatuteParams:
    return replace(BASE, notice_months=months)


def _notice_with_payout(received: date, params: StatuteParams) -> tuple[date, date]:
    exit_on = notice_effective_date(received, params)
    return exit_on, settlement_due_date(exit_on, params)


def _gv_row() -> tuple[date, date]:
    return annual_documents_deadline(D(2026, 6, 20)), convening_deadline(D(2026, 6, 20), BASE)


def _retention_row() -> tuple[date, date, date, date]:
    return (
        member_list_retention_end(D(2027, 12, 31)),
        retention_end(D(2027, 3, 1), 8),  # payment voucher from 2027
        retention_end(D(2027, 3, 1), 6),  # commercial letter from 2027
        retention_end(D(2027, 12, 31), 10),  # annual statement 2027
    )


def _death_row() -> tuple[date, date]:
    exit_on = death_exit_date(D(2026, 3, 15), BASE)
    assert exit_on is not None
    return exit_on, settlement_due_date(exit_on, BASE)


def _exclusion_row() -> tuple[date, date]:
    dates = exclusion_dates(D(2026, 5, 10), D(2026, 5, 12), BASE)
    return dates.rights_lost_on, dates.exit_on


def _transfer_row() -> tuple[date, date]:
    consent = replace(BASE, transfer_policy=TransferPolicy.BOARD_CONSENT)
    return (
        transfer_effective_date(D(2026, 8, 14), BASE),
        transfer_effective_date(D(2026, 8, 14), consent, board_consent_on=D(2026, 8, 14)),
    )


DATE_TABLE: list[Any] = [
    pytest.param(
        lambda: _notice_with_payout(D(2025, 12, 31), cal(24)),
        (D(2027, 12, 31), D(2028, 6, 30)),
        id="calendar-fy-n24-received-2025-12-31",
    ),
    pytest.param(
        lambda: _notice_with_payout(D(2026, 1, 1), cal(24)),
        (D(2028, 12, 31), D(2029, 6, 30)),
        id="calendar-fy-n24-received-2026-01-01",
    ),
    pytest.param(
        lambda: notice_effective_date(D(2026, 9, 30), cal(3)),
        D(2026, 12, 31),
        id="minimum-n3-received-2026-09-30",
    ),
    pytest.param(
        lambda: notice_effective_date(D(2026, 10, 1), cal(3)),
        D(2027, 12, 31),
        id="minimum-n3-received-2026-10-01",
    ),
    pytest.param(
        lambda: notice_effective_date(D(2026, 6, 30), replace(JULY_FY, notice_months=12)),
        D(2027, 6, 30),
        id="fy-july-june-n12-received-2026-06-30",
    ),
    pytest.param(
        lambda: notice_effective_date(D(2026, 7, 1), replace(JULY_FY, notice_months=12)),
        D(2028, 6, 30),
        id="fy-july-june-n12-received-2026-07-01",
    ),
    pytest.param(
        lambda: (
            hardship_notice_effective_date(D(2026, 8, 15), D(2020, 1, 1), cal(36)),
            notice_effective_date(D(2026, 8, 15), cal(36)),
        ),
        (D(2026, 12, 31), D(2029, 12, 31)),
        id="hardship-65-3-n36-received-2026-08-15",
    ),
    pytest.param(
        lambda: (
            D(2026, 5, 20) <= extraordinary_notice_deadline(D(2026, 5, 5), BASE),
            extraordinary_notice_exit_date(D(2026, 5, 5), D(2026, 5, 20), BASE),
        ),
        (True, D(2026, 12, 31)),
        id="extraordinary-67a-received-2026-05-20",
    ),
    pytest.param(_death_row, (D(2026, 12, 31), D(2027, 6, 30)), id="death-77-on-2026-03-15"),
    pytest.param(
        _exclusion_row, (D(2026, 5, 12), D(2026, 12, 31)), id="exclusion-68-dispatched-2026-05-12"
    ),
    pytest.param(
        _transfer_row, (D(2026, 8, 14), D(2026, 8, 14)), id="transfer-76-agreed-2026-08-14"
    ),
    pytest.param(
        lambda: further_shares_effective_date(D(2026, 3, 2), D(2026, 3, 9)),
        D(2026, 3, 9),
        id="further-shares-15b-admitted-2026-03-09",
    ),
    pytest.param(_gv_row, (D(2026, 6, 13), D(2026, 6, 6)), id="gv-2026-06-20-48-3-and-46"),
    pytest.param(
        _retention_row,
        (D(2030, 12, 31), D(2035, 12, 31), D(2033, 12, 31), D(2037, 12, 31)),
        id="retention-30-3-exit-2027-12-31",
    ),
]


@pytest.mark.parametrize(("compute", "expected"), DATE_TABLE)
def test_domain_date_table(compute: Callable[[], object], expected: object) -> None:
    assert compute() == expected


# --- fiscal years and month-end clamping -------------------------------------------------


def test_fiscal_year_ends() -> None:
    assert fiscal_year_end(2026, BASE) == D(2026, 12, 31)
    assert fiscal_year_end(2026, JULY_FY) == D(2026, 6, 30)
    march = replace(BASE, fy_start_month=3, fy_start_day=1)
    assert fiscal_year_end(2024, march) == D(2024, 2, 29)
    assert fiscal_year_end(2025, march) == D(2025, 2, 28)
    assert next_fiscal_year_end(D(2026, 6, 30), JULY_FY) == D(2026, 6, 30)
    assert next_fiscal_year_end(D(2026, 7, 1), JULY_FY) == D(2027, 6, 30)


def test_month_end_clamping() -> None:
    march = replace(BASE, fy_start_month=3, fy_start_day=1)
    # 30.11. + 3 months lands on the last day of February, which is the fiscal-year end.
    assert notice_effective_date(D(2026, 11, 30), march) == D(2027, 2, 28)
    assert notice_effective_date(D(2023, 11, 30), march) == D(2024, 2, 29)
    assert notice_effective_date(D(2026, 3, 31), replace(JULY_FY, notice_months=3)) == D(
        2026, 6, 30
    )
    # §§187/188 BGB: exit 31.12. -> due 30.06.; exit 30.06. -> due 30.12.; 31.08. -> end of Feb.
    assert settlement_due_date(D(2026, 12, 31), BASE) == D(2027, 6, 30)
    assert settlement_due_date(D(2026, 6, 30), BASE) == D(2026, 12, 30)
    assert settlement_due_date(D(2027, 8, 31), BASE) == D(2028, 2, 29)


def test_notice_received_exactly_on_the_deadline_day() -> None:
    deadline = notice_deadline(D(2026, 12, 31), BASE)
    assert deadline == D(2026, 9, 30)
    assert notice_effective_date(deadline, BASE) == D(2026, 12, 31)
    assert notice_effective_date(D(2026, 10, 1), BASE) == D(2027, 12, 31)


def test_deadline_day_when_clamping_maps_two_days_onto_one() -> None:
    march = replace(BASE, fy_start_month=3, fy_start_day=1, notice_months=12)
    # 29.02.2024 + 12 months = 28.02.2025, so the leap day is still in time.
    assert notice_deadline(D(2025, 2, 28), march) == D(2024, 2, 29)
    assert notice_effective_date(D(2024, 2, 29), march) == D(2025, 2, 28)
    assert notice_effective_date(D(2024, 3, 1), march) == D(2026, 2, 28)


def test_notice_deadline_rejects_a_day_that_is_no_fiscal_year_end() -> None:
    with pytest.raises(RuleViolation) as info:
        notice_deadline(D(2026, 6, 30), BASE)
    assert info.value.field == "fy_end"


def test_unternehmer_period_applies_only_to_unternehmer() -> None:
    params = replace(BASE, notice_months=24, notice_months_unternehmer=120)
    assert notice_effective_date(D(2026, 1, 1), params) == D(2028, 12, 31)
    assert notice_effective_date(D(2026, 1, 1), params, unternehmer=True) == D(2036, 12, 31)
    assert notice_effective_date(D(2026, 1, 1), BASE, unternehmer=True) == D(2026, 12, 31)


# --- statute versions ---------------------------------------------------------------------

V1 = StatuteVersion(1, D(2019, 11, 20), D(2020, 1, 10), cal(3))
V2 = StatuteVersion(2, D(2026, 5, 2), D(2026, 7, 15), cal(24))


def test_statute_in_force_picks_the_version_registered_by_receipt() -> None:
    # Adopted but not yet registered: the old version still governs (§16 Abs. 6 GenG).
    for received, version, exit_on in [
        (D(2026, 7, 14), V1, D(2026, 12, 31)),
        (D(2026, 7, 15), V2, D(2028, 12, 31)),
    ]:
        in_force = statute_in_force([V2, V1], received)
        assert in_force is version
        assert notice_effective_date(received, in_force.params) == exit_on


def test_statute_in_force_same_registration_day_prefers_higher_version() -> None:
    v3 = StatuteVersion(3, D(2026, 6, 1), D(2026, 7, 15), cal(12))
    assert statute_in_force([v3, V2, V1], D(2026, 7, 15)) is v3


def test_statute_in_force_without_a_version() -> None:
    with pytest.raises(ValueError, match="no statute version"):
        statute_in_force([V1, V2], D(2020, 1, 9))
    with pytest.raises(ValueError, match="no statute version"):
        statute_in_force([], D(2026, 1, 1))


def test_statute_version_registered_before_adoption_is_rejected() -> None:
    with pytest.raises(ValueError, match="registered_at"):
        StatuteVersion(1, D(2026, 2, 1), D(2026, 1, 1), BASE)


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"notice_months": 2}, id="notice-below-3"),
        pytest.param({"notice_months": 61}, id="notice-over-5-years"),
        pytest.param({"notice_months_unternehmer": 121}, id="unternehmer-over-10-years"),
        pytest.param({"fy_start_month": 2, "fy_start_day": 29}, id="fy-start-leap-day"),
        pytest.param({"share_nominal_cents": 0}, id="nominal-zero"),
        pytest.param({"min_payment_permille": 0}, id="min-payment-zero"),
        pytest.param({"max_shares": 0}, id="max-below-mandatory"),
        pytest.param({"nachschuss": Nachschuss.HAFTSUMME}, id="haftsumme-missing"),
        pytest.param({"payout_months": -1}, id="payout-negative"),
    ],
)
def test_invalid_statute_params(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        replace(BASE, **changes)


def test_mandatory_shares_per_party_kind() -> None:
    params = replace(BASE, mandatory_shares=MandatoryShares(natural=1, legal_person=5))
    assert params.mandatory_shares_for(PartyKind.LEGAL_PERSON) == 5
    assert params.mandatory_shares_for(PartyKind.PUBLIC_BODY) == 1
    with pytest.raises(ValueError):
        MandatoryShares(association=0)


# --- hardship (§65 Abs. 3) ------------------------------------------------------------------


def test_full_fiscal_years() -> None:
    assert full_fiscal_years(D(2025, 1, 1), D(2026, 1, 1), BASE) == 1
    assert full_fiscal_years(D(2025, 1, 1), D(2025, 12, 31), BASE) == 0
    assert full_fiscal_years(D(2025, 1, 2), D(2027, 1, 1), BASE) == 1
    assert full_fiscal_years(D(2024, 7, 1), D(2025, 7, 1), JULY_FY) == 1
    assert full_fiscal_years(D(2024, 7, 2), D(2026, 6, 30), JULY_FY) == 0


@pytest.mark.parametrize(
    ("months", "member_since", "field"),
    [
        pytest.param(24, D(2020, 1, 1), "notice_months", id="period-not-over-2-years"),
        pytest.param(36, D(2026, 3, 1), "member_since", id="no-full-fiscal-year"),
        pytest.param(36, D(2025, 1, 2), "member_since", id="joined-mid-year"),
        pytest.param(36, D(2026, 9, 1), "member_since", id="joined-after-receipt"),
    ],
)
def test_hardship_refused(months: int, member_since: date, field: str) -> None:
    with pytest.raises(RuleViolation) as info:
        hardship_notice_effective_date(D(2026, 8, 15), member_since, cal(months))
    assert info.value.field == field
    assert info.value.reason


def test_hardship_for_unternehmer_period() -> None:
    params = replace(BASE, notice_months=3, notice_months_unternehmer=60)
    since = D(2024, 1, 1)
    assert hardship_notice_effective_date(D(2026, 10, 1), since, params, unternehmer=True) == D(
        2027, 12, 31
    )
    with pytest.raises(RuleViolation):
        hardship_notice_effective_date(D(2026, 10, 1), since, params)


# --- other exits -----------------------------------------------------------------------------


def test_extraordinary_notice_window() -> None:
    assert extraordinary_notice_exit_date(D(2026, 5, 5), D(2026, 6, 5), BASE) == D(2026, 12, 31)
    with pytest.raises(RuleViolation) as info:
        extraordinary_notice_exit_date(D(2026, 5, 5), D(2026, 6, 6), BASE)
    assert info.value.field == "received_on"
    # Month end: a resolution on 31.01. leaves until the end of February.
    assert extraordinary_notice_deadline(D(2026, 1, 31), BASE) == D(2026, 2, 28)
    # Absent members count from learning of it; a December resolution can exit a year later.
    assert extraordinary_notice_exit_date(
        D(2026, 12, 10), D(2027, 1, 15), BASE, learned_on=D(2026, 12, 20)
    ) == D(2027, 12, 31)
    with pytest.raises(RuleViolation):
        extraordinary_notice_exit_date(D(2026, 5, 5), D(2026, 5, 4), BASE)


def test_death_with_heirs_continuing() -> None:
    assert (
        death_exit_date(D(2026, 3, 15), replace(BASE, heirs_continue=True), heirs_continue=True)
        is None
    )
    with pytest.raises(RuleViolation) as info:
        death_exit_date(D(2026, 3, 15), BASE, heirs_continue=True)
    assert info.value.field == "heirs_continue"
    assert dissolution_exit_date(D(2026, 7, 1), JULY_FY) == D(2027, 6, 30)


def test_exclusion_letter_before_decision_is_refused() -> None:
    with pytest.raises(RuleViolation):
        exclusion_dates(D(2026, 5, 10), D(2026, 5, 9), BASE)


def test_transfer_policies() -> None:
    consent = replace(BASE, transfer_policy=TransferPolicy.BOARD_CONSENT)
    assert transfer_effective_date(D(2026, 8, 14), consent, board_consent_on=D(2026, 8, 20)) == D(
        2026, 8, 20
    )
    with pytest.raises(RuleViolation) as info:
        transfer_effective_date(D(2026, 8, 14), consent)
    assert info.value.field == "board_consent_on"
    with pytest.raises(RuleViolation):
        transfer_effective_date(
            D(2026, 8, 14), replace(BASE, transfer_policy=TransferPolicy.EXCLUDED)
        )


def test_money_rules() -> None:
    check_transfer_capacity(2, 250_00, 250_00, BASE)
    with pytest.raises(RuleViolation):
        check_transfer_capacity(2, 250_00, 250_01, BASE)
    check_further_shares_admissible(3, 500_00, BASE)
    with pytest.raises(RuleViolation):
        check_further_shares_admissible(3, 499_99, BASE)
    check_further_shares_admissible(3, 0, BASE, mandatory=True)
    assert minimum_payment_cents(1, BASE) == 25_00
    assert minimum_payment_cents(1, replace(BASE, share_nominal_cents=333)) == 34
    check_partial_notice(5, 4, 1, BASE)
    with pytest.raises(RuleViolation):
        check_partial_notice(5, 5, 1, BASE)
    with pytest.raises(RuleViolation):
        check_partial_notice(5, 1, 1, replace(BASE, partial_notice_allowed=False))
    with pytest.raises(RuleViolation):
        further_shares_effective_date(D(2026, 3, 9), D(2026, 3, 2))


def test_assembly_deadlines_follow_the_statute() -> None:
    params = replace(BASE, convening_days_before=21, convening_delivery_days=3)
    assert convening_deadline(D(2026, 6, 20), params) == D(2026, 5, 27)
    assert agenda_deadline(D(2026, 6, 20), BASE) == D(2026, 6, 13)


def test_optional_193_rollover() -> None:
    params = replace(BASE, deadline_rollover_193=True)
    # 30.09.2028 is a Saturday: the deadline moves to Monday only when the statute opts in.
    assert notice_deadline(D(2028, 12, 31), params) == D(2028, 10, 2)
    assert notice_effective_date(D(2028, 10, 2), params) == D(2028, 12, 31)
    assert notice_effective_date(D(2028, 10, 2), BASE) == D(2029, 12, 31)
    holiday = replace(params, non_business_days=frozenset({D(2028, 10, 2)}))
    assert notice_deadline(D(2028, 12, 31), holiday) == D(2028, 10, 3)
    # 30.06.2029 is a Saturday.
    assert settlement_due_date(D(2028, 12, 31), params) == D(2029, 7, 2)
    assert settlement_due_date(D(2028, 12, 31), BASE) == D(2029, 6, 30)


# --- properties ------------------------------------------------------------------------------


def bgb_add_months(day: date, months: int) -> date:
    """Independent §188 Abs. 2/3 BGB reference: same day number, else the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


fy_starts = st.dates(min_value=D(2001, 1, 1), max_value=D(2001, 12, 31))
receipts = st.dates(min_value=D(1990, 1, 1), max_value=D(2200, 12, 31))


@settings(database=None, max_examples=300)
@given(received=receipts, months=st.integers(3, 60), fy_start=fy_starts)
def test_property_notice_effective_date(received: date, months: int, fy_start: date) -> None:
    params = replace(
        BASE, notice_months=months, fy_start_month=fy_start.month, fy_start_day=fy_start.day
    )
    effective = notice_effective_date(received, params)
    earliest = bgb_add_months(received, months)
    previous_end = fiscal_year_end(effective.year - 1, params)
    assert effective == fiscal_year_end(effective.year, params)
    assert effective >= earliest
    assert previous_end < earliest
    assert notice_deadline(previous_end, params) < received <= notice_deadline(effective, params)


@settings(database=None, max_examples=300)
@given(exit_on=receipts, payout_months=st.integers(0, 36), fy_start=fy_starts)
def test_property_settlement_due(exit_on: date, payout_months: int, fy_start: date) -> None:
    params = replace(
        BASE, payout_months=payout_months, fy_start_month=fy_start.month, fy_start_day=fy_start.day
    )
    assert settlement_due_date(exit_on, params) == bgb_add_months(exit_on, payout_months)

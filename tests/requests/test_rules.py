# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The pure rules of requests, called directly."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest

from nc_coop.register.statute import Nachschuss, StatuteParams, TransferPolicy
from nc_coop.requests.rules import (
    Action,
    Kind,
    RuleViolation,
    Status,
    acknowledgements_for,
    after_hours_on_deadline,
    can_receive,
    check_acknowledged,
    check_further_shares,
    check_join,
    check_open_shares,
    check_open_transfers,
    check_transfer,
    declaration_sha256,
    next_status,
    notice_preview,
)

PARAMS = StatuteParams(share_nominal_cents=10_000, notice_months=24, max_shares=10)


def test_the_payment_duty_is_always_highlighted_and_the_others_only_when_the_statute_has_them() -> None:
    plain = StatuteParams(share_nominal_cents=10_000)
    assert [a.key for a in acknowledgements_for(Kind.JOIN, plain)] == ["statute", "payment"]
    assert [a.key for a in acknowledgements_for(Kind.SHARES, plain)] == ["payment"]
    strict = replace(plain, nachschuss=Nachschuss.HAFTSUMME, haftsumme_per_share_cents=5_000, entrance_fee_cents=2_500,
                     notice_months=24)
    keys = [a.key for a in acknowledgements_for(Kind.JOIN, strict)]
    assert keys == ["statute", "payment", "nachschuss", "entrance_fee", "notice_period"]
    nachschuss = acknowledgements_for(Kind.SHARES, strict)[1]
    assert nachschuss.value("kind") == "haftsumme" and nachschuss.value("per_share_cents") == 5_000
    # The entrance fee is owed on joining only; further shares need no statute receipt.
    assert [a.key for a in acknowledgements_for(Kind.SHARES, strict)] == ["payment", "nachschuss", "notice_period"]
    # A period of exactly one year is not "longer than one year" (§15a S. 3).
    assert "notice_period" not in [a.key for a in acknowledgements_for(Kind.SHARES, replace(plain, notice_months=12))]
    payment = acknowledgements_for(Kind.SHARES, plain)[0]
    assert payment.value("nominal_cents") == 10_000 and payment.value("minimum_cents") == 1_000


def test_every_highlighted_statement_must_be_ticked() -> None:
    required = acknowledgements_for(Kind.JOIN, PARAMS)
    check_acknowledged(required, ["statute", "payment", "notice_period"])
    with pytest.raises(RuleViolation) as refused:
        check_acknowledged(required, ["statute", "notice_period"])
    assert refused.value.field == "ack_payment"


def test_the_declaration_hash_covers_version_and_wording() -> None:
    base = declaration_sha256(1, ["a", "b"])
    assert base == declaration_sha256(1, ["a", "b"]) and len(base) == 64
    assert base != declaration_sha256(2, ["a", "b"]) and base != declaration_sha256(1, ["a", "b."])
    assert declaration_sha256(1, ["ab", ""]) != declaration_sha256(1, ["a", "b"])


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"already_member": True}, "shares"), ({"pending_application": True}, "shares"),
    ({"shares": 0}, "shares"), ({"shares": 11}, "shares"), ({"shares": 2, "mandatory": 3}, "shares")])
def test_a_join_is_refused_for_members_twice_and_outside_the_share_limits(kwargs: dict, field: str) -> None:
    args = {"already_member": False, "pending_application": False, "shares": 1, "mandatory": 1, "params": PARAMS}
    check_join(**args)
    with pytest.raises(RuleViolation) as refused:
        check_join(**{**args, **kwargs})
    assert refused.value.field == field


def test_further_shares_are_refused_while_older_shares_are_unpaid() -> None:
    ok = {"running": True, "held": 2, "paid_in_cents": 10_000, "wanted": 1, "pending": 0, "params": PARAMS}
    check_further_shares(**ok)  # all but the newest share paid (§15b Abs. 2)
    with pytest.raises(RuleViolation, match="not fully paid"):
        check_further_shares(**{**ok, "held": 3})
    with pytest.raises(RuleViolation, match="At most 10"):
        check_further_shares(**{**ok, "wanted": 5, "pending": 4})
    with pytest.raises(RuleViolation) as refused:
        check_further_shares(**{**ok, "running": False})
    assert refused.value.field == "membership_id"


def test_a_notice_preview_has_the_statute_dates() -> None:
    # DOMAIN.md §1.2: N = 24, receipt 31.12.2025 → exit 31.12.2027, payout by 30.06.2028.
    preview = notice_preview(date(2025, 12, 31), PARAMS, held=3, mandatory=1, shares=None, exit_pending=False)
    assert (preview.scope, preview.shares, preview.effective_date, preview.settlement_due, preview.deadline) == (
        "all", 3, date(2027, 12, 31), date(2028, 6, 30), date(2025, 12, 31))
    later = notice_preview(date(2026, 1, 1), PARAMS, held=3, mandatory=1, shares=2, exit_pending=False)
    assert (later.scope, later.shares, later.effective_date) == ("partial", 2, date(2028, 12, 31))
    with pytest.raises(RuleViolation):  # §67b: never below the mandatory shares
        notice_preview(date(2026, 1, 1), PARAMS, held=3, mandatory=2, shares=2, exit_pending=False)
    with pytest.raises(RuleViolation, match="already ends"):
        notice_preview(date(2026, 1, 1), PARAMS, held=3, mandatory=1, shares=None, exit_pending=True)


def test_a_notice_sent_after_hours_on_its_last_day_is_flagged() -> None:
    preview = notice_preview(date(2025, 12, 31), PARAMS, held=1, mandatory=1, shares=None, exit_pending=False)
    assert after_hours_on_deadline(datetime(2025, 12, 31, 19, 5), preview)
    assert not after_hours_on_deadline(datetime(2025, 12, 31, 10, 0), preview)
    early = notice_preview(date(2025, 12, 30), PARAMS, held=1, mandatory=1, shares=None, exit_pending=False)
    assert not after_hours_on_deadline(datetime(2025, 12, 30, 23, 0), early)


def test_a_transfer_respects_the_statute_and_the_givers_holdings() -> None:
    ok = {"same_membership": False, "giver_shares": 3, "giver_capital_cents": 30_000, "giver_mandatory": 1,
          "shares": 1, "amount_cents": 10_000}
    check_transfer(PARAMS, **ok)
    check_transfer(PARAMS, **{**ok, "shares": 3, "amount_cents": 30_000})  # everything: leaves without settlement
    for change, field in (({"same_membership": True}, "to_member_no"),
                          ({"shares": 0, "amount_cents": 0}, "amount"), ({"shares": 4}, "shares"),
                          ({"amount_cents": 40_000}, "amount"), ({"shares": 3}, "shares")):
        with pytest.raises(RuleViolation) as refused:
            check_transfer(PARAMS, **{**ok, **change})
        assert refused.value.field == field, change
    with pytest.raises(RuleViolation, match="excludes"):
        check_transfer(replace(PARAMS, transfer_policy=TransferPolicy.EXCLUDED), **ok)


def test_whether_the_receiver_can_take_a_transfer_is_a_yes_or_no_never_a_message() -> None:
    """The receiver's side decides only where the offer goes (issue 13, point 8): running, and
    Geschäftsanteile that can take the amount (counting the shares that come along)."""
    ok = {"receiver_running": True, "shares": 1, "amount_cents": 10_000, "receiver_shares": 1,
          "receiver_capital_cents": 10_000}
    assert can_receive(PARAMS, **ok)
    assert can_receive(PARAMS, **{**ok, "shares": 0, "amount_cents": 0})
    assert not can_receive(PARAMS, **{**ok, "receiver_running": False})
    assert not can_receive(PARAMS, **{**ok, "shares": 0, "amount_cents": 10_001})


def test_open_request_limits_name_the_membership() -> None:
    check_open_transfers(2, 3)
    check_open_shares(0)
    for call in (lambda: check_open_transfers(3, 3), lambda: check_open_transfers(7, 3), lambda: check_open_shares(1)):
        with pytest.raises(RuleViolation) as refused:
            call()
        assert refused.value.field == "membership_id"
    with pytest.raises(RuleViolation, match="at most 3 may be open"):
        check_open_transfers(3, 3)


def test_decided_requests_stay_decided() -> None:
    assert next_status(Status.AWAITING_CONSENT, Action.CONSENT) is Status.SUBMITTED
    assert next_status(Status.SUBMITTED, Action.REJECT) is Status.REJECTED
    for status in (Status.APPROVED, Status.REJECTED, Status.DECLINED):
        for action in Action:
            with pytest.raises(RuleViolation):
                next_status(status, action)
    with pytest.raises(RuleViolation):
        next_status(Status.AWAITING_CONSENT, Action.APPROVE)  # the receiving member first

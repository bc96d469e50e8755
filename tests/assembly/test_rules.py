# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The assembly's rules, one table per rule, and properties of the counting (hypothesis)."""
from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nc_coop.assembly import rules
from nc_coop.assembly.rules import Capacity, Count, Form, MemberFacts, ResolutionType, State
from nc_coop.register.rules import RuleViolation
from nc_coop.register.statute import PartyKind, StatuteParams

BASE = StatuteParams(share_nominal_cents=10_000)
S, C, N, D = (ResolutionType.SIMPLE, ResolutionType.STATUTE_CHANGE, ResolutionType.NINE_TENTHS,
              ResolutionType.DISSOLUTION)


@pytest.mark.parametrize(("kind", "yes", "no", "abstain", "params", "passed"), [
    (S, 11, 10, 0, {}, True),
    (S, 10, 10, 0, {}, False),  # a tie is no majority
    (S, 3, 2, 100, {}, True),  # abstentions are not votes cast (§43 Abs. 2)
    (S, 0, 0, 5, {}, False),  # nothing cast, nothing decided
    (C, 75, 25, 0, {}, True),  # §16 Abs. 2: 3/4 exactly is enough
    (C, 74, 26, 0, {}, False),
    (C, 3, 1, 50, {}, True),
    (C, 79, 21, 0, {"majority_permille_statute_change": 800}, False),  # the Satzung requires more
    (C, 80, 20, 0, {"majority_permille_statute_change": 800}, True),
    (N, 90, 10, 0, {}, True),  # §16 Abs. 3
    (N, 89, 11, 0, {}, False),
    (D, 75, 25, 0, {}, True),  # §78 Abs. 1
    (D, 76, 24, 0, {"majority_permille_dissolution": 800}, False),
])
def test_majority_per_resolution_type(kind: ResolutionType, yes: int, no: int, abstain: int,
                                      params: dict[str, int], passed: bool) -> None:
    decision = rules.decide(kind, Count(yes, no, abstain), dataclasses.replace(BASE, **params),
                            participants=yes + no + abstain, entitled=yes + no + abstain)
    assert decision.passed is passed
    assert decision.abstain == abstain and decision.yes == yes and decision.no == no


@pytest.mark.parametrize(("kind", "participants", "entitled", "params", "met"), [
    (S, 0, 100, {}, True),  # GenG sets no quorum
    (S, 49, 100, {"quorum_permille": 500}, False),
    (S, 50, 100, {"quorum_permille": 500}, True),
    (C, 50, 100, {"quorum_permille": 900}, True),  # the general quorum does not apply to statute changes
    (C, 66, 100, {"quorum_permille_statute_change": 667}, False),
    (D, 50, 100, {"quorum_permille_dissolution": 500}, True),
    (D, 49, 100, {"quorum_permille_dissolution": 500}, False),
])
def test_quorum_per_resolution_type(kind: ResolutionType, participants: int, entitled: int, params: dict[str, int],
                                    met: bool) -> None:
    decision = rules.decide(kind, Count(participants, 0), dataclasses.replace(BASE, **params),
                            participants=participants, entitled=entitled)
    assert decision.quorum_met is met
    assert decision.passed is (met and participants > 0)


@pytest.mark.parametrize(("shares", "maximum", "per_vote", "votes"), [
    (40, 1, None, 1),  # one member, one vote (§43 Abs. 3)
    (1, 3, 10, 1), (19, 3, 10, 1), (20, 3, 10, 2), (30, 3, 10, 3), (50, 3, 10, 3),  # never above 3
    (50, 2, 10, 2),
])
def test_votes_per_member(shares: int, maximum: int, per_vote: int | None, votes: int) -> None:
    params = dataclasses.replace(BASE, multiple_votes_max=maximum, multiple_votes_shares_per_vote=per_vote)
    assert rules.votes_for(shares, params) == votes


@pytest.mark.parametrize(("kind", "votes", "units"), [
    (S, 3, 3), (ResolutionType.ELECTION, 2, 2), (C, 3, 1), (N, 3, 1), (D, 2, 1),  # §43 Abs. 3: one vote only
])
def test_mehrstimmrechte_do_not_count_where_the_law_requires_three_quarters(kind: ResolutionType, votes: int,
                                                                            units: int) -> None:
    assert rules.ballot_units(votes, kind) == units


@pytest.mark.parametrize(("params", "message"), [
    ({"multiple_votes_max": 4, "multiple_votes_shares_per_vote": 1}, "multiple_votes_max must be 1..3"),
    ({"multiple_votes_max": 2}, "multiple_votes_shares_per_vote is required"),
    ({"multiple_votes_shares_per_vote": 5}, "multiple_votes_shares_per_vote is required"),
    ({"investing_votes_max_permille": 251}, "investing_votes_max_permille must be 1..250"),
    ({"quorum_permille": 1001}, "quorum_permille must be 0..1000"),
    ({"majority_permille_statute_change": 700}, "majority_permille_statute_change must be 750..1000"),
    ({"majority_permille_dissolution": 1001}, "majority_permille_dissolution must be 750..1000"),
    ({"agenda_request_permille": 101}, "agenda_request_permille must be 1..100"),
])
def test_assembly_statute_parameters_are_validated(params: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(BASE, **params)


# --- Investing members (§8 Abs. 2) ----------------------------------------------------------------

@pytest.mark.parametrize(("kind", "count", "passed"), [
    # 30 members for, 100 investing members against: capped at 1/4 of the counted votes, no block.
    (C, Count(yes=30, investing_no=100), True),
    (N, Count(yes=30, investing_no=100), True),  # and at 1/10 where 9/10 are needed
    (S, Count(no=30, investing_yes=100), False),  # never outvote the others
    (S, Count(yes=10, no=9, investing_no=100), False),  # their votes still count, up to the cap
    (S, Count(yes=30, investing_yes=5, investing_no=5), True),
])
def test_investing_members_never_outvote_or_block(kind: ResolutionType, count: Count, passed: bool) -> None:
    assert rules.decide(kind, count, BASE, participants=1, entitled=1).passed is passed


def test_investing_votes_are_weighted_to_the_cap_exactly() -> None:
    decision = rules.decide(S, Count(yes=30, investing_no=100), BASE, participants=1, entitled=1)
    assert decision.investing_factor == Fraction(1, 10)  # 10 of 40 counted votes = 1/4
    assert decision.no == 10 and decision.no / (decision.yes + decision.no) == Fraction(1, 4)


@given(yes=st.integers(0, 500), no=st.integers(0, 500), ayes=st.integers(0, 500), anos=st.integers(0, 500),
       kind=st.sampled_from([S, C, N, D]), cap=st.integers(1, 250))
def test_property_investing_members_cannot_turn_a_result(yes: int, no: int, ayes: int, anos: int,
                                                         kind: ResolutionType, cap: int) -> None:
    params = dataclasses.replace(BASE, investing_votes_max_permille=cap)
    decision = rules.decide(kind, Count(yes, no, 0, ayes, anos), params, participants=1, entitled=1)
    counted = decision.investing_factor * (ayes + anos)
    assert counted <= Fraction(cap, 1000) * (decision.yes + decision.no) or counted == 0
    if yes > 0 and no == 0 and kind is not S:  # the others agree: investing members cannot block (§8 Abs. 2)
        assert decision.passed
    if yes == 0 and no > 0:  # the others refuse: investing members cannot outvote them
        assert not decision.passed
    if ayes == anos == 0 and kind is S:
        assert decision.passed is (yes > no)


# --- Elections ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("seats", "votes", "elected", "tie"), [
    (1, [5, 3, 1], (0,), ()),
    (2, [5, 3, 1], (0, 1), ()),
    (2, [5, 3, 3], (0,), (1, 2)),  # tie for the last seat: the Satzung decides (runoff, lot)
    (3, [5, 3, 0], (0, 1), ()),  # a candidate without votes is not elected
    (1, [4, 4], (), (0, 1)),
])
def test_election_with_seats(seats: int, votes: list[int], elected: tuple[int, ...], tie: tuple[int, ...]) -> None:
    result = rules.elect(seats, votes, [0] * len(votes), sum(votes), 0, 0, BASE, participants=1, entitled=1)
    assert (result.elected, result.tie) == (elected, tie)


@pytest.mark.parametrize(("choice", "ok"), [([0], True), ([0, 2], True), ([], True), ([0, 0], False),
                                            ([0, 1, 2], False), ([5], False), ([-1], False)])
def test_election_ballot(choice: list[int], ok: bool) -> None:
    if ok:
        rules.check_election_choice(choice, 3, 2)
    else:
        with pytest.raises(RuleViolation):
            rules.check_election_choice(choice, 3, 2)


# --- The roll -----------------------------------------------------------------------------------

ON = date(2026, 6, 20)


def facts(no: int, **kw: object) -> MemberFacts:
    base: dict[str, object] = {"membership_id": no, "member_no": no, "party_kind": PartyKind.NATURAL,
                               "investing": False, "admitted_on": date(2020, 1, 1), "exit_on": None, "shares": 1,
                               "own_logins": (f"user{no}",)}
    return MemberFacts(**{**base, **kw})  # type: ignore[arg-type]


@pytest.mark.parametrize(("fact", "params", "entry", "reason"), [
    (facts(1), {}, (1, Capacity.SELF, ("user1",)), None),
    (facts(2, admitted_on=date(2026, 6, 21)), {}, None, None),  # admitted after the date
    (facts(3, exit_on=date(2026, 6, 20)), {}, (1, Capacity.SELF, ("user3",)), None),  # still a member on exit day
    (facts(4, exit_on=date(2025, 12, 31)), {}, None, None),
    (facts(5, rights_lost_on=date(2026, 5, 12), exit_on=date(2026, 12, 31)), {}, None, "excluded"),  # §68
    (facts(6, rights_lost_on=date(2026, 6, 21), exit_on=date(2026, 12, 31)), {}, (1, Capacity.SELF, ("user6",)),
     None),
    (facts(7, investing=True), {}, (1, Capacity.SELF, ("user7",)), None),
    (facts(8, investing=True), {"investing_members_vote": False}, None, "investing"),  # §8 Abs. 2
    (facts(9, died_on=date(2026, 3, 15), exit_on=date(2026, 12, 31), heirs_logins=("heir",)), {},
     (1, Capacity.HEIRS, ("heir",)), None),  # §77: the heirs' joint representative
    (facts(10, died_on=date(2026, 3, 15), exit_on=date(2026, 12, 31)), {}, (1, Capacity.HEIRS, ()), None),
    (facts(11, party_kind=PartyKind.ASSOCIATION, own_logins=(), representative_logins=("rep", "rep2")), {},
     (1, Capacity.REPRESENTATIVE, ("rep", "rep2")), None),
    (facts(12, shares=25), {"multiple_votes_max": 3, "multiple_votes_shares_per_vote": 10},
     (2, Capacity.SELF, ("user12",)), None),
])
def test_voter_roll_from_register_facts(fact: MemberFacts, params: dict[str, object],
                                        entry: tuple[int, Capacity, tuple[str, ...]] | None,
                                        reason: str | None) -> None:
    roll = rules.derive_roll([fact], ON, dataclasses.replace(BASE, **params))
    assert [(e.votes, e.capacity, e.logins) for e in roll.entries] == ([entry] if entry else [])
    assert [reason in r.reason for r in roll.left_out] == ([True] if reason else [])


# --- Convening (§46) and agenda requests (§45) -----------------------------------------------------

@pytest.mark.parametrize(("convened_on", "params", "warned"), [
    (date(2026, 6, 6), {}, False),  # DOMAIN.md: GV 20.06.2026, convene by 06.06.2026
    (date(2026, 6, 7), {}, True),
    (date(2026, 6, 3), {"convening_delivery_days": 3}, False),  # delivery counted per Satzung
    (date(2026, 6, 4), {"convening_delivery_days": 3}, True),
    (date(2026, 5, 30), {"convening_days_before": 21}, False),
])
def test_convening_deadline(convened_on: date, params: dict[str, int], warned: bool) -> None:
    check = rules.check_convening(ON, convened_on, dataclasses.replace(BASE, **params))
    assert bool(check.warnings) is warned
    assert check.latest_agenda == date(2026, 6, 13) - timedelta(
        days=params.get("convening_delivery_days", 0))


def test_convening_after_the_assembly_is_refused() -> None:
    with pytest.raises(RuleViolation, match="convened_on"):
        rules.check_convening(ON, date(2026, 6, 21), BASE)


@pytest.mark.parametrize(("announced_on", "resolvable"), [(date(2026, 6, 13), True), (date(2026, 6, 14), False)])
def test_items_announced_late_cannot_be_resolved(announced_on: date, resolvable: bool) -> None:
    assert rules.item_resolvable(announced_on, ON, BASE) is resolvable


@pytest.mark.parametrize(("supporters", "members", "received_on", "permille", "field"), [
    (10, 100, date(2026, 6, 1), 100, None),
    (9, 100, date(2026, 6, 1), 100, "supporters"),  # a tenth (§45)
    (11, 101, date(2026, 6, 1), 100, None),  # rounded up
    (10, 101, date(2026, 6, 1), 100, "supporters"),
    (5, 100, date(2026, 6, 1), 50, None),  # the Satzung may set fewer
    (10, 100, date(2026, 6, 14), 100, "received_on"),  # too late to be announced (§46 Abs. 2)
])
def test_members_demanding_an_agenda_item(supporters: int, members: int, received_on: date, permille: int,
                                          field: str | None) -> None:
    params = dataclasses.replace(BASE, agenda_request_permille=permille)
    if field is None:
        rules.check_agenda_request(supporters, members, received_on, ON, params)
    else:
        with pytest.raises(RuleViolation) as refused:
            rules.check_agenda_request(supporters, members, received_on, ON, params)
        assert refused.value.field == field


# --- Proxies (§43 Abs. 5) -------------------------------------------------------------------------

@pytest.mark.parametrize(("principal", "proxy", "already", "has_proxy", "text", "field"), [
    (1, 2, 0, False, "letter 2026-05-01", None),
    (1, 2, 1, False, "mail", None),
    (1, 2, 2, False, "mail", "proxy_membership_id"),  # at most 2 principals per proxy
    (1, 1, 0, False, "mail", "proxy_membership_id"),
    (1, 9, 0, False, "mail", "proxy_membership_id"),  # not a member entitled
    (9, 2, 0, False, "mail", "principal_membership_id"),
    (1, 2, 0, True, "mail", "principal_membership_id"),
    (1, 2, 0, False, " ", "textform_reference"),  # text form (§43 Abs. 5)
])
def test_proxy_rules(principal: int, proxy: int, already: int, has_proxy: bool, text: str, field: str | None) -> None:
    args = (principal, proxy, {1, 2, 3}, already, has_proxy, text, BASE)
    if field is None:
        rules.check_proxy(*args)
    else:
        with pytest.raises(RuleViolation) as refused:
            rules.check_proxy(*args)
        assert refused.value.field == field


# --- States and forms -----------------------------------------------------------------------------

@pytest.mark.parametrize(("current", "target", "form", "ok"), [
    (State.DRAFT, State.CONVENED, Form.PRESENCE, True),
    (State.DRAFT, State.VOTING_OPEN, Form.PRESENCE, False),
    (State.CONVENED, State.VOTING_OPEN, Form.PRESENCE, True),
    (State.CONVENED, State.VOTING_OPEN, Form.STAGGERED, False),  # discussion first (§43b)
    (State.CONVENED, State.DISCUSSION, Form.STAGGERED, True),
    (State.DISCUSSION, State.VOTING_OPEN, Form.STAGGERED, True),
    (State.VOTING_OPEN, State.CLOSED, Form.VIRTUAL, True),
    (State.CLOSED, State.VOTING_OPEN, Form.VIRTUAL, False),  # no reopening
    (State.CLOSED, State.MINUTES_PUBLISHED, Form.HYBRID, True),
    (State.MINUTES_PUBLISHED, State.DRAFT, Form.HYBRID, False),
])
def test_state_transitions(current: State, target: State, form: Form, ok: bool) -> None:
    if ok:
        rules.check_transition(current, target, form)
    else:
        with pytest.raises(RuleViolation, match="state"):
            rules.check_transition(current, target, form)


@pytest.mark.parametrize(("form", "params", "ok"), [
    (Form.PRESENCE, {}, True), (Form.VIRTUAL, {}, False), (Form.HYBRID, {}, False), (Form.STAGGERED, {}, False),
    (Form.VIRTUAL, {"assembly_virtual_allowed": True}, True),
    (Form.STAGGERED, {"assembly_staggered_allowed": True}, True),
])
def test_forms_need_the_statute(form: Form, params: dict[str, bool], ok: bool) -> None:
    if ok:
        rules.check_form(form, dataclasses.replace(BASE, **params))
    else:
        with pytest.raises(RuleViolation, match="form"):
            rules.check_form(form, dataclasses.replace(BASE, **params))


@pytest.mark.parametrize(("state", "day", "field_ok"), [
    (State.CONVENED, ON, False), (State.VOTING_OPEN, date(2026, 6, 21), False),
    (State.VOTING_OPEN, date(2026, 6, 22), True), (State.VOTING_OPEN, date(2026, 6, 28), True),
    (State.VOTING_OPEN, date(2026, 6, 29), False), (State.CLOSED, date(2026, 6, 25), False),
])
def test_voting_window(state: State, day: date, field_ok: bool) -> None:
    if field_ok:
        rules.check_voting_window(state, day, date(2026, 6, 22), date(2026, 6, 28))
    else:
        with pytest.raises(RuleViolation):
            rules.check_voting_window(state, day, date(2026, 6, 22), date(2026, 6, 28))

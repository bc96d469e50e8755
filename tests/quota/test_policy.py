# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The quota policy and the plan, as plain functions."""
from __future__ import annotations

from datetime import date

import pytest

from nc_coop.quota.plan import LDAP, PROVISIONING, Change, Current, plan_changes
from nc_coop.quota.policy import (
    Desired,
    Override,
    PartyFacts,
    Policy,
    QuotaRuleError,
    UserFacts,
    check_allocations,
    effective_quotas,
    party_quota,
    pool_portions,
)
from nc_coop.quota.units import UNLIMITED

GB = 1024**3
TODAY = date(2026, 11, 26)
POLICY = Policy(base={("natural", "regular"): 5 * GB, ("association", "regular"): 20 * GB,
                      ("legal_person", "regular"): 50 * GB, ("public_body", "regular"): UNLIMITED},
                per_share=1 * GB)
PARTIES = {1: PartyFacts(1, "natural", "regular", shares=2),  # Erika, a member herself
           2: PartyFacts(2, "association", "regular", shares=4),  # TSV: a pool of 24 GB
           3: PartyFacts(3, "natural", None),  # Max: a person in the register, not a member
           4: PartyFacts(4, "legal_person", "investing", shares=10),  # no base for investing members
           5: PartyFacts(5, "public_body", "regular", shares=1)}


def test_a_member_gets_the_base_for_its_kind_plus_per_share() -> None:
    assert party_quota(POLICY, PARTIES[1]) == 7 * GB
    assert party_quota(POLICY, PARTIES[2]) == 24 * GB
    assert party_quota(POLICY, PARTIES[3]) is None  # not a member
    assert party_quota(POLICY, PARTIES[4]) is None  # the policy gives investing members nothing
    assert party_quota(POLICY, PARTIES[5]) == UNLIMITED


def test_an_organisation_pool_is_split_equally_unless_fixed() -> None:
    assert pool_portions(24 * GB, ["a", "b", "c"], {}) == {"a": 8 * GB, "b": 8 * GB, "c": 8 * GB}
    assert pool_portions(24 * GB, ["a", "b", "c"], {"a": 14 * GB}) == {"a": 14 * GB, "b": 5 * GB, "c": 5 * GB}
    assert pool_portions(10, ["a", "b", "c"], {}) == {"a": 3, "b": 3, "c": 3}  # whole bytes
    assert pool_portions(UNLIMITED, ["a", "b"], {"a": GB}) == {"a": GB, "b": UNLIMITED}
    assert pool_portions(None, ["a"], {}) == {}


@pytest.mark.parametrize(("pool", "allocations", "users", "field"), [
    (10 * GB, {"a": 6 * GB, "b": 5 * GB}, ["a", "b"], "amount"),  # more than the pool
    (10 * GB, {"x": GB}, ["a", "b"], "user_id"),  # not a user of this organisation
    (10 * GB, {"a": UNLIMITED}, ["a"], "amount"),
    (None, {"a": GB}, ["a"], "amount"),  # no pool to divide
])
def test_allocations_that_do_not_fit_are_refused(pool: int | None, allocations: dict[str, int], users: list[str],
                                                field: str) -> None:
    with pytest.raises(QuotaRuleError) as refused:
        check_allocations(pool, allocations, users)
    assert refused.value.field == field


def test_each_user_gets_their_own_quota_plus_their_portions() -> None:
    users = [UserFacts("erika", own_party_id=1, organisation_ids=(2,)), UserFacts("max", own_party_id=3,
                                                                                organisation_ids=(2,)),
             UserFacts("amt", organisation_ids=(5,)), UserFacts("gast")]
    desired = effective_quotas(POLICY, users, PARTIES, TODAY)
    assert desired["erika"] == Desired(7 * GB + 12 * GB, "own membership + organisation #2")
    assert desired["max"] == Desired(12 * GB, "organisation #2")
    assert desired["amt"].amount == UNLIMITED
    assert desired["gast"] == Desired(None, "not managed")
    with_default = Policy(base=POLICY.base, per_share=POLICY.per_share, non_member=GB)
    assert effective_quotas(with_default, users, PARTIES, TODAY)["gast"] == Desired(GB, "not a member")


def test_overrides_apply_until_their_last_day() -> None:
    users = [UserFacts("erika", own_party_id=1, organisation_ids=(2,)), UserFacts("max", organisation_ids=(2,))]
    overrides = {"erika": Override(100 * GB, "video archive", until=TODAY)}
    pools = {2: Override(2 * GB, "test phase", until=date(2026, 11, 25))}  # ended yesterday
    desired = effective_quotas(POLICY, users, PARTIES, TODAY, user_overrides=overrides,
                               organisation_overrides=pools)
    assert desired["erika"] == Desired(100 * GB, "override: video archive")
    assert desired["max"].amount == 12 * GB  # the pool from the policy again
    tomorrow = effective_quotas(POLICY, users, PARTIES, date(2026, 11, 27), user_overrides=overrides)
    assert tomorrow["erika"].amount == 19 * GB


def test_an_invalid_policy_names_its_field() -> None:
    with pytest.raises(QuotaRuleError, match="per_share"):
        Policy(per_share=-1)
    with pytest.raises(QuotaRuleError, match="base.natural.regular"):
        Policy(base={("natural", "regular"): -7})


def test_the_plan_holds_only_changes() -> None:
    desired = {"a": Desired(5 * GB, "own membership"), "b": Desired(7 * GB, "own membership"),
               "c": Desired(None, "not managed"), "d": Desired(GB, "not a member"), "e": Desired(GB, "x")}
    current = {"a": Current(LDAP, 5 * GB), "b": Current(LDAP, None), "c": Current(LDAP, GB),
               "e": Current(PROVISIONING, 2 * GB)}
    plan = plan_changes(desired, current)
    assert plan.changes == [Change("b", LDAP, None, 7 * GB, "own membership"), Change("e", PROVISIONING, 2 * GB, GB, "x")]
    assert (plan.unchanged, plan.unmanaged, plan.unknown) == (1, 1, ["d"])
    # With the admin-password path turned off, local users are not planned (reported as unknown).
    assert [c.user_id for c in plan_changes(desired, current, provisioning_enabled=False).changes] == ["b"]

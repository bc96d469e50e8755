# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The register facts the plan reads in bulk: a member's page reads only the users around them
(their organisations' users too, since a pool is split over all of them) and gets the same
desired quotas as the full plan."""
from __future__ import annotations

from sqlalchemy.orm import Session

from nc_coop.quota.facts import load_facts
from nc_coop.quota.policy import Policy
from nc_coop.quota.services import Actor, desired_quotas, set_allocation, set_override, set_policy
from tests.quota.conftest import GB, TODAY, World


def test_a_partial_read_gives_the_same_desired_quotas_as_the_full_one(world: World) -> None:
    with Session(world.engine) as session, session.begin():
        set_policy(session, Actor("t"), Policy(base={("natural", "regular"): 5 * GB, ("association", "regular"): 30 * GB,
                                                     ("legal_person", "regular"): 40 * GB}, per_share=GB), "test")
        set_override(session, Actor("t"), scope="organisation", party_id=world.parties["hoffmann"], amount=90 * GB,
                     reason="contract", until=None)
        set_allocation(session, Actor("t"), world.parties["hoffmann"], "marie.hoffmann", 60 * GB, TODAY)
    with Session(world.engine) as session:
        full = load_facts(session, TODAY)
        everyone = desired_quotas(session, full, TODAY)
        assert everyone["anna.schmidt"].amount == 8 * GB  # 5 GB + 3 shares
        assert everyone["felix.schaefer"].amount == 33 * GB // 2  # the TSV's pool of 30 GB + 3 shares, halved
        assert (everyone["marie.hoffmann"].amount, everyone["lukas.becker"].amount) == (60 * GB, 30 * GB)
        for user in ("anna.schmidt", "felix.schaefer", "lukas.becker", "alice", "lea.wagner"):
            partial = load_facts(session, TODAY, only=[user])
            assert desired_quotas(session, partial, TODAY)[user] == everyone[user], user
            assert partial.current[user] == full.current[user]
        assert set(load_facts(session, TODAY, only=["lukas.becker"]).current) == {"lukas.becker", "marie.hoffmann"}

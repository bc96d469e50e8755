# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Secret ballots cannot be tied to voters from the stored rows, and nobody votes twice: a
hypothesis property over cast sequences, and 20 parallel submissions (SQLite and PostgreSQL)."""
from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, inspect, select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from nc_coop.assembly import services
from nc_coop.assembly.models import AssemblyBallot, AssemblyBallotPool, AssemblyParticipation
from nc_coop.register.rules import RuleViolation
from nc_coop.register.services import Actor
from tests.assembly.conftest import BOARD, HELD_ON

VOTERS = 8


def open_assembly(session: Session, secret: bool = True) -> tuple[int, int]:
    assembly = services.create_assembly(session, BOARD, title="GV", form="virtual", held_on=HELD_ON,
                                        link="https://talk.example.org/gv")
    item = services.add_item(session, BOARD, assembly_id=assembly.id, title="Satzungsänderung",
                             resolution_type="simple", secret=secret)
    services.convene(session, BOARD, assembly_id=assembly.id, convened_on=date(2026, 6, 1))
    services.open_voting(session, BOARD, assembly_id=assembly.id)
    session.commit()
    return assembly.id, item.id


def physical_order(session: Session) -> list[str]:
    """Ballot ids in the order the database stores them (what a dump or a scan shows)."""
    if session.connection().dialect.name == "postgresql":
        return list(session.scalars(text("SELECT id FROM assembly_ballot ORDER BY ctid")))
    # receipt_hash is in no index: SQLite scans the table itself (its B-tree, in key order).
    return list(session.scalars(text("SELECT id, receipt_hash FROM assembly_ballot")))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(attempts=st.lists(st.tuples(st.integers(0, VOTERS - 1), st.sampled_from(["yes", "no", "abstain"])),
                         min_size=1, max_size=20))
def test_property_a_secret_ballot_cannot_be_tied_to_its_voter_and_nobody_votes_twice(
        session: Session, member: Callable[..., int], attempts: list[tuple[int, str]]) -> None:
    if not hasattr(session, "_voters"):
        session._voters = [member(f"v{i}") for i in range(VOTERS)]  # type: ignore[attr-defined]
    voters: list[int] = session._voters  # type: ignore[attr-defined]
    session.execute(text("DELETE FROM assembly_ballot_pool"))  # nothing left from an earlier example
    session.commit()
    assembly_id, item_id = open_assembly(session)
    accepted: dict[int, str] = {}
    for voter, choice in attempts:
        try:
            services.cast(session, Actor(f"v{voter}"), assembly_id=assembly_id, membership_id=voters[voter],
                          choices={item_id: choice}, today=HELD_ON)
            session.commit()
            accepted[voter] = choice
        except RuleViolation as refused:
            session.rollback()
            assert voter in accepted and "already" in refused.reason  # only a second vote is refused
    assert accepted.keys() == {v for v, _ in attempts}
    services.close_voting(session, BOARD, assembly_id=assembly_id, today=HELD_ON)
    session.commit()

    ballots = session.execute(select(AssemblyBallot).where(AssemblyBallot.item_id == item_id)).scalars().all()
    assert Counter(b.choice for b in ballots) == Counter(accepted.values())
    # Nothing in a ballot row names or dates the voter ...
    columns = {c["name"] for c in inspect(session.connection()).get_columns("assembly_ballot")}
    assert columns == {"id", "item_id", "choice", "investing", "receipt_hash"}
    participations = session.execute(select(AssemblyParticipation).where(AssemblyParticipation.item_id == item_id)
                                     ).scalars().all()
    assert {p.choice for p in participations} == {None}  # secret: the choice is not with the voter
    values = {str(v) for p in participations for v in (p.voter_id, p.voted_on)}
    assert not values & {str(v) for b in ballots for v in (b.id, b.receipt_hash, b.choice)}
    # ... and the order the rows are stored in is the order of their random ids, not of casting.
    ours = {b.id for b in ballots}
    assert [i for i in physical_order(session) if i in ours] == sorted(ours)
    if session.connection().dialect.name == "postgresql":
        # One transaction wrote them all: the transaction id pairs no ballot with its participation.
        xmins = set(session.scalars(text("SELECT xmin::text FROM assembly_ballot WHERE item_id = :i"), {"i": item_id}))
        assert len(xmins) == 1
        assert not xmins & set(session.scalars(text("SELECT xmin::text FROM assembly_participation "
                                                    "WHERE item_id = :i"), {"i": item_id}))
    else:
        try:  # WITHOUT ROWID: no hidden insertion counter
            session.execute(text("SELECT rowid FROM assembly_ballot"))
            raise AssertionError("assembly_ballot has a rowid")
        except DatabaseError:
            session.rollback()
    assert session.scalar(select(func.count()).select_from(AssemblyBallotPool)
                          .where(AssemblyBallotPool.item_id == item_id)) == 0


def run_together(engine: Engine, jobs: list[Callable[[Session], object]]) -> tuple[int, list[RuleViolation]]:
    barrier = threading.Barrier(len(jobs))
    refusals: list[RuleViolation] = []
    errors: list[BaseException] = []
    done = [0]
    lock = threading.Lock()

    def work(job: Callable[[Session], object]) -> None:
        with Session(engine) as session:
            try:
                barrier.wait(timeout=30)
                job(session)
                session.commit()
                with lock:
                    done[0] += 1
            except RuleViolation as refusal:
                session.rollback()
                refusals.append(refusal)
            except BaseException as error:  # noqa: BLE001 - reported below, not lost in the thread
                session.rollback()
                errors.append(error)

    threads = [threading.Thread(target=work, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a voting thread hangs"
    assert not errors, errors[:3]
    return done[0], refusals


def test_twenty_parallel_submissions_of_one_voter_count_once(engine: Engine, session: Session,
                                                             member: Callable[..., int]) -> None:
    alice = member("alice")
    others = [member(f"o{i}") for i in range(20)]
    assembly_id, item_id = open_assembly(session)
    booked, refusals = run_together(engine, [
        lambda s, i=i: services.cast(s, Actor("alice"), assembly_id=assembly_id, membership_id=alice,
                                     choices={item_id: ["yes", "no"][i % 2]}, today=HELD_ON) for i in range(20)])
    assert booked == 1 and len(refusals) == 19 and all("already" in r.reason for r in refusals)
    # Twenty different voters at once: every vote is kept.
    booked, refusals = run_together(engine, [
        lambda s, m=m, i=i: services.cast(s, Actor(f"o{i}"), assembly_id=assembly_id, membership_id=m,
                                          choices={item_id: "yes"}, today=HELD_ON) for i, m in enumerate(others)])
    assert (booked, refusals) == (20, [])
    session.rollback()
    assert session.scalar(select(func.count()).select_from(AssemblyParticipation)) == 21
    assert session.scalar(select(func.count()).select_from(AssemblyBallotPool)) == 21

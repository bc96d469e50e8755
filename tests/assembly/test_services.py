# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The assembly's services on SQLite and PostgreSQL: convening, proxies, the frozen roll, votes
inside and outside the window, room counts, the tally, receipts and the audit chain."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from nc_coop.assembly import services
from nc_coop.assembly.models import (
    Assembly,
    AssemblyBallot,
    AssemblyBallotPool,
    AssemblyInvitation,
    AssemblyParticipation,
    AssemblyVoter,
)
from nc_coop.assembly.rules import Capacity, ResolutionType
from nc_coop.audit.chain import verify
from nc_coop.audit.models import AuditEvent
from nc_coop.register.rules import RuleViolation
from nc_coop.register.services import Actor, record_death, record_exclusion
from tests.assembly.conftest import BOARD, HELD_ON

VOTING_DAY = HELD_ON


def as_user(user: str) -> Actor:
    return Actor(user, "test-request")


def virtual_assembly(session: Session, **kwargs: object) -> Assembly:
    assembly = services.create_assembly(session, BOARD, title="Ordentliche GV 2026", form=kwargs.pop("form", "virtual"),
                                        held_on=HELD_ON, link="https://talk.example.org/gv", **kwargs)
    services.add_item(session, BOARD, assembly_id=assembly.id, title="Entlastung des Vorstands",
                      resolution_type="simple")
    services.add_item(session, BOARD, assembly_id=assembly.id, title="Satzungsänderung §5", resolution_type="statute_change",
                      secret=True)
    services.add_item(session, BOARD, assembly_id=assembly.id, title="Wahl des Aufsichtsrats", resolution_type="election",
                      secret=True, seats=2, candidates=["Anna", "Bert", "Cem"])
    session.commit()
    return assembly


def item_ids(session: Session, assembly_id: int) -> list[int]:
    from nc_coop.assembly.models import AssemblyItem  # noqa: PLC0415
    return list(session.scalars(select(AssemblyItem.id).where(AssemblyItem.assembly_id == assembly_id)
                                .order_by(AssemblyItem.position)))


def test_a_whole_assembly_from_draft_to_minutes(session: Session, member: Callable[..., int]) -> None:
    alice, bob, carl = member("alice"), member("bob", shares=25), member("carl")  # bob: 2 votes (25 shares / 10)
    dora, eva = member("dora"), member("eva", membership="investing")
    assembly = virtual_assembly(session)
    simple, change, election = item_ids(session, assembly.id)

    with pytest.raises(RuleViolation, match="invitation is late"):
        services.convene(session, BOARD, assembly_id=assembly.id, convened_on=date(2026, 6, 10))
    session.rollback()
    convened = services.convene(session, BOARD, assembly_id=assembly.id, convened_on=date(2026, 6, 1))
    assert convened.invited == 5 and convened.warnings == ()
    session.commit()
    assert session.scalar(select(func.count()).select_from(AssemblyInvitation)) == 5

    proxy = services.grant_proxy(session, BOARD, assembly_id=assembly.id, principal_membership_id=dora,
                                 proxy_membership_id=carl, textform_reference="E-Mail 2026-06-02")
    session.commit()
    with pytest.raises(RuleViolation) as refused:  # a member has one proxy at a time
        services.grant_proxy(session, BOARD, assembly_id=assembly.id, principal_membership_id=dora,
                             proxy_membership_id=alice, textform_reference="mail")
    assert refused.value.field == "principal_membership_id"
    session.rollback()

    roll = services.open_voting(session, BOARD, assembly_id=assembly.id)
    session.commit()
    assert roll.total_votes == 6
    voters = {v.membership_id: v for v in session.scalars(select(AssemblyVoter))}
    assert voters[dora].capacity == Capacity.PROXY.value and voters[dora].proxy_membership_id == carl
    assert voters[bob].votes == 2 and voters[eva].investing

    # The roll is frozen: proxies, revocations and items are refused, and the rows cannot change.
    for attempt in (lambda: services.revoke_proxy(session, BOARD, proxy_id=proxy.id),
                    lambda: services.grant_proxy(session, BOARD, assembly_id=assembly.id, principal_membership_id=bob,
                                                 proxy_membership_id=alice, textform_reference="mail"),
                    lambda: services.add_item(session, BOARD, assembly_id=assembly.id, title="Sonstiges",
                                              resolution_type="simple", announced_on=VOTING_DAY),
                    lambda: services.open_voting(session, BOARD, assembly_id=assembly.id)):
        with pytest.raises(RuleViolation):
            attempt()
        session.rollback()
    with pytest.raises(DatabaseError, match="append-only"):
        session.execute(text("UPDATE assembly_voter SET votes = 3"))
    session.rollback()

    alice_receipt = services.cast(session, as_user("alice"), assembly_id=assembly.id, membership_id=alice,
                                  choices={simple: "yes", change: "yes", election: [0, 1]}, today=VOTING_DAY)
    bob_receipt = services.cast(session, as_user("bob"), assembly_id=assembly.id, membership_id=bob,
                                choices={simple: "no", change: "yes", election: [0]}, today=VOTING_DAY)
    # The proxy votes for each principal separately, and differently if so instructed.
    services.cast(session, as_user("carl"), assembly_id=assembly.id, membership_id=carl,
                  choices={simple: "yes", change: "no", election: [2]}, today=VOTING_DAY)
    services.cast(session, as_user("carl"), assembly_id=assembly.id, membership_id=dora,
                  choices={simple: "abstain", change: "yes"}, today=VOTING_DAY)
    services.cast(session, as_user("eva"), assembly_id=assembly.id, membership_id=eva,
                  choices={simple: "no", change: "no", election: "abstain"}, today=VOTING_DAY)
    session.commit()
    for user, membership, field in (("dora", dora, "membership_id"),  # her proxy votes for her
                                    ("alice", bob, "membership_id"),  # not hers to cast
                                    ("alice", alice, f"choices.{simple}")):  # once only
        with pytest.raises(RuleViolation) as refused:
            services.cast(session, as_user(user), assembly_id=assembly.id, membership_id=membership,
                          choices={simple: "yes"}, today=VOTING_DAY)
        assert refused.value.field == field
        session.rollback()
    with pytest.raises(RuleViolation, match="results exist only after"):
        services.tally(session, assembly.id)
    assert session.scalar(select(func.count()).select_from(AssemblyBallot)) == 0  # sealed until close

    assert services.close_voting(session, BOARD, assembly_id=assembly.id, today=VOTING_DAY) == 6 + 5 + 5  # one-vote rows
    session.commit()
    assert session.scalar(select(func.count()).select_from(AssemblyBallotPool)) == 0
    with pytest.raises(RuleViolation, match="voting is not open"):
        services.cast(session, as_user("dora"), assembly_id=assembly.id, membership_id=carl,
                      choices={simple: "yes"}, today=VOTING_DAY)
    session.rollback()

    results = {r.item_id: r for r in services.tally(session, assembly.id)}
    s = results[simple]
    # yes: alice 1 + carl 1; no: bob 2 (Mehrstimmrecht) + eva 1 (investing, capped); abstain: dora.
    assert (s.count.yes, s.count.no, s.count.abstain, s.count.investing_no) == (2, 2, 1, 1)
    assert s.decision.no == 2 + s.decision.investing_factor and not s.decision.passed
    assert s.participants == 5 and s.entitled == 5
    c = results[change]
    assert (c.count.yes, c.count.no, c.count.investing_no) == (3, 1, 1)  # bob: one vote only (§43 Abs. 3)
    assert c.decision.passed is False  # 3 of 5 counted votes < 3/4
    e = results[election]
    assert e.election.votes == (3, 1, 1) and e.election.elected == (0,) and e.election.tie == (1, 2)

    # Receipts: each voter finds their ballots among the published hashes; a wrong code finds nothing.
    assert services.verify_receipt(session, simple, alice_receipt.code)
    assert services.verify_receipt(session, simple, bob_receipt.code, votes=2)
    assert services.verify_receipt(session, change, bob_receipt.code, votes=1)
    assert not services.verify_receipt(session, simple, "not-a-code")
    assert len(services.published_receipts(session, simple)) == 6

    attendees = {a.member_no: a for a in services.attendance_list(session, assembly.id)}
    assert len(attendees) == 5 and attendees[voters[dora].member_no].proxy_member_no == voters[carl].member_no
    services.publish_minutes(session, BOARD, assembly_id=assembly.id, minutes_document="Protokoll GV 2026.pdf")
    session.commit()
    assert verify(session).ok
    actions = set(session.scalars(select(AuditEvent.action).where(AuditEvent.entity == "assembly")))
    assert {"assembly.draft", "assembly.convened", "assembly.proxy_grant", "assembly.voting_open", "assembly.vote",
            "assembly.closed", "assembly.minutes_published"} <= actions


def test_votes_before_opening_and_outside_the_voting_phase_are_refused(session: Session,
                                                                       member: Callable[..., int]) -> None:
    alice = member("alice")
    assembly = virtual_assembly(session, form="staggered", voting_from=date(2026, 6, 22),
                                voting_until=date(2026, 6, 28))
    simple = item_ids(session, assembly.id)[0]
    services.convene(session, BOARD, assembly_id=assembly.id, convened_on=date(2026, 6, 1))
    session.commit()

    def vote(day: date) -> None:
        services.cast(session, as_user("alice"), assembly_id=assembly.id, membership_id=alice,
                      choices={simple: "yes"}, today=day)

    with pytest.raises(RuleViolation, match="voting is not open"):
        vote(date(2026, 6, 23))
    session.rollback()
    with pytest.raises(RuleViolation, match="discussion phase"):  # gestreckt: discussion before voting
        services.open_voting(session, BOARD, assembly_id=assembly.id)
    session.rollback()
    services.start_discussion(session, BOARD, assembly_id=assembly.id)
    services.open_voting(session, BOARD, assembly_id=assembly.id)
    session.commit()
    for day, message in ((date(2026, 6, 21), "voting opens on"), (date(2026, 6, 29), "voting ended on")):
        with pytest.raises(RuleViolation, match=message):
            vote(day)
        session.rollback()
    with pytest.raises(RuleViolation, match="runs until"):
        services.close_voting(session, BOARD, assembly_id=assembly.id, today=date(2026, 6, 28))
    session.rollback()
    vote(date(2026, 6, 28))
    session.commit()
    assert session.scalar(select(func.count()).select_from(AssemblyParticipation)) == 1


def test_the_roll_follows_the_register_as_of_the_assembly_date(session: Session, member: Callable[..., int]) -> None:
    regular, excluded, late, heirs = member("anna"), member("bert"), member("cem", on=date(2026, 6, 21)), member(None)
    org = member("verein", kind="association", shares=2)
    record_exclusion(session, BOARD, membership_id=excluded, decided_on=date(2026, 5, 10),
                     dispatched_on=date(2026, 5, 12))
    record_death(session, BOARD, membership_id=heirs, died_on=date(2026, 3, 15))
    session.commit()
    from nc_coop.register.models import Membership  # noqa: PLC0415
    from nc_coop.register.representatives import appoint_representative  # noqa: PLC0415
    appoint_representative(session, "office", organisation_party_id=session.get(Membership, org).party_id,
                           role="board_member", effective_date=date(2025, 1, 1), given_names="Vera",
                           family_name="Vorstand", nextcloud_user="vera")
    session.commit()
    assembly = virtual_assembly(session)
    with pytest.raises(RuleViolation, match="§77"):
        services.name_heirs_representative(session, BOARD, assembly_id=assembly.id, membership_id=regular,
                                           nextcloud_user="x", basis_document="Erbschein")
    session.rollback()
    services.name_heirs_representative(session, BOARD, assembly_id=assembly.id, membership_id=heirs,
                                       nextcloud_user="heir", basis_document="Erbschein AG Berlin 12/26")
    services.convene(session, BOARD, assembly_id=assembly.id, convened_on=date(2026, 6, 1))
    roll = services.open_voting(session, BOARD, assembly_id=assembly.id)
    session.commit()
    by_member = {e.membership_id: e for e in roll.entries}
    assert set(by_member) == {regular, heirs, org}  # not the excluded (§68), not the one admitted later
    assert by_member[heirs].capacity is Capacity.HEIRS and by_member[heirs].logins == ("heir",)
    assert by_member[org].capacity is Capacity.REPRESENTATIVE and by_member[org].logins == ("vera",)
    assert [r.membership_id for r in roll.left_out] == [excluded]
    assert late not in by_member
    services.cast(session, as_user("vera"), assembly_id=assembly.id, membership_id=org,
                  choices={item_ids(session, assembly.id)[0]: "yes"}, today=VOTING_DAY)
    session.commit()


def test_room_counts_and_attendance_in_a_hybrid_assembly(session: Session, member: Callable[..., int]) -> None:
    online, present, absent = member("olga"), member("paul", shares=30), member("rita")
    assembly = services.create_assembly(session, BOARD, title="GV", form="hybrid", held_on=HELD_ON,
                                        place="Gemeindesaal", link="https://talk.example.org/gv")
    simple = services.add_item(session, BOARD, assembly_id=assembly.id, title="Entlastung",
                               resolution_type="simple").id
    services.convene(session, BOARD, assembly_id=assembly.id, convened_on=date(2026, 6, 1))
    services.open_voting(session, BOARD, assembly_id=assembly.id)
    services.cast(session, as_user("olga"), assembly_id=assembly.id, membership_id=online, choices={simple: "no"},
                  today=VOTING_DAY)
    session.commit()
    with pytest.raises(RuleViolation, match="voted online"):  # no vote counted twice
        services.record_attendance(session, BOARD, assembly_id=assembly.id, membership_id=online, today=VOTING_DAY)
    session.rollback()
    services.record_attendance(session, BOARD, assembly_id=assembly.id, membership_id=present, today=VOTING_DAY)
    session.commit()
    with pytest.raises(RuleViolation, match="present in the room"):
        services.cast(session, as_user("paul"), assembly_id=assembly.id, membership_id=present,
                      choices={simple: "yes"}, today=VOTING_DAY)
    session.rollback()
    with pytest.raises(RuleViolation, match="more votes than the 3"):  # paul holds 3 votes
        services.enter_room_count(session, BOARD, item_id=simple, yes=4, participants=1)
    session.rollback()
    with pytest.raises(RuleViolation) as refused:
        services.enter_room_count(session, BOARD, item_id=simple, yes=-1, participants=1)
    assert refused.value.field == "yes"
    session.rollback()
    services.enter_room_count(session, BOARD, item_id=simple, yes=3, participants=1)
    session.commit()
    with pytest.raises(RuleViolation, match="entered already"):
        services.enter_room_count(session, BOARD, item_id=simple, yes=3, participants=1)
    session.rollback()
    services.close_voting(session, BOARD, assembly_id=assembly.id, today=VOTING_DAY)
    session.commit()
    [result] = services.tally(session, assembly.id)
    assert (result.count.yes, result.count.no, result.participants, result.entitled) == (3, 1, 2, 3)
    assert result.decision.passed
    attendees = services.attendance_list(session, assembly.id)
    assert [(a.in_room, a.voted_online) for a in attendees] == [(False, True), (True, False)]
    assert absent not in {a.member_no for a in attendees}


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"title": " "}, "title"),
    ({"form": "zoom"}, "form"),
    ({"form": "presence", "place": None}, "place"),
    ({"form": "virtual", "link": None}, "link"),
    ({"form": "staggered"}, "voting_from"),
    ({"form": "virtual", "voting_from": date(2026, 6, 25), "voting_until": date(2026, 6, 24)}, "voting_until"),
    ({"form": "virtual", "held_on": date(2018, 1, 1)}, "held_on"),  # no statute in force
])
def test_bad_input_names_the_field_and_writes_nothing(session: Session, engine: Engine, kwargs: dict[str, object],
                                                      field: str) -> None:
    args: dict[str, object] = {"title": "GV", "form": "virtual", "held_on": HELD_ON, "place": "Saal",
                               "link": "https://talk.example.org", **kwargs}
    before = session.scalar(select(func.count()).select_from(AuditEvent))
    with pytest.raises(RuleViolation) as refused:
        services.create_assembly(session, BOARD, **args)  # type: ignore[arg-type]
    session.rollback()
    assert refused.value.field == field
    assert session.scalar(select(func.count()).select_from(Assembly)) == 0
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_items_and_agenda_requests(session: Session, member: Callable[..., int]) -> None:
    for i in range(12):
        member(f"m{i}")
    assembly = virtual_assembly(session)
    services.convene(session, BOARD, assembly_id=assembly.id, convened_on=date(2026, 6, 1))
    session.commit()
    with pytest.raises(RuleViolation) as refused:  # §45: a tenth of 12, rounded up, is 2
        services.add_item(session, BOARD, assembly_id=assembly.id, title="Antrag", resolution_type="simple",
                          announced_on=date(2026, 6, 5), supporters=1)
    assert refused.value.field == "supporters"
    session.rollback()
    services.add_item(session, BOARD, assembly_id=assembly.id, title="Antrag", resolution_type="simple",
                      announced_on=date(2026, 6, 5), supporters=2)
    late = services.add_item(session, BOARD, assembly_id=assembly.id, title="Spät", resolution_type="simple",
                             announced_on=date(2026, 6, 15))
    for kwargs, field in (({"resolution_type": "unanimous"}, "resolution_type"),
                          ({"resolution_type": "election", "seats": 0}, "seats"),
                          ({"resolution_type": "election", "seats": 1, "candidates": ["A", "A"]}, "candidates"),
                          ({"resolution_type": "simple", "candidates": ["A"]}, "candidates"),
                          ({"resolution_type": "simple"}, "announced_on")):
        with pytest.raises(RuleViolation) as refused:
            services.add_item(session, BOARD, assembly_id=assembly.id, title="X", **kwargs)
        assert refused.value.field == field
    services.open_voting(session, BOARD, assembly_id=assembly.id)
    session.commit()
    voter = session.scalars(select(AssemblyVoter)).first()
    with pytest.raises(RuleViolation, match="announced too late"):  # §46 Abs. 2
        services.cast(session, as_user("m0"), assembly_id=assembly.id, membership_id=voter.membership_id,
                      choices={late.id: "yes"}, today=VOTING_DAY)
    session.rollback()
    assert ResolutionType.SIMPLE.value == "simple"

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Members' demands for agenda items filed in the app (§45 GenG), on SQLite and PostgreSQL: the
pure rules (threshold, deadline), the services (once per membership, also with 20 at once;
withdrawal; the board adds or refuses, audited), and the pages and JSON API per role."""
from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from nc_coop.assembly import rules, services
from nc_coop.assembly.models import AssemblyAgendaDemand, AssemblyAgendaSupport, AssemblyItem
from nc_coop.audit.chain import verify
from nc_coop.audit.models import AuditEvent
from nc_coop.register.rules import RuleViolation
from nc_coop.register.services import Actor
from nc_coop.register.statute import StatuteParams
from tests.assembly.conftest import BOARD, HELD_ON, make_member
from tests.assembly.web_support import (  # noqa: F401  fixtures
    API,
    People,
    convened,
    get,
    people,
    standin,
)
from tests.requests.conftest import post, row_counts

PARAMS = StatuteParams(share_nominal_cents=10_000)


# --- Rules ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("entitled", "permille", "needed"), [
    (0, 100, 1), (1, 100, 1), (5, 100, 1), (10, 100, 1), (11, 100, 2), (100, 100, 10), (101, 100, 11),
    (1000, 50, 50), (1001, 50, 51), (7, 1, 1)])
def test_supporters_needed_is_the_tenth_or_the_statutes_share_rounded_up(entitled: int, permille: int,
                                                                          needed: int) -> None:
    params = StatuteParams(share_nominal_cents=10_000, agenda_request_permille=permille)
    assert rules.supporters_needed(entitled, params) == needed
    assert rules.demand_reached(needed, entitled, params)
    assert not rules.demand_reached(needed - 1, entitled, params)


@pytest.mark.parametrize(("days", "delivery", "deadline"), [
    (7, 0, date(2026, 6, 13)), (10, 0, date(2026, 6, 10)), (7, 3, date(2026, 6, 10))])
def test_the_demand_deadline_is_the_agenda_deadline(days: int, delivery: int, deadline: date) -> None:
    params = StatuteParams(share_nominal_cents=10_000, agenda_days_before=days, convening_delivery_days=delivery)
    assert rules.demand_deadline(date(2026, 6, 20), params) == deadline
    rules.check_demand_open(deadline, date(2026, 6, 20), params)  # the day itself counts
    with pytest.raises(RuleViolation) as refused:
        rules.check_demand_open(deadline + timedelta(days=1), date(2026, 6, 20), params)
    assert refused.value.field == "agenda_deadline" and deadline.isoformat() in str(refused.value.reason)


# --- Services ------------------------------------------------------------------------------------

def _convened(session: Session, member: Callable[..., int], count: int = 12) -> tuple[int, list[int]]:
    """A virtual assembly on HELD_ON convened on 1 June with ``count`` members (needed: 2 of 12)."""
    ids = [member(f"m{n}") for n in range(count)]
    assembly = services.create_assembly(session, BOARD, title="GV", form="virtual", held_on=HELD_ON,
                                        link="https://talk.example.org/gv")
    services.add_item(session, BOARD, assembly_id=assembly.id, title="Entlastung", resolution_type="simple")
    services.convene(session, BOARD, assembly_id=assembly.id, convened_on=date(2026, 6, 1))
    session.commit()
    return assembly.id, ids


DAY = date(2026, 6, 5)
DEADLINE = date(2026, 6, 13)


def test_file_support_withdraw_and_add(session: Session, member: Callable[..., int]) -> None:
    aid, ids = _convened(session, member)
    demand = services.file_demand(session, Actor("m0", "t"), assembly_id=aid, membership_id=ids[0],
                                  title="Satzung §12", reasoning="Veraltet.", today=DAY)
    session.commit()
    assert services.supporters_of(session, demand.id) == 1  # the filer supports it
    with pytest.raises(RuleViolation) as early:
        services.put_demand_on_agenda(session, BOARD, demand_id=demand.id, resolution_type="simple", today=DAY)
    assert early.value.field == "supporters"
    session.rollback()
    assert services.support_demand(session, Actor("m1", "t"), demand_id=demand.id, membership_id=ids[1],
                                   today=DEADLINE) == 2
    assert services.withdraw_support(session, Actor("m1", "t"), demand_id=demand.id, membership_id=ids[1],
                                     today=DEADLINE) == 1
    assert services.support_demand(session, Actor("m1", "t"), demand_id=demand.id, membership_id=ids[1],
                                   today=DAY) == 2  # supported again after a withdrawal
    item = services.put_demand_on_agenda(session, BOARD, demand_id=demand.id, resolution_type="simple", today=DAY)
    session.commit()
    assert item.requested_by_members and item.announced_on == DAY and item.title == "Satzung §12"
    row = session.get(AssemblyAgendaDemand, demand.id)
    assert (row.status, row.item_id) == ("added", item.id)
    added = session.scalars(select(AuditEvent).where(AuditEvent.action == "assembly.item_add")).all()[-1]
    assert json.loads(added.diff)["supporters"] == 2
    actions = [e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.action.like("assembly.demand%"))
                                                 .order_by(AuditEvent.id))]
    assert actions == ["assembly.demand_file", "assembly.demand_support", "assembly.demand_withdraw",
                       "assembly.demand_support", "assembly.demand_add"]
    with pytest.raises(RuleViolation) as decided:  # decided: no more support
        services.support_demand(session, Actor("m2", "t"), demand_id=demand.id, membership_id=ids[2], today=DAY)
    assert decided.value.field == "demand_id"
    session.rollback()
    assert verify(session).ok


def test_refusals_name_the_field_and_write_nothing(session: Session, member: Callable[..., int]) -> None:
    aid, ids = _convened(session, member)
    outsider = member("late", on=date(2026, 6, 3))  # admitted after the convening date: not entitled
    demand = services.file_demand(session, Actor("m0", "t"), assembly_id=aid, membership_id=ids[0],
                                  title="Satzung §12", reasoning="Veraltet.", today=DAY)
    session.commit()
    before = (session.scalar(select(func.count()).select_from(AssemblyAgendaDemand)),
              session.scalar(select(func.count()).select_from(AssemblyAgendaSupport)),
              session.scalar(select(func.count()).select_from(AuditEvent)))
    late = DEADLINE + timedelta(days=1)
    cases: list[tuple[Callable[[], object], str]] = [
        (lambda: services.file_demand(session, Actor("m1", "t"), assembly_id=aid, membership_id=ids[1],
                                      title="X", reasoning="Y", today=late), "agenda_deadline"),
        (lambda: services.support_demand(session, Actor("m1", "t"), demand_id=demand.id, membership_id=ids[1],
                                         today=late), "agenda_deadline"),
        (lambda: services.withdraw_support(session, Actor("m0", "t"), demand_id=demand.id, membership_id=ids[0],
                                           today=late), "agenda_deadline"),
        (lambda: services.file_demand(session, Actor("m1", "t"), assembly_id=aid, membership_id=ids[1],
                                      title=" ", reasoning="Y", today=DAY), "title"),
        (lambda: services.file_demand(session, Actor("m1", "t"), assembly_id=aid, membership_id=ids[1],
                                      title="X", reasoning="", today=DAY), "reasoning"),
        (lambda: services.support_demand(session, Actor("late", "t"), demand_id=demand.id, membership_id=outsider,
                                         today=DAY), "membership_id"),
        (lambda: services.support_demand(session, Actor("m0", "t"), demand_id=demand.id, membership_id=ids[0],
                                         today=DAY), "membership_id"),  # supports it already
        (lambda: services.withdraw_support(session, Actor("m1", "t"), demand_id=demand.id, membership_id=ids[1],
                                           today=DAY), "membership_id"),  # never supported
        (lambda: services.refuse_demand(session, BOARD, demand_id=demand.id, reason=" "), "reason"),
    ]
    for run, field in cases:
        with pytest.raises(RuleViolation) as refused:
            run()
        assert refused.value.field == field
        session.rollback()
    after = (session.scalar(select(func.count()).select_from(AssemblyAgendaDemand)),
             session.scalar(select(func.count()).select_from(AssemblyAgendaSupport)),
             session.scalar(select(func.count()).select_from(AuditEvent)))
    assert after == before
    services.refuse_demand(session, BOARD, demand_id=demand.id, reason="Keine Sache der GV.")
    session.commit()
    refused_event = session.scalars(select(AuditEvent).where(AuditEvent.action == "assembly.demand_refuse")).one()
    assert json.loads(refused_event.diff)["reason"] == "Keine Sache der GV."


def test_twenty_supports_at_once_by_one_membership_count_once(engine: Engine, session: Session,
                                                              member: Callable[..., int]) -> None:
    aid, ids = _convened(session, member)
    demand_id = services.file_demand(session, Actor("m0", "t"), assembly_id=aid, membership_id=ids[0],
                                     title="Satzung §12", reasoning="Veraltet.", today=DAY).id
    session.commit()
    session.close()
    start = threading.Barrier(20)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def call() -> None:
        try:
            with Session(engine) as own:
                start.wait()
                try:
                    services.support_demand(own, Actor("m1", "t"), demand_id=demand_id, membership_id=ids[1],
                                            today=DAY)
                    own.commit()
                    outcomes.append("ok")
                except RuleViolation as exc:
                    own.rollback()
                    outcomes.append(exc.field)
        except BaseException as exc:  # noqa: BLE001  reported below
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert sorted(outcomes) == ["membership_id"] * 19 + ["ok"]
    with Session(engine) as fresh:
        assert services.supporters_of(fresh, demand_id) == 2
        assert fresh.scalar(select(func.count()).select_from(AuditEvent)
                            .where(AuditEvent.action == "assembly.demand_support")) == 1


# --- Pages and API -------------------------------------------------------------------------------

@pytest.fixture
def more_members(engine: Engine, people: People) -> People:  # noqa: F811
    """Six members without a login: 11 invited, so a demand needs 2 supporters (§45 GenG)."""
    with Session(engine) as s:
        for _ in range(6):
            make_member(s, None)
        s.commit()
    return people


def test_members_file_and_support_the_board_adds(app: Flask, client: FlaskClient, engine: Engine,
                                                 more_members: People) -> None:
    people = more_members
    aid = convened(app, client, people)["assembly"]["id"]
    base = f"/api/v1/assemblies/{aid}/demands"
    filed = post(app, client, base, "rita", json={"membership_id": people.ids["tsv"], "title": "Satzung §12",
                                                  "reasoning": "Die Beitragsordnung ist veraltet."})
    assert filed.status_code == 201, filed.get_json()
    demand = filed.get_json()
    assert (demand["supporters"], demand["needed"], demand["reached"]) == (1, 2, False)
    assert demand["supported_by_me"] == [people.ids["tsv"]]
    did = demand["id"]
    page = get(client, f"/admin/assemblies/{aid}", "bea").get_data(as_text=True)
    assert "Satzung §12" in page and f'id="add-demand-{did}"' not in page  # not enough yet
    # The page: bob supports with one click.
    detail = get(client, f"/assemblies/{aid}", "bob").get_data(as_text=True)
    assert f'action="{aid}/demands/{did}/support"' in detail and "1 of 2 supporters needed" in detail
    supported = post(app, client, f"/assemblies/{aid}/demands/{did}/support", "bob",
                     data={"membership_id": str(people.ids["bob"])})
    assert supported.status_code == 200 and "done=supported" in supported.get_data(as_text=True)
    again = post(app, client, f"{base}/{did}/support", "bob", json={"membership_id": people.ids["bob"]})
    assert again.status_code == 422 and "membership_id" in again.get_json()["errors"]
    listed = get(client, base, "alice").get_json()["demands"]
    assert [(d["supporters"], d["reached"], d["supported_by_me"]) for d in listed] == [(2, True, [])]
    page = get(client, f"/admin/assemblies/{aid}", "bea", language="de").get_data(as_text=True)
    assert f'id="add-demand-{did}"' in page
    added = post(app, client, f"/admin/assemblies/{aid}/demands/{did}/add", "bea",
                 data={"resolution_type": "simple"})
    assert added.status_code == 200 and "done=demand_added" in added.get_data(as_text=True)
    board = get(client, f"{API}/{aid}", "bea").get_json()
    (item,) = [i for i in board["items"] if i["title"] == "Satzung §12"]
    assert item["requested_by_members"] and board["demands"][0]["item_id"] == item["id"]
    assert board["demands"][0]["status"] == "added"
    with Session(engine) as s:
        assert s.scalar(select(AssemblyItem.requested_by_members).where(AssemblyItem.id == item["id"]))


def test_board_refuses_with_a_reason_members_see(app: Flask, client: FlaskClient, more_members: People) -> None:
    people = more_members
    aid = convened(app, client, people)["assembly"]["id"]
    did = post(app, client, f"/api/v1/assemblies/{aid}/demands", "alice",
               json={"membership_id": people.ids["alice"], "title": "Neues Logo",
                     "reasoning": "Schöner."}).get_json()["id"]
    empty = post(app, client, f"/admin/assemblies/{aid}/demands/{did}/refuse", "bea", data={"reason": ""})
    assert empty.status_code == 422 and 'id="e-demand-' in empty.get_data(as_text=True)
    refused = post(app, client, f"{API}/{aid}/demands/{did}/refuse", "bea",
                   json={"reason": "Sache des Vorstands (§27 GenG)."})
    assert refused.status_code == 200, refused.get_json()
    page = get(client, f"/assemblies/{aid}", "bob").get_data(as_text=True)
    assert "The board refused the demand: Sache des Vorstands (§27 GenG)." in page
    assert f"/demands/{did}/support" not in page
    late = post(app, client, f"/api/v1/assemblies/{aid}/demands/{did}/support", "bob",
                json={"membership_id": people.ids["bob"]})
    assert late.status_code == 422 and "demand_id" in late.get_json()["errors"]


def test_after_the_deadline_filing_and_supporting_are_refused(app: Flask, client: FlaskClient, engine: Engine,
                                                             people: People,  # noqa: F811
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    aid = convened(app, client, people)["assembly"]["id"]
    base = f"/api/v1/assemblies/{aid}/demands"
    did = post(app, client, base, "alice", json={"membership_id": people.ids["alice"], "title": "A",
                                                 "reasoning": "B"}).get_json()["id"]
    from nc_coop.assembly import views  # noqa: PLC0415

    held_on = date.fromisoformat(get(client, f"/api/v1/assemblies/{aid}", "alice").get_json()["assembly"]["held_on"])
    monkeypatch.setattr(views, "today", lambda: held_on - timedelta(days=6))  # deadline: 7 days before
    before = row_counts(engine)
    filed = post(app, client, base, "bob", json={"membership_id": people.ids["bob"], "title": "C", "reasoning": "D"})
    assert filed.status_code == 422
    (message,) = filed.get_json()["errors"]["agenda_deadline"]
    assert "closed on" in message and "§45" in message
    supported = post(app, client, f"{base}/{did}/support", "bob", json={"membership_id": people.ids["bob"]})
    assert supported.status_code == 422 and "agenda_deadline" in supported.get_json()["errors"]
    page = post(app, client, f"/assemblies/{aid}/demands", "bob",
                data={"membership_id": str(people.ids["bob"]), "title": "C", "reasoning": "D"})
    assert page.status_code == 422 and 'id="e-demand-deadline"' in page.get_data(as_text=True)
    assert row_counts(engine) == before


def test_who_may_file_and_support(app: Flask, client: FlaskClient, people: People) -> None:  # noqa: F811
    aid = convened(app, client, people)["assembly"]["id"]
    base = f"/api/v1/assemblies/{aid}/demands"
    body = {"title": "A", "reasoning": "B"}
    did = post(app, client, base, "alice", json={**body, "membership_id": people.ids["alice"]}).get_json()["id"]
    for user in ("zoe", "fred", "bea"):  # non-member, former member, board without membership
        assert get(client, base, user).status_code == 404, user
        assert post(app, client, base, user, json={**body, "membership_id": people.ids["alice"]}).status_code == 404
        assert post(app, client, f"{base}/{did}/support", user,
                    json={"membership_id": people.ids["bob"]}).status_code == 404, user
        assert post(app, client, f"/assemblies/{aid}/demands/{did}/support", user,
                    data={"membership_id": str(people.ids["bob"])}).status_code == 404, user
    assert post(app, client, f"{base}/{did}/support", "alice",  # not her membership
                json={"membership_id": people.ids["tsv"]}).status_code == 404
    assert post(app, client, f"{base}/{did + 1000}/support", "bob",
                json={"membership_id": people.ids["bob"]}).status_code == 404
    assert post(app, client, f"{base}/{did}/support", "rita", json={"membership_id": people.ids["tsv"]}).status_code == 200
    assert post(app, client, f"{base}/{did}/withdraw", "rita", json={"membership_id": people.ids["tsv"]}).status_code == 200
    for user in ("alice", "rita", "zoe", "fred"):  # the board's routes are the board's
        assert post(app, client, f"{API}/{aid}/demands/{did}/add", user, json={"resolution_type": "simple"}
                    ).status_code == 403, user
        assert post(app, client, f"{API}/{aid}/demands/{did}/refuse", user, json={"reason": "x"}).status_code == 403
    assert post(app, client, f"{API}/{aid}/demands/{did + 1000}/refuse", "bea", json={"reason": "x"}).status_code == 404
    bad = post(app, client, base, "alice", json={"membership_id": people.ids["alice"], "title": "", "reasoning": "B"})
    assert bad.status_code == 422 and "title" in bad.get_json()["errors"]
    german = get(client, f"/assemblies/{aid}", "alice", language="de").get_data(as_text=True)
    assert "Tagesordnungspunkt verlangen" in german and "1 von 1 nötigen Unterstützern" in german

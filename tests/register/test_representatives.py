# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Representatives of member organisations: the rules, the services, the desk and who may see what."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from nc_coop.audit.models import AuditEvent
from nc_coop.register.models import Account, Membership, Party, RepresentationEvent
from nc_coop.register.queries import visible_membership_ids
from nc_coop.register.representatives import (
    Appointment,
    Event,
    appoint_representative,
    appointments,
    check_appointment,
    check_end,
    end_representation,
    representatives_of,
)
from nc_coop.register.rules import RuleViolation
from nc_coop.web.csrf import csrf_token
from tests.conftest import appapi_headers

Member = Callable[..., int]
D = date


# --- Rules --------------------------------------------------------------------------------------

def test_appointments_pair_each_appointment_with_its_end() -> None:
    events = [Event(3, 7, "board_member", "end", D(2025, 6, 30)), Event(1, 7, "board_member", "appoint", D(2024, 1, 1)),
              Event(2, 8, "managing_director", "appoint", D(2024, 5, 1), account_id=4),
              Event(4, 7, "board_member", "appoint", D(2026, 1, 1))]
    assert appointments(events) == [
        Appointment(7, "board_member", D(2024, 1, 1), D(2025, 6, 30), None),
        Appointment(8, "managing_director", D(2024, 5, 1), None, 4),
        Appointment(7, "board_member", D(2026, 1, 1), None, None)]


@pytest.mark.parametrize(("organisation", "person", "role", "on", "field"), [
    ("natural", "natural", "board_member", D(2025, 1, 1), "membership_id"),  # a person has no representatives
    ("association", "legal_person", "board_member", D(2025, 1, 1), "person_party_id"),  # only persons represent
    ("association", "natural", "king", D(2025, 1, 1), "role"),
    ("association", "natural", "board_member", D(2024, 6, 1), "effective_date"),  # already holds the role
])
def test_appointments_that_make_no_sense_are_refused(organisation: str, person: str, role: str, on: date,
                                                     field: str) -> None:
    running = [Appointment(7, "board_member", D(2024, 1, 1), None, None)]
    with pytest.raises(RuleViolation) as refused:
        check_appointment(running, organisation, person, 7, role, on)
    assert refused.value.field == field


def test_a_second_term_after_the_first_ended_is_fine() -> None:
    ended = [Appointment(7, "board_member", D(2024, 1, 1), D(2024, 12, 31), None)]
    check_appointment(ended, "association", "natural", 7, "board_member", D(2025, 1, 1))
    with pytest.raises(RuleViolation):
        check_appointment(ended, "association", "natural", 7, "board_member", D(2024, 12, 31))


def test_only_a_running_appointment_ends_and_not_before_it_began() -> None:
    running = [Appointment(7, "board_member", D(2024, 1, 1), None, None)]
    assert check_end(running, 7, "board_member", D(2024, 1, 1)).since == D(2024, 1, 1)
    with pytest.raises(RuleViolation, match="before"):
        check_end(running, 7, "board_member", D(2023, 12, 31))
    with pytest.raises(RuleViolation, match="no running appointment"):
        check_end(running, 7, "managing_director", D(2024, 5, 1))


# --- Services and access ----------------------------------------------------------------------------

def _party(session: Session, membership_id: int) -> int:
    return session.get(Membership, membership_id).party_id


def test_a_representative_login_sees_the_organisation_only_while_appointed(session: Session,
                                                                          member: Member) -> None:
    org = member("TSV Musterstadt e.V.", kind="association", shares=2)
    today = date.today()
    appoint_representative(session, "office", organisation_party_id=_party(session, org), role="board_member",
                           effective_date=today - timedelta(days=30), given_names="Rita",
                           family_name="Vertreterin", nextcloud_user="rita")
    appoint_representative(session, "office", organisation_party_id=_party(session, org), role="managing_director",
                           effective_date=today + timedelta(days=1), family_name="Zukunft", nextcloud_user="zoe")
    session.commit()
    assert visible_membership_ids(session, "rita") == [org]
    assert visible_membership_ids(session, "zoe") == []  # not yet appointed
    [rita] = [r for r in representatives_of(session, _party(session, org)) if r.nextcloud_user == "rita"]
    end_representation(session, "office", organisation_party_id=_party(session, org),
                       person_party_id=rita.person_party_id, role="board_member", effective_date=today)
    session.commit()
    assert visible_membership_ids(session, "rita") == [org]  # the last day still counts
    end_representation(session, "office", organisation_party_id=_party(session, org),
                       person_party_id=session.scalar(select(Party.id).where(Party.family_name == "Zukunft")),
                       role="managing_director", effective_date=today + timedelta(days=1))
    session.commit()
    # An end dated yesterday for a third person: the login loses access at once.
    appoint_representative(session, "office", organisation_party_id=_party(session, org), role="authorised_officer",
                           effective_date=today - timedelta(days=10), family_name="Gestern", nextcloud_user="gabi")
    session.commit()
    assert visible_membership_ids(session, "gabi") == [org]
    gabi = session.scalar(select(Party.id).where(Party.family_name == "Gestern"))
    end_representation(session, "office", organisation_party_id=_party(session, org), person_party_id=gabi,
                       role="authorised_officer", effective_date=today - timedelta(days=1))
    session.commit()
    assert visible_membership_ids(session, "gabi") == []
    # Nothing was edited: every change is a new event, and each is audited without names.
    assert session.scalar(select(func.count()).select_from(RepresentationEvent)) == 6
    audits = session.scalars(select(AuditEvent).where(AuditEvent.action.like("representative.%"))).all()
    assert len(audits) == 6
    assert not any(name in a.diff for a in audits for name in ("Rita", "Vertreterin", "Gestern"))


def test_an_existing_person_can_represent_two_organisations(session: Session, member: Member) -> None:
    first = member("TSV Musterstadt e.V.", kind="association", shares=2)
    second = member("Hoffmann IT GmbH", kind="legal_person", shares=3)
    event = appoint_representative(session, "office", organisation_party_id=_party(session, first),
                                   role="board_member", effective_date=D(2024, 2, 1), family_name="Hoffmann")
    appoint_representative(session, "office", organisation_party_id=_party(session, second),
                           role="managing_director", effective_date=D(2024, 2, 1),
                           person_party_id=event.person_party_id)
    session.commit()
    assert session.scalar(select(func.count()).select_from(Party).where(Party.family_name == "Hoffmann")) == 1
    assert [r.role for r in representatives_of(session, _party(session, second))] == ["managing_director"]


def test_representation_events_cannot_be_changed_at_the_database(engine: Engine, member: Member,
                                                                 session: Session) -> None:
    org = member("TSV Musterstadt e.V.", kind="association", shares=2)
    appoint_representative(session, "office", organisation_party_id=_party(session, org), role="board_member",
                           effective_date=D(2024, 2, 1), family_name="Vertreterin")
    session.commit()
    from sqlalchemy import text  # noqa: PLC0415
    from sqlalchemy.exc import DatabaseError  # noqa: PLC0415

    for statement in ("UPDATE representation_event SET role = 'other'", "DELETE FROM representation_event"):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))


# --- The desk -----------------------------------------------------------------------------------

def _counts(engine: Engine) -> tuple[int, ...]:
    with Session(engine) as session:
        return tuple(session.scalar(select(func.count()).select_from(t)) for t in
                     (Party, Account, RepresentationEvent, AuditEvent))


def _post(app: Flask, client: FlaskClient, path: str, data: dict[str, Any]) -> Any:
    with app.app_context():
        token = csrf_token("admin")
    return client.post(path, data={**data, "csrf_token": token}, headers=appapi_headers("admin"))


@pytest.mark.parametrize(("change", "field"), [
    ({"family_name": ""}, "family_name"),
    ({"role": "king"}, "role"),
    ({"effective_date": "31.02.2024"}, "effective_date"),
    ({"email": "no-address"}, "email"),
    ({"person_party_id": "999999"}, "person_party_id"),
])
def test_the_appointment_form_shows_errors_at_the_field_and_writes_nothing(
        app: Flask, client: FlaskClient, engine: Engine, member: Member, change: dict[str, str], field: str) -> None:
    org = member("TSV Musterstadt e.V.", kind="association", shares=2)
    before = _counts(engine)
    form = {"role": "board_member", "effective_date": "2024-02-01", "given_names": "Rita",
            "family_name": "Vertreterin", **change}
    response = _post(app, client, f"/admin/members/{org}/representatives", form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="f-rep-{field}"' in page and f'id="e-rep-{field}"' in page  # the error sits at its field
    assert _counts(engine) == before


def test_appointing_and_ending_through_the_desk(app: Flask, client: FlaskClient, engine: Engine,
                                                member: Member) -> None:
    org = member("TSV Musterstadt e.V.", kind="association", shares=2)
    response = _post(app, client, f"/admin/members/{org}/representatives",
                     {"role": "board_member", "effective_date": "2024-02-01", "given_names": "Rita",
                      "family_name": "Vertreterin", "nextcloud_user": "rita"})
    assert response.headers.get("X-NC-Coop-Continue")
    page = client.get(f"/admin/members/{org}", headers=appapi_headers("admin")).get_data(as_text=True)
    assert "Rita Vertreterin" in page and "Board member" in page and "End appointment" in page
    listed = client.get(f"/api/v1/admin/members/{org}/representatives", headers=appapi_headers("admin")).get_json()
    [rita] = listed["representatives"]
    assert (rita["role"], rita["since"], rita["until"], rita["nextcloud_user"]) == (
        "board_member", "2024-02-01", None, "rita")
    with app.app_context():
        token = csrf_token("admin")
    ended = client.post(f"/api/v1/admin/members/{org}/representatives/end",
                        json={"person_party_id": rita["person_party_id"], "role": "board_member",
                              "effective_date": "2025-12-31"},
                        headers={**appapi_headers("admin"), "X-CSRF-Token": token})
    assert ended.status_code == 201 and ended.get_json()["representatives"][0]["until"] == "2025-12-31"
    again = client.post(f"/api/v1/admin/members/{org}/representatives/end",
                        json={"person_party_id": rita["person_party_id"], "role": "board_member",
                              "effective_date": "2026-01-31"},
                        headers={**appapi_headers("admin"), "X-CSRF-Token": token})
    assert again.status_code == 422 and "person_party_id" in again.get_json()["errors"]


def test_a_person_member_page_has_no_representatives_section(client: FlaskClient, member: Member) -> None:
    person = member("Erika Mustermann")
    page = client.get(f"/admin/members/{person}", headers=appapi_headers("admin")).get_data(as_text=True)
    assert "Appoint a representative" not in page

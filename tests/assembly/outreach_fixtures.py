# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Fixtures for the assembly's letters and outreach: the app with a letterhead and a documents
folder, a stand-in with the members' Nextcloud accounts (German and English), and a whole
assembly from invitation to the close. Imported by the test modules that need them."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from nc_coop import create_app
from nc_coop.assembly import services
from nc_coop.assembly.models import Assembly, AssemblyItem
from nc_coop.register.models import Membership, Party
from nc_coop.register.services import Actor
from nc_coop.standin import NextcloudStandIn, StandInUser
from nc_coop.standin.dav import make_folder
from tests.assembly.conftest import BOARD, HELD_ON
from tests.conftest import INFO_XML, TEST_SECRET, app_config, get_db_engine, wait_for_init

FOLDER = "/Governance"
READER = "office"
CONVENED_ON = date(2026, 6, 1)
LANGUAGES = {"alice": "de", "bob": "en", "carl": "de", "eva": "en", "board": "de", "office": "de"}


@pytest.fixture
def standin() -> Iterator[NextcloudStandIn]:
    server = NextcloudStandIn().start()
    for user, language in LANGUAGES.items():
        server.state.users[user] = StandInUser(user, user.title(), ["board"] if user == "board" else ["users"],
                                               language=language)
    make_folder(server.state, READER, FOLDER)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def unmigrated_app(database_url: str, standin: NextcloudStandIn, tmp_path: Path) -> Iterator[Flask]:
    app = create_app(app_config(database_url, standin, tmp_path, NC_COOP_DOCUMENTS_FOLDER=FOLDER,
                                NC_COOP_DOCUMENTS_USER=READER, NC_COOP_LETTERHEAD_NAME="Wolke Musterstadt eG",
                                NC_COOP_LETTERHEAD_ADDRESS="Hauptstraße 5|12345 Musterstadt",
                                NC_COOP_LETTERHEAD_REGISTER="Amtsgericht Musterstadt GnR 123"))
    app.config["TESTING"] = True
    standin.register("nc_coop", TEST_SECRET, "0.1.0", "http://127.0.0.1:9", INFO_XML).enabled = True
    yield app
    wait_for_init(app)
    get_db_engine(app).dispose()


@dataclass
class Scenario:
    assembly_id: int
    items: list[int]
    members: dict[str, int]  # login (or "dora" without one) → membership id


def build(session: Session, member: Callable[..., int], *, form: str = "virtual", **schedule: object) -> Scenario:
    """Five members: alice, bob (25 shares: 2 votes), carl, eva (investing) with logins, and dora
    without one, who authorises carl. A virtual assembly with three items, convened on 1 June."""
    members = {"alice": member("alice"), "bob": member("bob", shares=25), "carl": member("carl"),
               "dora": member(None), "eva": member("eva", membership="investing")}
    dora = session.get(Party, session.get(Membership, members["dora"]).party_id)
    dora.given_names, dora.family_name, dora.email = "Dora", "=Ohne Login", "dora@example.org"
    place = {"place": "Gemeindesaal, Kirchweg 2, 12345 Musterstadt"} if form in ("presence", "hybrid") else {}
    link = {} if form == "presence" else {"link": "https://meet.example.org/gv2026"}
    assembly = services.create_assembly(session, BOARD, title="Ordentliche Generalversammlung 2026", form=form,
                                        held_on=HELD_ON, **place, **link, **schedule)
    services.add_item(session, BOARD, assembly_id=assembly.id, title="Entlastung des Vorstands",
                      resolution_type="simple")
    services.add_item(session, BOARD, assembly_id=assembly.id, title="Satzungsänderung § 5",
                      resolution_type="statute_change", secret=True)
    services.add_item(session, BOARD, assembly_id=assembly.id, title="Wahl des Aufsichtsrats",
                      resolution_type="election", secret=True, seats=1, candidates=["Anna Łukasz", "Bert Ærø"])
    session.commit()
    services.convene(session, BOARD, assembly_id=assembly.id, convened_on=CONVENED_ON)
    services.grant_proxy(session, BOARD, assembly_id=assembly.id, principal_membership_id=members["dora"],
                         proxy_membership_id=members["carl"], textform_reference="E-Mail vom 2.6.2026")
    session.commit()
    items = list(session.scalars(select(AssemblyItem.id).where(AssemblyItem.assembly_id == assembly.id)
                                 .order_by(AssemblyItem.position)))
    return Scenario(assembly.id, items, members)


def vote_and_close(session: Session, s: Scenario) -> None:
    """alice yes/yes/Anna, bob no/yes/Anna, carl yes/yes/Bert, carl for dora yes/no/Anna; eva does not vote."""
    simple, change, election = s.items
    services.open_voting(session, BOARD, assembly_id=s.assembly_id)
    for user, membership, choices in (
            ("alice", "alice", {simple: "yes", change: "yes", election: [0]}),
            ("bob", "bob", {simple: "no", change: "yes", election: [0]}),
            ("carl", "carl", {simple: "yes", change: "yes", election: [1]}),
            ("carl", "dora", {simple: "yes", change: "no", election: [0]})):
        services.cast(session, Actor(user, "t"), assembly_id=s.assembly_id, membership_id=s.members[membership],
                      choices=choices, today=HELD_ON)
    services.close_voting(session, BOARD, assembly_id=s.assembly_id, today=HELD_ON)
    session.commit()


def assembly(session: Session, s: Scenario) -> Assembly:
    return session.get(Assembly, s.assembly_id)

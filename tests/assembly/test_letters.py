# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The assembly's letters read back as a member or the board reads them (pypdf), in German and
English, on SQLite and PostgreSQL: the invitation, the list of members to invite by post, the
minutes, and the minutes stored and published in the documents folder."""
from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import re
from collections.abc import Callable
from datetime import date

import pytest
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from nc_coop.assembly import letters
from nc_coop.assembly.models import Assembly
from nc_coop.assembly.outreach_models import AssemblyMinutesFile
from nc_coop.audit.chain import verify
from nc_coop.audit.models import AuditEvent
from nc_coop.documents.models import GovernanceDocument
from nc_coop.register.models import Membership
from nc_coop.register.rules import RuleViolation
from nc_coop.register.statutes import add_statute_version
from nc_coop.standin import NextcloudStandIn
from tests.assembly.conftest import BOARD, STATUTE
from tests.assembly.outreach_fixtures import (  # noqa: F401  fixtures
    FOLDER,
    READER,
    build,
    standin,
    unmigrated_app,
    vote_and_close,
)


def text_of(pdf: bytes) -> str:
    """The PDF's text with its line breaks as spaces (a long line may wrap anywhere)."""
    return re.sub(r"\s+", " ", "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))


def test_the_invitation_names_addressee_dates_agenda_deadlines_and_proxies(
        app: Flask, session: Session, member: Callable[..., int]) -> None:
    s = build(session, member, voting_from=date(2026, 6, 20), voting_until=date(2026, 6, 22))
    with app.app_context():
        german = text_of(letters.invitation_pdf(session, s.assembly_id, s.members["bob"], "de"))
        english = text_of(letters.invitation_pdf(session, s.assembly_id, s.members["bob"], "en"))
    for text in (german, english):
        assert "Wolke Musterstadt eG" in text and "Amtsgericht Musterstadt GnR 123" in text  # letterhead
        assert "Erika bob" in text and "Hauptstr. 1, 10115 Berlin" in text  # addressee from the register
        assert "Ordentliche Generalversammlung 2026" in text and "https://meet.example.org/gv2026" in text
        assert "1. Entlastung des Vorstands" in text and "3. Wahl des Aufsichtsrats" in text
        assert "Anna Łukasz, Bert Ærø" in text  # DejaVu: names print as written
        assert "/documents" in text and "/assemblies/" in text  # where the papers are, where to vote
    # Dates in the reader's language; the agenda deadline: 7 days before (statute default).
    assert "20. Juni 2026" in german and "13. Juni 2026" in german and "1. Juni 2026" in german
    assert "June 20, 2026" in english and "June 13, 2026" in english
    assert "Einladung zur Generalversammlung" in german and "Invitation to the general assembly" in english
    assert "3/4 (75 %)" in german and "3/4 (75%)" in english  # the statute change's majority
    assert "§ 43 Abs. 5 GenG" in german and "Textform" in german and "text form" in english
    assert "§ 45 GenG" in english and "virtual" in english
    assert "Ihre Stimmen 2" in german.replace(":", "")  # 25 shares, one vote per 10: two votes
    assert "vom 20. Juni 2026 bis 22. Juni 2026" in german


def test_the_invitation_goes_to_invited_members_only_once_convened(
        app: Flask, session: Session, member: Callable[..., int]) -> None:
    s = build(session, member)
    late = member("late", on=date(2026, 6, 5))  # joined after the convening date
    with app.app_context(), pytest.raises(RuleViolation) as refused:
        letters.invitation_pdf(session, s.assembly_id, late, "de")
    assert refused.value.field == "membership_id"
    with app.app_context(), pytest.raises(RuleViolation):
        letters.invitation_pdf(session, s.assembly_id, s.members["alice"], "fr")


def test_the_csv_lists_exactly_the_invited_members_without_a_login(
        app: Flask, session: Session, member: Callable[..., int]) -> None:
    s = build(session, member)
    member("late", on=date(2026, 6, 5))  # no invitation, so not listed
    with app.app_context():
        german = letters.invitation_csv(session, s.assembly_id, "de")
        english = letters.invitation_csv(session, s.assembly_id, "en")
    assert german.startswith("\ufeff") and "\r\n" in german
    rows = list(csv.reader(io.StringIO(german.lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == ["Mitgliedsnummer", "Name", "Anschrift", "E-Mail"]
    number = session.get(Membership, s.members["dora"]).member_no
    # dora has no login; her name starts with "=": it is text, never a formula.
    assert rows[1:] == [[str(number), "'=Ohne Login, Dora", "Hauptstr. 1, 10115 Berlin", "dora@example.org"]]
    assert next(csv.reader(io.StringIO(english.lstrip("\ufeff")), delimiter=";")) == [
        "Member number", "Name", "Address", "E-mail"]


def test_the_minutes_show_attendance_votes_majorities_and_results(
        app: Flask, session: Session, member: Callable[..., int]) -> None:
    s = build(session, member)
    with app.app_context(), pytest.raises(RuleViolation, match="after voting has closed"):
        letters.minutes_pdf(session, s.assembly_id, "de")
    vote_and_close(session, s)
    with app.app_context():
        german = text_of(letters.minutes_pdf(session, s.assembly_id, "de"))
        english = text_of(letters.minutes_pdf(session, s.assembly_id, "en"))
    assert "Niederschrift über die Generalversammlung (§ 47 GenG)" in german
    assert "Minutes of the general assembly (§ 47 GenG)" in english
    for text in (german, english):
        assert "Ordentliche Generalversammlung 2026" in text and "https://meet.example.org/gv2026" in text
    # Attendance: 5 on the roll with 6 votes; 4 took part online, dora by proxy (carl).
    assert "5 mit 6 Stimmen" in german and "4 Mitglieder: 0 im Saal, 4 online" in german
    assert "5 with 6 votes" in english and "4 members: 0 in the room, 4 online" in english
    numbers = {k: session.get(Membership, v).member_no for k, v in s.members.items()}
    assert f"by proxy: member no. {numbers['carl']}" in english
    # Item 1: yes 3 (alice, carl, dora), no 2 (bob: two votes): more than half, adopted.
    first = english[english.index("1. Entlastung"):english.index("2. Satzungs")]
    assert re.search(r"Yes\s*3 No\s*2 Abstentions\s*0", first) and "more than half" in first and "adopted" in first
    # Item 2: one vote each where the law wants 3/4: yes 3, no 1 = 75 %: adopted.
    second = german[german.index("2. Satzungs"):german.index("3. Wahl")]
    assert re.search(r"Ja\s*3 Nein\s*1", second) and "3/4 (75 %)" in second and "angenommen" in second
    third = english[english.index("3. Wahl"):]
    assert re.search(r"Anna Łukasz\s*4 Bert Ærø\s*1", third) and re.search(r"Elected\s*Anna Łukasz", third)
    assert "no quorum" in english and "kein Quorum" in german
    assert "Chair of the meeting" in english and "Mitglied des Vorstands" in german  # signature lines


@pytest.mark.parametrize("years", [None, 10])
def test_publish_minutes_stores_the_pdf_publishes_it_and_keeps_it_per_the_statute(
        app: Flask, session: Session, member: Callable[..., int], standin: NextcloudStandIn,
        years: int | None) -> None:
    if years is not None:  # a later statute version, in force on the assembly's day, keeps minutes 10 years
        add_statute_version(session, actor="office", version=2, adopted_at=date(2025, 5, 1),
                            registered_at=date(2025, 7, 1),
                            params=dataclasses.replace(STATUTE, minutes_retention_years=years))
        session.commit()
    s = build(session, member)
    vote_and_close(session, s)
    with app.app_context():
        letters.publish_minutes(session, app.extensions["nc_coop.gateway"], BOARD, s.assembly_id, "de")
        session.commit()
        stored = session.get(AssemblyMinutesFile, s.assembly_id)
        name = f"niederschrift-generalversammlung-2026-06-20-{s.assembly_id}.pdf"
        assert stored.dav_path == f"{FOLDER}/{name}"
        content = standin.state.files[(READER, stored.dav_path)].content
        assert hashlib.sha256(content).hexdigest() == stored.sha256
        assert "Niederschrift über die Generalversammlung" in text_of(content)
        doc = session.get(GovernanceDocument, stored.document_id)
        assert (doc.category, doc.audience, doc.sha256) == ("minutes", "members", stored.sha256)
        assembly = session.get(Assembly, s.assembly_id)
        assert doc.assembly_id == assembly.general_assembly_id
        assert assembly.state == "minutes_published" and assembly.minutes_document == name
        assert stored.keep_until == (None if years is None else date(2036, 12, 31))
        actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
        assert actions[-3:] == ["document.publish", "assembly.minutes_stored", "assembly.minutes_published"]
        assert verify(session).ok
        with pytest.raises(RuleViolation, match="published once"):  # a second call writes nothing
            letters.publish_minutes(session, app.extensions["nc_coop.gateway"], BOARD, s.assembly_id, "de")
        session.rollback()

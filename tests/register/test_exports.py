# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The §30 member list (CSV, PDF) and the §31 extract, checked as the board and a member see them."""
from __future__ import annotations

import csv
import io
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import Engine, event, func, insert, literal, select
from sqlalchemy.orm import Session

from nc_coop.audit.models import AuditEvent
from nc_coop.cli import main
from nc_coop.dates import Dates
from nc_coop.register.exports import (
    CSV_HEADERS,
    member_extract_pdf,
    member_list_csv,
    member_list_pdf,
    member_list_rows,
    pdf_text,
)
from nc_coop.register.models import Membership, Party, ShareEntry, StatuteVersionRow
from nc_coop.register.services import admit_member, book_capital, receive_notice, subscribe_shares, transfer
from nc_coop.register.statute import MandatoryShares, StatuteParams
from nc_coop.register.statutes import add_statute_version
from tests.register.conftest import OFFICE, STATUTE

Member = Callable[..., int]
GERMAN = Dates("de", ZoneInfo("Europe/Berlin"))  # the lists are German; NC_COOP_TIME_ZONE's default
HEADER = ["Mitgliedsnummer", "Name", "Anschrift", "Art des Mitglieds", "Art der Mitgliedschaft", "Eintritt",
          "Geschäftsanteile", "Weitere Geschäftsanteile", "Geschäftsguthaben (EUR)", "Ausscheiden zum",
          "Grund des Ausscheidens"]


def _csv(session: Session, on: date, **kwargs: Any) -> tuple[bytes, list[dict[str, str]]]:
    data = b"".join(member_list_csv(session, on, **kwargs))
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    return data, rows


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_csv_opens_in_a_german_spreadsheet(session: Session, member: Member) -> None:
    erika = member("Erika Mustermann", shares=15)
    member("Hoffmann IT GmbH", kind="legal_person", on=date(2024, 2, 1), shares=4)
    book_capital(session, OFFICE, membership_id=erika, kind="deposit", amount_cents=123_456,
                 value_date=date(2024, 1, 15))
    session.commit()

    data, rows = _csv(session, date(2024, 12, 31))

    assert data.startswith(b"\xef\xbb\xbf")  # the BOM: Excel recognises UTF-8
    lines = data.decode("utf-8-sig").split("\r\n")
    assert lines[0] == ";".join(HEADER) and lines[-1] == ""  # ';' and CRLF throughout
    assert tuple(HEADER) == CSV_HEADERS
    assert [r["Name"] for r in rows] == ["Mustermann, Erika", "Hoffmann IT GmbH"]
    assert rows[0] == {
        "Mitgliedsnummer": "1", "Name": "Mustermann, Erika", "Anschrift": "Hauptstr. 1, 10115 Berlin",
        "Art des Mitglieds": "natürliche Person", "Art der Mitgliedschaft": "ordentlich", "Eintritt": "10.01.2024",
        "Geschäftsanteile": "15", "Weitere Geschäftsanteile": "14", "Geschäftsguthaben (EUR)": "1234,56",
        "Ausscheiden zum": "", "Grund des Ausscheidens": "",
    }
    # A GmbH holds 3 mandatory shares under this statute: 1 of its 4 is a further share.
    assert (rows[1]["Art des Mitglieds"], rows[1]["Weitere Geschäftsanteile"]) == ("juristische Person", "1")


def test_the_csv_quotes_what_needs_quoting_and_never_starts_a_formula(session: Session) -> None:
    party = Party(kind="natural", family_name="=HYPERLINK(\"x\")", given_names="Anna; Maria",
                  postal_address="c/o \"Haus\"\nWeg 2\n12345 Ort", created_at=datetime.now(UTC))
    session.add(party)
    session.flush()
    admit_member(session, OFFICE, party_id=party.id, admitted_on=date(2024, 1, 10), shares=1)
    session.commit()
    _, rows = _csv(session, date(2024, 6, 1))
    assert rows[0]["Name"] == "'=HYPERLINK(\"x\"), Anna; Maria"
    assert rows[0]["Anschrift"] == "c/o \"Haus\"\nWeg 2\n12345 Ort"


def test_the_list_as_of_a_date_includes_members_leaving_that_day(session: Session, member: Member) -> None:
    leaving = member("Erika Mustermann", on=date(2020, 1, 10), shares=3)
    gone = member("Max Muster", on=date(2020, 1, 10))
    receiver = member("Lena Empfänger", on=date(2020, 1, 10))
    later = member("Nora Neu", on=date(2027, 1, 1))
    receive_notice(session, OFFICE, membership_id=leaving, received_on=date(2024, 3, 1))  # exit 31.12.2026
    book_capital(session, OFFICE, membership_id=gone, kind="deposit", amount_cents=10_000,
                 value_date=date(2020, 2, 1))
    transfer(session, OFFICE, from_membership_id=gone, to_membership_id=receiver, shares=1, amount_cents=10_000,
             agreed_on=date(2026, 12, 30))  # everything: exit on 30.12.2026
    session.commit()
    no = {m: session.get(Membership, m).member_no for m in (leaving, gone, receiver, later)}

    on_31 = {r.member_no: r for r in member_list_rows(session, date(2026, 12, 31))}
    assert set(on_31) == {no[leaving], no[receiver]}  # left the day before: out; admitted the day after: out
    row = on_31[no[leaving]]
    assert (row.exit_on, row.exit_reason) == (date(2026, 12, 31), "notice_received")
    assert (row.shares, row.further_shares) == (3, 2)  # still held on the exit day itself
    assert on_31[no[receiver]].shares == 2

    on_30 = {r.member_no: r for r in member_list_rows(session, date(2026, 12, 30))}
    assert set(on_30) == {no[leaving], no[gone], no[receiver]}
    assert (on_30[no[gone]].exit_on, on_30[no[gone]].exit_reason) == (date(2026, 12, 30), "transfer_all")

    on_1 = [r.member_no for r in member_list_rows(session, date(2027, 1, 1))]
    assert on_1 == [no[receiver], no[later]]

    _, rows = _csv(session, date(2026, 12, 31))
    erika = next(r for r in rows if r["Name"] == "Mustermann, Erika")
    assert (erika["Ausscheiden zum"], erika["Grund des Ausscheidens"]) == ("31.12.2026", "Kündigung (§ 65 GenG)")


def test_an_exit_shows_once_it_has_been_declared(session: Session, member: Member) -> None:
    m = member(on=date(2020, 1, 10))
    receive_notice(session, OFFICE, membership_id=m, received_on=date(2024, 3, 1))
    session.commit()
    assert next(member_list_rows(session, date(2024, 2, 29))).exit_on is None
    assert next(member_list_rows(session, date(2024, 3, 1))).exit_on == date(2026, 12, 31)


def test_further_shares_count_with_the_statute_in_force(session: Session, member: Member) -> None:
    m = member("Erika Mustermann", shares=3)
    book_capital(session, OFFICE, membership_id=m, kind="deposit", amount_cents=30_000, value_date=date(2024, 2, 1))
    subscribe_shares(session, OFFICE, membership_id=m, shares=1, admitted_on=date(2024, 9, 1))
    stricter = StatuteParams(share_nominal_cents=STATUTE.share_nominal_cents, max_shares=50, notice_months=24,
                             mandatory_shares=MandatoryShares(natural=2, legal_person=3, association=2,
                                                              partnership=2, public_body=3))
    add_statute_version(session, actor="office", version=2, adopted_at=date(2025, 5, 1),
                        registered_at=date(2025, 7, 1), params=stricter)
    session.commit()
    further = {on: next(member_list_rows(session, on)).further_shares
               for on in (date(2024, 8, 31), date(2024, 9, 1), date(2025, 6, 30), date(2025, 7, 1))}
    assert further == {date(2024, 8, 31): 2, date(2024, 9, 1): 3, date(2025, 6, 30): 3, date(2025, 7, 1): 2}


def test_a_date_before_any_admission_gives_the_header_alone(session: Session, member: Member) -> None:
    member()
    data, rows = _csv(session, date(2019, 1, 1))
    assert rows == [] and data.decode("utf-8-sig") == ";".join(HEADER) + "\r\n"


def test_the_list_pdf_shows_names_numbers_and_dates(session: Session, member: Member) -> None:
    erika = member("Erika Mustermann", shares=3)
    member("Jürgen Größe", on=date(2024, 3, 5), shares=2)
    member("Łukasz Wałęsa", on=date(2024, 4, 1))
    member("Genossenschaftsverband Süd e.V.", kind="association", on=date(2024, 5, 2), shares=2)
    receive_notice(session, OFFICE, membership_id=erika, received_on=date(2024, 3, 1))
    session.commit()

    data = b"".join(member_list_pdf(session, date(2026, 12, 31), dates=GERMAN, cooperative="Wolke eG"))

    assert data.startswith(b"%PDF-")
    text = _pdf_text(data)
    assert "Mitgliederliste nach § 30 GenG – Wolke eG" in text and "Stand: 31.12.2026" in text
    for expected in ("Mustermann, Erika", "Größe, Jürgen", "Wałęsa, Łukasz", "Genossenschaftsverband Süd e.V.",
                     "10.01.2024", "05.03.2024", "02.05.2024", "31.12.2026", "Kündigung (§ 65 GenG)",
                     "4 Mitglieder am 31.12.2026"):
        assert expected in text, expected


def test_a_long_list_pdf_repeats_the_column_titles_on_every_page(session: Session) -> None:
    _bulk_members(session, 120)
    data = b"".join(member_list_pdf(session, date(2024, 6, 1), dates=GERMAN, batch_size=50))
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]
    with_rows = [page for page in pages if "Bulk " in page]
    assert len(with_rows) > 2
    assert all("Anschrift" in page for page in with_rows)
    assert all(f"Seite {n} von {len(pages)}" in page for n, page in enumerate(pages, start=1))
    assert "Bulk 0120, Person" in with_rows[-1] and "120 Mitglieder am 01.06.2024" in pages[-1]


def test_the_member_extract_has_every_entry_of_the_member(session: Session, member: Member) -> None:
    m = member("Jürgen Größe", shares=2)
    member("Max Muster")  # another member's entries never appear
    book_capital(session, OFFICE, membership_id=m, kind="deposit", amount_cents=15_000, value_date=date(2024, 1, 15))
    book_capital(session, OFFICE, membership_id=m, kind="deposit", amount_cents=5_000, value_date=date(2024, 2, 1))
    subscribe_shares(session, OFFICE, membership_id=m, shares=1, admitted_on=date(2024, 3, 9))
    receive_notice(session, OFFICE, membership_id=m, received_on=date(2024, 11, 4))
    session.commit()

    data = member_extract_pdf(session, m, date(2025, 1, 20), dates=GERMAN)

    text = _pdf_text(data)
    for expected in ("Auszug aus der Mitgliederliste", "§ 31 Abs. 1 Satz 2 GenG", "Mitgliedsnummer",
                     "Größe, Jürgen", "Hauptstr. 1, 10115 Berlin", "10.01.2024", "Beteiligung bei Beitritt",
                     "Weitere Geschäftsanteile (§ 15b GenG)", "09.03.2024", "Einzahlung", "15.01.2024",
                     "+150,00 €", "200,00 €", "Kündigung", "04.11.2024", "31.12.2026", "30.06.2027",
                     "3 (davon Pflichtanteile: 1, weitere: 2)", "Stand: 20.01.2025"):
        assert expected in text, expected
    assert "Muster, Max" not in text


def test_the_extract_of_an_unknown_membership_is_refused(session: Session) -> None:
    with pytest.raises(LookupError):
        member_extract_pdf(session, 999, date(2025, 1, 1), dates=GERMAN)


def test_pdf_text_keeps_german_and_degrades_other_letters() -> None:
    assert pdf_text("Größe – „Wolke“ 5 €") == "Größe – „Wolke“ 5 €"
    assert pdf_text("Łukasz Wałęsa, Dvořák, 東京") == "Lukasz Walesa, Dvorák, ??"


# --- Streaming -----------------------------------------------------------------------------------

def _bulk_members(session: Session, count: int, start: int = 1) -> None:
    """``count`` members at once, without the services (fast; the ledgers stay consistent)."""
    statute_id = session.scalar(select(StatuteVersionRow.id))
    now = datetime.now(UTC)
    party_ids = session.scalars(
        insert(Party).returning(Party.id, sort_by_parameter_order=True),
        [{"kind": "natural", "family_name": f"Bulk {n:04d}", "given_names": "Person",
          "postal_address": f"Weg {n}, 10115 Berlin", "created_at": now} for n in range(start, start + count)],
    ).all()
    session.execute(insert(Membership), [
        {"member_no": n, "party_id": party_id, "kind": "regular", "admitted_on": date(2024, 1, 10),
         "statute_version_id": statute_id, "recorded_at": now, "actor": "bulk"}
        for n, party_id in zip(range(start, start + count), party_ids, strict=True)])
    session.execute(insert(ShareEntry).from_select(
        ["membership_id", "kind", "delta", "effective_date", "recorded_at", "actor", "statute_version_id"],
        select(Membership.id, literal("subscribe_mandatory"), literal(2), Membership.admitted_on,
               Membership.recorded_at, Membership.actor, Membership.statute_version_id).where(Membership.member_no >= start)))
    session.commit()


@contextmanager
def _count_batches(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def listen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM membership JOIN party" in statement and "LIMIT" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def test_the_csv_yields_its_first_chunk_before_reading_the_last_batch(session: Session, engine: Engine) -> None:
    _bulk_members(session, 250)
    with _count_batches(engine) as batches:
        chunks = member_list_csv(session, date(2024, 6, 1), batch_size=100)
        assert batches == []  # a generator: nothing is read before the first chunk is asked for
        first = next(chunks)
        assert len(batches) == 1
        assert first.startswith(b"\xef\xbb\xbf") and first.count(b"\r\n") == 101  # header + one batch
        rest = list(chunks)
        assert len(batches) == 3 and len(rest) == 2
    _, rows = _csv(session, date(2024, 6, 1), batch_size=100)
    assert [int(r["Mitgliedsnummer"]) for r in rows] == list(range(1, 251))


def test_memory_stays_flat_as_the_register_grows(session: Session) -> None:
    def peak() -> int:
        tracemalloc.start()
        try:
            for _chunk in member_list_csv(session, date(2024, 6, 1)):
                pass  # written somewhere and forgotten
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    _bulk_members(session, 1000)
    b"".join(member_list_csv(session, date(2024, 6, 1)))  # warm the statement caches
    one_batch = peak()
    _bulk_members(session, 4000, start=1001)
    five_batches = peak()
    assert session.scalar(select(func.count()).select_from(Membership)) == 5000
    # Holding the whole list would take about five times the memory of one batch; one batch
    # plus the drivers' statement caches stays well below twice.
    assert five_batches < one_batch * 2, (one_batch, five_batches)


# --- The command ---------------------------------------------------------------------------------

def _cli_env(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = app.config["NC_COOP_SETTINGS"]
    for name, value in {"APP_SECRET": settings.app_secret, "NEXTCLOUD_URL": settings.nextcloud_url,
                        "DATABASE_URL": settings.database_url}.items():
        monkeypatch.setenv(name, value)


def test_the_command_writes_the_list_and_logs_the_inspection(app: Flask, session: Session, member: Member,
                                                            monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    _cli_env(app, monkeypatch)
    member("Erika Mustermann")
    session.close()
    target = tmp_path / "liste.csv"
    assert main(["register", "export-list", "--date", "2024-06-01", "--output", str(target)]) == 0
    assert "written to" in capsys.readouterr().err
    rows = list(csv.DictReader(io.StringIO(target.read_text("utf-8-sig"), newline=""), delimiter=";"))
    assert [r["Name"] for r in rows] == ["Mustermann, Erika"]
    pdf = tmp_path / "liste.pdf"
    assert main(["register", "export-list", "--date", "2024-06-01", "--format", "pdf", "--output", str(pdf)]) == 0
    assert "Mustermann, Erika" in _pdf_text(pdf.read_bytes())
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temporary left
    logged = session.scalars(select(AuditEvent.diff).where(AuditEvent.action == "member_list.export")).all()
    assert len(logged) == 2 and '"format": "pdf"' in logged[1]

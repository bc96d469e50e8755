# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Importing members with opening balances from CSV: all rows or none, every error at once."""
from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nc_coop.audit.chain import verify
from nc_coop.audit.models import AuditEvent
from nc_coop.cli import main
from nc_coop.register.importer import ImportErrors, RowError, import_members
from nc_coop.register.ledger import position_on
from nc_coop.register.models import Account, CapitalEntry, Membership, Party, ShareEntry
from nc_coop.register.rules import RuleViolation
from nc_coop.register.services import Actor, admit_member, capital_moves, share_moves
from tests.register.conftest import OFFICE, make_party

Member = Callable[..., int]
TABLES = (Party, Membership, ShareEntry, CapitalEntry, Account, AuditEvent)
HEADER = ("member_no;kind;family_name;given_names;legal_name;postal_address;email;admitted_on;shares;capital_eur;"
          "nextcloud_user")
GOOD = [
    HEADER,
    '101;natural;Mustermann;Erika;;"Hauptstr. 1\n10115 Berlin";erika@example.org;2019-08-01;2;200;erika',
    '100;legal_person;;;Hoffmann IT GmbH;Industriestr. 5, 20095 Hamburg;;01.09.2019;20;"1.234,56";',
    ';association;;;Genossenschaftsverband Süd e.V.;Marktplatz 3, 80331 München;;15.03.2021;2;50,5;',
]


def _file(lines: list[str]) -> bytes:
    """As Excel's "CSV UTF-8" saves it: a BOM, ';' and CRLF."""
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def _counts(session: Session) -> dict[str, int]:
    return {t.__tablename__: session.scalar(select(func.count()).select_from(t)) for t in TABLES}


def test_a_good_file_imports_members_with_balances_and_audit_events(session: Session) -> None:
    result = import_members(session, OFFICE, io.BytesIO(_file(GOOD)), source_name="register.csv")
    session.commit()

    assert (result.imported, result.member_numbers) == (3, [100, 101, 102])
    by_no = {m.member_no: m for m in session.scalars(select(Membership))}
    erika, gmbh, verband = by_no[101], by_no[100], by_no[102]
    party = session.get(Party, erika.party_id)
    assert (party.family_name, party.given_names, party.postal_address, party.email) == (
        "Mustermann", "Erika", "Hauptstr. 1\n10115 Berlin", "erika@example.org")
    assert session.get(Party, verband.party_id).legal_name == "Genossenschaftsverband Süd e.V."
    assert (erika.admitted_on, gmbh.admitted_on, verband.admitted_on) == (
        date(2019, 8, 1), date(2019, 9, 1), date(2021, 3, 15))
    today = date(2026, 1, 1)
    assert [position_on(share_moves(session, m.id), today) for m in (erika, gmbh, verband)] == [2, 20, 2]
    assert [position_on(capital_moves(session, m.id), today) for m in (erika, gmbh, verband)] == [
        20_000, 123_456, 5_050]
    deposit = session.scalar(select(CapitalEntry).where(CapitalEntry.membership_id == gmbh.id))
    assert (deposit.kind, deposit.value_date, deposit.reference) == ("deposit", date(2019, 9, 1), "opening balance")
    assert deposit.basis_document == f"import {result.sha256[:12]} line 4"
    account = session.scalar(select(Account))
    assert (account.nextcloud_user_id, account.party_id, account.role) == ("erika", erika.party_id, "self")

    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["statute.add",
                       "member.admit", "capital.deposit",  # no. 100 first: numbered rows go in order
                       "member.admit", "capital.deposit", "account.link",
                       "member.admit", "capital.deposit",
                       "member.import"]
    assert verify(session).ok


def test_a_file_with_three_bad_rows_reports_all_of_them_and_writes_nothing(session: Session, member: Member) -> None:
    member("Max Muster")
    before = _counts(session)
    lines = [
        HEADER,
        ";natural;Mustermann;Erika;;Hauptstr. 1, 10115 Berlin;;2024-02-01;1;100;",
        ";natural;Beispiel;Bernd;;Weg 2, 10115 Berlin;;31.02.2024;1;;",  # line 3: no such date
        ";natural;Probe;Paula;;Weg 3, 10115 Berlin;;2024-02-01;2;;",
        ";natural;Test;Tina;;Weg 4, 10115 Berlin;;2024-02-01;1;12.50;",  # line 5: decimal point
        ";legal_person;;;Klein GmbH;Weg 5, 10115 Berlin;;2024-02-01;2;;",  # line 6: 3 mandatory shares
    ]
    with pytest.raises(ImportErrors) as caught:
        import_members(session, OFFICE, io.BytesIO(_file(lines)))
    errors = caught.value.errors
    assert [(e.line, e.column) for e in errors] == [(3, "admitted_on"), (5, "capital_eur"), (6, "shares")]
    assert "YYYY-MM-DD or DD.MM.YYYY" in errors[0].reason
    assert "decimal comma" in errors[1].reason
    assert "3 mandatory" in errors[2].reason
    assert str(errors[0]).startswith("line 3, column admitted_on: ")
    session.rollback()
    assert _counts(session) == before


def test_schema_errors_name_every_column_of_a_row(session: Session) -> None:
    lines = [HEADER, "0;natural;Mustermann;;;x;not-an-email;2024-01-01;zwei;;with space"]
    with pytest.raises(ImportErrors) as caught:
        import_members(session, OFFICE, "\n".join(lines))
    columns = {e.column for e in caught.value.errors}
    assert columns == {"member_no", "given_names", "postal_address", "email", "shares", "nextcloud_user"}
    assert all(e.line == 2 for e in caught.value.errors)


def test_names_must_fit_the_kind_of_party(session: Session) -> None:
    lines = [HEADER, ";natural;Mustermann;;;Weg 1, 10115 Berlin;;2024-01-01;1;;",
             ";association;Verein;;;Weg 2, 10115 Berlin;;2024-01-01;2;;"]
    with pytest.raises(ImportErrors) as caught:
        import_members(session, OFFICE, "\n".join(lines))
    assert [(e.line, e.column) for e in caught.value.errors] == [
        (2, "given_names"), (3, "family_name"), (3, "legal_name")]


def test_member_numbers_must_be_new_and_unique(session: Session, member: Member) -> None:
    member("Max Muster")  # no. 1
    lines = [HEADER, "1;natural;A;Anna;;Weg 1, 10115 Berlin;;2024-01-01;1;;",
             "5;natural;B;Bert;;Weg 2, 10115 Berlin;;2024-01-01;1;;",
             "5;natural;C;Cleo;;Weg 3, 10115 Berlin;;2024-01-01;1;;"]
    with pytest.raises(ImportErrors) as caught:
        import_members(session, OFFICE, "\n".join(lines))
    assert caught.value.errors == [
        RowError(2, "member_no", "Must be greater than 1, the highest member number in the register."),
        RowError(4, "member_no", "Member number 5 is also on line 3."),
    ]


def test_admission_keeps_a_historical_number_only_above_every_given_one(session: Session, member: Member) -> None:
    member("Max Muster")  # no. 1
    party = make_party(session, name="Anna Alt")
    with pytest.raises(RuleViolation) as err:
        admit_member(session, OFFICE, party_id=party.id, admitted_on=date(2024, 1, 10), shares=1, member_no=1)
    assert err.value.field == "member_no"
    session.rollback()
    party = make_party(session, name="Anna Alt")
    assert admit_member(session, OFFICE, party_id=party.id, admitted_on=date(2024, 1, 10), shares=1,
                        member_no=40).member_no == 40
    party = make_party(session, name="Bert Bald")
    assert admit_member(session, OFFICE, party_id=party.id, admitted_on=date(2024, 1, 10), shares=1).member_no == 41


def test_the_header_is_checked_first(session: Session) -> None:
    with pytest.raises(ImportErrors) as caught:
        import_members(session, OFFICE, "kind,family_name,given_names,postal_address,admitted_on,capital_cents\n")
    assert [(e.line, e.column) for e in caught.value.errors] == [(1, "capital_cents"), (1, "shares")]


def test_a_statute_must_be_in_force_on_the_admission_date(session: Session) -> None:
    lines = [HEADER, ";natural;Alt;Anton;;Weg 1, 10115 Berlin;;1998-05-01;1;;"]
    with pytest.raises(ImportErrors) as caught:
        import_members(session, OFFICE, "\n".join(lines))
    assert caught.value.errors == [RowError(2, "admitted_on", "no statute version is in force on 1998-05-01")]


def test_capital_above_the_shares_is_refused(session: Session) -> None:
    lines = [HEADER, ";natural;Reich;Rita;;Weg 1, 10115 Berlin;;2024-01-01;1;100,01;"]
    with pytest.raises(ImportErrors) as caught:
        import_members(session, OFFICE, "\n".join(lines))
    assert [(e.line, e.column) for e in caught.value.errors] == [(2, "capital_eur")]


def test_a_comma_separated_file_and_a_text_stream_work_too(session: Session) -> None:
    text = ("kind,family_name,given_names,postal_address,admitted_on,shares,capital_eur\n"
            'natural,Komma,Karl,"Weg 1, 10115 Berlin",2024-01-01,3,"250,00"\n')
    result = import_members(session, OFFICE, io.StringIO(text, newline=""))
    assert result.imported == 1
    membership = session.scalar(select(Membership))
    assert position_on(capital_moves(session, membership.id), date(2024, 1, 1)) == 25_000


def test_a_file_that_is_not_utf8_is_refused(session: Session) -> None:
    data = ("kind;family_name;given_names;postal_address;admitted_on;shares\n"
            "natural;Größe;Jürgen;Weg 1, 10115 Berlin;2024-01-01;1\n").encode("cp1252")
    with pytest.raises(ImportErrors) as caught:
        import_members(session, OFFICE, data)
    assert [(e.line, e.column) for e in caught.value.errors] == [(2, "-")]
    assert "UTF-8" in caught.value.errors[0].reason


def test_a_dry_run_checks_everything_and_writes_nothing(session: Session) -> None:
    before = _counts(session)
    result = import_members(session, Actor("office"), _file(GOOD), dry_run=True)
    assert (result.imported, result.member_numbers, result.dry_run) == (3, [100, 101, 102], True)
    session.commit()
    assert _counts(session) == before


# --- The command ---------------------------------------------------------------------------------

def test_the_command_imports_or_lists_every_error(app: Flask, session: Session, monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = app.config["NC_COOP_SETTINGS"]
    for name, value in {"APP_SECRET": settings.app_secret, "NEXTCLOUD_URL": settings.nextcloud_url,
                        "DATABASE_URL": settings.database_url}.items():
        monkeypatch.setenv(name, value)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(_file([HEADER, ";natural;A;Anna;;Weg 1, 10115 Berlin;;2024-13-01;1;;",
                           ";natural;B;;;Weg 2, 10115 Berlin;;2024-01-01;1;;"]))
    before = _counts(session)
    session.close()
    assert main(["register", "import", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "line 2, column admitted_on: Not a valid date" in err
    assert "line 3, column given_names: Required for a natural person" in err
    assert "2 error(s); nothing was imported." in err
    assert _counts(session) == before
    session.close()

    good = tmp_path / "good.csv"
    good.write_bytes(_file(GOOD))
    assert main(["register", "import", "--dry-run", str(good)]) == 0
    assert "Dry run: 3 member(s) would be imported (member numbers 100, 101, 102)" in capsys.readouterr().out
    assert _counts(session) == before
    session.close()
    assert main(["register", "import", str(good)]) == 0
    assert "Imported 3 member(s) (member numbers 100, 101, 102)." in capsys.readouterr().out
    assert _counts(session)["membership"] == 3

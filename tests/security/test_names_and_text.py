# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Names and free text (issue 13, point 7).

Control characters (C0, DEL, C1) and bidi overrides/isolates are refused in every name and address
a user or an admin types (register admission and import, join, contact, representatives), with a
field error naming the character, in the user's language, and nothing is written. Line breaks are
allowed in a postal address only. Text that reaches a terminal (the member-list export) or the
access log is escaped, not dropped: a newline in a user id cannot forge a log line.
"""
from __future__ import annotations

import io
import logging
import os
import pty
import re
import select as io_select
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from nc_coop.register.importer import ImportErrors, import_members
from nc_coop.register.models import Party
from nc_coop.register.services import Actor, admit_member
from nc_coop.standin import NextcloudStandIn
from nc_coop.web.csrf import csrf_token
from nc_coop.web.text import ADDRESS, NAME, printable, unsafe_characters
from tests.conftest import TEST_SECRET, appapi_headers
from tests.requests.conftest import OFFICE, people, post, row_counts, standin  # noqa: F401  fixtures
from tests.register.conftest import engine, session  # noqa: F401  fixtures

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: "Anna\u202eredienS" shows as "AnnaSneider"
BAD_NAMES = [("Anna" + RLO + "redienS", "U+202E"), ("Anna\u2066X", "U+2066"), ("Anna\x1b[31m", "U+001B"),
             ("Anna\x85", "U+0085"), ("Anna\x07", "U+0007"), ("Anna\x7f", "U+007F")]
ACK = ["statute", "payment", "notice_period"]


def _field_errors(body: str) -> dict[str, str]:
    return dict(re.findall(r'<p class="field-error" id="e-([^"]+)">([^<]*)</p>', body))


# --- the one validator ----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "code"), BAD_NAMES + [("Anna\tB", "U+0009"), ("A\u2028B", "U+2028")])
def test_the_validator_names_the_refused_character(text: str, code: str) -> None:
    from marshmallow import ValidationError

    with pytest.raises(ValidationError) as refused:
        NAME(text)
    assert code in str(refused.value.messages[0])
    assert unsafe_characters(text) == [code]


def test_line_breaks_are_allowed_in_an_address_only() -> None:
    from marshmallow import ValidationError

    assert ADDRESS("Hauptstr. 1\r\n10115 Berlin") == "Hauptstr. 1\r\n10115 Berlin"
    assert NAME("Zoë O'Brien-Łukasiewicz 李") == "Zoë O'Brien-Łukasiewicz 李"
    assert ADDRESS("شارع ١\nBerlin") == "شارع ١\nBerlin"  # right-to-left script itself is fine
    with pytest.raises(ValidationError, match="single line"):
        NAME("Anna\nSchmidt")
    with pytest.raises(ValidationError, match=r"U\+202E"):
        ADDRESS("Hauptstr. 1\n" + RLO + "nilreB")


# --- every schema that holds a name or an address ---------------------------------------------------

ADMIT = {"kind": "natural", "family_name": "Mustermann", "given_names": "Erika",
         "postal_address": "Hauptstr. 1\n10115 Berlin", "admitted_on": "2024-01-10", "shares": "2"}


@pytest.mark.parametrize(("field", "value", "code"), [
    ("family_name", "Muster" + RLO + "nnam", "U+202E"),
    ("given_names", "Erika\x1b]0;owned\x07", "U+001B"),
    ("postal_address", "Hauptstr. 1\n\u2067Berlin", "U+2067"),
    ("postal_address", "Hauptstr. 1\x00\n10115 Berlin", None),  # NUL: the older "cannot be stored" rule
])
def test_the_admin_admission_form_refuses_it_at_the_field(app: Flask, client: FlaskClient, engine: Engine,
                                                          field: str, value: str, code: str | None) -> None:
    before = row_counts(engine)
    answer = post(app, client, "/admin/members/new", "admin", {**ADMIT, field: value})
    assert answer.status_code == 422
    errors = _field_errors(answer.get_data(as_text=True))
    assert field in errors, errors
    if code:
        assert code in errors[field] and "invisible" in errors[field]
    assert row_counts(engine) == before


def test_the_admission_api_refuses_it_in_german(app: Flask, client: FlaskClient, engine: Engine) -> None:
    before = row_counts(engine)
    headers = {**appapi_headers("admin", language="de")}
    with app.app_context():
        headers["X-CSRF-Token"] = csrf_token("admin")
    body = {"kind": "association", "legal_name": "TSV" + RLO + "e.V.", "postal_address": "Weg 1, Berlin",
            "admitted_on": "2024-01-10", "shares": 3}
    answer = client.post("/api/v1/admin/members", json=body, headers=headers)
    assert answer.status_code == 422, answer.get_json()
    assert answer.get_json()["errors"]["legal_name"] == [
        "Enthält ein unsichtbares Textrichtungszeichen (U+202E); bitte geben Sie den Text ohne es erneut ein."]
    assert row_counts(engine) == before
    body["legal_name"] = "TSV Musterstadt e.V."
    assert client.post("/api/v1/admin/members", json=body, headers=headers).status_code == 201


@pytest.mark.parametrize(("name", "code"), BAD_NAMES)
def test_a_join_request_refuses_it(app: Flask, client: FlaskClient, engine: Engine, people: dict[str, int],
                                   name: str, code: str) -> None:
    before = row_counts(engine)
    answer = post(app, client, "/api/v1/requests/join", "carol", json={
        "kind": "natural", "given_names": name, "family_name": "Neu", "postal_address": "Weg 2, Berlin",
        "email": "carol@example.org", "shares": 1, "acknowledged": ACK})
    assert answer.status_code == 422
    assert code in answer.get_json()["errors"]["given_names"][0]
    assert row_counts(engine) == before


def test_the_join_form_refuses_it_and_keeps_a_multi_line_address(app: Flask, client: FlaskClient, engine: Engine,
                                                                people: dict[str, int]) -> None:
    form = {"kind": "association", "legal_name": "Verein" + RLO, "postal_address": "Weg 2\r\n10115 Berlin",
            "email": "carol@example.org", "shares": "3", **{f"ack_{key}": "1" for key in ACK}}
    before = row_counts(engine)
    answer = post(app, client, "/requests/join", "carol", form)
    assert answer.status_code == 422
    assert "U+202E" in _field_errors(answer.get_data(as_text=True))["legal_name"]
    assert row_counts(engine) == before
    answer = post(app, client, "/requests/join", "carol", {**form, "legal_name": "Verein Musterstadt"})
    assert answer.headers.get("X-NC-Coop-Continue"), answer.get_data(as_text=True)[-1500:]


def test_a_change_of_address_refuses_it(app: Flask, client: FlaskClient, engine: Engine,
                                        people: dict[str, int]) -> None:
    before = row_counts(engine)
    answer = post(app, client, "/api/v1/requests/contact", "alice",
                  json={"membership_id": people["alice"], "postal_address": "Neuer Weg 3\n\x9b2J10115 Berlin"})
    assert answer.status_code == 422
    assert "U+009B" in answer.get_json()["errors"]["postal_address"][0]  # C1 CSI
    answer = post(app, client, "/requests/contact", "alice",
                  {"membership_id": str(people["alice"]), "postal_address": "Neuer Weg 3\u2069, Berlin"})
    assert answer.status_code == 422
    assert "U+2069" in _field_errors(answer.get_data(as_text=True))["postal_address"]
    assert row_counts(engine) == before


def test_representatives_refuse_it_from_the_board_and_the_organisation(
        app: Flask, client: FlaskClient, engine: Engine, people: dict[str, int]) -> None:
    before = row_counts(engine)
    today = date.today().isoformat()
    answer = post(app, client, f"/api/v1/admin/members/{people['org']}/representatives", "admin",
                  json={"role": "board_member", "effective_date": today, "family_name": "Vor" + RLO + "stand"})
    assert answer.status_code == 422 and "U+202E" in answer.get_json()["errors"]["family_name"][0]
    answer = post(app, client, "/requests/contact/representatives", "rita",
                  {"membership_id": str(people["org"]), "role": "board_member", "effective_date": today,
                   "family_name": "Kassen\x1bwart"})
    assert answer.status_code == 422
    assert "U+001B" in answer.get_data(as_text=True)
    assert row_counts(engine) == before


def test_the_import_refuses_the_row_and_imports_nothing(app: Flask, engine: Engine) -> None:
    rows = ("member_no;kind;family_name;given_names;legal_name;postal_address;email;admitted_on;shares;capital_eur\n"
            "1;natural;Muster;Erika;;Weg 1, Berlin;;2024-01-10;1;100\n"
            f"2;natural;Schmidt;Anna{RLO};;Weg 2, Berlin;;2024-01-10;1;100\n")
    before = row_counts(engine)
    with app.app_context(), Session(engine) as s, pytest.raises(ImportErrors) as refused:
        import_members(s, Actor("cli:test", "cli-test"), io.BytesIO(rows.encode()), dry_run=False,
                       source_name="members.csv")
    text = " ".join(str(e) for e in refused.value.errors)
    assert "given_names" in text and "U+202E" in text, text
    assert row_counts(engine) == before


# --- escaped where stored text is printed or logged -------------------------------------------------

def test_printable_escapes_and_keeps_everything() -> None:
    assert printable("alice\nuser=admin rid=x") == "alice\\nuser=admin rid=x"
    assert printable("A\x1b[2J" + RLO + "B\x85") == "A\\x1b[2J\\u202eB\\x85"
    assert printable("Weg 1\r\nBerlin", keep_line_breaks=True) == "Weg 1\r\nBerlin"


def test_a_newline_in_the_user_id_cannot_forge_an_access_log_line(app: Flask, client: FlaskClient,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    forged = "mallory\nINFO nc_coop.access POST /admin 200 user=admin"  # no ":" (AppAPI's separator)
    with caplog.at_level(logging.INFO, logger="nc_coop.access"):
        client.get("/", headers=appapi_headers(forged))
    lines = [r.getMessage() for r in caplog.records if r.name == "nc_coop.access"]
    assert lines, "no access log line"
    assert all("\n" not in line for line in lines)
    assert any("user=mallory\\nINFO nc_coop.access POST /admin 200 user=admin rid=" in line
               for line in lines), lines  # escaped, nothing dropped


def test_a_newline_in_the_path_cannot_forge_an_access_log_line(app: Flask, client: FlaskClient,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="nc_coop.access"):
        client.get("/nothing%0AINFO%20forged", headers=appapi_headers("alice"))
    lines = [r.getMessage() for r in caplog.records if r.name == "nc_coop.access"]
    assert lines and all("\n" not in line for line in lines)
    assert any("/nothing\\nINFO forged" in line for line in lines), lines


def _stored_member_with_control_characters(engine: Engine) -> None:
    """A name stored before the rule existed (or by a direct database write)."""
    with Session(engine) as s:
        party = Party(kind="natural", given_names="Eve\x1b]0;pwned\x07", family_name="Evil" + RLO + "txet",
                      postal_address="Weg 1\n\x1b[2J10115 Berlin", created_at=datetime.now(UTC))
        s.add(party)
        s.flush()
        admit_member(s, OFFICE, party_id=party.id, admitted_on=date(2024, 1, 10), shares=1)
        s.commit()


def _run_on_a_terminal(args: list[str], env: dict[str, str]) -> tuple[int, bytes]:
    """Run the nc-coop command with stdout on a pseudo-terminal (as an operator would)."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "nc_coop.cli", *args], stdout=terminal,
                               stderr=subprocess.PIPE, env=env)
    os.close(terminal)
    output = bytearray()
    while True:
        ready, _, _ = io_select.select([controller], [], [], 60)
        if not ready:
            process.kill()
            break
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO: the command ended and closed the terminal
            break
        if not chunk:
            break
        output += chunk
    os.close(controller)
    process.wait(60)
    assert process.stderr is not None
    with process.stderr:
        errors = process.stderr.read()
    return process.returncode, bytes(output) + errors


def test_the_cli_export_writes_no_control_bytes_to_a_terminal(app: Flask, engine: Engine, tmp_path: Path,
                                                              standin: NextcloudStandIn) -> None:
    _stored_member_with_control_characters(engine)
    settings = app.config["NC_COOP_SETTINGS"]
    env = {**os.environ, "APP_ID": "nc_coop", "APP_SECRET": TEST_SECRET, "APP_VERSION": "0.1.0",
           "NEXTCLOUD_URL": standin.url, "APP_PERSISTENT_STORAGE": str(tmp_path / "storage"),
           "DATABASE_URL": settings.database_url, "NC_COOP_ADMIN_GROUPS": "admin,board"}
    code, shown = _run_on_a_terminal(["register", "export-list", "--date", "2024-06-30"], env)
    assert code == 0, shown
    text = shown.decode("utf-8")
    assert "Eve" in text and "Evil" in text
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text), repr(text)
    assert "Eve\\x1b]0;pwned\\x07" in text and "Evil\\u202etxet" in text  # escaped, not dropped
    # Into a file (or a pipe) the export stays the data as stored.
    target = tmp_path / "list.csv"
    done = subprocess.run([sys.executable, "-m", "nc_coop.cli", "register", "export-list", "--date", "2024-06-30",
                           "--output", str(target)], env=env, capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "Evil" + RLO + "txet" in target.read_text("utf-8")
    # A PDF is never written to a terminal.
    code, shown = _run_on_a_terminal(["register", "export-list", "--format", "pdf"], env)
    assert code == 2 and b"%PDF" not in shown

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""``nc-coop register statute``: a new statute version from the command line, checked and audited."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nc_coop.audit.models import AuditEvent
from nc_coop.cli import main
from nc_coop.register.models import StatuteVersionRow
from nc_coop.register.statutes import Statutes
from tests.register.test_exports import _cli_env


def _versions(session: Session) -> int:
    session.rollback()  # a fresh snapshot: the command committed in its own session
    return session.scalar(select(func.count()).select_from(StatuteVersionRow)) or 0


def test_a_second_version_takes_over_from_its_registration(app: Flask, session: Session, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    _cli_env(app, monkeypatch)
    session.close()
    assert main(["register", "statute", "show", "1"]) == 0
    params = json.loads(capsys.readouterr().out)
    params["share_nominal_cents"] = 25_000  # the assembly raised the share to 250 euros
    (tmp_path / "v2.json").write_text(json.dumps(params), encoding="utf-8")
    assert main(["register", "statute", "add", "--version", "2", "--adopted", "2025-05-20", "--registered",
                 "2025-09-01", "--params", str(tmp_path / "v2.json"), "--document", "Satzung 2025"]) == 0
    assert "in force from 01.09.2025" in capsys.readouterr().out
    session.rollback()
    statutes = Statutes(session)
    assert statutes.params_on(date(2025, 8, 31)).share_nominal_cents == 10_000
    assert statutes.params_on(date(2025, 9, 1)).share_nominal_cents == 25_000
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "statute.add")) >= 1
    assert main(["register", "statute", "list"]) == 0
    assert "Satzung 2025" in capsys.readouterr().out


@pytest.mark.parametrize(("content", "args", "message"), [
    ('{"share_nominal_cents": 0}', ["--version", "2"], "share_nominal"),  # invalid parameter value
    ('{"no_such_parameter": 1}', ["--version", "2"], "unknown parameter(s) no_such_parameter"),
    ("{}", ["--version", "2"], "missing parameter"),
    ("not json", ["--version", "2"], "v.json"),
    (None, ["--version", "1"], "--version: version 1 exists already"),
])
def test_a_bad_version_is_refused_with_the_reason_and_writes_nothing(
        app: Flask, session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], content: str | None, args: list[str], message: str) -> None:
    _cli_env(app, monkeypatch)
    before = _versions(session)
    session.close()
    if content is None:  # valid parameters: version 1's own
        assert main(["register", "statute", "show", "1"]) == 0
        content = capsys.readouterr().out
    (tmp_path / "v.json").write_text(content, encoding="utf-8")
    assert main(["register", "statute", "add", *args, "--adopted", "2025-05-20", "--registered", "2025-09-01",
                 "--params", str(tmp_path / "v.json")]) != 0
    assert message in capsys.readouterr().err
    assert _versions(session) == before

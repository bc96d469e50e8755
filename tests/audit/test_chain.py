# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The audit chain: every event links to its predecessor; verification names the first break."""
from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nc_coop.audit.chain import record, verify
from nc_coop.cli import main
from tests.conftest import get_db_engine


def _append(engine: Engine, n: int) -> list[int]:
    ids = []
    with Session(engine) as session, session.begin():
        for i in range(n):
            ids.append(record(session, actor="admin", action="member.admit", entity="membership",
                              entity_id=str(i), diff={"shares": [0, i]}, request_id=f"r{i}").id)
    return ids


def _tamper(engine: Engine, sql: str) -> None:
    """What someone with database access could do after switching the append-only guard off."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
        else:
            conn.execute(text("DROP TRIGGER audit_event_no_update"))
            conn.execute(text("DROP TRIGGER audit_event_no_delete"))
        conn.execute(text(sql))


def test_an_untouched_chain_verifies(app: Flask) -> None:
    engine = get_db_engine(app)
    _append(engine, 5)
    with Session(engine) as session:
        report = verify(session, batch=2)  # batches must not lose the link between them
    assert report.ok and report.checked == 5


def test_a_changed_event_is_named(app: Flask) -> None:
    engine = get_db_engine(app)
    ids = _append(engine, 4)
    _tamper(engine, f"UPDATE audit_event SET diff = '{{}}' WHERE id = {ids[2]}")
    with Session(engine) as session:
        report = verify(session)
    assert report.first_broken_id == ids[2] and report.checked == 2
    assert "content" in (report.reason or "")


def test_a_deleted_event_is_named_by_its_successor(app: Flask) -> None:
    engine = get_db_engine(app)
    ids = _append(engine, 4)
    _tamper(engine, f"DELETE FROM audit_event WHERE id = {ids[1]}")
    with Session(engine) as session:
        report = verify(session)
    assert report.first_broken_id == ids[2] and "link" in (report.reason or "")


def test_two_writers_on_the_same_tail_cannot_both_append(app: Flask) -> None:
    engine = get_db_engine(app)
    _append(engine, 1)
    first, second = Session(engine), Session(engine)
    try:
        record(first, actor="a", action="x", entity="e")
        first.commit()
        # The second writer read the tail before the first committed: simulate with its stale hash.
        with pytest.raises(IntegrityError):
            stale = first.scalar(text("SELECT prev_hash FROM audit_event ORDER BY id DESC LIMIT 1"))
            second.execute(text(
                "INSERT INTO audit_event (at, actor, action, entity, diff, prev_hash, hash) "
                "VALUES (CURRENT_TIMESTAMP, 'b', 'x', 'e', '{}', :prev, :hash)"), {"prev": stale, "hash": "f" * 64})
            second.flush()
    finally:
        first.close()
        second.rollback()
        second.close()


def test_the_cli_reports_the_break_and_fails(app: Flask, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    settings = app.config["NC_COOP_SETTINGS"]
    for name, value in {"APP_SECRET": settings.app_secret, "NEXTCLOUD_URL": settings.nextcloud_url,
                        "DATABASE_URL": settings.database_url}.items():
        monkeypatch.setenv(name, value)
    engine = get_db_engine(app)
    ids = _append(engine, 3)
    assert main(["audit", "verify"]) == 0
    assert "3 event(s) checked" in capsys.readouterr().out
    _tamper(engine, f"UPDATE audit_event SET actor = 'mallory' WHERE id = {ids[0]}")
    assert main(["audit", "verify"]) == 1
    assert f"broken at event #{ids[0]}" in capsys.readouterr().err

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The install lifecycle against the stand-in, over real HTTP in both directions."""
from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import inspect

from nc_coop import create_app, migrate
from nc_coop.standin import LifecycleError, NextcloudStandIn
from tests.conftest import app_config, get_db_engine, serve_live, wait_for_init


def test_register_runs_init_to_100_and_registers_the_top_menu(unmigrated_app: Flask,
                                                              standin: NextcloudStandIn) -> None:
    with serve_live(unmigrated_app, standin):
        standin.deploy(timeout=30)
        app = standin.state.exapp
        assert app is not None and app.init_progress == 100 and app.enabled and not app.init_error

        reports = [c.json["progress"] for c in standin.state.calls if c.path.endswith("/ex-app/status")]
        assert reports[-1] == 100 and reports == sorted(reports), reports
        assert standin.state.top_menu["coop"]["display_name"] == "Cooperative"
        assert standin.state.top_menu["coop"]["admin_required"] == 0
        assert {"type": "top_menu", "name": "coop", "path": "js/embed"} in standin.state.scripts
        engine = get_db_engine(unmigrated_app)
        assert migrate.current_revision(engine) == migrate.head_revision()
        assert "audit_event" in inspect(engine).get_table_names()

        # Every call we made to Nextcloud for the lifecycle was a system call (user "").
        assert all(c.as_user == "" for c in standin.state.calls if "/app_api/" in c.path)


def test_disable_removes_the_entry_and_enable_brings_it_back(unmigrated_app: Flask,
                                                             standin: NextcloudStandIn) -> None:
    with serve_live(unmigrated_app, standin):
        standin.deploy(timeout=30)
        assert standin.disable() == ""
        assert standin.state.top_menu == {} and standin.state.scripts == []
        standin.enable()
        assert standin.state.exapp.enabled
        assert "coop" in standin.state.top_menu
        standin.unregister()
        assert standin.state.top_menu == {}


def test_disabling_twice_is_not_an_error(unmigrated_app: Flask, standin: NextcloudStandIn) -> None:
    with serve_live(unmigrated_app, standin):
        standin.deploy(timeout=30)
        assert standin.disable() == ""
        standin.state.exapp.enabled = True  # AppAPI answers OCS 404 for entries already gone
        assert standin.disable() == ""


def test_the_menu_speaks_the_enabling_admins_language(unmigrated_app: Flask, standin: NextcloudStandIn) -> None:
    with serve_live(unmigrated_app, standin):
        standin.deploy(timeout=30)
        standin.call_exapp("PUT", "/enabled?enabled=1", language="de-DE,de;q=0.9")
        assert standin.state.top_menu["coop"]["display_name"] == "Genossenschaft"


def test_a_failing_migration_is_reported_to_nextcloud(standin: NextcloudStandIn, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the database folder should be")
    app = create_app(app_config(f"sqlite:///{blocker / 'db.sqlite3'}", standin, tmp_path))
    with serve_live(app, standin):
        with pytest.raises(LifecycleError, match="Database migration failed: FileExistsError"):
            standin.deploy(timeout=30)
        assert standin.state.exapp.init_error.startswith("Database migration failed")
        assert standin.state.top_menu == {}
    wait_for_init(app)
    get_db_engine(app).dispose()


def test_init_answers_before_the_work_is_done(unmigrated_app: Flask, standin: NextcloudStandIn) -> None:
    """/init returns {} at once; progress arrives later through the OCS status call."""
    with serve_live(unmigrated_app, standin):
        standin.state.exapp.enabled = True
        answer = standin.call_exapp("POST", "/init")
        assert answer.status_code == 200 and answer.json() == {}
        assert answer.headers["Cache-Control"] == "no-store"

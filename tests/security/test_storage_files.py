# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The register's files are the owner's only (issue 13, point 9).

The data folder (APP_PERSISTENT_STORAGE) is 0700 and the SQLite file with its WAL files 0600,
when the first migration creates them and when they exist already with wider permissions (then a
log line says what was tightened), under the usual umask 022 that would otherwise give 0755/0644.
"""
from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from nc_coop import create_app, migrate
from nc_coop.db import secure_storage
from nc_coop.standin import NextcloudStandIn
from tests.conftest import app_config, get_db_engine


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def _usual_umask() -> Iterator[None]:
    """A umask that lets everyone read new files, as on most servers: the app must not rely on it."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _app(database_url: str | None, standin: NextcloudStandIn, tmp_path: Path, storage: Path) -> Flask:
    config = app_config(database_url or "", standin, tmp_path, APP_PERSISTENT_STORAGE=str(storage))
    if database_url is None:
        del config["DATABASE_URL"]  # the default: nc_coop.sqlite3 in the data folder
    return create_app(config)


def test_the_first_migration_creates_the_folder_and_the_file_owner_only(standin: NextcloudStandIn,
                                                                        tmp_path: Path) -> None:
    os.chmod(tmp_path, 0o755)  # pytest makes it 0700: the folder above must keep whatever it has
    storage = tmp_path / "data"
    app = _app(None, standin, tmp_path, storage)
    assert not storage.exists()  # building the app does no I/O
    engine = get_db_engine(app)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    database = storage / "nc_coop.sqlite3"
    assert _mode(storage) == 0o700
    assert database.stat().st_size > 0 and _mode(database) == 0o600
    for journal in storage.glob("nc_coop.sqlite3-*"):  # WAL files copy the database's mode
        assert _mode(journal) == 0o600, journal
    assert os.stat(tmp_path).st_mode & 0o055  # the folder above is left as it was


def test_existing_wide_files_are_tightened_at_start_up_with_a_log_line(
        standin: NextcloudStandIn, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    storage = tmp_path / "data"
    storage.mkdir(mode=0o755)
    os.chmod(storage, 0o755)
    database = storage / "nc_coop.sqlite3"
    database.touch(mode=0o644)
    os.chmod(database, 0o666)
    app = _app(None, standin, tmp_path, storage)
    engine = get_db_engine(app)
    try:
        with caplog.at_level(logging.WARNING, logger="nc_coop.db"):
            migrate.upgrade(engine)
    finally:
        engine.dispose()
    assert (_mode(storage), _mode(database)) == (0o700, 0o600)
    messages = [r.getMessage() for r in caplog.records if r.name == "nc_coop.db"]
    assert any(str(storage) in m and "0755" in m and "0700" in m for m in messages), messages
    assert any(str(database) in m and "0666" in m and "0600" in m for m in messages), messages


def test_the_data_folder_is_tightened_on_either_database(database_url: str, standin: NextcloudStandIn,
                                                         tmp_path: Path) -> None:
    """On PostgreSQL too the data folder (if any) is the owner's; a SQLite file elsewhere is 0600."""
    os.chmod(tmp_path, 0o755)
    storage = tmp_path / "data"
    storage.mkdir()
    os.chmod(storage, 0o775)
    app = _app(database_url, standin, tmp_path, storage)
    engine = get_db_engine(app)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    assert _mode(storage) == 0o700
    if database_url.startswith("sqlite"):
        assert _mode(tmp_path / "nc_coop.sqlite3") == 0o600
        assert _mode(tmp_path) & 0o055  # a folder that is not the data folder keeps its permissions


def test_serve_tightens_the_data_folder_before_any_request(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """What ``nc-coop serve`` calls at start-up, before the first connection."""
    storage = tmp_path / "data"
    storage.mkdir()
    os.chmod(storage, 0o750)
    with caplog.at_level(logging.WARNING, logger="nc_coop.db"):
        secure_storage(storage, str(storage / "nc_coop.sqlite3"))
    assert _mode(storage) == 0o700 and _mode(storage / "nc_coop.sqlite3") == 0o600
    assert any("0750" in r.getMessage() for r in caplog.records)
    caplog.clear()
    secure_storage(storage, str(storage / "nc_coop.sqlite3"))  # nothing left to say
    assert not [r for r in caplog.records if r.name == "nc_coop.db"]

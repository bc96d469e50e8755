# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""A fresh test database at the head revision, copied from one migrated per test process.

Running every migration for each test cost 0.75 s on SQLite and 1.6 s on PostgreSQL, most of
the suite's time. Tests that are about migrations call ``nc_coop.migrate.upgrade`` themselves;
every other test gets the same schema and rows by copy:

- SQLite: SQLite's backup API copies the migrated template file, page by page, into the empty one.
- PostgreSQL: ``pg_dump`` of the migrated template schema (``--inserts``, so it runs as plain SQL),
  its unique schema name replaced by the test's schema. Without pg_dump on the PATH (a machine
  with only the server's socket), the migrations run as before.

Either way the copy is checked: its revision must be the head, otherwise the test fails.
"""
from __future__ import annotations

import atexit
import shutil
import subprocess
import tempfile
from contextlib import ExitStack
from pathlib import Path

from sqlalchemy import Engine, inspect
from sqlalchemy.engine import make_url

from nc_coop import migrate
from nc_coop.db import make_engine, postgres_scratch_schema

_CLEANUP = ExitStack()
atexit.register(_CLEANUP.close)
_sqlite_template: Path | None = None
_postgres_scripts: dict[str, tuple[str, str]] = {}  # server URL -> (template schema, its dump)


def migrate_for_test(engine: Engine) -> None:
    """Bring the empty database behind ``engine`` to the head revision (a partly migrated one
    is migrated the usual way)."""
    if inspect(engine).get_table_names():
        migrate.upgrade(engine)
        return
    if engine.dialect.name == "sqlite":
        _copy_sqlite(engine)
    elif not _copy_postgres(engine):
        migrate.upgrade(engine)
    revision = migrate.current_revision(engine)
    assert revision == migrate.head_revision(), f"template copy is at {revision}, not at the head"


def _copy_sqlite(engine: Engine) -> None:
    global _sqlite_template  # noqa: PLW0603 - one template per test process
    if _sqlite_template is None:
        folder = Path(tempfile.mkdtemp(prefix="nc_coop-template-"))
        _CLEANUP.callback(shutil.rmtree, folder, ignore_errors=True)
        template = folder / "head.sqlite3"
        built = make_engine(f"sqlite:///{template}")
        migrate.upgrade(built)
        built.dispose()
        _sqlite_template = template
    import sqlite3  # noqa: PLC0415

    source = sqlite3.connect(_sqlite_template)
    try:
        with engine.connect() as connection:
            target = connection.connection.driver_connection
            source.backup(target)
    finally:
        source.close()


def _copy_postgres(engine: Engine) -> bool:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        return False
    url = make_url(engine.url)
    options = url.query.get("options", "")
    schema = options.removeprefix("-csearch_path=") if isinstance(options, str) else ""
    if not schema or schema == options:
        return False  # not a scratch schema of postgres_scratch_schema
    server = url.set(query={}).render_as_string(hide_password=False)
    if server not in _postgres_scripts:
        template_url = _CLEANUP.enter_context(postgres_scratch_schema(server, "template"))
        built = make_engine(template_url)
        migrate.upgrade(built)
        built.dispose()
        template = make_url(template_url).query["options"].removeprefix("-csearch_path=")
        plain = url.set(drivername="postgresql", query={}).render_as_string(hide_password=False)
        dump = subprocess.run([pg_dump, "--no-owner", "--no-privileges", "--inserts", f"--schema={template}",
                               plain], capture_output=True, text=True, check=True, timeout=120).stdout
        # The schema exists already (the test's scratch schema); its name is a random token.
        dump = dump.replace(f"CREATE SCHEMA {template};", "")
        # psql's meta-commands (\restrict since 15.14) are not SQL.
        dump = "\n".join(line for line in dump.splitlines() if not line.startswith("\\"))
        _postgres_scripts[server] = (template, dump)
    template, dump = _postgres_scripts[server]
    with engine.begin() as connection:
        connection.connection.driver_connection.execute(dump.replace(template, schema))  # type: ignore[union-attr]
    engine.dispose()  # pg_dump's script empties search_path for the session it ran in
    return True

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Storage: one engine per app, one session per request (the unit of work), SQLite or PostgreSQL."""
from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, g
from sqlalchemy import Engine, MetaData, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

log = logging.getLogger(__name__)

# Explicit constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def normalise_url(url: str) -> str:
    """``postgresql://`` means psycopg 3 here (psycopg2 is not a dependency)."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def restrict_to_owner(path: Path) -> None:
    """Take every permission of group and others from an existing file or folder, saying so."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    if mode & 0o077:
        path.chmod(mode & 0o700)
        log.warning("Tightened the permissions of %s from %04o to %04o: the register is for its owner only",
                    path, mode, mode & 0o700)


def secure_storage(data_folder: Path | None, database: str | None = None) -> None:
    """The data folder (0700) and the SQLite file with its journals (0600): readable by the
    owner only, created so (never readable for a moment) and tightened when found wider.

    Only the data folder and the database's own files are touched: a database elsewhere (a
    DATABASE_URL under /tmp) keeps its folder's permissions, but a folder created for it is 0700."""
    if data_folder is not None:
        restrict_to_owner(data_folder)
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        # SQLite would create it with the umask's mode (0644); its journals copy the file's mode.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for name in (path.name, f"{path.name}-wal", f"{path.name}-shm", f"{path.name}-journal"):
        restrict_to_owner(path.with_name(name))


def make_engine(url: str, *, data_folder: Path | None = None, **kwargs: Any) -> Engine:
    """An engine with the pragmas nc_coop relies on (WAL and foreign keys on SQLite).

    ``data_folder``: APP_PERSISTENT_STORAGE, made owner-only at the first connection."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)
        database = make_url(url).database
        secured: list[bool] = []

        @event.listens_for(engine, "do_connect")
        def _secure_files(*_args: Any) -> None:
            # At first connect, not in the factory: building the app does no I/O. Before SQLite
            # opens the file, so that a first migration creates it owner-only too.
            if not secured:
                secure_storage(data_folder, database)
                secured.append(True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    engine = create_engine(url, pool_pre_ping=True, **kwargs)
    if data_folder is not None:
        once = {"done": False}

        @event.listens_for(engine, "do_connect")
        def _secure_folder(*_args: Any) -> None:
            if not once["done"]:
                secure_storage(data_folder)
                once["done"] = True
    return engine


class Database:
    """Holds the engine and the session factory; ``session`` is the current request's session."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.session_factory: sessionmaker[Session] | None = None

    def init_app(self, app: Flask, url: str, data_folder: Path | None = None) -> None:
        self.engine = make_engine(url, data_folder=data_folder)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        app.extensions["nc_coop.db"] = self
        app.after_request(_commit_unit_of_work)
        app.teardown_appcontext(_close_session)

    @property
    def session(self) -> Session:
        if "db_session" not in g:
            assert self.session_factory is not None, "Database.init_app was not called"
            g.db_session = self.session_factory()
        return g.db_session

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A unit of work outside a request (CLI, background jobs): commit or roll back."""
        assert self.session_factory is not None
        with self.session_factory() as session, session.begin():
            yield session


@contextmanager
def postgres_scratch_schema(base_url: str, prefix: str) -> Iterator[str]:
    """A URL to a fresh, empty PostgreSQL schema that is dropped afterwards (tests, benchmarks).

    pg_trgm (migration 0003) is created once in ``public`` first: created by a migration inside
    the scratch schema, it would go with that schema's DROP ... CASCADE and take every other
    scratch schema's trigram indexes with it."""
    import secrets  # noqa: PLC0415 - only tests and benchmarks get here

    schema = f"{prefix}_{secrets.token_hex(6)}"
    admin = make_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if not conn.scalar(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")):
                # Parallel test workers: IF NOT EXISTS alone still races on pg_extension's unique index.
                conn.execute(text("SELECT pg_advisory_lock(hashtext('nc_coop pg_trgm'))"))
                try:
                    conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"))
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(hashtext('nc_coop pg_trgm'))"))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            yield make_url(normalise_url(base_url)).update_query_dict(
                {"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


def get_db() -> Database:
    return current_app.extensions["nc_coop.db"]


def _commit_unit_of_work(response: Response) -> Response:
    session: Session | None = g.get("db_session")
    if session is not None:
        if response.status_code < 400:
            session.commit()
        else:
            session.rollback()
    return response


def _close_session(_exc: BaseException | None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.close()  # rolls back anything not committed (errors, aborted requests)

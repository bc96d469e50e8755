# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The migrations build one schema, the same on SQLite and PostgreSQL, matching the models."""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from nc_coop.audit.chain import record
from nc_coop import migrate
from nc_coop.db import make_engine, postgres_scratch_schema
from nc_coop.migrate import include_object
from nc_coop.models import metadata
from tests.conftest import PG_URL, get_db_engine


def describe(engine: Engine) -> dict[str, Any]:
    """Tables, columns (name, generic type, nullability), keys, uniques, indexes and triggers."""
    insp = inspect(engine)
    schema: dict[str, Any] = {}
    for table in sorted(insp.get_table_names()):
        columns = [(c["name"], _generic(c["type"]), c["nullable"]) for c in insp.get_columns(table)]
        schema[table] = {
            "columns": columns,
            "pk": insp.get_pk_constraint(table)["constrained_columns"],
            "unique": sorted((u["name"], tuple(u["column_names"])) for u in insp.get_unique_constraints(table)),
            "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]))
                              for i in insp.get_indexes(table)
                              # PostgreSQL lists a unique constraint's index again; SQLite its autoindex.
                              if not i.get("duplicates_constraint") and not i["name"].startswith("sqlite_")
                              # PostgreSQL-only trigram indexes for the search (migration 0003).
                              and not i["name"].startswith("trgm_")),
            "fks": sorted((f["name"], tuple(f["constrained_columns"]), f["referred_table"])
                          for f in insp.get_foreign_keys(table)),
        }
    return schema


def _generic(sql_type: Any) -> str:
    """Dialect types mapped to what they mean (INTEGER/BIGINT both are whole numbers, etc.)."""
    name = type(sql_type).__name__.upper()
    for generic, names in {"INTEGER": ("INTEGER", "BIGINT", "SMALLINT"),
                           "TEXT": ("VARCHAR", "TEXT", "STRING", "CHAR"),
                           "DATETIME": ("DATETIME", "TIMESTAMP"), "DATE": ("DATE",),
                           "BOOLEAN": ("BOOLEAN",), "NUMERIC": ("NUMERIC", "DECIMAL")}.items():
        if name in names:
            return generic + (f"({sql_type.length})" if getattr(sql_type, "length", None) else "")
    return name


def test_migrations_match_the_models(app: Flask) -> None:
    with get_db_engine(app).connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"include_object": include_object}),
                                metadata)
    assert diff == []


@pytest.mark.skipif(not os.environ.get("NC_COOP_TEST_DATABASE_URL"), reason="needs NC_COOP_TEST_DATABASE_URL")
def test_sqlite_and_postgresql_get_the_same_schema(tmp_path: Path) -> None:
    sqlite = make_engine(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    with postgres_scratch_schema(PG_URL, "cmp") as url:
        pg = make_engine(url)
        try:
            migrate.upgrade(sqlite)
            migrate.upgrade(pg)
            on_sqlite, on_pg = describe(sqlite), describe(pg)
            assert set(on_sqlite) == set(on_pg) and "audit_event" in on_sqlite
            for table in on_sqlite:
                assert on_sqlite[table] == on_pg[table], table
        finally:
            pg.dispose()
            sqlite.dispose()


@pytest.mark.parametrize("statement", ["UPDATE audit_event SET actor = 'mallory'", "DELETE FROM audit_event"])
def test_the_audit_log_cannot_be_changed_at_the_database(app: Flask, statement: str) -> None:
    engine = get_db_engine(app)
    with engine.begin() as conn:
        with Session(bind=conn) as session:
            record(session, actor="admin", action="test.append", entity="probe", entity_id="1")
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT actor FROM audit_event")).scalars().all() == ["admin"]

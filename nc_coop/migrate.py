# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Applying the Alembic migrations (from /init, the CLI and the tests); no alembic.ini needed."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Alembic's comparison filter: PostgreSQL-only trigram indexes (migration 0003) are kept
    out of the models on purpose, so they are no difference."""
    return not (type_ == "index" and (name or "").startswith("trgm_"))


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def pending_revisions(engine: Engine) -> list[str]:
    """Revisions not yet applied, oldest first."""
    script = ScriptDirectory.from_config(_config())
    current = current_revision(engine)
    return [rev.revision for rev in reversed(list(script.iterate_revisions("heads", current)))]


def upgrade(engine: Engine, progress: Callable[[int, int, str], None] | None = None) -> list[str]:
    """Apply every pending migration, one revision per transaction; report (done, total, rev)."""
    todo = pending_revisions(engine)
    config = _config()
    for done, revision in enumerate(todo, start=1):
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
        if progress:
            progress(done, len(todo), revision)
    return todo

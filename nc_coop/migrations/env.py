# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Alembic environment: always driven by nc_coop.migrate with an open connection."""
from __future__ import annotations

from alembic import context

from nc_coop.migrate import include_object
from nc_coop.models import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    include_object=include_object,  # PostgreSQL-only trigram indexes are no difference
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()

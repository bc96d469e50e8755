# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Trigram indexes for the admin desk's name search, on PostgreSQL only.

The search is a case-insensitive substring match (``lower(name) LIKE '%term%'``), which a
B-tree cannot serve: without these indexes PostgreSQL scans every party (165.8 ms p99 at
100,000 members in bench/register.py). pg_trgm's GIN indexes on ``lower(...)`` answer it from
the index (72 ms p99). pg_trgm is a trusted extension since PostgreSQL 13, so a database owner
without superuser rights may create it; where it is not available the migration leaves the
search unindexed (correct, only slower) instead of failing the install.

SQLite has no such index type; its search stays a scan (85.7 ms p99 at 100,000 members).
These expression indexes are not part of the SQLAlchemy models: ``TRIGRAM_INDEXES`` tells
Alembic's comparison and the schema tests to leave them alone.

Revision ID: 0003
Revises: 0002
"""
import logging

from alembic import op
from sqlalchemy import text

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# (index name, column); spelled out here, not imported, so the migration never changes.
TRIGRAM_INDEXES = (
    ("trgm_party_legal_name", "legal_name"),
    ("trgm_party_family_name", "family_name"),
    ("trgm_party_given_names", "given_names"),
    ("trgm_party_email", "email"),
)

log = logging.getLogger(__name__)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    savepoint = bind.begin_nested()
    try:
        bind.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except Exception as error:  # noqa: BLE001 - any refusal means: no trigram indexes
        savepoint.rollback()
        log.warning("pg_trgm is not available (%s); the member search stays unindexed",
                    type(error).__name__)
        return
    savepoint.commit()
    # The extension may live in another schema than ours (e.g. public): name its operator class.
    schema = bind.scalar(text("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n"
                              " ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"))
    opclass = f'"{schema}".gin_trgm_ops'
    for name, column in TRIGRAM_INDEXES:
        bind.execute(text(f"CREATE INDEX {name} ON party USING gin (lower({column}) {opclass})"))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, _column in TRIGRAM_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")

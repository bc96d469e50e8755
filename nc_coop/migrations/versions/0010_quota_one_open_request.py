# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Quota requests: at most one open request per requester and target, enforced by the database.

``services.create_request`` checked for an open request and then inserted: 20 requests sent at
once gave 5 to 7 open ones. Two partial unique indexes (a user's own quota; an organisation's
pool) make the database refuse the second; PostgreSQL and SQLite both support them.

Open duplicates that the race already left behind would keep the indexes from being built: of
each group the oldest stays open, the others are closed as rejected with a note saying why.

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# (name, columns, scope), spelled out here so the migration never changes.
INDEXES = (
    ("uq_quota_request_open_user", ["requester"], "user"),
    ("uq_quota_request_open_organisation", ["requester", "party_id"], "organisation"),
)

_CLOSE_DUPLICATES = sa.text("""
UPDATE quota_request SET status = 'rejected', decided_at = CURRENT_TIMESTAMP, decided_by = 'nc_coop',
       decision_note = 'duplicate of an earlier open request (closed by migration 0010)'
WHERE status = 'open' AND EXISTS (
    SELECT 1 FROM quota_request AS earlier
    WHERE earlier.status = 'open' AND earlier.requester = quota_request.requester
      AND earlier.scope = quota_request.scope
      AND (earlier.party_id = quota_request.party_id OR (earlier.party_id IS NULL AND quota_request.party_id IS NULL))
      AND earlier.id < quota_request.id)
""")


def upgrade() -> None:
    op.execute(_CLOSE_DUPLICATES)
    for name, columns, scope in INDEXES:
        where = sa.text(f"status = 'open' AND scope = '{scope}'")
        op.create_index(name, 'quota_request', columns, unique=True, postgresql_where=where, sqlite_where=where)


def downgrade() -> None:
    for name, _columns, _scope in INDEXES:
        op.drop_index(name, table_name='quota_request')

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""LDAP sync: per-row foreign-key checks on the sync's own bookkeeping replaced by delete guards.

A first full sync of 100,000 users writes about 220,000 rows into ``ldap_entry`` and
``ldap_org_user``. PostgreSQL checked each of them against up to six foreign keys, one index
lookup and one row lock per key and row: about a third of the database's work in that run
(bench/ldap_sync.py), which kept it from its target of 1.5 times the raw LDAP read.

The keys dropped here guard nothing that can go wrong in another way:
- ``*_run_id`` columns name the run that wrote the row. Only the sync writes them, with the id
  of its own run row.
- ``ldap_org_user.group_entry_id`` / ``user_entry_id`` name ``ldap_entry`` rows, and
  ``org_party_id`` / ``account_id`` copy those entries' ``party_id`` / ``account_id`` (whose
  own foreign keys stay). The sync writes them in the transaction that wrote the entries.
- None of these rows is ever deleted. That is now enforced in the database: DELETE (and
  TRUNCATE on PostgreSQL) on ``ldap_sync_run``, ``ldap_entry`` and ``ldap_org_user`` fails. On
  PostgreSQL this is a statement trigger, which costs an insert nothing.

The tests check after every sync scenario that each of these ids resolves (tests/ldapsync).
``ldap_entry.party_id`` / ``account_id`` keep their foreign keys: they link the directory to
the register.

Revision ID: 0009
Revises: 0008
"""
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# (table, column, referenced table), spelled out here so the migration never changes.
DROPPED = (
    ("ldap_entry", "first_seen_run_id", "ldap_sync_run"),
    ("ldap_entry", "last_seen_run_id", "ldap_sync_run"),
    ("ldap_entry", "missing_since_run_id", "ldap_sync_run"),
    ("ldap_org_user", "since_run_id", "ldap_sync_run"),
    ("ldap_org_user", "ended_run_id", "ldap_sync_run"),
    ("ldap_org_user", "group_entry_id", "ldap_entry"),
    ("ldap_org_user", "user_entry_id", "ldap_entry"),
    ("ldap_org_user", "org_party_id", "party"),
    ("ldap_org_user", "account_id", "account"),
)
NEVER_DELETED = ("ldap_sync_run", "ldap_entry", "ldap_org_user")

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION nc_coop_never_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'rows of % are never deleted: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$
"""


def _name(table: str, column: str, referred: str) -> str:
    return f"fk_{table}_{column}_{referred}"  # the naming convention of nc_coop.db


def upgrade() -> None:
    for table in ("ldap_entry", "ldap_org_user"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in (_name(*row) for row in DROPPED if row[0] == table):
                batch_op.drop_constraint(name, type_="foreignkey")
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute(_PG_FUNCTION)
    for table in NEVER_DELETED:
        if postgres:
            op.execute(f"CREATE TRIGGER {table}_never_deleted BEFORE DELETE OR TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION nc_coop_never_deleted()")
        else:
            op.execute(f"CREATE TRIGGER {table}_never_deleted BEFORE DELETE ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, 'rows of {table} are never deleted: DELETE is not allowed'); END")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in NEVER_DELETED:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_never_deleted" + (f" ON {table}" if postgres else ""))
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS nc_coop_never_deleted()")
    for table in ("ldap_entry", "ldap_org_user"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for row in (r for r in DROPPED if r[0] == table):
                batch_op.create_foreign_key(_name(*row), row[2], [row[1]], ["id"])

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""LDAP sync: directory entries, organisation users, runs, the state row (watermark and SQLite
lease), and ``account.disabled_at`` for accounts the sync disabled.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True))

    op.create_table('ldap_sync_run',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('mode', sa.String(length=20), nullable=False),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('forced', sa.Boolean(), nullable=False),
    sa.Column('actor', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('complete', sa.Boolean(), nullable=False),
    sa.Column('counts', sa.Text(), nullable=False),
    sa.Column('errors', sa.Text(), nullable=False),
    sa.Column('plan', sa.Text(), nullable=True),
    sa.Column('server_high_water', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ldap_sync_run'))
    )
    op.create_table('ldap_sync_state',
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('high_water', sa.String(length=32), nullable=True),
    sa.Column('last_run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('last_full_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lease_holder', sa.String(length=255), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['last_run_id'], ['ldap_sync_run.id'], name=op.f('fk_ldap_sync_state_last_run_id_ldap_sync_run')),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_ldap_sync_state'))
    )
    op.create_table('ldap_entry',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('entry_uuid', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('dn', sa.String(length=1024), nullable=False),
    sa.Column('uid', sa.String(length=255), nullable=True),
    sa.Column('attrs', sa.Text(), nullable=False),
    sa.Column('attr_hash', sa.String(length=64), nullable=False),
    sa.Column('party_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('owns_party', sa.Boolean(), nullable=False),
    sa.Column('first_seen_run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('last_seen_run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('missing_since_run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('missing_full_runs', sa.Integer(), nullable=False),
    sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_ldap_entry_account_id_account')),
    sa.ForeignKeyConstraint(['first_seen_run_id'], ['ldap_sync_run.id'], name=op.f('fk_ldap_entry_first_seen_run_id_ldap_sync_run')),
    sa.ForeignKeyConstraint(['last_seen_run_id'], ['ldap_sync_run.id'], name=op.f('fk_ldap_entry_last_seen_run_id_ldap_sync_run')),
    sa.ForeignKeyConstraint(['missing_since_run_id'], ['ldap_sync_run.id'], name=op.f('fk_ldap_entry_missing_since_run_id_ldap_sync_run')),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_ldap_entry_party_id_party')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ldap_entry')),
    sa.UniqueConstraint('entry_uuid', name=op.f('uq_ldap_entry_entry_uuid'))
    )
    with op.batch_alter_table('ldap_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ldap_entry_dn'), ['dn'], unique=False)
        batch_op.create_index(batch_op.f('ix_ldap_entry_party_id'), ['party_id'], unique=False)

    op.create_table('ldap_org_user',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('group_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('org_party_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('since_run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ended_run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_ldap_org_user_account_id_account')),
    sa.ForeignKeyConstraint(['ended_run_id'], ['ldap_sync_run.id'], name=op.f('fk_ldap_org_user_ended_run_id_ldap_sync_run')),
    sa.ForeignKeyConstraint(['group_entry_id'], ['ldap_entry.id'], name=op.f('fk_ldap_org_user_group_entry_id_ldap_entry')),
    sa.ForeignKeyConstraint(['org_party_id'], ['party.id'], name=op.f('fk_ldap_org_user_org_party_id_party')),
    sa.ForeignKeyConstraint(['since_run_id'], ['ldap_sync_run.id'], name=op.f('fk_ldap_org_user_since_run_id_ldap_sync_run')),
    sa.ForeignKeyConstraint(['user_entry_id'], ['ldap_entry.id'], name=op.f('fk_ldap_org_user_user_entry_id_ldap_entry')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ldap_org_user'))
    )
    with op.batch_alter_table('ldap_org_user', schema=None) as batch_op:
        batch_op.create_index('ix_ldap_org_user_group_user', ['group_entry_id', 'user_entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ldap_org_user_org_party_id'), ['org_party_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ldap_org_user_user_entry_id'), ['user_entry_id'], unique=False)
    # The single state row exists from the start: taking the lease is then an UPDATE, and a dry
    # run (which takes no lease) leaves every table but ldap_sync_run as it was.
    op.execute("INSERT INTO ldap_sync_state (name) VALUES ('ldap-sync')")


def downgrade() -> None:
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_column('disabled_at')

    with op.batch_alter_table('ldap_org_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ldap_org_user_user_entry_id'))
        batch_op.drop_index(batch_op.f('ix_ldap_org_user_org_party_id'))
        batch_op.drop_index('ix_ldap_org_user_group_user')

    op.drop_table('ldap_org_user')
    with op.batch_alter_table('ldap_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ldap_entry_party_id'))
        batch_op.drop_index(batch_op.f('ix_ldap_entry_dn'))

    op.drop_table('ldap_entry')
    op.drop_table('ldap_sync_state')
    op.drop_table('ldap_sync_run')

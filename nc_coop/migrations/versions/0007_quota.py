# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Storage quotas: policy versions, overrides, pool allocations, the change queue and log, the
last known quota per user, and requests for more storage.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('quota_change',
    sa.Column('id', ID, nullable=False),
    sa.Column('nextcloud_user_id', sa.String(length=255), nullable=False),
    sa.Column('backend', sa.String(length=20), nullable=False),
    sa.Column('old_amount', sa.BigInteger(), nullable=True),
    sa.Column('new_amount', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmation', sa.String(length=30), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quota_change'))
    )
    op.create_index('ix_quota_change_status_next', 'quota_change', ['status', 'next_attempt_at'], unique=False)
    op.create_index('ix_quota_change_user', 'quota_change', ['nextcloud_user_id'], unique=False)
    op.create_table('quota_policy_version',
    sa.Column('id', ID, nullable=False),
    sa.Column('params', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quota_policy_version'))
    )
    op.create_table('quota_user_state',
    sa.Column('nextcloud_user_id', sa.String(length=255), nullable=False),
    sa.Column('backend', sa.String(length=20), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=True),
    sa.Column('used_bytes', sa.BigInteger(), nullable=True),
    sa.Column('display_name', sa.String(length=255), nullable=True),
    sa.Column('observed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('nextcloud_user_id', name=op.f('pk_quota_user_state'))
    )
    op.create_table('quota_allocation',
    sa.Column('id', ID, nullable=False),
    sa.Column('party_id', ID, nullable=False),
    sa.Column('nextcloud_user_id', sa.String(length=255), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_quota_allocation_party_id_party')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quota_allocation')),
    sa.UniqueConstraint('party_id', 'nextcloud_user_id', name='uq_quota_allocation_party_user')
    )
    op.create_table('quota_request',
    sa.Column('id', ID, nullable=False),
    sa.Column('requester', sa.String(length=255), nullable=False),
    sa.Column('scope', sa.String(length=20), nullable=False),
    sa.Column('party_id', ID, nullable=True),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=255), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.Column('notified', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_quota_request_party_id_party')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quota_request'))
    )
    op.create_index('ix_quota_request_status', 'quota_request', ['status', 'created_at'], unique=False)
    op.create_table('quota_override',
    sa.Column('id', ID, nullable=False),
    sa.Column('scope', sa.String(length=20), nullable=False),
    sa.Column('nextcloud_user_id', sa.String(length=255), nullable=True),
    sa.Column('party_id', ID, nullable=True),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('until', sa.Date(), nullable=True),
    sa.Column('request_id', ID, nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=255), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_by', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_quota_override_party_id_party')),
    sa.ForeignKeyConstraint(['request_id'], ['quota_request.id'], name=op.f('fk_quota_override_request_id_quota_request')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quota_override'))
    )
    op.create_index('ix_quota_override_party', 'quota_override', ['party_id', 'ended_at'], unique=False)
    op.create_index('ix_quota_override_user', 'quota_override', ['nextcloud_user_id', 'ended_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_quota_override_user', table_name='quota_override')
    op.drop_index('ix_quota_override_party', table_name='quota_override')
    op.drop_table('quota_override')
    op.drop_index('ix_quota_request_status', table_name='quota_request')
    op.drop_table('quota_request')
    op.drop_table('quota_allocation')
    op.drop_table('quota_user_state')
    op.drop_table('quota_policy_version')
    op.drop_index('ix_quota_change_user', table_name='quota_change')
    op.drop_index('ix_quota_change_status_next', table_name='quota_change')
    op.drop_table('quota_change')

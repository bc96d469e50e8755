# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Member requests: join, further shares, notice, transfer, contact changes. Not append-only: a
request's status moves on, and a rejected application is purged to a tombstone (§15 Abs. 2 GenG).

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('member_request',
    sa.Column('id', ID, nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('submitted_by', sa.String(length=255), nullable=True),
    sa.Column('membership_id', ID, nullable=True),
    sa.Column('counterpart_membership_id', ID, nullable=True),
    sa.Column('counterpart_user', sa.String(length=255), nullable=True),
    sa.Column('counterpart_consented_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('shares', sa.Integer(), nullable=True),
    sa.Column('amount_cents', sa.BigInteger(), nullable=True),
    sa.Column('statute_version_id', ID, nullable=True),
    sa.Column('statute_version', sa.Integer(), nullable=True),
    sa.Column('statute_params', sa.Text(), nullable=True),
    sa.Column('declaration_sha256', sa.String(length=64), nullable=True),
    sa.Column('acknowledgements', sa.Text(), nullable=True),
    sa.Column('payload', sa.Text(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('needs_review', sa.Boolean(), nullable=False),
    sa.Column('effective_date', sa.Date(), nullable=True),
    sa.Column('settlement_due', sa.Date(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=255), nullable=True),
    sa.Column('decided_on', sa.Date(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notify_error', sa.String(length=500), nullable=True),
    sa.Column('purged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notice_id', ID, nullable=True),
    sa.Column('share_entry_id', ID, nullable=True),
    sa.Column('transfer_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['membership_id'], ['membership.id'],
                            name=op.f('fk_member_request_membership_id_membership')),
    sa.ForeignKeyConstraint(['counterpart_membership_id'], ['membership.id'],
                            name=op.f('fk_member_request_counterpart_membership_id_membership')),
    sa.ForeignKeyConstraint(['statute_version_id'], ['statute_version.id'],
                            name=op.f('fk_member_request_statute_version_id_statute_version')),
    sa.ForeignKeyConstraint(['notice_id'], ['notice.id'], name=op.f('fk_member_request_notice_id_notice')),
    sa.ForeignKeyConstraint(['share_entry_id'], ['share_entry.id'],
                            name=op.f('fk_member_request_share_entry_id_share_entry')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_request'))
    )
    with op.batch_alter_table('member_request', schema=None) as batch_op:
        batch_op.create_index('ix_member_request_kind_status', ['kind', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_member_request_submitted_by'), ['submitted_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_member_request_membership_id'), ['membership_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_member_request_counterpart_membership_id'),
                              ['counterpart_membership_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('member_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_request_counterpart_membership_id'))
        batch_op.drop_index(batch_op.f('ix_member_request_membership_id'))
        batch_op.drop_index(batch_op.f('ix_member_request_submitted_by'))
        batch_op.drop_index('ix_member_request_kind_status')
    op.drop_table('member_request')

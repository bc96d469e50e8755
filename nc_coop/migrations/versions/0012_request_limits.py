# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Limits on open requests and notifications per member (issue 13, point 8).

- ``member_request.to_member_no``: the member number a transfer was offered to, as typed. An
  offer to a number that cannot receive it is kept without a receiving membership, and the sender
  sees the same entry either way. Existing transfers get their receiver's number.
- ``notification_log``: the notifications about transfer offers, sent or collapsed, counted per
  recipient and hour when an offer is made.

The limits on open requests themselves are counted under the writers' lock (no index can say
"at most 3").

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')

_BACKFILL = sa.text("""
UPDATE member_request SET to_member_no = (
    SELECT membership.member_no FROM membership WHERE membership.id = member_request.counterpart_membership_id)
WHERE kind = 'transfer' AND counterpart_membership_id IS NOT NULL
""")


def upgrade() -> None:
    with op.batch_alter_table('member_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('to_member_no', sa.Integer(), nullable=True))
    op.execute(_BACKFILL)
    op.create_table('notification_log',
    sa.Column('id', ID, nullable=False),
    sa.Column('recipient', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('request_id', ID, nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('collapsed', sa.Boolean(), nullable=False),
    sa.Column('last_in_window', sa.Boolean(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['member_request.id'],
                            name=op.f('fk_notification_log_request_id_member_request')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_log'))
    )
    with op.batch_alter_table('notification_log', schema=None) as batch_op:
        batch_op.create_index('ix_notification_log_recipient_kind_created_at', ['recipient', 'kind', 'created_at'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_notification_log_request_id'), ['request_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('notification_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_log_request_id'))
        batch_op.drop_index('ix_notification_log_recipient_kind_created_at')
    op.drop_table('notification_log')
    with op.batch_alter_table('member_request', schema=None) as batch_op:
        batch_op.drop_column('to_member_no')

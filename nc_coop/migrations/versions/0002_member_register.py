# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The member register: parties, accounts, statute versions, memberships, notices, ledgers.

Ledgers, membership events, notices, memberships and statute versions are append-only at the
database.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

from nc_coop.migrations.append_only import allow_changes, forbid_changes

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Spelled out, not imported from the models: a migration must not change when the code does.
APPEND_ONLY = ("statute_version", "membership", "membership_event", "notice", "share_entry", "capital_entry")


def upgrade() -> None:
    op.create_table('party',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('legal_name', sa.String(length=255), nullable=True),
    sa.Column('family_name', sa.String(length=255), nullable=True),
    sa.Column('given_names', sa.String(length=255), nullable=True),
    sa.Column('postal_address', sa.Text(), nullable=False),
    sa.Column('email', sa.String(length=255), nullable=True),
    sa.Column('register_court', sa.String(length=255), nullable=True),
    sa.Column('register_no', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_party'))
    )
    op.create_table('statute_version',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('adopted_at', sa.Date(), nullable=False),
    sa.Column('registered_at', sa.Date(), nullable=False),
    sa.Column('params', sa.Text(), nullable=False),
    sa.Column('document_ref', sa.String(length=255), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statute_version')),
    sa.UniqueConstraint('version', name=op.f('uq_statute_version_version'))
    )
    op.create_table('account',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('nextcloud_user_id', sa.String(length=255), nullable=False),
    sa.Column('party_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_account_party_id_party')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account')),
    sa.UniqueConstraint('nextcloud_user_id', 'party_id', name='uq_account_user_party')
    )
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_nextcloud_user_id'), ['nextcloud_user_id'], unique=False)

    op.create_table('membership',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('member_no', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('admitted_on', sa.Date(), nullable=False),
    sa.Column('statute_version_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=255), nullable=False),
    sa.Column('basis_document', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_membership_party_id_party')),
    sa.ForeignKeyConstraint(['statute_version_id'], ['statute_version.id'], name=op.f('fk_membership_statute_version_id_statute_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_membership')),
    sa.UniqueConstraint('member_no', name=op.f('uq_membership_member_no'))
    )
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_membership_party_id'), ['party_id'], unique=False)

    op.create_table('capital_entry',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('membership_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('value_date', sa.Date(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=255), nullable=False),
    sa.Column('reference', sa.String(length=255), nullable=True),
    sa.Column('basis_document', sa.String(length=255), nullable=True),
    sa.Column('transfer_id', sa.String(length=36), nullable=True),
    sa.Column('reverses_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['membership_id'], ['membership.id'], name=op.f('fk_capital_entry_membership_id_membership')),
    sa.ForeignKeyConstraint(['reverses_id'], ['capital_entry.id'], name=op.f('fk_capital_entry_reverses_id_capital_entry')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_capital_entry')),
    sa.UniqueConstraint('reverses_id', name=op.f('uq_capital_entry_reverses_id'))
    )
    with op.batch_alter_table('capital_entry', schema=None) as batch_op:
        batch_op.create_index('ix_capital_entry_membership_date', ['membership_id', 'value_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_capital_entry_transfer_id'), ['transfer_id'], unique=False)

    op.create_table('notice',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('membership_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('scope', sa.String(length=10), nullable=False),
    sa.Column('shares', sa.Integer(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('statute_version_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('effective_date', sa.Date(), nullable=False),
    sa.Column('settlement_due', sa.Date(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=255), nullable=False),
    sa.Column('basis_document', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['membership_id'], ['membership.id'], name=op.f('fk_notice_membership_id_membership')),
    sa.ForeignKeyConstraint(['statute_version_id'], ['statute_version.id'], name=op.f('fk_notice_statute_version_id_statute_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice'))
    )
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_membership_id'), ['membership_id'], unique=False)

    op.create_table('membership_event',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('membership_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('event_date', sa.Date(), nullable=False),
    sa.Column('effective_date', sa.Date(), nullable=True),
    sa.Column('notice_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('reverses_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=255), nullable=False),
    sa.Column('reference', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['membership_id'], ['membership.id'], name=op.f('fk_membership_event_membership_id_membership')),
    sa.ForeignKeyConstraint(['notice_id'], ['notice.id'], name=op.f('fk_membership_event_notice_id_notice')),
    sa.ForeignKeyConstraint(['reverses_id'], ['membership_event.id'], name=op.f('fk_membership_event_reverses_id_membership_event')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_membership_event')),
    sa.UniqueConstraint('reverses_id', name=op.f('uq_membership_event_reverses_id'))
    )
    with op.batch_alter_table('membership_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_membership_event_membership_id'), ['membership_id'], unique=False)

    op.create_table('share_entry',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('membership_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('delta', sa.Integer(), nullable=False),
    sa.Column('effective_date', sa.Date(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=255), nullable=False),
    sa.Column('reference', sa.String(length=255), nullable=True),
    sa.Column('basis_document', sa.String(length=255), nullable=True),
    sa.Column('statute_version_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('transfer_id', sa.String(length=36), nullable=True),
    sa.Column('notice_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('reverses_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['membership_id'], ['membership.id'], name=op.f('fk_share_entry_membership_id_membership')),
    sa.ForeignKeyConstraint(['notice_id'], ['notice.id'], name=op.f('fk_share_entry_notice_id_notice')),
    sa.ForeignKeyConstraint(['reverses_id'], ['share_entry.id'], name=op.f('fk_share_entry_reverses_id_share_entry')),
    sa.ForeignKeyConstraint(['statute_version_id'], ['statute_version.id'], name=op.f('fk_share_entry_statute_version_id_statute_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_share_entry')),
    sa.UniqueConstraint('reverses_id', name=op.f('uq_share_entry_reverses_id'))
    )
    with op.batch_alter_table('share_entry', schema=None) as batch_op:
        batch_op.create_index('ix_share_entry_membership_date', ['membership_id', 'effective_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_share_entry_transfer_id'), ['transfer_id'], unique=False)

    for table in APPEND_ONLY:
        forbid_changes(table)


def downgrade() -> None:
    for table in APPEND_ONLY:
        allow_changes(table)
    with op.batch_alter_table('share_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_share_entry_transfer_id'))
        batch_op.drop_index('ix_share_entry_membership_date')

    op.drop_table('share_entry')
    with op.batch_alter_table('membership_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_membership_event_membership_id'))

    op.drop_table('membership_event')
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notice_membership_id'))

    op.drop_table('notice')
    with op.batch_alter_table('capital_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_capital_entry_transfer_id'))
        batch_op.drop_index('ix_capital_entry_membership_date')

    op.drop_table('capital_entry')
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_membership_party_id'))

    op.drop_table('membership')
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_nextcloud_user_id'))

    op.drop_table('account')
    op.drop_table('statute_version')
    op.drop_table('party')

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""General assembly (issue 14): assemblies, agenda items, invitations, proxies, the frozen voter
roll, participations and secret ballots (two tables without a shared key; see
nc_coop/assembly/models.py for why ballots have random ids and SQLite tables WITHOUT ROWID).

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

from nc_coop.migrations.append_only import allow_changes, forbid_changes

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
APPEND_ONLY = ("assembly_invitation", "assembly_delegate", "assembly_voter", "assembly_voter_login",
               "assembly_attendance", "assembly_participation", "assembly_ballot", "assembly_room_count")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    op.create_table(
        'assembly',
        sa.Column('id', ID, nullable=False),
        sa.Column('general_assembly_id', ID, nullable=False),
        sa.Column('title', sa.String(length=255), nullable=False),
        sa.Column('form', sa.String(length=20), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('held_on', sa.Date(), nullable=False),
        sa.Column('place', sa.Text(), nullable=True),
        sa.Column('link', sa.String(length=1024), nullable=True),
        sa.Column('voting_from', sa.Date(), nullable=True),
        sa.Column('voting_until', sa.Date(), nullable=True),
        sa.Column('statute_version_id', ID, nullable=False),
        sa.Column('convened_on', sa.Date(), nullable=True),
        sa.Column('roll_frozen_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('minutes_document', sa.String(length=255), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.String(length=255), nullable=False),
        _fk('assembly', 'general_assembly_id', 'general_assembly'),
        _fk('assembly', 'statute_version_id', 'statute_version'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_assembly')),
        sa.UniqueConstraint('general_assembly_id', name=op.f('uq_assembly_general_assembly_id')),
    )
    op.create_table(
        'assembly_item',
        sa.Column('id', ID, nullable=False),
        sa.Column('assembly_id', ID, nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=500), nullable=False),
        sa.Column('resolution_type', sa.String(length=20), nullable=False),
        sa.Column('secret', sa.Boolean(), nullable=False),
        sa.Column('seats', sa.Integer(), nullable=True),
        sa.Column('candidates', sa.Text(), nullable=True),
        sa.Column('announced_on', sa.Date(), nullable=True),
        sa.Column('requested_by_members', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.String(length=255), nullable=False),
        _fk('assembly_item', 'assembly_id', 'assembly'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_assembly_item')),
        sa.UniqueConstraint('assembly_id', 'position', name='uq_assembly_item_assembly_position'),
    )
    op.create_index(op.f('ix_assembly_item_assembly_id'), 'assembly_item', ['assembly_id'], unique=False)
    op.create_table(
        'assembly_invitation',
        sa.Column('assembly_id', ID, nullable=False),
        sa.Column('membership_id', ID, nullable=False),
        sa.Column('member_no', sa.Integer(), nullable=False),
        _fk('assembly_invitation', 'assembly_id', 'assembly'),
        _fk('assembly_invitation', 'membership_id', 'membership'),
        sa.PrimaryKeyConstraint('assembly_id', 'membership_id', name=op.f('pk_assembly_invitation')),
    )
    op.create_table(
        'assembly_delegate',
        sa.Column('id', ID, nullable=False),
        sa.Column('assembly_id', ID, nullable=False),
        sa.Column('membership_id', ID, nullable=False),
        sa.Column('nextcloud_user_id', sa.String(length=255), nullable=False),
        sa.Column('basis_document', sa.String(length=255), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.String(length=255), nullable=False),
        _fk('assembly_delegate', 'assembly_id', 'assembly'),
        _fk('assembly_delegate', 'membership_id', 'membership'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_assembly_delegate')),
        sa.UniqueConstraint('assembly_id', 'membership_id', name='uq_assembly_delegate_assembly_member'),
    )
    op.create_table(
        'assembly_proxy',
        sa.Column('id', ID, nullable=False),
        sa.Column('assembly_id', ID, nullable=False),
        sa.Column('principal_membership_id', ID, nullable=False),
        sa.Column('proxy_membership_id', ID, nullable=False),
        sa.Column('textform_reference', sa.String(length=255), nullable=False),
        sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.String(length=255), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_by', sa.String(length=255), nullable=True),
        _fk('assembly_proxy', 'assembly_id', 'assembly'),
        _fk('assembly_proxy', 'principal_membership_id', 'membership'),
        _fk('assembly_proxy', 'proxy_membership_id', 'membership'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_assembly_proxy')),
    )
    op.create_index(op.f('ix_assembly_proxy_assembly_id'), 'assembly_proxy', ['assembly_id'], unique=False)
    op.create_index('ux_assembly_proxy_principal', 'assembly_proxy', ['assembly_id', 'principal_membership_id'],
                    unique=True, sqlite_where=sa.text('revoked_at IS NULL'),
                    postgresql_where=sa.text('revoked_at IS NULL'))
    op.create_table(
        'assembly_voter',
        sa.Column('id', ID, nullable=False),
        sa.Column('assembly_id', ID, nullable=False),
        sa.Column('membership_id', ID, nullable=False),
        sa.Column('member_no', sa.Integer(), nullable=False),
        sa.Column('votes', sa.Integer(), nullable=False),
        sa.Column('investing', sa.Boolean(), nullable=False),
        sa.Column('capacity', sa.String(length=20), nullable=False),
        sa.Column('proxy_membership_id', ID, nullable=True),
        _fk('assembly_voter', 'assembly_id', 'assembly'),
        _fk('assembly_voter', 'membership_id', 'membership'),
        _fk('assembly_voter', 'proxy_membership_id', 'membership'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_assembly_voter')),
        sa.UniqueConstraint('assembly_id', 'membership_id', name='uq_assembly_voter_assembly_member'),
    )
    op.create_table(
        'assembly_voter_login',
        sa.Column('voter_id', ID, nullable=False),
        sa.Column('nextcloud_user_id', sa.String(length=255), nullable=False),
        _fk('assembly_voter_login', 'voter_id', 'assembly_voter'),
        sa.PrimaryKeyConstraint('voter_id', 'nextcloud_user_id', name=op.f('pk_assembly_voter_login')),
    )
    op.create_index(op.f('ix_assembly_voter_login_nextcloud_user_id'), 'assembly_voter_login',
                    ['nextcloud_user_id'], unique=False)
    op.create_table(
        'assembly_attendance',
        sa.Column('assembly_id', ID, nullable=False),
        sa.Column('voter_id', ID, nullable=False),
        sa.Column('recorded_on', sa.Date(), nullable=False),
        sa.Column('actor', sa.String(length=255), nullable=False),
        _fk('assembly_attendance', 'assembly_id', 'assembly'),
        _fk('assembly_attendance', 'voter_id', 'assembly_voter'),
        sa.PrimaryKeyConstraint('assembly_id', 'voter_id', name=op.f('pk_assembly_attendance')),
    )
    op.create_table(
        'assembly_participation',
        sa.Column('item_id', ID, nullable=False),
        sa.Column('voter_id', ID, nullable=False),
        sa.Column('voted_on', sa.Date(), nullable=False),
        sa.Column('choice', sa.String(length=200), nullable=True),
        _fk('assembly_participation', 'item_id', 'assembly_item'),
        _fk('assembly_participation', 'voter_id', 'assembly_voter'),
        sa.PrimaryKeyConstraint('item_id', 'voter_id', name=op.f('pk_assembly_participation')),
    )
    for table in ('assembly_ballot_pool', 'assembly_ballot'):
        # WITHOUT ROWID: no hidden, increasing row number that would give the order of casting.
        op.create_table(
            table,
            sa.Column('id', sa.String(length=32), nullable=False),
            sa.Column('item_id', ID, nullable=False),
            sa.Column('choice', sa.String(length=200), nullable=False),
            sa.Column('investing', sa.Boolean(), nullable=False),
            sa.Column('receipt_hash', sa.String(length=64), nullable=False),
            _fk(table, 'item_id', 'assembly_item'),
            sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{table}')),
            sqlite_with_rowid=False,
        )
    op.create_index('ix_assembly_ballot_item_choice', 'assembly_ballot', ['item_id', 'choice'], unique=False)
    op.create_table(
        'assembly_room_count',
        sa.Column('item_id', ID, nullable=False),
        sa.Column('yes', sa.Integer(), nullable=False),
        sa.Column('no', sa.Integer(), nullable=False),
        sa.Column('abstain', sa.Integer(), nullable=False),
        sa.Column('investing_yes', sa.Integer(), nullable=False),
        sa.Column('investing_no', sa.Integer(), nullable=False),
        sa.Column('investing_abstain', sa.Integer(), nullable=False),
        sa.Column('candidate_votes', sa.Text(), nullable=True),
        sa.Column('investing_candidate_votes', sa.Text(), nullable=True),
        sa.Column('participants', sa.Integer(), nullable=False),
        sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.String(length=255), nullable=False),
        _fk('assembly_room_count', 'item_id', 'assembly_item'),
        sa.PrimaryKeyConstraint('item_id', name=op.f('pk_assembly_room_count')),
    )
    for table in APPEND_ONLY:
        forbid_changes(table)


def downgrade() -> None:
    for table in APPEND_ONLY:
        allow_changes(table)
    op.drop_table('assembly_room_count')
    op.drop_index('ix_assembly_ballot_item_choice', table_name='assembly_ballot')
    op.drop_table('assembly_ballot')
    op.drop_table('assembly_ballot_pool')
    op.drop_table('assembly_participation')
    op.drop_table('assembly_attendance')
    op.drop_index(op.f('ix_assembly_voter_login_nextcloud_user_id'), table_name='assembly_voter_login')
    op.drop_table('assembly_voter_login')
    op.drop_table('assembly_voter')
    op.drop_index('ux_assembly_proxy_principal', table_name='assembly_proxy')
    op.drop_index(op.f('ix_assembly_proxy_assembly_id'), table_name='assembly_proxy')
    op.drop_table('assembly_proxy')
    op.drop_table('assembly_delegate')
    op.drop_table('assembly_invitation')
    op.drop_index(op.f('ix_assembly_item_assembly_id'), table_name='assembly_item')
    op.drop_table('assembly_item')
    op.drop_table('assembly')

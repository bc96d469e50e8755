# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Governance documents: assemblies, publications, their events, read confirmations and
notifications. Publications and everything that happens to them are append-only.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

from nc_coop.migrations.append_only import allow_changes, forbid_changes

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Spelled out, not imported from the models: a migration must not change when the code does.
APPEND_ONLY = ("governance_document", "document_event", "document_confirmation", "document_notification")
ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('general_assembly',
    sa.Column('id', ID, nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_general_assembly'))
    )
    op.create_table('governance_document',
    sa.Column('id', ID, nullable=False),
    sa.Column('category', sa.String(length=30), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('fiscal_year', sa.Integer(), nullable=True),
    sa.Column('assembly_id', ID, nullable=True),
    sa.Column('version', sa.String(length=50), nullable=True),
    sa.Column('adopted_on', sa.Date(), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('statute_version_id', ID, nullable=True),
    sa.Column('audience', sa.String(length=10), nullable=False),
    sa.Column('requires_confirmation', sa.Boolean(), nullable=False),
    sa.Column('dav_path', sa.String(length=1024), nullable=False),
    sa.Column('file_id', sa.String(length=64), nullable=True),
    sa.Column('etag', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('content_type', sa.String(length=255), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_by', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['assembly_id'], ['general_assembly.id'],
                            name=op.f('fk_governance_document_assembly_id_general_assembly')),
    sa.ForeignKeyConstraint(['statute_version_id'], ['statute_version.id'],
                            name=op.f('fk_governance_document_statute_version_id_statute_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_governance_document'))
    )
    with op.batch_alter_table('governance_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_governance_document_assembly_id'), ['assembly_id'], unique=False)
        batch_op.create_index('ix_governance_document_category_published', ['category', 'published_at'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_governance_document_statute_version_id'), ['statute_version_id'],
                              unique=False)

    op.create_table('document_event',
    sa.Column('id', ID, nullable=False),
    sa.Column('document_id', ID, nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=255), nullable=False),
    sa.Column('observed_sha256', sa.String(length=64), nullable=True),
    sa.Column('observed_etag', sa.String(length=255), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['governance_document.id'],
                            name=op.f('fk_document_event_document_id_governance_document')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_event'))
    )
    with op.batch_alter_table('document_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_event_document_id'), ['document_id'], unique=False)

    op.create_table('document_confirmation',
    sa.Column('id', ID, nullable=False),
    sa.Column('document_id', ID, nullable=False),
    sa.Column('membership_id', ID, nullable=False),
    sa.Column('nextcloud_user_id', sa.String(length=255), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['governance_document.id'],
                            name=op.f('fk_document_confirmation_document_id_governance_document')),
    sa.ForeignKeyConstraint(['membership_id'], ['membership.id'],
                            name=op.f('fk_document_confirmation_membership_id_membership')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_confirmation')),
    sa.UniqueConstraint('document_id', 'membership_id', name='uq_document_confirmation_member')
    )
    with op.batch_alter_table('document_confirmation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_confirmation_document_id'), ['document_id'], unique=False)

    op.create_table('document_notification',
    sa.Column('id', ID, nullable=False),
    sa.Column('document_id', ID, nullable=False),
    sa.Column('nextcloud_user_id', sa.String(length=255), nullable=False),
    sa.Column('attempted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['governance_document.id'],
                            name=op.f('fk_document_notification_document_id_governance_document')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_notification'))
    )
    with op.batch_alter_table('document_notification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_notification_document_id'), ['document_id'], unique=False)

    for table in APPEND_ONLY:
        forbid_changes(table)


def downgrade() -> None:
    for table in reversed(APPEND_ONLY):
        allow_changes(table)
    for table in ('document_notification', 'document_confirmation', 'document_event'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_document_id'))
        op.drop_table(table)
    with op.batch_alter_table('governance_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_governance_document_statute_version_id'))
        batch_op.drop_index('ix_governance_document_category_published')
        batch_op.drop_index(batch_op.f('ix_governance_document_assembly_id'))
    op.drop_table('governance_document')
    op.drop_table('general_assembly')

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Representatives of organisation parties: appointments and their ends, append-only.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

from nc_coop.migrations.append_only import allow_changes, forbid_changes

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('representation_event',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('organisation_party_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_party_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('role', sa.String(length=30), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('effective_date', sa.Date(), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=255), nullable=False),
    sa.Column('basis_document', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_representation_event_account_id_account')),
    sa.ForeignKeyConstraint(['organisation_party_id'], ['party.id'],
                            name=op.f('fk_representation_event_organisation_party_id_party')),
    sa.ForeignKeyConstraint(['person_party_id'], ['party.id'],
                            name=op.f('fk_representation_event_person_party_id_party')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_representation_event'))
    )
    with op.batch_alter_table('representation_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_representation_event_organisation_party_id'),
                              ['organisation_party_id'], unique=False)
    forbid_changes("representation_event")


def downgrade() -> None:
    allow_changes("representation_event")
    with op.batch_alter_table('representation_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_representation_event_organisation_party_id'))
    op.drop_table('representation_event')

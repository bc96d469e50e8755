# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Members' demands for agenda items filed in the app (§45 GenG, issue 14): the demand and each
membership's support (once at a time per membership: a partial unique index).

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    op.create_table(
        'assembly_agenda_demand',
        sa.Column('id', ID, nullable=False),
        sa.Column('assembly_id', ID, nullable=False),
        sa.Column('membership_id', ID, nullable=False),
        sa.Column('title', sa.String(length=500), nullable=False),
        sa.Column('reasoning', sa.Text(), nullable=False),
        sa.Column('filed_on', sa.Date(), nullable=False),
        sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.String(length=255), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('item_id', ID, nullable=True),
        sa.Column('refusal_reason', sa.Text(), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decided_by', sa.String(length=255), nullable=True),
        _fk('assembly_agenda_demand', 'assembly_id', 'assembly'),
        _fk('assembly_agenda_demand', 'membership_id', 'membership'),
        _fk('assembly_agenda_demand', 'item_id', 'assembly_item'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_assembly_agenda_demand')),
    )
    op.create_index(op.f('ix_assembly_agenda_demand_assembly_id'), 'assembly_agenda_demand', ['assembly_id'],
                    unique=False)
    op.create_table(
        'assembly_agenda_support',
        sa.Column('id', ID, nullable=False),
        sa.Column('demand_id', ID, nullable=False),
        sa.Column('membership_id', ID, nullable=False),
        sa.Column('supported_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.String(length=255), nullable=False),
        sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('withdrawn_by', sa.String(length=255), nullable=True),
        _fk('assembly_agenda_support', 'demand_id', 'assembly_agenda_demand'),
        _fk('assembly_agenda_support', 'membership_id', 'membership'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_assembly_agenda_support')),
    )
    op.create_index(op.f('ix_assembly_agenda_support_demand_id'), 'assembly_agenda_support', ['demand_id'],
                    unique=False)
    op.create_index('ux_assembly_agenda_support_member', 'assembly_agenda_support', ['demand_id', 'membership_id'],
                    unique=True, sqlite_where=sa.text('withdrawn_at IS NULL'),
                    postgresql_where=sa.text('withdrawn_at IS NULL'))


def downgrade() -> None:
    op.drop_index('ux_assembly_agenda_support_member', table_name='assembly_agenda_support')
    op.drop_index(op.f('ix_assembly_agenda_support_demand_id'), table_name='assembly_agenda_support')
    op.drop_table('assembly_agenda_support')
    op.drop_index(op.f('ix_assembly_agenda_demand_assembly_id'), table_name='assembly_agenda_demand')
    op.drop_table('assembly_agenda_demand')

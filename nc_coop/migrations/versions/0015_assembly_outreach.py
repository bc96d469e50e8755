# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The general assembly's outreach (issue 14): notifications per event and recipient, the stored
minutes with their retention date, and the Talk room / calendar event of an assembly.

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

from nc_coop.migrations.append_only import allow_changes, forbid_changes

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
APPEND_ONLY = ("assembly_minutes_file", "assembly_meeting_place")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    op.create_table(
        'assembly_notification',
        sa.Column('id', ID, nullable=False),
        sa.Column('assembly_id', ID, nullable=False),
        sa.Column('event', sa.String(length=20), nullable=False),
        sa.Column('recipient', sa.String(length=255), nullable=False),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('claim_token', sa.String(length=32), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('error', sa.String(length=500), nullable=True),
        _fk('assembly_notification', 'assembly_id', 'assembly'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_assembly_notification')),
        sa.UniqueConstraint('assembly_id', 'event', 'recipient',
                            name='uq_assembly_notification_assembly_event_recipient'),
    )
    op.create_table(
        'assembly_minutes_file',
        sa.Column('assembly_id', ID, nullable=False),
        sa.Column('document_id', ID, nullable=False),
        sa.Column('dav_path', sa.String(length=1024), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('language', sa.String(length=5), nullable=False),
        sa.Column('keep_until', sa.Date(), nullable=True),
        sa.Column('stored_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.String(length=255), nullable=False),
        _fk('assembly_minutes_file', 'assembly_id', 'assembly'),
        _fk('assembly_minutes_file', 'document_id', 'governance_document'),
        sa.PrimaryKeyConstraint('assembly_id', name=op.f('pk_assembly_minutes_file')),
    )
    op.create_table(
        'assembly_meeting_place',
        sa.Column('id', ID, nullable=False),
        sa.Column('assembly_id', ID, nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('reference', sa.String(length=255), nullable=False),
        sa.Column('url', sa.String(length=1024), nullable=True),
        sa.Column('owner', sa.String(length=255), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        _fk('assembly_meeting_place', 'assembly_id', 'assembly'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_assembly_meeting_place')),
        sa.UniqueConstraint('assembly_id', 'kind', name='uq_assembly_meeting_place_assembly_kind'),
    )
    for table in APPEND_ONLY:
        forbid_changes(table)


def downgrade() -> None:
    for table in APPEND_ONLY:
        allow_changes(table)
    op.drop_table('assembly_meeting_place')
    op.drop_table('assembly_minutes_file')
    op.drop_table('assembly_notification')

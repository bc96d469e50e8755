# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The hash-chained audit log, append-only at the database.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

from nc_coop.migrations.append_only import forbid_changes, allow_changes

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("entity", sa.String(100), nullable=False),
        sa.Column("entity_id", sa.String(100), nullable=True),
        sa.Column("diff", sa.Text(), nullable=False),
        sa.Column("request_id", sa.String(100), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_event"),
        sa.UniqueConstraint("prev_hash", name="uq_audit_event_prev_hash"),
        sa.UniqueConstraint("hash", name="uq_audit_event_hash"),
    )
    forbid_changes("audit_event")


def downgrade() -> None:
    allow_changes("audit_event")
    op.drop_table("audit_event")

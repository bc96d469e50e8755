# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Imports every feature's models so that ``metadata`` describes the whole schema (for Alembic)."""
from nc_coop.audit.models import AuditEvent
from nc_coop.db import Base

metadata = Base.metadata

__all__ = ["AuditEvent", "metadata"]

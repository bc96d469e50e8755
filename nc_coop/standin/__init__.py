# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""A stand-in for Nextcloud 34 + AppAPI built from recordings of a real server.

Used by the test suite and by ``nc-coop demo``; never by nc_coop in production.
"""
from nc_coop.standin.server import LifecycleError, NextcloudStandIn
from nc_coop.standin.state import StandInUser

__all__ = ["LifecycleError", "NextcloudStandIn", "StandInUser"]

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The contract with AppAPI: request verification, roles, /heartbeat, /init and /enabled."""

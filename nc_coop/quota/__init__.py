# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Storage quotas: units, the policy that ties quota to membership, and the plan of changes."""

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""General assembly (Generalversammlung, §§43–48 GenG): convening, roll, proxies, votes, tally."""

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Member requests (join, further shares, notice, transfer, contact data) and their letters."""

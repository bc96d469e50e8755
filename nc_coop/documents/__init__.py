# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Governance documents: statutes, assembly papers, annual reports and minutes (issue 6)."""

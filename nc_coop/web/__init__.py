# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""What every page shares: language, relative URLs, form protection, headers, errors, static files."""

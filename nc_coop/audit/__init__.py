# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The hash-chained audit log: every change nc_coop makes leaves one event here."""

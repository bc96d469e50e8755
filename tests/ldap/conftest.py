# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The ``slapd`` fixture these tests use lives in tests/conftest.py (shared with tests/ldapsync);
starting and stopping instances is in tests/ldap_support.py."""

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""ldap3, imported once without its import-time DeprecationWarnings (ldap3 2.9.1 uses names that
pyasn1 0.6.1+ deprecates: tagMap, typeMap); the tests turn warnings into errors."""
from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"ldap3\.utils\.asn1")
    warnings.filterwarnings("ignore", category=DeprecationWarning, message=r".*(tagMap|typeMap) is deprecated")
    from ldap3 import FIRST, NONE, SUBTREE, Connection, Server, ServerPool, Tls
    from ldap3.core.exceptions import LDAPException
    from ldap3.utils.conv import escape_filter_chars

__all__ = ["FIRST", "NONE", "SUBTREE", "Connection", "LDAPException", "Server", "ServerPool", "Tls",
           "escape_filter_chars"]

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The stand-in's user_ldap: LDAP-backed users take their quota from the directory.

As recorded on Nextcloud 34 (ldap_quota_observations.json, ldap_quota_refresh_by_user_search.json):
the quota attribute is applied when a user is mapped, and again only when the user's attributes
are re-read: by a user listing or an admin's user search that matches the user (by display
name), not by a single-user GET. An absent attribute leaves the quota as it is.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from nc_coop.ldapsync._ldap3 import NONE, Connection, LDAPException, Server  # isort: skip  (quiet import first)
from ldap3 import BASE  # isort: skip


@dataclass
class LdapSource:
    """How the stand-in reaches the directory (like user_ldap's agent: ``ldapAgentName``)."""

    url: str
    bind_dn: str
    password: str = field(repr=False)
    quota_attribute: str = "nextcloudQuota"
    reads: int = 0  # entries read, for tests

    def quota_text(self, dn: str) -> str | None:
        """The quota attribute of ``dn`` as stored; None when absent or unreadable."""
        conn = Connection(Server(self.url, get_info=NONE, connect_timeout=5), user=self.bind_dn,
                          password=self.password, receive_timeout=10, raise_exceptions=False)
        try:
            if not conn.bind():
                return None
            conn.search(dn, "(objectClass=*)", BASE, attributes=[self.quota_attribute])
            self.reads += 1
            for item in conn.response or ():
                if item.get("type") == "searchResEntry":
                    value = {k.lower(): v for k, v in item["attributes"].items()}.get(self.quota_attribute.lower())
                    if isinstance(value, list):
                        value = value[0] if value else None
                    return str(value) if value not in (None, "") else None
            return None
        except LDAPException:
            return None
        finally:
            conn.unbind()


def computer_file_size(text: str) -> int | None:
    """``\\OCP\\Util::computerFileSize`` as user_ldap applies it: "2 GB" → 2147483648, digits are
    bytes, "none" is unlimited (-3); anything else is not a quota (None)."""
    cleaned = text.strip().lower()
    if cleaned in ("none", "default"):
        return -3
    units = {"": 1, "b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2, "g": 1024**3, "gb": 1024**3,
             "t": 1024**4, "tb": 1024**4, "p": 1024**5, "pb": 1024**5}
    number = cleaned.rstrip("abcdefghijklmnopqrstuvwxyz ").replace(",", ".")
    unit = cleaned[len(cleaned.rstrip("abcdefghijklmnopqrstuvwxyz")):].strip()
    if unit.endswith("ib"):
        unit = unit[0] + "b"
    try:
        return int(float(number) * units[unit])
    except (KeyError, ValueError):
        return None

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Writes to the directory, through the same gateway as the reads (``DirectoryReader``'s
connection, failover and bind): only the quota attribute that Nextcloud's user_ldap reads.

The sync account may write nothing but ``nextcloudQuota`` and the objectClass value
``nextcloudUser`` that the attribute needs (ldap/acl.ldif). Many writes share one connection.
A write first replaces the attribute; only an entry without the auxiliary class (objectClass
violation) gets the class added in a second modify, so the common case is one operation.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from nc_coop.ldapsync._ldap3 import SUBTREE, LDAPException, escape_filter_chars  # isort: skip  (first: quiet import)
from ldap3 import BASE, MODIFY_ADD, MODIFY_REPLACE  # isort: skip  (ldap3 is imported quietly by now)

from nc_coop.ldapsync.reader import DirectoryReader, LdapError
from nc_coop.ldapsync.settings import LdapSettings

QUOTA_CLASS = "nextcloudUser"
OBJECT_CLASS_VIOLATION = 65
NO_SUCH_OBJECT = 32


@dataclass(frozen=True)
class QuotaWrite:
    """One quota to write: the entry's DN as last read (and its entryUUID, to find it after a
    rename) and the attribute value (units.to_ldap_value)."""

    key: int  # the caller's id for this write (a quota_change id)
    dn: str
    entry_uuid: str | None
    value: str


@dataclass(frozen=True)
class WriteResult:
    key: int
    ok: bool
    dn: str
    error: str | None = None


class DirectoryWriter(DirectoryReader):
    """``with DirectoryWriter(settings) as writer: writer.set_quotas(writes)``."""

    def __init__(self, settings: LdapSettings) -> None:
        super().__init__(settings)
        self.writes = 0  # modify operations the server accepted

    def _connect(self, url: str):  # type: ignore[no-untyped-def]  # ldap3's Connection is untyped
        conn = super()._connect(url)
        conn.read_only = False  # the reader's connections refuse writes; this one may modify
        return conn

    def _modify(self, dn: str, changes: dict[str, list[tuple[str, list[str]]]]) -> dict[str, object]:
        assert self.conn is not None, "DirectoryWriter is not open"
        try:
            self.conn.modify(dn, changes)
        except LDAPException as exc:
            # The connection is gone: every later write would fail the same way.
            raise LdapError(f"writing {dn} failed: {self._describe(exc)}") from None
        return self.conn.result or {}

    def _find_by_uuid(self, entry_uuid: str) -> str | None:
        assert self.conn is not None
        s = self.settings
        try:
            self.conn.search(s.user_base, f"(entryUUID={escape_filter_chars(entry_uuid)})", SUBTREE,
                             attributes=["1.1"], size_limit=2)
        except LDAPException as exc:
            raise LdapError(f"looking up entryUUID {entry_uuid} failed: {self._describe(exc)}") from None
        found = [item["dn"] for item in self.conn.response or () if item.get("type") == "searchResEntry"]
        return found[0] if len(found) == 1 else None

    def set_quota(self, write: QuotaWrite) -> WriteResult:
        """Replace the quota attribute; add the auxiliary class when the entry lacks it; follow a
        rename by entryUUID. A refusal of this entry is a failed result; a lost connection raises."""
        attribute = self.settings.attributes.quota
        dn = write.dn
        result = self._modify(dn, {attribute: [(MODIFY_REPLACE, [write.value])]})
        if result.get("result") == NO_SUCH_OBJECT and write.entry_uuid:
            moved = self._find_by_uuid(write.entry_uuid)
            if moved is not None:
                dn = moved
                result = self._modify(dn, {attribute: [(MODIFY_REPLACE, [write.value])]})
        if result.get("result") == OBJECT_CLASS_VIOLATION:
            result = self._modify(dn, {"objectClass": [(MODIFY_ADD, [QUOTA_CLASS])],
                                       attribute: [(MODIFY_REPLACE, [write.value])]})
        if result.get("result") == 0:
            self.writes += 1
            return WriteResult(write.key, True, dn)
        return WriteResult(write.key, False, dn, f"{result.get('description')} ({result.get('result')}): "
                                                 f"{str(result.get('message') or '')[:200]}".rstrip(": "))

    def set_quotas(self, writes: Iterable[QuotaWrite]) -> list[WriteResult]:
        """Every write on this one connection, in order."""
        return [self.set_quota(write) for write in writes]

    def read_quota(self, dn: str) -> str | None:
        """The attribute's value now (None: not set), read straight from the entry."""
        assert self.conn is not None
        attribute = self.settings.attributes.quota
        try:
            self.conn.search(dn, "(objectClass=*)", BASE, attributes=[attribute])
        except LDAPException as exc:
            raise LdapError(f"reading {dn} failed: {self._describe(exc)}") from None
        for item in self.conn.response or ():
            if item.get("type") == "searchResEntry":
                values = {k.lower(): v for k, v in item["attributes"].items()}.get(attribute.lower())
                if isinstance(values, list):
                    return str(values[0]) if values else None
                return str(values) if values is not None else None
        return None

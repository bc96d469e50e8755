# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The one gateway to the directory (ldap3): bind, then paged searches as streams.

ldap3 does not raise when the server stops a search early (sizeLimitExceeded, timeLimitExceeded;
see ldap/README.md), so every page's result code is checked: a read is ``complete`` only when
the last page ended with result 0 and an empty paging cookie and no referral came back. Network
and bind failures raise ``LdapError`` with one line that never contains the password.
"""
from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

from nc_coop.ldapsync._ldap3 import NONE, SUBTREE, Connection, LDAPException, Server, Tls
from nc_coop.ldapsync.plan import (
    DirGroup,
    DirUser,
    newest,
    normalise_dn,
    parse_member_no,
    since_filter,
    value_filter,
)
from nc_coop.ldapsync.settings import Attributes, LdapSettings

PAGED_RESULTS_OID = "1.2.840.113556.1.4.319"
OPERATIONAL = ["entryUUID", "modifyTimestamp", "createTimestamp"]
PageCallback = Callable[[int], None]  # entries read so far, after each page


class LdapError(Exception):
    """The directory could not be read: no connection, bind refused, a page failed or timed out."""


def _lean_entry(payload: Any) -> dict[str, Any]:
    """A searchResEntry from ldap3's fast BER decoder as ``{"type", "dn", "attributes"}`` with
    lower-case attribute names and the raw values (bytes). ldap3 itself builds two
    case-insensitive dicts per entry and formats every value (about half of its read time);
    the reader decodes only the values it uses, once."""
    attributes: dict[str, list[bytes]] = {}
    for attribute in payload[1][3]:
        name, values = attribute[3]
        attributes[name[3].decode("utf-8", "replace").lower()] = [v[3] for v in values[3]]
    return {"type": "searchResEntry", "dn": payload[0][3].decode("utf-8", "replace"), "attributes": attributes}


def _lean(item: dict[str, Any]) -> dict[str, list[Any]]:
    """The attributes of an entry in ldap3's usual form, as ``_lean_entry`` gives them."""
    raw = item.get("raw_attributes")
    if raw is not None:
        return {key.lower(): list(value) for key, value in raw.items()}
    return item["attributes"]


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _first(attributes: dict[str, list[Any]], name: str) -> str | None:
    values = attributes.get(name)
    if not values:
        return None
    text = _text(values[0])
    return text if text != "" else None


def _all(attributes: dict[str, list[Any]], name: str) -> list[str]:
    return [_text(v) for v in attributes.get(name) or ()]


class DirectoryReader:
    """``with DirectoryReader(settings) as reader:`` binds; ``reader.users()`` streams users.

    After a stream is exhausted, ``reader.complete`` says whether everything was read and
    ``reader.incomplete_reasons`` why not."""

    def __init__(self, settings: LdapSettings) -> None:
        self.settings = settings
        self.conn: Connection | None = None
        self.complete = True
        self.incomplete_reasons: list[str] = []
        self.high_water: str | None = None  # newest modify/createTimestamp read
        self.skipped: list[str] = []
        # Attribute names in lower case, as entries have them (see _lean_entry).
        self._lower = Attributes(**{k: v.lower() for k, v in vars(settings.attributes).items()})

    # --- connection ----------------------------------------------------------------------------

    def _connect(self, url: str) -> Connection:
        s = self.settings
        tls = None
        if s.starttls or url.startswith("ldaps://"):
            tls = Tls(validate=ssl.CERT_REQUIRED, version=ssl.PROTOCOL_TLS_CLIENT,
                      ca_certs_file=str(s.ca_file) if s.ca_file else None)
        server = Server(url, use_ssl=url.startswith("ldaps://"), tls=tls, get_info=NONE, connect_timeout=s.timeout)
        conn = Connection(server, user=s.bind_dn, password=s.bind_password, raise_exceptions=False,
                          receive_timeout=s.timeout, auto_referrals=False, read_only=True,
                          return_empty_attributes=False)
        try:
            conn.open()
        except LDAPException:
            # ldap3 leaves the socket of a failed connect open; close it here.
            if getattr(conn, "socket", None) is not None:
                conn.socket.close()
            raise
        return conn

    def open(self) -> DirectoryReader:
        """Connect to the first server that answers (in the order of NC_COOP_LDAP_URL), then
        StartTLS if configured, then bind. A refused bind is not retried on the next server."""
        s = self.settings
        failures = []
        conn = None
        for url in s.urls:
            try:
                conn = self._connect(url)
                break
            except LDAPException as exc:
                failures.append(f"{url}: {self._describe(exc)}")
        if conn is None:
            raise LdapError(f"cannot reach the directory at {'; '.join(failures)}")
        try:
            if s.starttls and not conn.start_tls():
                raise LdapError(f"StartTLS with {conn.server.name} failed: {conn.result.get('description')}")
            if not conn.bind():
                result = conn.result or {}
                raise LdapError(f"bind as {s.bind_dn} refused by the directory: {result.get('description')} "
                                f"({result.get('result')})")
        except LDAPException as exc:
            conn.unbind()
            raise LdapError(f"cannot talk to the directory at {conn.server.name}: {self._describe(exc)}") from None
        except LdapError:
            conn.unbind()
            raise
        self._decode_lean(conn)
        self.conn = conn
        return self

    @staticmethod
    def _decode_lean(conn: Connection) -> None:
        """Let this connection's search entries skip ldap3's formatting (see ``_lean_entry``):
        ldap3 still receives, BER-decodes and pages; only the dict it builds per entry is ours.
        An entry with a ranged attribute (``member;range=0-1499``, Active Directory) keeps
        ldap3's form, so that ldap3's automatic range retrieval still completes it."""
        strategy = conn.strategy
        if not conn.fast_decoder or not hasattr(strategy, "decode_response_fast"):
            return
        standard = strategy.decode_response_fast

        def decode(message: dict[str, Any]) -> dict[str, Any]:
            if message["protocolOp"] != 4 or message["controls"] or any(
                    b";range=" in attribute[3][0][3] for attribute in message["payload"][1][3]):
                return standard(message)
            return _lean_entry(message["payload"])

        strategy.decode_response_fast = decode  # this connection only

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.unbind()
            except LDAPException:
                pass  # the server is gone already; nothing to release
            self.conn = None

    def __enter__(self) -> DirectoryReader:
        return self.open()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _describe(self, exc: BaseException) -> str:
        text = " ".join(str(exc).split()) or type(exc).__name__
        if self.settings.bind_password:
            text = text.replace(self.settings.bind_password, "[redacted]")
        return f"{type(exc).__name__}: {text}"[:300]

    # --- paged search --------------------------------------------------------------------------

    def _incomplete(self, reason: str) -> None:
        self.complete = False
        self.incomplete_reasons.append(reason)

    def _paged(self, base: str, search_filter: str, attributes: list[str],
               on_page: PageCallback | None) -> Iterator[dict[str, Any]]:
        assert self.conn is not None, "DirectoryReader is not open"
        cookie: bytes | None = None
        read = 0
        while True:
            try:
                self.conn.search(base, search_filter, SUBTREE, attributes=attributes,
                                 paged_size=self.settings.page_size, paged_cookie=cookie)
            except LDAPException as exc:
                raise LdapError(f"reading {base} failed after {read} entries: {self._describe(exc)}") from None
            result = self.conn.result
            if not result:
                raise LdapError(f"reading {base} failed after {read} entries: no answer from the directory")
            for item in self.conn.response or ():
                kind = item.get("type")
                if kind == "searchResEntry":
                    read += 1
                    yield item
                elif kind == "searchResRef":
                    self._incomplete(f"{base}: the directory returned a referral, which is not followed")
            code = result.get("result")
            control = (result.get("controls") or {}).get(PAGED_RESULTS_OID) or {}
            cookie = (control.get("value") or {}).get("cookie") or None
            if code != 0:
                # sizeLimitExceeded (4), timeLimitExceeded (3), …: ldap3 returns what came, silently.
                self._incomplete(f"{base}: the directory ended the search with {result.get('description')} "
                                 f"({code}) after {read} entries")
                return
            if on_page is not None:
                on_page(read)
            if not cookie:
                return

    # --- users and groups ----------------------------------------------------------------------

    def _user_attributes(self) -> list[str]:
        a = self.settings.attributes
        return list(dict.fromkeys([a.uid, a.display_name, a.given_name, a.family_name, a.mail, a.member_number,
                                   a.quota, "cn", *OPERATIONAL]))

    def _group_attributes(self) -> list[str]:
        a = self.settings.attributes
        return list(dict.fromkeys(["cn", "description", a.group_name, a.member_number, a.group_member,
                                   *OPERATIONAL]))

    def _stamp(self, attributes: Any) -> str | None:
        stamp = newest(_first(attributes, "modifytimestamp"), _first(attributes, "createtimestamp"))
        self.high_water = newest(self.high_water, stamp)
        return stamp

    def _user(self, item: dict[str, Any]) -> DirUser | None:
        a = self._lower
        attributes = _lean(item)
        entry_uuid, uid = _first(attributes, "entryuuid"), _first(attributes, a.uid)
        dn = normalise_dn(item["dn"])
        if entry_uuid is None or uid is None:
            self.skipped.append(f"{dn}: no {'entryUUID' if entry_uuid is None else self.settings.attributes.uid}; "
                                "skipped")
            return None
        return DirUser(
            entry_uuid=entry_uuid.lower(), dn=dn, uid=uid,
            display_name=_first(attributes, a.display_name) or _first(attributes, "cn"),
            given_name=_first(attributes, a.given_name), family_name=_first(attributes, a.family_name),
            mail=_first(attributes, a.mail), member_no=parse_member_no(_first(attributes, a.member_number)),
            quota=_first(attributes, a.quota), changed_at=self._stamp(attributes))

    def _group(self, item: dict[str, Any]) -> DirGroup | None:
        a = self._lower
        attributes = _lean(item)
        entry_uuid = _first(attributes, "entryuuid")
        dn = normalise_dn(item["dn"])
        if entry_uuid is None:
            self.skipped.append(f"{dn}: no entryUUID; skipped")
            return None
        name = _first(attributes, "cn") or dn.split(",", 1)[0].split("=", 1)[-1]
        legal_name = _first(attributes, a.group_name) or _first(attributes, "description") or name
        members = tuple(sorted({normalise_dn(m) for m in _all(attributes, a.group_member)}))
        return DirGroup(entry_uuid=entry_uuid.lower(), dn=dn, name=name, legal_name=legal_name,
                        member_no=parse_member_no(_first(attributes, a.member_number)), members=members,
                        changed_at=self._stamp(attributes))

    def users(self, *, since: str | None = None, on_page: PageCallback | None = None) -> Iterator[DirUser]:
        """Every user under the user base matching the user filter; with ``since`` (the last
        successful run's newest server timestamp) only those created or modified since then."""
        s = self.settings
        search_filter = since_filter(s.user_filter, since, s.overlap_seconds) if since else s.user_filter
        for item in self._paged(s.user_base, search_filter, self._user_attributes(), on_page):
            user = self._user(item)
            if user is not None:
                yield user

    def groups(self, *, since: str | None = None, on_page: PageCallback | None = None) -> Iterator[DirGroup]:
        """Every member organisation (one paged pass; members as DNs, inverted by the caller)."""
        s = self.settings
        if not s.group_base:
            return
        search_filter = since_filter(s.group_filter, since, s.overlap_seconds) if since else s.group_filter
        for item in self._paged(s.group_base, search_filter, self._group_attributes(), on_page):
            group = self._group(item)
            if group is not None:
                yield group

    def find_users(self, uid: str) -> list[DirUser]:
        """Users whose uid is exactly ``uid`` (escaped: ``*`` or ``)(`` are plain characters)."""
        s = self.settings
        search_filter = value_filter(s.user_filter, s.attributes.uid, uid)
        return [u for u in (self._user(i) for i in self._paged(s.user_base, search_filter,
                                                                   self._user_attributes(), None)) if u]

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""LDAP sync settings, read from the environment (``NC_COOP_LDAP_*``).

A missing or malformed setting raises ``ConfigError`` naming it in one line. The bind password
is never part of ``repr`` and never appears in an error message.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from nc_coop.config import ConfigError, env_setting, env_value, parse_bool, parse_float, parse_int, read_secret

PREFIX = "NC_COOP_LDAP_"
URL_VARIABLE = "NC_COOP_LDAP_URL"
ORGANISATION_KINDS = ("association", "legal_person", "partnership", "public_body")
# An attribute description: a name (letters, digits, hyphens) or a numeric OID.
_ATTRIBUTE = re.compile(r"^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)$")


@dataclass(frozen=True)
class Attributes:
    """Which LDAP attribute holds what (``NC_COOP_LDAP_ATTR_*``)."""

    uid: str = "uid"
    display_name: str = "displayName"
    given_name: str = "givenName"
    family_name: str = "sn"
    mail: str = "mail"
    member_number: str = "ncCoopMemberNumber"
    quota: str = "nextcloudQuota"
    group_name: str = "o"  # the organisation's legal name; falls back to description, then cn
    group_member: str = "member"


@dataclass(frozen=True)
class LdapSettings:
    urls: tuple[str, ...]
    bind_dn: str
    bind_password: str = field(repr=False)
    user_base: str = ""
    user_filter: str = "(objectClass=inetOrgPerson)"
    group_base: str | None = None
    group_filter: str = "(objectClass=groupOfNames)"
    starttls: bool = False
    ca_file: Path | None = None
    attributes: Attributes = field(default_factory=Attributes)
    group_kind: str = "association"
    page_size: int = 500
    timeout: int = 30  # seconds, connect and each answer (ldap3 wants whole seconds)
    missing_runs: int = 3
    max_disable: int = 50
    max_disable_percent: float = 2.0
    overlap_seconds: int = 120
    schedule_minutes: int = 0
    full_every_hours: int = 24

    def secret_values(self) -> tuple[str, ...]:
        """Values that must never appear in a log line, an error or a response."""
        return (self.bind_password,) if self.bind_password else ()

    def disable_limit(self, linked_accounts: int) -> int:
        """How many linked accounts one run may disable without --force: max(count, percent)."""
        return max(self.max_disable, int(linked_accounts * self.max_disable_percent / 100))


def ldap_configured(environ: Mapping[str, Any]) -> bool:
    return bool(str(environ.get(URL_VARIABLE) or "").strip())


def _filter(name: str, raw: str) -> str:
    value = raw.strip()
    if not (value.startswith("(") and value.endswith(")")) or value.count("(") != value.count(")"):
        raise ConfigError(name, f"must be an LDAP filter in parentheses, like (objectClass=inetOrgPerson), got {raw!r}")
    return value


def _dn(name: str, raw: str) -> str:
    value = raw.strip()
    if "=" not in value:
        raise ConfigError(name, f"must be a distinguished name like ou=people,dc=example,dc=org, got {raw!r}")
    return value


def _urls(name: str, raw: str, starttls: bool) -> tuple[str, ...]:
    urls = []
    for item in (part.strip() for part in raw.split(",")):
        parts = urlsplit(item)
        if parts.scheme not in {"ldap", "ldaps"} or not parts.hostname:
            raise ConfigError(name, f"must be ldap:// or ldaps:// URLs, comma-separated, got {item!r}")
        if parts.path not in {"", "/"} or parts.query:
            raise ConfigError(name, f"must name a server only (no base DN or query), got {item!r}")
        try:
            parts.port  # noqa: B018 - raises on a malformed port
        except ValueError:
            raise ConfigError(name, f"has a malformed port in {item!r}") from None
        if parts.scheme == "ldaps" and starttls:
            raise ConfigError("NC_COOP_LDAP_STARTTLS", "cannot be combined with ldaps:// (TLS is already on)")
        urls.append(f"{parts.scheme}://{parts.netloc}")  # ldap3 refuses a trailing slash
    return tuple(urls)


def load_ldap_settings(environ: Mapping[str, str]) -> LdapSettings:
    """Build LDAP settings from ``environ``; raise ``ConfigError`` naming the first bad one."""

    def get(suffix: str) -> str | None:
        return env_value(environ, PREFIX + suffix)

    def opt(suffix: str, default: Any, parse: Callable[[str, str], Any]) -> Any:
        return env_setting(environ, PREFIX + suffix, default, parse)

    def required(suffix: str) -> str:
        raw = get(suffix)
        if raw is None:
            raise ConfigError(PREFIX + suffix, "is required and not set")
        return raw

    starttls = opt("STARTTLS", False, parse_bool)
    urls = _urls(URL_VARIABLE, required("URL"), starttls)
    ca_file = opt("CA_FILE", None, lambda n, r: Path(r.strip()).expanduser())
    if ca_file is not None and not ca_file.is_file():
        raise ConfigError(PREFIX + "CA_FILE", f"is not a readable file: {str(ca_file)!r}")
    bind_dn = _dn(PREFIX + "BIND_DN", required("BIND_DN"))
    password = read_secret(environ, PREFIX + "BIND_PASSWORD")
    if not password:
        raise ConfigError(PREFIX + "BIND_PASSWORD", "is required (or NC_COOP_LDAP_BIND_PASSWORD_FILE); "
                                                    "an empty password would bind anonymously")

    defaults = Attributes()
    mapping = {}
    for key in Attributes.__dataclass_fields__:
        raw = get("ATTR_" + key.upper())
        if raw is not None and not _ATTRIBUTE.match(raw.strip()):
            raise ConfigError(PREFIX + "ATTR_" + key.upper(), f"must be an attribute name, got {raw!r}")
        mapping[key] = raw.strip() if raw is not None else getattr(defaults, key)
    group_kind = opt("GROUP_KIND", "association", lambda n, r: r.strip())
    if group_kind not in ORGANISATION_KINDS:
        raise ConfigError(PREFIX + "GROUP_KIND", f"must be one of {', '.join(ORGANISATION_KINDS)}, got {group_kind!r}")

    return LdapSettings(
        urls=urls,
        starttls=starttls,
        ca_file=ca_file,
        bind_dn=bind_dn,
        bind_password=password,
        user_base=_dn(PREFIX + "USER_BASE", required("USER_BASE")),
        user_filter=opt("USER_FILTER", "(objectClass=inetOrgPerson)", _filter),
        group_base=opt("GROUP_BASE", None, _dn),
        group_filter=opt("GROUP_FILTER", "(objectClass=groupOfNames)", _filter),
        attributes=Attributes(**mapping),
        group_kind=group_kind,
        page_size=opt("PAGE_SIZE", 500, parse_int(1, 10_000)),
        timeout=opt("TIMEOUT", 30, parse_int(1, 600)),
        missing_runs=opt("MISSING_RUNS", 3, parse_int(1, 1000)),
        max_disable=opt("MAX_DISABLE", 50, parse_int(0, 10_000_000)),
        max_disable_percent=opt("MAX_DISABLE_PERCENT", 2.0, parse_float(0, 100)),
        overlap_seconds=opt("OVERLAP_SECONDS", 120, parse_int(0, 86_400)),
        schedule_minutes=opt("SCHEDULE_MINUTES", 0, parse_int(0, 10_080)),
        full_every_hours=opt("FULL_EVERY_HOURS", 24, parse_int(1, 8_760)),
    )

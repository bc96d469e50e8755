# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Typed settings, read from the environment inside the app factory (never at import).

AppAPI sets the unprefixed variables (APP_ID, APP_SECRET, …) for Docker installs; a manual
install exports them by hand. nc_coop's own settings carry the ``NC_COOP_`` prefix.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, available_timezones

from nc_coop import __version__


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it and says why (one line)."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


DEFAULT_TIME_ZONE = "Europe/Berlin"


@dataclass(frozen=True)
class Letterhead:
    """The cooperative as its letters and PDFs name it (NC_COOP_LETTERHEAD_*); empty when unset."""

    name: str | None = None
    address_lines: tuple[str, ...] = ()
    register_entry: str | None = None  # Genossenschaftsregister, e.g. "Amtsgericht Musterstadt GnR 123"

    @property
    def complete(self) -> bool:
        return bool(self.name and self.address_lines and self.register_entry)


@dataclass(frozen=True)
class Settings:
    app_id: str
    app_secret: str = field(repr=False)
    app_version: str
    app_host: str
    app_port: int
    nextcloud_url: str
    aa_version: str
    persistent_storage: Path
    hp_shared_key: str | None = field(repr=False)
    database_url: str = field(repr=False)
    admin_groups: tuple[str, ...]
    role_cache_seconds: int
    nextcloud_timeout: float
    threads: int
    log_level: str
    demo: bool
    time_zone: ZoneInfo  # days and times are shown and counted here (NC_COOP_TIME_ZONE)
    letterhead: Letterhead
    # Flooding limits (issue 13, point 8): open transfer offers per sending membership, and
    # Nextcloud notifications about transfer offers per recipient and rolling hour.
    max_open_transfers: int = 3
    offer_notifications_per_hour: int = 3
    # Minutes between the app's own runs of the "voting closes in 24 h" reminders (0: off, cron only).
    assembly_remind_minutes: int = 15

    @property
    def unix_socket(self) -> str | None:
        """Under HaRP the ExApp listens on this socket instead of host:port (APPAPI.md §3.4)."""
        return "/tmp/exapp.sock" if self.hp_shared_key else None

    def secret_values(self) -> tuple[str, ...]:
        """Values that must never appear in a log line or a response."""
        return tuple(v for v in (self.app_secret, self.hp_shared_key) if v)


def _text(name: str, raw: str | None, default: str | None) -> str:
    value = raw if raw is not None else default
    if value is None or value.strip() == "":
        raise ConfigError(name, "is required and not set")
    return value.strip()


def parse_int(lo: int, hi: int) -> Callable[[str, str], int]:
    """A parser for a whole number from ``lo`` to ``hi``, called as ``parse(name, raw)``."""

    def parse(name: str, raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(name, f"must be a whole number, got {raw!r}") from None
        if not lo <= value <= hi:
            raise ConfigError(name, f"must be between {lo} and {hi}, got {value}")
        return value

    return parse


def parse_float(lo: float, hi: float) -> Callable[[str, str], float]:
    """A parser for a number from ``lo`` to ``hi`` (both included), called as ``parse(name, raw)``."""

    def parse(name: str, raw: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            raise ConfigError(name, f"must be a number, got {raw!r}") from None
        if not lo <= value <= hi:
            raise ConfigError(name, f"must be between {lo:g} and {hi:g}, got {raw}")
        return value

    return parse


def parse_bool(name: str, raw: str) -> bool:
    """1/true/yes/on or 0/false/no/off, in any case."""
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(name, f"must be true or false, got {raw!r}")


def _positive_float(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(name, f"must be a number of seconds, got {raw!r}") from None
    if not 0 < value <= 600:
        raise ConfigError(name, f"must be between 0 and 600 seconds, got {raw}")
    return value


def _url(name: str, raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ConfigError(name, f"must be an http(s) URL like https://cloud.example.org, got {raw!r}")
    # nc_py_api strips a trailing /index.php too; keeping one spelling avoids double slashes.
    return raw.rstrip("/").removesuffix("/index.php")


def env_value(environ: Mapping[str, Any], name: str) -> str | None:
    """The variable's value as text; None when it is unset or blank."""
    value = environ.get(name)
    return None if value is None or str(value).strip() == "" else str(value)


def env_setting(environ: Mapping[str, Any], name: str, default: Any, parse: Callable[[str, str], Any]) -> Any:
    """``parse(name, value)`` of the variable, or ``default`` (not parsed) when it is unset or blank."""
    raw = env_value(environ, name)
    return default if raw is None else parse(name, raw)


def read_secret(environ: Mapping[str, Any], name: str) -> str | None:
    """A secret given in ``name`` or in the file named by ``name``_FILE (not both); None when neither.

    Errors may name the file, never the secret (nor the file's content).
    """
    value, path = env_value(environ, name), env_value(environ, name + "_FILE")
    if value is not None and path is not None:
        raise ConfigError(name, f"set either it or {name}_FILE, not both")
    if path is None:
        return value
    try:
        return Path(path.strip()).expanduser().read_text(encoding="utf-8").rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(name + "_FILE", f"cannot be read ({type(exc).__name__}): {path.strip()!r}") from None

def parse_time_zone(name: str, raw: str) -> ZoneInfo:
    """An IANA time zone name such as Europe/Berlin (not a file path, not a folder such as "Europe")."""
    if raw == "localtime" or raw not in available_timezones():  # "localtime" is the host's, not a name
        raise ConfigError(name, f"must be an IANA time zone name like Europe/Berlin, got {raw!r}")
    return ZoneInfo(raw)


def parse_letterhead(name: str | None, address: str | None, register_entry: str | None) -> Letterhead:
    """The address's lines are separated by "|" (an env value cannot hold a line break reliably)."""
    lines = tuple(line.strip() for line in re.split(r"\||\r?\n", address or "") if line.strip())
    return Letterhead(name.strip() if name and name.strip() else None, lines,
                      register_entry.strip() if register_entry and register_entry.strip() else None)


_APP_ID = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
_GROUP_LIST = re.compile(r"^[^,]+(,[^,]+)*$")


def load_settings(environ: Mapping[str, str], overrides: Mapping[str, Any] | None = None) -> Settings:
    """Build settings from ``environ``; ``overrides`` (the factory's ``config``) win over it."""
    source: dict[str, Any] = dict(environ)
    source.update({k: v for k, v in (overrides or {}).items() if v is not None})

    def get(name: str) -> str | None:
        value = source.get(name)
        return None if value is None else str(value)

    def opt(name: str, default: str, parse: Callable[[str, str], Any]) -> Any:
        raw = get(name)
        return parse(name, default if raw is None or raw.strip() == "" else raw.strip())

    app_id = _text("APP_ID", get("APP_ID"), "nc_coop")
    if not _APP_ID.match(app_id):
        raise ConfigError("APP_ID", f"must be lower-case letters, digits and _ (2-32), got {app_id!r}")
    secret = _text("APP_SECRET", get("APP_SECRET"), None)
    if len(secret) < 16:
        raise ConfigError("APP_SECRET", "must be at least 16 characters (AppAPI generates 128)")
    storage = Path(_text("APP_PERSISTENT_STORAGE", get("APP_PERSISTENT_STORAGE"), "data")).expanduser()
    database_url = get("DATABASE_URL") or f"sqlite:///{(storage / 'nc_coop.sqlite3').resolve()}"
    if not re.match(r"^(sqlite|postgresql)(\+\w+)?://", database_url):
        raise ConfigError("DATABASE_URL", "must start with sqlite:/// or postgresql://")
    groups = opt("NC_COOP_ADMIN_GROUPS", "admin", lambda n, r: r)
    if not _GROUP_LIST.match(groups):
        raise ConfigError("NC_COOP_ADMIN_GROUPS", f"must be a comma-separated list of group ids, got {groups!r}")
    log_level = opt("NC_COOP_LOG_LEVEL", "INFO", lambda n, r: r.upper())
    if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError("NC_COOP_LOG_LEVEL", f"must be DEBUG, INFO, WARNING or ERROR, got {log_level!r}")

    return Settings(
        app_id=app_id,
        app_secret=secret,
        app_version=_text("APP_VERSION", get("APP_VERSION"), __version__),
        app_host=_text("APP_HOST", get("APP_HOST"), "127.0.0.1"),
        app_port=opt("APP_PORT", "23000", parse_int(1, 65535)),
        nextcloud_url=_url("NEXTCLOUD_URL", _text("NEXTCLOUD_URL", get("NEXTCLOUD_URL"), None)),
        aa_version=_text("AA_VERSION", get("AA_VERSION"), "2.2.0"),
        persistent_storage=storage,
        hp_shared_key=get("HP_SHARED_KEY") or None,
        database_url=database_url,
        admin_groups=tuple(g.strip() for g in groups.split(",")),
        role_cache_seconds=opt("NC_COOP_ROLE_CACHE_SECONDS", "60", parse_int(0, 3600)),
        nextcloud_timeout=opt("NC_COOP_NEXTCLOUD_TIMEOUT", "10", _positive_float),
        threads=opt("NC_COOP_THREADS", "8", parse_int(2, 64)),
        log_level=log_level,
        demo=opt("NC_COOP_DEMO", "false", parse_bool),
        time_zone=opt("NC_COOP_TIME_ZONE", DEFAULT_TIME_ZONE, parse_time_zone),
        letterhead=parse_letterhead(get("NC_COOP_LETTERHEAD_NAME"), get("NC_COOP_LETTERHEAD_ADDRESS"),
                                    get("NC_COOP_LETTERHEAD_REGISTER")),
        max_open_transfers=opt("NC_COOP_MAX_OPEN_TRANSFERS", "3", parse_int(1, 50)),
        offer_notifications_per_hour=opt("NC_COOP_OFFER_NOTIFICATIONS_PER_HOUR", "3", parse_int(1, 60)),
        assembly_remind_minutes=opt("NC_COOP_ASSEMBLY_REMIND_MINUTES", "15", parse_int(0, 1440)),
    )

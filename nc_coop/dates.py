# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Dates and times as people read them: a day in the reader's locale, a point in time converted
to the cooperative's time zone (``NC_COOP_TIME_ZONE``) and then written in the reader's locale.

Pages use the ``day`` and ``moment`` template filters, PDFs a ``Dates``. CSV exports and the
JSON API keep their machine formats (DD.MM.YYYY, ISO 8601) and do not come through here.
The database stores UTC; SQLite hands it back without a zone, so a naive value counts as UTC.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_datetime_format
from flask import current_app
from flask_babel import LazyString, get_locale

Moment = date | datetime | str | None  # str: ISO 8601 text as some read models carry it


def coop_zone() -> ZoneInfo:
    """The cooperative's time zone: the one place the setting is read."""
    return current_app.config["NC_COOP_SETTINGS"].time_zone


def as_utc(at: datetime) -> datetime:
    """``at`` with its zone; a naive value is UTC (SQLite drops the zone)."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def local_day(at: datetime, zone: ZoneInfo) -> date:
    """The day a point in time falls on in ``zone``."""
    return as_utc(at).astimezone(zone).date()


def coop_now() -> datetime:
    return datetime.now(coop_zone())


def coop_today() -> date:
    """Today at the cooperative (deadlines and received dates count in its days)."""
    return coop_now().date()


def _parse(value: date | datetime | str) -> date | datetime:
    if not isinstance(value, str):
        return value
    return date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)


@dataclass(frozen=True)
class Dates:
    """How one reader sees dates: their locale ("de", "en") and the cooperative's time zone."""

    locale: str
    zone: ZoneInfo

    @classmethod
    def for_user(cls, locale: str | None = None) -> Dates:
        """The current user's locale (or ``locale``) and the configured zone; needs the app."""
        return cls(locale or str(get_locale() or "en"), coop_zone())

    def local(self, at: datetime) -> datetime:
        return as_utc(at).astimezone(self.zone)

    def day(self, value: Moment, width: str = "medium") -> str:
        """A day (a point in time: the day it falls on in the zone); "–" for none."""
        if value is None or value == "":
            return "–"
        value = _parse(value)
        if isinstance(value, datetime):
            value = self.local(value).date()
        return format_date(value, width, locale=self.locale)

    def moment(self, value: Moment, width: str = "medium") -> str:
        """A point in time in the zone: the date as ``day`` writes it and the time to the minute."""
        if value is None or value == "":
            return "–"
        value = _parse(value)
        if not isinstance(value, datetime):
            return self.day(value, width)
        local = self.local(value)
        pattern = get_datetime_format(width, locale=self.locale).replace("'", "")
        return (pattern.replace("{1}", format_date(local.date(), width, locale=self.locale))
                .replace("{0}", format_time(local, "short", tzinfo=self.zone, locale=self.locale)))

    def today(self) -> date:
        return datetime.now(self.zone).date()


def day(value: Moment) -> str:
    """Template filter: a date (or the local day of a point in time) in the user's locale."""
    return Dates.for_user().day(value)


def moment(value: Moment) -> str:
    """Template filter: a point in time in the cooperative's zone, in the user's locale."""
    return Dates.for_user().moment(value)


def lazy_day(value: date) -> LazyString:
    """A day inside a message made before it is shown (``_l("… %(day)s", day=lazy_day(d))``):
    written when the message is, in the language of the page or response that shows it."""
    return LazyString(lambda: format_date(value, "medium", locale=str(get_locale() or "en")))

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""What the quota views share: settings, gateway, runner, input validation, and the usage rows
(quota, bytes used, share of the quota) shown on the pages and in the API."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, NoReturn

from flask import current_app, g
from flask_babel import get_locale
from marshmallow import Schema
from sqlalchemy import select
from sqlalchemy.orm import Session

from nc_coop.dates import coop_today
from nc_coop.nextcloud import NextcloudError, NextcloudGateway
from nc_coop.quota.facts import Facts, open_changes
from nc_coop.quota.models import QuotaUserState
from nc_coop.quota.policy import Desired
from nc_coop.quota.runner import QuotaRunner
from nc_coop.quota.services import Actor
from nc_coop.quota.settings import EXTENSION, QuotaSettings
from nc_coop.quota.units import UNLIMITED, format_quota
from nc_coop.web import inputs


def quota_settings() -> QuotaSettings:
    return current_app.extensions[EXTENSION]


def runner() -> QuotaRunner:
    return current_app.extensions["nc_coop.quota.runner"]


def gateway() -> NextcloudGateway:
    return current_app.extensions["nc_coop.gateway"]


def actor() -> Actor:
    return Actor(g.user_id, g.request_id)


def german() -> bool:
    locale = get_locale()
    return bool(locale and locale.language == "de")


def size_text(amount: int | None) -> str:
    """A quota or usage as Nextcloud shows it, with a decimal comma on German pages."""
    if amount is None:
        return "–"
    return format_quota(amount, decimal_comma=german())


def flat_errors(errors: dict[str, Any], prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages (a dict field's keys and values) as ``{"base.natural/x": [...]}``:
    the documented shape is one list of strings per field."""
    flat: dict[str, list[str]] = {}
    for key, value in errors.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            for inner, messages in flat_errors(value, name).items():
                flat.setdefault(inner.removesuffix(".key").removesuffix(".value"), []).extend(messages)
        else:
            flat[name] = [str(v) for v in (value if isinstance(value, list) else [value])]
    return flat


def unprocessable(errors: dict[str, Any]) -> NoReturn:
    """422 with the messages in the documented shape (see ``flat_errors``)."""
    inputs.unprocessable(flat_errors(errors))


def json_data(schema: Schema) -> dict[str, Any]:
    return inputs.json_data(schema, flat_errors)


def query_data(schema: Schema) -> dict[str, Any]:
    return inputs.query_data(schema, flat_errors)


@dataclass(frozen=True)
class Usage:
    user_id: str
    display_name: str | None
    backend: str | None
    quota: int | None
    used: int | None
    desired: int | None = None
    reason: str | None = None
    pending: int | None = None

    @property
    def relative(self) -> float | None:
        if self.quota is None or self.quota == UNLIMITED or self.used is None or self.quota <= 0:
            return None
        return self.used / self.quota

    @property
    def percent(self) -> int | None:
        return None if self.relative is None else round(self.relative * 100)

    def dump(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "display_name": self.display_name, "backend": self.backend,
                "quota": self.quota, "quota_text": size_text(self.quota), "used": self.used,
                "used_text": size_text(self.used), "relative": self.relative, "desired": self.desired,
                "reason": self.reason, "pending": self.pending}


def stored_usage(session: Session, user_ids: Iterable[str]) -> dict[str, QuotaUserState]:
    ids = list(user_ids)
    result: dict[str, QuotaUserState] = {}
    for start in range(0, len(ids), 500):
        for row in session.scalars(select(QuotaUserState).where(QuotaUserState.nextcloud_user_id.in_(ids[start:start + 500]))):
            result[row.nextcloud_user_id] = row
    return result


def live_usage(session: Session, user_id: str, as_user: str | None, desired: Desired | None = None,
               pending: int | None = None) -> Usage:
    """The user's quota and bytes used as Nextcloud reports them now (read as the user or an
    admin); what nc_coop last saw when Nextcloud cannot say."""
    if as_user:
        try:
            user = gateway().get_user(user_id, as_user=as_user, request_id=g.request_id)
            return Usage(user_id, user.display_name, "ldap" if user.backend == "LDAP" else "provisioning",
                         user.quota_bytes, user.used_bytes, desired.amount if desired else None,
                         desired.reason if desired else None, pending)
        except NextcloudError:
            pass  # fall back to the last known values below
    state = stored_usage(session, [user_id]).get(user_id)
    return Usage(user_id, state.display_name if state else None, state.backend if state else None,
                 state.amount if state else None, state.used_bytes if state else None,
                 desired.amount if desired else None, desired.reason if desired else None, pending)


def all_usage(session: Session, facts: Facts, desired: dict[str, Desired]) -> list[Usage]:
    """Every known user with the last known quota and usage, the desired quota and a queued change."""
    pending = open_changes(session)
    rows = []
    for user_id, current in facts.current.items():
        want = desired.get(user_id)
        rows.append(Usage(user_id, facts.display_name(user_id), current.backend, current.amount,
                          facts.used_bytes.get(user_id), want.amount if want else None, want.reason if want else None,
                          pending.get(user_id)))
    return rows


def filter_and_sort(rows: list[Usage], what: str, sort: str, order: str, q: str = "") -> list[Usage]:
    if what == "over80":
        rows = [r for r in rows if r.relative is not None and r.relative >= 0.8]
    elif what == "over":
        rows = [r for r in rows if r.relative is not None and r.relative > 1]
    elif what == "unlimited":
        rows = [r for r in rows if r.quota == UNLIMITED]
    elif what == "pending":
        rows = [r for r in rows if r.pending is not None]
    if q:
        needle = q.lower()
        rows = [r for r in rows if needle in r.user_id.lower() or needle in (r.display_name or "").lower()]
    big = float("inf")

    def key(r: Usage) -> Any:
        if sort == "quota":
            return (big if r.quota == UNLIMITED else (r.quota if r.quota is not None else -1), r.user_id)
        if sort == "used":
            return (r.used if r.used is not None else -1, r.user_id)
        if sort == "relative":
            return (r.relative if r.relative is not None else -1, r.user_id)
        return (r.user_id.lower(), r.user_id)

    return sorted(rows, key=key, reverse=order == "desc")


def today() -> date:
    return coop_today()

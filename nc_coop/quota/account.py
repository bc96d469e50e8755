# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Can the quota account (NC_COOP_QUOTA_ADMIN_USER) do what quota changes need? A check for the
system status page that names the cause of a failure and changes nothing.

What Nextcloud 34 answers an account outside the ``admin`` group (APPAPI.md "Corrections"): the
user search is OCS 403 "Logged in account must be at least a sub admin", a quota PUT on another
user OCS 998 with an empty message (HTTP 404 on v2; nc_py_api reports it as "set_quota [404]").

Why no PUT: a PUT of the quota the account already has on itself would turn a "default" quota
into an explicit one (Nextcloud reports the default as a number), and a PUT with an invalid value
relies on Nextcloud refusing it (PHP reads junk as 0 bytes: one parser change from quota 0). So
the check reads what the PUT needs instead: that the login and its password are accepted, and
that the account is in Nextcloud's ``admin`` group. An app password passes this read but not the
PUT ("Password confirmation is required"); that refusal shows in the change log.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from nc_coop.nextcloud import (
    NextcloudError,
    NextcloudForbidden,
    NextcloudGateway,
    NextcloudUnauthorized,
    NextcloudUnavailable,
)
from nc_coop.quota.settings import QuotaSettings

ADMIN_GROUP = "admin"  # Nextcloud's admin group id (fixed)
# A search term that matches no user: the search checks the permission first, and with no match
# user_ldap refreshes nobody (a matching search would apply that user's LDAP quota at once).
PROBE_TERM = "nc-coop-account-check-matches-nobody"


@dataclass(frozen=True)
class Check:
    what: str  # "account", "list_users" or "set_quotas"
    ok: bool | None  # None: not used with these settings
    message: str


def _unreachable(exc: NextcloudError) -> str:
    if isinstance(exc, NextcloudUnavailable):
        return str(_l("Nextcloud did not answer; try again later."))
    return str(_l("Nextcloud answered with an error: %(error)s", error=str(exc)))


def check_list_users(gateway: NextcloudGateway, user: str, request_id: str | None) -> Check:
    """The search the quota changes run (impersonating the account through AppAPI)."""
    try:
        gateway.search_users(PROBE_TERM, as_user=user, request_id=request_id)
    except NextcloudForbidden as exc:
        return Check("list_users", False, str(_l(
            "%(user)s may not list users: it must be in Nextcloud's admin group (Nextcloud answered: "
            "%(reason)s).", user=user, reason=exc.message or exc.status)))
    except NextcloudUnauthorized:
        return Check("list_users", False, str(_l(
            "Nextcloud does not act as %(user)s: there is no such account (or nc_coop's APP_SECRET is wrong).",
            user=user)))
    except NextcloudError as exc:
        return Check("list_users", False, _unreachable(exc))
    return Check("list_users", True, str(_l(
        "%(user)s can list users (the search that makes Nextcloud apply LDAP quotas at once).", user=user)))


def check_set_quotas(gateway: NextcloudGateway, settings: QuotaSettings, request_id: str | None) -> Check:
    """Local users' quotas: a read of what the provisioning PUT needs (see the module docstring)."""
    user = settings.admin_user
    assert user is not None
    if not settings.local_users:
        return Check("set_quotas", None, str(_l(
            "Not used: NC_COOP_QUOTA_LOCAL_USERS is off, all quotas are written to LDAP.")))
    if settings.try_appapi:
        return Check("set_quotas", False, str(_l(
            "NC_COOP_QUOTA_TRY_APPAPI is on: Nextcloud 34 refuses every quota change sent that way.")))
    if not settings.admin_password:
        return Check("set_quotas", False, str(_l(
            "NC_COOP_QUOTA_ADMIN_PASSWORD is not set: local users' quotas are not written.")))
    try:
        me = gateway.get_user_with_password(user, user, settings.admin_password, request_id=request_id)
    except NextcloudUnauthorized:
        return Check("set_quotas", False, str(_l(
            "Nextcloud refuses the login of %(user)s: NC_COOP_QUOTA_ADMIN_PASSWORD must be that account's "
            "login password.", user=user)))
    except NextcloudError as exc:
        return Check("set_quotas", False, _unreachable(exc))
    if ADMIN_GROUP not in me.groups:
        return Check("set_quotas", False, str(_l(
            "%(user)s is not in Nextcloud's admin group, so Nextcloud refuses its quota changes (OCS 998, "
            "\"set_quota [404]\"): add it to the admin group.", user=user)))
    return Check("set_quotas", True, str(_l(
        "%(user)s logs in with its password and is in Nextcloud's admin group: it can set quotas.", user=user)))


def check_quota_account(gateway: NextcloudGateway, settings: QuotaSettings, request_id: str | None) -> list[Check]:
    """Every check that applies to these settings, in the order the status page shows them."""
    if not settings.admin_user:
        return [Check("account", None, str(_l(
            "NC_COOP_QUOTA_ADMIN_USER is not set: quota changes in LDAP are not confirmed and local users' "
            "quotas are not written.")))]
    return [check_list_users(gateway, settings.admin_user, request_id),
            check_set_quotas(gateway, settings, request_id)]

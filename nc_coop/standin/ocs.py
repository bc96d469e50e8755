# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The OCS endpoints nc_coop calls, answered like the recordings of Nextcloud 34.

Authentication follows AppAPI (APPAPI.md §2.2): a wrong secret or app id is HTTP 401 with OCS
997, an OCS call without ``OCS-APIRequest`` is 412, an empty user can reach only AppAPI's own
endpoints. Basic auth with a login password or an app password works as in the recordings.
"""
from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, current_app, jsonify, request

from nc_coop.standin import recordings
from nc_coop.standin.state import Call, StandInState, StandInUser
from nc_coop.standin.userldap import computer_file_size

if TYPE_CHECKING:
    from nc_coop.standin.server import NextcloudStandIn

bp = Blueprint("ocs", __name__)
AE = "/ocs/v1.php/apps/app_api"


@dataclass(frozen=True)
class Caller:
    user_id: str  # "" = no user (system calls)
    via: str  # "appapi", "password", "app_password", "anonymous"


class Refused(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def _standin() -> NextcloudStandIn:
    return current_app.config["STANDIN"]


def _state() -> StandInState:
    return _standin().state


def _reply(recorded: tuple[int, dict[str, Any]], caller: Caller | None = None) -> Response:
    status, body = recorded
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-cache, no-store, must-revalidate"
    if caller and caller.user_id:
        response.headers["X-User-Id"] = caller.user_id
    meta = body.get("ocs", {}).get("meta", {}) if isinstance(body, dict) else {}
    with _state().lock:
        _state().calls.append(Call(request.method, request.path, caller.user_id if caller else None,
                                   status, meta.get("statuscode"), request.get_json(silent=True),
                                   caller.via if caller else None))
    return response


def _not_logged_in() -> Refused:
    return Refused(_reply(recordings.response("ocs_get_user_alice_wrong_secret")))


def authenticate(*, user_required: bool, allow_disabled: bool = False) -> Caller:
    """Who is calling, as Nextcloud's ``handleLogin`` + AppAPI decide; raises ``Refused``."""
    if request.path.startswith("/ocs/") and request.headers.get("OCS-APIRequest", "").lower() != "true":
        raise Refused(_reply(recordings.response("ocs_get_user_alice_no_ocs_header")))
    state = _state()
    token = request.headers.get("AUTHORIZATION-APP-API")
    if token is not None:
        app = state.exapp
        try:
            user_id, _, secret = base64.b64decode(token, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeError):
            raise _not_logged_in() from None
        if (app is None or request.headers.get("EX-APP-ID") != app.app_id
                or not hmac.compare_digest(secret.encode(), app.secret.encode())
                or not request.headers.get("EX-APP-VERSION")
                or not (app.enabled or allow_disabled)):
            raise _not_logged_in()
        if user_id and user_id not in state.users:
            raise _not_logged_in()
        caller = Caller(user_id, "appapi")
    elif request.authorization and request.authorization.type == "basic":
        user = state.users.get(request.authorization.username or "")
        password = request.authorization.password or ""
        if user is None:
            raise _not_logged_in()
        if hmac.compare_digest(password, user.password):
            caller = Caller(user.user_id, "password")
        elif password in user.app_passwords:
            caller = Caller(user.user_id, "app_password")
        else:
            raise _not_logged_in()
    else:
        caller = Caller("", "anonymous")
    if user_required and not caller.user_id:
        raise _not_logged_in()
    return caller


@bp.errorhandler(Refused)
def _refused(exc: Refused) -> Response:
    return exc.response


# --- AppAPI: lifecycle and UI -------------------------------------------------------------------

@bp.get("/ocs/v1.php/cloud/capabilities")
def capabilities() -> Response:
    caller = authenticate(user_required=False)
    status, body = recordings.ocs("ocs_capabilities")
    if caller.user_id:  # the notifications app announces itself to logged-in users
        body["ocs"]["data"]["capabilities"]["notifications"] = {"ocs-endpoints": ["list", "get", "delete"]}
    if _state().talk_enabled:
        # From Talk's documented capabilities (docs/capabilities.md), not recorded: the recorded
        # server has no Talk. Only what nc_coop looks at: the app's key and its API version.
        body["ocs"]["data"]["capabilities"]["spreed"] = {"features": ["conversation-v4"],
                                                        "config": {"conversations": {"can-create": True}}}
    return _reply((status, body), caller)


@bp.get(f"{AE}/ex-app/state")
def ex_app_state() -> Response:
    caller = authenticate(user_required=False, allow_disabled=True)
    app = _state().exapp
    return _reply(recordings.ocs("ocs_ex_app_state", 1 if app and app.enabled else 0), caller)


@bp.put(f"{AE}/ex-app/status")
def ex_app_status() -> Response:
    caller = authenticate(user_required=False)
    payload = request.get_json(silent=True) or {}
    progress, error = payload.get("progress"), str(payload.get("error") or "")
    if not isinstance(progress, int) or not 0 <= progress <= 100:
        return _reply((200, _failure(400, "Invalid progress value")), caller)
    # Sending 100 makes Nextcloud call /heartbeat and /enabled back before it answers.
    _standin().report_init_progress(progress, error)
    response = _reply(recordings.ocs("ocs_init_status_set_100"), caller)
    _standin().mark_init_reported(progress, error)
    return response


def _failure(code: int, message: str) -> dict[str, Any]:
    _, body = recordings.response("ocs_top_menu_delete_missing")
    body["ocs"]["meta"].update(statuscode=code, message=message)
    return body


@bp.route(f"{AE}/api/v1/ui/top-menu", methods=["GET", "POST", "DELETE"])
def top_menu() -> Response:
    caller = authenticate(user_required=False)
    state = _state()
    assert state.exapp is not None
    with state.lock:
        if request.method == "POST":
            data = request.get_json(force=True)
            state.top_menu[data["name"]] = {
                "id": len(state.top_menu) + 1, "appid": state.exapp.app_id, "name": data["name"],
                "display_name": data["displayName"], "icon": data.get("icon", ""),
                "admin_required": int(data.get("adminRequired", 0)),
            }
            return _reply(recordings.ocs("ocs_top_menu_register"), caller)
        name = request.args.get("name", "")
        if name not in state.top_menu:
            return _reply(recordings.response("ocs_top_menu_delete_missing"), caller)
        if request.method == "GET":
            return _reply(recordings.ocs("ocs_top_menu_get", state.top_menu[name]), caller)
        del state.top_menu[name]
        return _reply(recordings.ocs("ocs_top_menu_delete"), caller)


@bp.route(f"{AE}/api/v1/ui/<any(script, style):kind>", methods=["POST", "DELETE"])
def ui_resource(kind: str) -> Response:
    caller = authenticate(user_required=False)
    state = _state()
    target = state.scripts if kind == "script" else state.styles
    with state.lock:
        if request.method == "POST":
            data = request.get_json(force=True)
            entry = {"type": data["type"], "name": data["name"], "path": data["path"]}
            if entry not in target:
                target.append(entry)
            return _reply(recordings.response(f"ocs_ui_{kind}_set"), caller)
        entry = {k: request.args.get(k, "") for k in ("type", "name", "path")}
        if entry not in target:
            return _reply(recordings.response("ocs_ui_script_delete_missing"), caller)
        target.remove(entry)
        return _reply(recordings.response(f"ocs_ui_{kind}_delete"), caller)


@bp.get(f"{AE}/api/v1/users")
def all_user_ids() -> Response:
    caller = authenticate(user_required=False)
    return _reply(recordings.ocs("ocs_app_api_users_list", sorted(_state().users)), caller)


@bp.post(f"{AE}/api/v1/notification")
def create_notification() -> Response:
    caller = authenticate(user_required=False)
    if not caller.user_id:
        return _reply(recordings.response("ocs_notification_create_empty_user"), caller)
    params = (request.get_json(force=True) or {}).get("params", {})
    _, body = recordings.response("ocs_notification_create_for_alice")
    data = body["ocs"]["data"]
    data.update(app=_state().exapp.app_id, user=caller.user_id, object_id=params.get("object_id", ""))
    with _state().lock:
        _state().notifications.append({"user": caller.user_id, **params})
    return _reply((200, body), caller)


# --- Provisioning API ---------------------------------------------------------------------------

def _user_data(user: StandInUser) -> dict[str, Any]:
    data = recordings.user_template()
    total = user.quota_bytes
    data.update(
        id=user.user_id, displayname=user.display_name, email=user.email, groups=list(user.groups),
        backend=user.backend, language=user.language,
        quota={"free": -3 if total < 0 else max(total - user.used_bytes, 0), "used": user.used_bytes,
               "total": total, "relative": 0 if total <= 0 else round(100 * user.used_bytes / total, 2),
               "quota": total},
    )
    data["display-name"] = user.display_name
    return data


def _visible(caller: Caller, user_id: str) -> bool:
    me = _state().users.get(caller.user_id)
    return bool(me and (me.is_admin or caller.user_id == user_id))


@bp.get("/ocs/v1.php/cloud/users")
def list_users() -> Response:
    caller = authenticate(user_required=True)
    if not _state().users[caller.user_id].is_admin:
        # Recorded (and APPAPI.md "Corrections"): a search or listing by an account outside the
        # admin group is OCS 403 "Logged in account must be at least a sub admin".
        return _reply(recordings.response("ocs_users_search_as_alice"), caller)
    term = request.args.get("search", "").lower()
    # user_ldap searches LDAP users by display name only (ldapAttributesForUserSearch empty, as
    # recorded: a search by mail or uid found nothing); the database backend also by user id.
    found = [u for u in _state().users.values()
             if not term or term in u.display_name.lower() or (u.backend != "LDAP" and term in u.user_id.lower())]
    limit = request.args.get("limit", type=int)
    found = found[:limit] if limit else found
    for user in found:  # listing or a matching search re-reads the LDAP attributes (the quota)
        refresh_from_ldap(user)
    return _reply(recordings.ocs("ocs_users_search_displayname_as_admin", {"users": [u.user_id for u in found]}),
                  caller)


def refresh_from_ldap(user: StandInUser) -> None:
    """user_ldap's attribute update: the directory's quota replaces the user's, when it has one."""
    source = _state().ldap
    if user.backend != "LDAP" or user.ldap_dn is None or source is None:
        return
    text = source.quota_text(user.ldap_dn)
    quota = computer_file_size(text) if text is not None else None
    if quota is not None:
        with _state().lock:
            user.quota_bytes = quota


@bp.get("/ocs/v1.php/cloud/users/<user_id>")
def get_user(user_id: str) -> Response:
    caller = authenticate(user_required=True)
    if not _visible(caller, user_id):
        return _reply(recordings.response("ocs_get_user_admin_as_alice"), caller)
    user = _state().users.get(user_id)
    if user is None:
        return _reply(recordings.response("ocs_user_unknown_as_admin"), caller)
    return _reply(recordings.ocs("ocs_get_user_alice_as_alice", _user_data(user)), caller)


@bp.get("/ocs/v1.php/cloud/users/<user_id>/groups")
def get_user_groups(user_id: str) -> Response:
    caller = authenticate(user_required=True)
    user = _state().users.get(user_id)
    if user is None or not _visible(caller, user_id):
        return _reply(recordings.response("ocs_user_groups_admin_as_alice"), caller)
    return _reply(recordings.ocs("ocs_user_groups_alice", {"groups": list(user.groups)}), caller)


@bp.put("/ocs/v1.php/cloud/users/<user_id>")
def edit_user(user_id: str) -> Response:
    """``editUser`` has #[PasswordConfirmationRequired] in 34.0.1: only a login password passes."""
    caller = authenticate(user_required=True)
    if caller.via == "app_password":
        return _reply(recordings.response("basicauth_put_quota_alice_as_admin_app_password"), caller)
    if caller.via != "password":
        return _reply(recordings.response("ocs_put_quota_alice_as_admin_json"), caller)
    if not _state().users[caller.user_id].is_admin:
        if user_id != caller.user_id:
            # APPAPI.md "Corrections", observed on Nextcloud 34.0.1: a quota PUT by an account outside
            # the admin group on another user is OCS 998 with an empty message (HTTP 200 on v1, 404 on
            # v2): editUser's answer to an account without rights over the target. The envelope is
            # the recorded 998 of a non-admin's request about another user.
            return _reply(recordings.response("ocs_get_user_admin_as_alice"), caller)
        # On itself a non-admin may not edit the quota field: OCS 113 (recorded).
        return _reply(recordings.response("basicauth_put_quota_alice_as_alice"), caller)
    values = request.values if request.values else (request.get_json(silent=True) or {})
    user = _state().users.get(user_id)
    if user is None:
        return _reply(recordings.response("ocs_user_unknown_as_admin"), caller)
    if values.get("key") == "quota":
        quota = computer_file_size(str(values.get("value", "")))
        if quota is None:
            return _reply((200, _failure(101, f"Invalid quota value: {values.get('value', '')}")), caller)
        with _state().lock:
            user.quota_bytes = quota
    return _reply(recordings.response("basicauth_put_quota_alice_as_admin"), caller)


@bp.get("/ocs/v1.php/cloud/groups")
def list_groups() -> Response:
    caller = authenticate(user_required=True)
    return _reply(recordings.ocs("ocs_list_groups_as_admin", {"groups": _state().groups()}), caller)


@bp.get("/ocs/v1.php/cloud/groups/<group_id>")
def group_members(group_id: str) -> Response:
    caller = authenticate(user_required=True)
    members = [u.user_id for u in _state().users.values() if group_id in u.groups]
    return _reply(recordings.ocs("ocs_group_members_testers", {"users": members}), caller)

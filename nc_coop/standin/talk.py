# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Talk (spreed) and CalDAV calendars, for the meeting places of an assembly.

By default the stand-in is the recorded server: it has no Talk (no ``spreed`` capability in
ocs_capabilities.json), so Talk's API answers 404 as the routes of an app that is not installed
do; and nothing of CalDAV was recorded, so the default stand-in has no calendars and answers a
write into one with the recorded Sabre NotFound (dav_get_missing_as_admin).

``state.talk_enabled`` / ``state.caldav_enabled`` switch on behaviour taken **from the documented
APIs, not recorded**: Talk's conversation and participant API v4 (nextcloud/spreed
docs/conversation.md "Creating a new conversation", docs/participant.md "Add a participant")
and CalDAV's PUT of a calendar object (RFC 4791 5.3.2; Nextcloud's default calendar is
``personal``). Only what nc_coop sends is implemented.
"""
from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, current_app, request

from nc_coop.standin import recordings
from nc_coop.standin.dav import _error, _log
from nc_coop.standin.ocs import Refused, _reply, authenticate
from nc_coop.standin.state import StandInState

if TYPE_CHECKING:
    from nc_coop.standin.server import NextcloudStandIn

bp = Blueprint("talk", __name__)
TALK = "/ocs/v2.php/apps/spreed/api/v4"
DEFAULT_CALENDAR = "personal"  # the calendar Nextcloud's dav app creates for every user


def _state() -> StandInState:
    standin: NextcloudStandIn = current_app.config["STANDIN"]
    return standin.state


def _not_installed() -> Response:
    # Not recorded: an app that is not installed has no routes, so Nextcloud answers 404.
    response = Response("", 404, {"Content-Type": "text/html; charset=UTF-8"})
    _log(None, 404)
    return response


def _sabre(status: int, exception: str, message: str) -> Response:
    """The recorded Sabre error envelope (dav_get_missing_as_admin) with the documented
    exception of this case (Sabre's PreconditionFailed, CalDAV's valid-calendar-data)."""
    response = _error("dav_get_missing_as_admin", status, message)
    body = re.sub(r"(<s:exception>).*?(</s:exception>)", lambda m: m.group(1) + exception + m.group(2),
                  response.get_data(as_text=True), flags=re.S)
    response.set_data(body)
    return response


def _ocs_v2(status: int, data: Any, message: str = "OK") -> tuple[int, dict[str, Any]]:
    """The OCS v2 envelope as recorded (ocs_get_user_alice_v2_as_admin: statuscode = HTTP status),
    with the documented status and data."""
    _, body = recordings.response("ocs_get_user_alice_v2_as_admin")
    body["ocs"]["meta"].update(status="ok" if status < 400 else "failure", statuscode=status, message=message)
    body["ocs"]["data"] = data
    return status, body


@bp.post(f"{TALK}/room")
def create_room() -> Response:
    if not _state().talk_enabled:
        return _not_installed()
    try:
        caller = authenticate(user_required=True)
    except Refused as refused:
        return refused.response
    payload = request.get_json(silent=True) or request.form.to_dict()
    room_type, name = payload.get("roomType"), str(payload.get("roomName") or "").strip()
    # Documented: 400 for an invalid type and for an empty name of a group or public conversation.
    if room_type not in (2, 3, "2", "3") or not name or len(name) > 255:
        return _reply(_ocs_v2(400, {"error": "type" if room_type not in (2, 3, "2", "3") else "name"}), caller)
    token = "".join(secrets.choice("abcdefghijkmnopqrstuvwxyz23456789") for _ in range(8))
    room = {"id": len(_state().talk_rooms) + 1, "token": token, "type": int(room_type), "name": name,
            "displayName": name, "participantType": 1, "actorType": "users", "actorId": caller.user_id,
            "participants": [caller.user_id]}
    with _state().lock:
        _state().talk_rooms[token] = room
    return _reply(_ocs_v2(201, {k: v for k, v in room.items() if k != "participants"}), caller)


@bp.post(f"{TALK}/room/<token>/participants")
def add_participant(token: str) -> Response:
    if not _state().talk_enabled:
        return _not_installed()
    try:
        caller = authenticate(user_required=True)
    except Refused as refused:
        return refused.response
    room = _state().talk_rooms.get(token)
    payload = request.get_json(silent=True) or request.form.to_dict()
    user = str(payload.get("newParticipant") or "")
    if room is None or caller.user_id not in room["participants"]:
        return _reply(_ocs_v2(404, [], "Not Found"), caller)  # documented: conversation not found
    if payload.get("source", "users") != "users":
        return _reply(_ocs_v2(400, {"error": "source"}), caller)
    if user not in _state().users:
        return _reply(_ocs_v2(404, [], "Not Found"), caller)  # documented: user to add not found
    with _state().lock:
        if user not in room["participants"]:
            room["participants"].append(user)
    return _reply(_ocs_v2(200, {"type": room["type"]}), caller)


@bp.route("/remote.php/dav/calendars/<owner>/<calendar>/<name>", methods=["PUT"])
def put_calendar_object(owner: str, calendar: str, name: str) -> Response:
    try:
        caller = authenticate(user_required=True)
    except Refused:
        _log(None, 401)
        return _error("ocs_dav_propfind_alice_as_empty_user")
    state = _state()
    if not state.caldav_enabled or caller.user_id != owner or calendar != DEFAULT_CALENDAR:
        _log(caller.user_id, 404)
        return _error("dav_get_missing_as_admin", message=f"Node with name '{calendar}' could not be found")
    body = request.get_data(as_text=True)
    # RFC 4791 5.3.2.1: the body must be one calendar object with a UID (valid-calendar-data).
    if not body.startswith("BEGIN:VCALENDAR") or not re.search(r"^UID:.+$", body, re.M) \
            or body.count("BEGIN:VEVENT") != 1:
        _log(caller.user_id, 400)
        return _sabre(400, "Sabre\\CalDAV\\Exception\\InvalidCalendarObject", "Calendar object is invalid")
    path = f"/calendars/{owner}/{calendar}/{name}"
    with state.lock:
        if path in state.calendar_objects and request.headers.get("If-None-Match") == "*":
            _log(caller.user_id, 412)
            return _sabre(412, "Sabre\\DAV\\Exception\\PreconditionFailed", "An If-None-Match header was "
                          "specified, but the ETag matched (or * was specified).")
        state.calendar_objects[path] = body
    _log(caller.user_id, 201)
    response = Response(b"", 201, {"Content-Type": "text/html; charset=UTF-8"})
    response.headers["ETag"] = f'"{secrets.token_hex(16)}"'
    return response

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""WebDAV under ``/remote.php/dav/files/<user>/``, answered like the recordings (``dav_*.json``).

Files live in the stand-in's state per owner. Only the owner reaches them: another user gets
Sabre's NotFound, as Nextcloud answered alice for admin's folder; no user at all gets the
recorded 401. A path with a '..' segment is refused with the recorded 400 InvalidPath.
"""
from __future__ import annotations

import hashlib
import re
import secrets
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING
from urllib.parse import quote
from xml.sax.saxutils import escape

from flask import Blueprint, Response, current_app, request

from nc_coop.standin import recordings
from nc_coop.standin.ocs import Refused, authenticate
from nc_coop.standin.state import Call, StandInState

if TYPE_CHECKING:
    from nc_coop.standin.server import NextcloudStandIn

bp = Blueprint("dav", __name__)
INSTANCE_ID = "ocfzni5ftbn1"  # the recorded instance's id, part of OC-FileId
NAMESPACES = {"DAV:": "d", "http://owncloud.org/ns": "oc", "http://nextcloud.org/ns": "nc"}
_first_file_id = 310  # the recorded Governance folder's id


@dataclass
class DavNode:
    owner: str
    path: str  # "/Governance/Satzung 2025.pdf"; "" is the owner's root
    is_dir: bool
    file_id: int
    content: bytes = b""
    content_type: str = "application/octet-stream"
    etag: str = field(default_factory=lambda: secrets.token_hex(16))
    modified: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))


def _state() -> StandInState:
    standin: NextcloudStandIn = current_app.config["STANDIN"]
    return standin.state


def _next_id(state: StandInState) -> int:
    return _first_file_id + len(state.files)


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0]


def make_folder(state: StandInState, owner: str, path: str) -> DavNode:
    """A folder (and its parents) in ``owner``'s files, like MKCOL."""
    with state.lock:
        path = path.rstrip("/")
        if path and (owner, _parent(path)) not in state.files:
            make_folder(state, owner, _parent(path))
        node = state.files.get((owner, path))
        if node is None:
            node = DavNode(owner, path, True, _next_id(state), etag=secrets.token_hex(7)[:13])
            state.files[(owner, path)] = node
        return node


def put_file(state: StandInState, owner: str, path: str, content: bytes,
             content_type: str = "application/pdf", *, keep_etag: bool = False) -> DavNode:
    """Write a file as a Nextcloud client would (new ETag), or, with ``keep_etag``, change its
    bytes behind Nextcloud's back (an edit in storage the file cache has not seen)."""
    with state.lock:
        make_folder(state, owner, _parent(path))
        node = state.files.get((owner, path))
        if node is None:
            node = DavNode(owner, path, False, _next_id(state))
            state.files[(owner, path)] = node
        elif not keep_etag:
            node.etag = secrets.token_hex(16)
            node.modified = datetime.now(UTC).replace(microsecond=0)
        node.content, node.content_type = content, content_type
        _touch_parents(state, owner, path)
        return node


def _touch_parents(state: StandInState, owner: str, path: str) -> None:
    while path:
        path = _parent(path)
        parent = state.files.get((owner, path))
        if parent is not None:
            parent.etag = secrets.token_hex(7)[:13]


def _children(state: StandInState, owner: str, path: str) -> list[DavNode]:
    return [n for (o, p), n in state.files.items() if o == owner and p and _parent(p) == path]


def _size(state: StandInState, node: DavNode) -> int:
    if not node.is_dir:
        return len(node.content)
    return sum(_size(state, child) for child in _children(state, node.owner, node.path))


def _error(recording: str, status: int | None = None, message: str | None = None) -> Response:
    """A recorded Sabre error, with the message of this request where it names a path."""
    recorded_status, body = recordings.response(recording)
    if message is not None:
        body = re.sub(r"(<s:message>).*?(</s:message>)", lambda m: m.group(1) + escape(message) + m.group(2), body,
                      flags=re.S)
        body = re.sub(r"(<o:reason[^>]*>).*?(</o:reason>)", lambda m: m.group(1) + escape(message) + m.group(2),
                      body, flags=re.S)
    return Response(body, status or recorded_status, {"Content-Type": "application/xml; charset=utf-8"})


def _log(user: str | None, status: int) -> None:
    with _state().lock:
        _state().calls.append(Call(request.method, request.path, user, status, None))


@bp.route("/remote.php/dav/files/<owner>/", defaults={"path": ""}, endpoint="dav_root",
          methods=["PROPFIND", "GET", "PUT", "MKCOL"])
@bp.route("/remote.php/dav/files/<owner>/<path:path>", methods=["PROPFIND", "GET", "PUT", "MKCOL"])
def dav(owner: str, path: str) -> Response:
    try:
        caller = authenticate(user_required=True)
    except Refused:
        _log(None, 401)
        response = _error("ocs_dav_propfind_alice_as_empty_user")
        response.headers["WWW-Authenticate"] = 'Basic realm="Nextcloud", charset="UTF-8"'
        return response
    full = "/" + path.rstrip("/") if path.strip("/") else ""
    response = _answer(caller.user_id, owner, full)
    response.headers["X-User-Id"] = caller.user_id
    _log(caller.user_id, response.status_code)
    return response


def _answer(user: str, owner: str, path: str) -> Response:
    # The server hands us the decoded path: "..%2F" arrives as "../", as Nextcloud sees it.
    if any(segment in (".", "..") for segment in path.split("/")):
        return _error("dav_get_traversal_as_admin", message=f'Invalid path "{path}"')
    state = _state()
    with state.lock:
        node = state.files.get((owner, path)) if user == owner else None
        if request.method == "PROPFIND":
            if node is None and not (user == owner and path == ""):
                name = path.rsplit("/", 1)[-1] or owner
                parent = _parent(path).rsplit("/", 1)[-1] or owner
                return _error("dav_propfind_governance_as_alice", message=f"File not found: {name} in '{parent}'")
            return _propfind(state, owner, path, node)
        if request.method == "GET":
            if node is None or node.is_dir:
                return _error("dav_get_missing_as_admin", message=f"File with name {path} could not be located")
            return _get(node)
        if user != owner:
            return _error("dav_propfind_governance_as_alice", message=f"File not found: {path} in '{owner}'")
        if request.method == "MKCOL":
            if node is not None:
                return _error("dav_mkcol_governance_exists")
            created = make_folder(state, owner, path)
            return _recorded_empty("dav_mkcol_governance_as_admin", created)
        if node is not None and node.is_dir:
            return _error("dav_mkcol_governance_exists", 405)
        existed = node is not None
        written = put_file(state, owner, path, request.get_data(),
                           request.headers.get("Content-Type", "application/octet-stream"))
        response = _recorded_empty("dav_put_statutes_as_admin", written)
        if existed:
            response.status_code = 204  # Sabre answers an overwrite with 204 No Content
        return response


def _recorded_empty(recording: str, node: DavNode) -> Response:
    status, _ = recordings.response(recording)
    response = Response(b"", status, {"Content-Type": "text/html; charset=UTF-8"})
    response.headers["OC-FileId"] = f"{node.file_id:08d}{INSTANCE_ID}"
    if not node.is_dir:
        response.headers["ETag"] = response.headers["OC-ETag"] = f'"{node.etag}"'
    return response


def _get(node: DavNode) -> Response:
    name = quote(node.path.rsplit("/", 1)[-1])
    content = node.content

    def body() -> list[bytes]:
        return [content[i:i + 8192] for i in range(0, len(content), 8192)]

    return Response(body(), 200, {
        "Content-Type": node.content_type, "Content-Length": str(len(content)),
        "Last-Modified": format_datetime(node.modified, usegmt=True),
        "ETag": f'"{node.etag}"', "OC-ETag": f'"{node.etag}"',
        "Content-Disposition": f"attachment; filename*=UTF-8''{name}; filename=\"{name}\"",
    })


def _requested_props() -> list[str] | None:
    """The props the PROPFIND asks for as "d:name" (None: all we know)."""
    data = request.get_data()
    if not data.strip():
        return None
    root = ET.fromstring(data)
    prop = root.find("{DAV:}prop")
    if prop is None:
        return None
    names = []
    for child in prop:
        namespace, _, local = child.tag[1:].partition("}")
        names.append(f"{NAMESPACES.get(namespace, 'x')}:{local}")
    return names


def _prop_values(state: StandInState, node: DavNode | None, owner: str) -> dict[str, str]:
    if node is None:  # the owner's root before anything was written to it
        node = DavNode(owner, "", True, _first_file_id - 1, etag="6b0891509f000")
    values = {
        "d:getlastmodified": format_datetime(node.modified, usegmt=True),
        "d:getetag": escape(f'"{node.etag}"', {'"': "&quot;"}),
        "d:resourcetype": "<d:collection/>" if node.is_dir else "",
        "oc:fileid": str(node.file_id),
        "oc:id": f"{node.file_id:08d}{INSTANCE_ID}",
        "oc:size": str(_size(state, node)),
        "oc:permissions": "RGDNVCK" if node.is_dir else "RGDNVW",
        "oc:favorite": "0",
        "nc:has-preview": "false",
    }
    if not node.is_dir:
        values["d:getcontenttype"] = escape(node.content_type)
        values["d:getcontentlength"] = str(len(node.content))
    return values


def _response_xml(state: StandInState, owner: str, node: DavNode | None, wanted: list[str] | None) -> str:
    path = node.path if node else ""
    href = "/remote.php/dav/files/" + quote(owner) + quote(path) + ("/" if node is None or node.is_dir else "")
    values = _prop_values(state, node, owner)
    names = wanted if wanted is not None else list(values)
    found = "".join(f"<{n}>{values[n]}</{n}>" if values[n] else f"<{n}/>" for n in names if n in values)
    missing = "".join(f"<{n}/>" for n in names if n not in values)
    xml = (f"<d:response><d:href>{href}</d:href><d:propstat><d:prop>{found}</d:prop>"
           "<d:status>HTTP/1.1 200 OK</d:status></d:propstat>")
    if missing:
        xml += f"<d:propstat><d:prop>{missing}</d:prop><d:status>HTTP/1.1 404 Not Found</d:status></d:propstat>"
    return xml + "</d:response>"


def _propfind(state: StandInState, owner: str, path: str, node: DavNode | None) -> Response:
    wanted = _requested_props()
    depth = request.headers.get("Depth", "1")
    parts = [_response_xml(state, owner, node, wanted)]
    if (node is None or node.is_dir) and depth != "0":
        for child in sorted(_children(state, owner, path), key=lambda n: n.path):
            parts.append(_response_xml(state, owner, child, wanted))
    status, _ = recordings.response("dav_propfind_governance_depth1_as_admin")
    body = ('<?xml version="1.0"?>\n<d:multistatus xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns" '
            'xmlns:oc="http://owncloud.org/ns" xmlns:nc="http://nextcloud.org/ns">' + "".join(parts)
            + "</d:multistatus>\n")
    return Response(body, status, {"Content-Type": "application/xml; charset=utf-8"})


def sha256_of(state: StandInState, owner: str, path: str) -> str:
    """For tests: the sha256 of a stored file."""
    return hashlib.sha256(state.files[(owner, path)].content).hexdigest()

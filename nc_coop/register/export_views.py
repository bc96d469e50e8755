# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Downloads: the §30 member list (admins) and a member's own §31 extract. Every download of
the full list is audited: it is an inspection of personal data."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, current_app, g, request
from flask.typing import ResponseReturnValue

from nc_coop.appapi.guard import coop_admin_required
from nc_coop.audit.chain import record
from nc_coop.dates import Dates, coop_today, coop_zone
from nc_coop.db import get_db
from nc_coop.register.exports import extract_file_name, member_extract_pdf, member_list_csv, member_list_pdf
from nc_coop.register.models import Membership
from nc_coop.register.queries import visible_membership_ids

bp = Blueprint("register_exports", __name__)


def _pdf_options() -> dict[str, Any]:
    """The list and the extract are German documents: German dates, times in the cooperative's
    zone, its name from the letterhead settings."""
    return {"dates": Dates("de", coop_zone()), "cooperative": current_app.config["NC_COOP_SETTINGS"].letterhead.name}


def _reference_date() -> date:
    raw = request.args.get("date", "")
    if not raw:
        return coop_today()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        abort(400)


@bp.get("/admin/members/list.<any(csv, pdf):fmt>")
@coop_admin_required
def member_list(fmt: str) -> ResponseReturnValue:
    """§30 member list as of ?date= (default today), members leaving on that date included."""
    day = _reference_date()
    session = get_db().session
    record(session, actor=g.user_id, action="member_list.export", entity="member_list", entity_id=day.isoformat(),
           diff={"format": fmt}, request_id=g.request_id)
    session.commit()  # the audit entry stands even if the download is interrupted
    export = member_list_csv if fmt == "csv" else member_list_pdf
    options = {} if fmt == "csv" else _pdf_options()  # read now: the stream runs after the request
    factory = get_db().session_factory
    assert factory is not None

    def chunks() -> Iterator[bytes]:
        # Its own session, closed when the stream ends or is abandoned: the request's session is
        # closed at the end of the request, which for a stream may come before the last chunk.
        with factory() as stream_session:
            yield from export(stream_session, day, **options)

    # A content type, not a mimetype: Flask appends "; charset=utf-8" to a text/* mimetype itself.
    content_type = "text/csv; charset=utf-8" if fmt == "csv" else "application/pdf"
    return Response(chunks(), content_type=content_type, headers={
        "Content-Disposition": f'attachment; filename="mitgliederliste-{day.isoformat()}.{fmt}"'})


def _extract(membership_id: int) -> Response:
    session = get_db().session
    membership = session.get(Membership, membership_id)
    # Unlike the §30 list, the extract is the member's own copy: in their language (German, English).
    options = {**_pdf_options(), "dates": Dates.for_user()}
    body = member_extract_pdf(session, membership_id, coop_today(), **options)
    name = extract_file_name(membership.member_no, options["dates"].locale)
    return Response(body, mimetype="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/memberships/<int:membership_id>/extract.pdf")
def own_extract(membership_id: int) -> ResponseReturnValue:
    """§31 Abs. 1 S. 2: a member's copy of their own entries; representatives get their organisation's."""
    if membership_id not in visible_membership_ids(get_db().session, g.user_id):
        abort(404)
    return _extract(membership_id)


@bp.get("/admin/members/<int:membership_id>/extract.pdf")
@coop_admin_required
def admin_extract(membership_id: int) -> ResponseReturnValue:
    if get_db().session.get(Membership, membership_id) is None:
        abort(404)
    return _extract(membership_id)

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The admin desk for the register (cooperative admins only): search, a member's ledgers,
admission and bookings, as pages and as a JSON API. Inputs are validated with marshmallow;
an invalid form shows the error at the field and writes nothing."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, g, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from marshmallow import Schema, ValidationError

from nc_coop.appapi.guard import coop_admin_required
from nc_coop.dates import coop_today
from nc_coop.db import get_db
from nc_coop.register import idempotency
from nc_coop.register.bookings import admit_from_form, apply_booking, form_field
from nc_coop.register.links import confirm_link, links_of_party, remove_link
from nc_coop.register.models import Membership
from nc_coop.register.queries import member_overview, search_members
from nc_coop.register.representatives import appoint_representative, end_representation, representatives_of
from nc_coop.register.rules import RuleViolation
from nc_coop.register.schemas import (
    MAX_ID,
    AdmitSchema,
    AppointSchema,
    BookingSchema,
    EndRepresentationSchema,
    LinkActionSchema,
    LinksOut,
    MemberOverviewOut,
    RepresentativesOut,
    SearchHitOut,
    SearchSchema,
    parse_euro_cents,
)
from nc_coop.register.services import Actor
from nc_coop.web.inputs import form_fields, json_data, query_data, unprocessable
from nc_coop.web.navigation import see_other
from nc_coop.web.urls import rel_url_for

bp = Blueprint("register_admin", __name__)


def _actor() -> Actor:
    return Actor(g.user_id, g.request_id)


def _form_data(schema: Schema, skip: tuple[str, ...] = ()) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    """Validate a submitted form; empty fields count as absent. Euro amounts become cents."""
    raw = form_fields(skip)
    errors: dict[str, list[str]] = {}
    if "amount" in raw:
        try:
            raw["amount_cents"] = parse_euro_cents(raw.pop("amount"))
        except ValueError:
            errors["amount"] = ["Enter an amount in euros, e.g. 250 or 1.234,56."]
    try:
        data = schema.load(raw)
    except ValidationError as exc:
        errors.update({("amount" if k == "amount_cents" else k): v for k, v in exc.normalized_messages().items()})
        return None, errors
    return (None, errors) if errors else (data, {})


def _membership_or_404(membership_id: int) -> Membership:
    # The URL takes any number; one beyond the id column's range would be a database error.
    membership = get_db().session.get(Membership, membership_id) if membership_id <= MAX_ID else None
    if membership is None:
        abort(404)
    return membership


# --- Pages ------------------------------------------------------------------------------------------

@bp.get("/admin/members")
@coop_admin_required
def members() -> ResponseReturnValue:
    args = SearchSchema().load({k: v for k, v in request.args.items() if k in ("q", "offset", "limit")})
    hits, total = search_members(get_db().session, args["q"], offset=args["offset"], limit=args["limit"])
    return render_template("register/admin_members.html", hits=hits, total=total, today=coop_today().isoformat(),
                           **args)


@bp.route("/admin/members/new", methods=["GET", "POST"])
@coop_admin_required
def admit() -> ResponseReturnValue:
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        data, errors = _form_data(AdmitSchema(), skip=(idempotency.FIELD,))
        if data is not None:
            def book() -> str:
                membership = admit_from_form(get_db().session, _actor(), data)
                get_db().session.flush()
                return rel_url_for("register_admin.member", membership_id=membership.id, admitted=1)

            # The admission form uses the service's names for its fields.
            location, errors = _form_once(data, book, lambda name: name)
            if location is not None:
                return see_other(location)
    status = 422 if errors else 200
    return render_template("register/admin_admit.html", errors=errors, form=request.form,
                           booking_key=idempotency.new_key()), status


@bp.route("/admin/members/<int:membership_id>", methods=["GET", "POST"])
@coop_admin_required
def member(membership_id: int) -> ResponseReturnValue:
    _membership_or_404(membership_id)
    errors: dict[str, list[str]] = {}
    booked: str | None = None  # where the booking leads
    session = get_db().session
    if request.method == "POST":
        data, errors = _form_data(BookingSchema(), skip=(idempotency.FIELD,))
        if data is not None:
            def book() -> str:
                apply_booking(session, _actor(), membership_id, data)
                return rel_url_for("register_admin.member", membership_id=membership_id, booked=1)

            booked, errors = _form_once(data, book, form_field)
    if booked is not None:
        return see_other(booked)
    return _member_page(membership_id, booking_errors=errors)


def _form_once(data: dict[str, Any], book: Callable[[], str],
               field: Callable[[str], str]) -> tuple[str | None, dict[str, list[str]]]:
    """Book from a form: (the page it leads to, no errors) or (None, errors by form field).

    The form's hidden key makes a second submit of the same rendering (a double click, a reload
    that sends again) book nothing and lead to the page the first led to. A form without the key
    (rendered before keys existed) books as before."""
    session = get_db().session
    key = request.form.get(idempotency.FIELD, "").strip() or None
    print_ = ""
    if key is not None:
        if not idempotency.valid(key):
            return None, {idempotency.FIELD: [str(idempotency.INVALID)]}
        print_ = idempotency.fingerprint(request.method, request.path, data)
        try:
            stored = idempotency.stored_answer(session, g.user_id, key, print_)
        except idempotency.KeyReused:
            return None, {idempotency.FIELD: [str(idempotency.FORM_REUSED)]}
        if stored is not None and stored.location is not None:
            return stored.location, {}
    try:
        location = book()
    except RuleViolation as exc:
        session.rollback()
        return None, {field(exc.field): [exc.reason]}
    if key is not None:
        idempotency.remember(session, g.user_id, key, print_, idempotency.Answer(303, location=location))
    return location, {}


def _json_once(data: dict[str, Any], book: Callable[[], tuple[Any, int]]) -> Response:
    """Book and answer in JSON. With an Idempotency-Key header, a repeat with the same input gets
    the first answer (status and body) and books nothing; the key with other input is refused."""
    key = request.headers.get(idempotency.HEADER)
    if key is None:
        return _json_booking(book)
    if not idempotency.valid(key):
        unprocessable({idempotency.HEADER: [idempotency.INVALID]})
    session = get_db().session
    print_ = idempotency.fingerprint(request.method, request.path, data)
    try:
        stored = idempotency.stored_answer(session, g.user_id, key, print_)
    except idempotency.KeyReused:
        unprocessable({idempotency.HEADER: [idempotency.REUSED]})
    if stored is not None:
        return Response(stored.body, stored.status, mimetype="application/json",
                        headers={"Idempotent-Replayed": "true"})
    response = _json_booking(book)
    idempotency.remember(session, g.user_id, key, print_,
                         idempotency.Answer(response.status_code, response.get_data(as_text=True)))
    return response


def _json_booking(book: Callable[[], tuple[Any, int]]) -> Response:
    try:
        body, status = book()
    except RuleViolation as exc:
        unprocessable({exc.field: [exc.reason]})
    response = jsonify(body)
    response.status_code = status
    return response


def _member_page(membership_id: int, *, booking_errors: dict[str, list[str]] | None = None,
                 representative_errors: dict[str, list[str]] | None = None,
                 link_error: str | None = None) -> ResponseReturnValue:
    session = get_db().session
    overview = member_overview(session, membership_id, coop_today())
    errors = booking_errors or representative_errors or ({"account_id": [link_error]} if link_error else {})
    return render_template("register/admin_member.html", overview=overview, errors=booking_errors or {},
                           booking_key=idempotency.new_key(),
                           rep_errors=representative_errors or {}, form=request.form,
                           representatives=representatives_of(session, overview.party_id),
                           booked=request.args.get("booked") == "1", admitted=request.args.get("admitted") == "1",
                           appointed=request.args.get("appointed") == "1",
                           links=links_of_party(session, overview.party_id), link_error=link_error,
                           link_done=request.args.get("link")), (422 if errors else 200)


@bp.post("/admin/members/<int:membership_id>/representatives")
@coop_admin_required
def appoint(membership_id: int) -> ResponseReturnValue:
    """Appoint (the form's default) or, with ``end=1``, end an appointment."""
    membership = _membership_or_404(membership_id)
    ending = request.form.get("end") == "1"
    data, errors = _form_data(EndRepresentationSchema() if ending else AppointSchema(), skip=("end",))
    if data is not None:
        try:
            _representation_change(membership, data, ending)
        except RuleViolation as exc:
            errors = {exc.field: [exc.reason]}
            get_db().session.rollback()
        else:
            return see_other(rel_url_for("register_admin.member", membership_id=membership_id, appointed=1))
    return _member_page(membership_id, representative_errors=errors)


def _representation_change(membership: Membership, data: dict[str, Any], ending: bool) -> None:
    kwargs = {"organisation_party_id": membership.party_id, "request_id": g.request_id, **data}
    if ending:
        end_representation(get_db().session, g.user_id, **kwargs)
    else:
        appoint_representative(get_db().session, g.user_id, **kwargs)


# --- JSON API ---------------------------------------------------------------------------------------

@bp.get("/api/v1/admin/members")
@coop_admin_required
def api_members() -> ResponseReturnValue:
    args = query_data(SearchSchema())
    hits, total = search_members(get_db().session, args["q"], offset=args["offset"], limit=args["limit"])
    return jsonify({"total": total, "members": SearchHitOut(many=True).dump(hits)})


@bp.post("/api/v1/admin/members")
@coop_admin_required
def api_admit() -> ResponseReturnValue:
    data = json_data(AdmitSchema())

    def book() -> tuple[Any, int]:
        membership = admit_from_form(get_db().session, _actor(), data)
        return MemberOverviewOut().dump(member_overview(get_db().session, membership.id, coop_today())), 201

    return _json_once(data, book)


@bp.get("/api/v1/admin/members/<int:membership_id>")
@coop_admin_required
def api_member(membership_id: int) -> ResponseReturnValue:
    _membership_or_404(membership_id)
    return jsonify(MemberOverviewOut().dump(member_overview(get_db().session, membership_id, coop_today())))


@bp.post("/api/v1/admin/members/<int:membership_id>/bookings")
@coop_admin_required
def api_book(membership_id: int) -> ResponseReturnValue:
    _membership_or_404(membership_id)
    data = json_data(BookingSchema())
    return _json_once(data, lambda: (apply_booking(get_db().session, _actor(), membership_id, data), 201))


@bp.get("/api/v1/admin/members/<int:membership_id>/representatives")
@coop_admin_required
def api_representatives(membership_id: int) -> ResponseReturnValue:
    membership = _membership_or_404(membership_id)
    return jsonify(RepresentativesOut().dump({"representatives": representatives_of(get_db().session,
                                                                                    membership.party_id)}))


@bp.post("/api/v1/admin/members/<int:membership_id>/representatives")
@coop_admin_required
def api_appoint(membership_id: int) -> ResponseReturnValue:
    return _api_representation_change(membership_id, ending=False)


@bp.post("/api/v1/admin/members/<int:membership_id>/representatives/end")
@coop_admin_required
def api_end_representation(membership_id: int) -> ResponseReturnValue:
    return _api_representation_change(membership_id, ending=True)


def _api_representation_change(membership_id: int, *, ending: bool) -> ResponseReturnValue:
    membership = _membership_or_404(membership_id)
    data = json_data(EndRepresentationSchema() if ending else AppointSchema())
    try:
        _representation_change(membership, data, ending)
    except RuleViolation as exc:
        unprocessable({exc.field: [exc.reason]})
    body = RepresentativesOut().dump({"representatives": representatives_of(get_db().session, membership.party_id)})
    return jsonify(body), 201


# --- Account links (nc_coop.register.links): the board reviews what the LDAP sync held -------------

def _link_change(membership_id: int, account_id: int, action: str) -> Membership:
    """Confirm or remove one link of the membership's party; 404 if the account is not linked to it."""
    membership = _membership_or_404(membership_id)
    change = confirm_link if action == "confirm" else remove_link
    try:
        change(get_db().session, g.user_id, party_id=membership.party_id, account_id=account_id,
               request_id=g.request_id)
    except LookupError:
        abort(404)
    return membership


@bp.post("/admin/members/<int:membership_id>/links/<int:account_id>/<any(confirm, remove):action>")
@coop_admin_required
def link_action(membership_id: int, account_id: int, action: str) -> ResponseReturnValue:
    if account_id > MAX_ID:
        abort(404)
    try:
        _link_change(membership_id, account_id, action)
    except RuleViolation as exc:
        get_db().session.rollback()
        return _member_page(membership_id, link_error=exc.reason)
    return see_other(rel_url_for("register_admin.member", membership_id=membership_id, link=action) + "#links")


@bp.get("/api/v1/admin/members/<int:membership_id>/links")
@coop_admin_required
def api_links(membership_id: int) -> ResponseReturnValue:
    membership = _membership_or_404(membership_id)
    return jsonify(LinksOut().dump({"links": links_of_party(get_db().session, membership.party_id)}))


@bp.post("/api/v1/admin/members/<int:membership_id>/links/<int:account_id>/confirm", defaults={"action": "confirm"})
@bp.post("/api/v1/admin/members/<int:membership_id>/links/<int:account_id>/remove", defaults={"action": "remove"})
@coop_admin_required
def api_link_action(membership_id: int, account_id: int, action: str) -> ResponseReturnValue:
    if account_id > MAX_ID:
        abort(404)
    json_data(LinkActionSchema())  # no fields; a body that is not JSON is refused (400), as on every POST
    try:
        membership = _link_change(membership_id, account_id, action)
    except RuleViolation as exc:
        unprocessable({exc.field: [exc.reason]})
    return jsonify(LinksOut().dump({"links": links_of_party(get_db().session, membership.party_id)}))

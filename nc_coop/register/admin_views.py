# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The admin desk for the register (cooperative admins only): search, a member's ledgers,
admission and bookings, as pages and as a JSON API. Inputs are validated with marshmallow;
an invalid form shows the error at the field and writes nothing."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from marshmallow import Schema, ValidationError

from nc_coop.appapi.guard import coop_admin_required
from nc_coop.dates import coop_today
from nc_coop.db import get_db
from nc_coop.register.bookings import admit_from_form, apply_booking, form_field
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
        data, errors = _form_data(AdmitSchema())
        if data is not None:
            try:
                membership = admit_from_form(get_db().session, _actor(), data)
            except RuleViolation as exc:
                errors = {exc.field: [exc.reason]}  # the admission form uses the service's names
            else:
                get_db().session.flush()
                return see_other(rel_url_for("register_admin.member", membership_id=membership.id, admitted=1))
    status = 422 if errors else 200
    return render_template("register/admin_admit.html", errors=errors, form=request.form), status


@bp.route("/admin/members/<int:membership_id>", methods=["GET", "POST"])
@coop_admin_required
def member(membership_id: int) -> ResponseReturnValue:
    _membership_or_404(membership_id)
    errors: dict[str, list[str]] = {}
    booked: dict[str, Any] | None = None
    session = get_db().session
    if request.method == "POST":
        data, errors = _form_data(BookingSchema())
        if data is not None:
            try:
                booked = apply_booking(session, _actor(), membership_id, data)
            except RuleViolation as exc:
                errors = {form_field(exc.field): [exc.reason]}
                session.rollback()
    if booked is not None:
        return see_other(rel_url_for("register_admin.member", membership_id=membership_id, booked=1))
    return _member_page(membership_id, booking_errors=errors)


def _member_page(membership_id: int, *, booking_errors: dict[str, list[str]] | None = None,
                 representative_errors: dict[str, list[str]] | None = None) -> ResponseReturnValue:
    session = get_db().session
    overview = member_overview(session, membership_id, coop_today())
    errors = booking_errors or representative_errors or {}
    return render_template("register/admin_member.html", overview=overview, errors=booking_errors or {},
                           rep_errors=representative_errors or {}, form=request.form,
                           representatives=representatives_of(session, overview.party_id),
                           booked=request.args.get("booked") == "1", admitted=request.args.get("admitted") == "1",
                           appointed=request.args.get("appointed") == "1"), (422 if errors else 200)


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
    try:
        membership = admit_from_form(get_db().session, _actor(), data)
    except RuleViolation as exc:
        unprocessable({exc.field: [exc.reason]})
    body = MemberOverviewOut().dump(member_overview(get_db().session, membership.id, coop_today()))
    return jsonify(body), 201


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
    try:
        result = apply_booking(get_db().session, _actor(), membership_id, data)
    except RuleViolation as exc:
        unprocessable({exc.field: [exc.reason]})
    return jsonify(result), 201


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

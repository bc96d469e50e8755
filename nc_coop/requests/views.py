# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The member's side of requests: join, further shares, notice, transfer, contact data, the
status of each, letters and the data export; as pages and as a JSON API.

Every membership id comes from the user and is checked against the memberships they act for; any
other is a 404. An invalid form shows its errors at the fields and writes nothing (the unit of
work rolls back on the 422)."""
from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, g, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from marshmallow import ValidationError

from nc_coop.appapi.guard import current_roles
from nc_coop.audit.chain import lock_chain, record
from nc_coop.config import Letterhead
from nc_coop.dates import Dates, coop_today
from nc_coop.db import get_db
from nc_coop.register.models import Membership, Party
from nc_coop.register.queries import member_overview, visible_membership_ids
from nc_coop.register.representatives import appoint_representative, end_representation, representatives_of
from nc_coop.register.schemas import EndRepresentationSchema
from nc_coop.register.statute import PartyKind
from nc_coop.register.statutes import Statutes
from nc_coop.requests import admin_views, services
from nc_coop.requests.common import (
    acknowledgement_text,
    actor,
    deliver_decision,
    flat_errors,
    notify_offer,
    form_data,
    json_data,
    own_membership_or_404,
)
from nc_coop.requests.letters import LANGUAGES, NoLetter, membership_letter, request_letter
from nc_coop.requests.privacy import user_data
from nc_coop.requests.queries import my_requests, request_for_user, view_for_user
from nc_coop.requests.rules import Kind, RuleViolation, acknowledgements_for, check_representation_date
from nc_coop.requests.schemas import (
    ConsentSchema,
    ContactSchema,
    JoinSchema,
    MemberAppointSchema,
    NoticePreviewOut,
    NoticePreviewQuerySchema,
    NoticeSchema,
    RequestOut,
    RequestsOut,
    SharesSchema,
    TransferSchema,
    WithdrawSchema,
)
from nc_coop.web.inputs import form_fields, unprocessable
from nc_coop.web.navigation import see_other
from nc_coop.web.urls import rel_url_for

bp = Blueprint("requests", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(admin_views.bp)


def _session() -> Any:
    return get_db().session


def _today() -> date:
    return coop_today()


# The register's rules name their arguments; the forms name what the member typed.
FORM_FIELD = {"terminated": "shares", "paid_in_cents": "shares", "received_on": "scope", "admitted_on": "shares",
              "amount_cents": "amount", "to_membership_id": "to_member_no", "agreed_on": "to_member_no",
              "transfer_policy": "to_member_no", "board_consent_on": "to_member_no"}


def _errors(exc: RuleViolation) -> dict[str, list[str]]:
    return {FORM_FIELD.get(exc.field, exc.field): [str(exc.reason)]}


def _memberships() -> list[Any]:
    """The user's memberships (own and represented) as overviews, for choosing one in a form."""
    session = _session()
    return [member_overview(session, mid, _today()) for mid in visible_membership_ids(session, g.user_id)]


def _selected(form_value: str | None) -> int | None:
    try:
        return int(form_value) if form_value else None
    except ValueError:
        return None


def _statements(kind: Kind, day: date) -> tuple[int | None, list[tuple[str, str]]]:
    """(statute version, [(key, text)]) to highlight on a declaration form."""
    try:
        _, version = Statutes(_session()).in_force(day)
    except ValueError:
        return None, []
    return version.version, [(item.key, acknowledgement_text(item))
                             for item in acknowledgements_for(kind, version.params)]


# --- Overview ---------------------------------------------------------------------------------------

@bp.get("/requests")
def index() -> ResponseReturnValue:
    session = _session()
    requests = my_requests(session, g.user_id)
    return render_template("requests/index.html", requests=requests, memberships=_memberships(),
                           member=services.is_member(session, g.user_id, _today()),
                           sent=request.args.get("sent"), done=request.args.get("done"),
                           offered=transfer_offered_message() if request.args.get("sent") == "transfer" else None)


# --- Join (§15) -------------------------------------------------------------------------------------

@bp.route("/requests/join", methods=["GET", "POST"])
def join() -> ResponseReturnValue:
    errors: dict[str, list[str]] = {}
    form = request.form
    if request.method == "POST":
        data, errors = form_data(JoinSchema())
        if data is not None:
            try:
                services.submit_join(_session(), actor(), data=data, acknowledged=set(data["acknowledged"]),
                                     render=acknowledgement_text, today=_today())
            except RuleViolation as exc:
                errors = _errors(exc)
            else:
                return see_other(rel_url_for("requests.index", sent="join"))
    version, statements = _statements(Kind.JOIN, _today())
    return render_template("requests/join.html", errors=errors, form=form, statements=statements,
                           statute_version=version, member=services.is_member(_session(), g.user_id, _today())), \
        (422 if errors else 200)


# --- Further shares (§15b) --------------------------------------------------------------------------

@bp.route("/requests/shares", methods=["GET", "POST"])
def shares() -> ResponseReturnValue:
    errors: dict[str, list[str]] = {}
    form = request.form if request.method == "POST" else request.args
    if request.method == "POST":
        own_membership_or_404(_session(), _selected(form.get("membership_id")))
        data, errors = form_data(SharesSchema())
        if data is not None:
            try:
                services.submit_shares(_session(), actor(), membership_id=data["membership_id"], shares=data["shares"],
                                       acknowledged=set(data["acknowledged"]), render=acknowledgement_text,
                                       today=_today())
            except RuleViolation as exc:
                errors = _errors(exc)
            else:
                return see_other(rel_url_for("requests.index", sent="shares"))
    version, statements = _statements(Kind.SHARES, _today())
    return render_template("requests/shares.html", errors=errors, form=form, statements=statements,
                           statute_version=version, memberships=_memberships()), (422 if errors else 200)


# --- Notice (§65, §67b) -----------------------------------------------------------------------------

@bp.route("/requests/notice", methods=["GET", "POST"])
def notice() -> ResponseReturnValue:
    """Two steps: the form (with the dates a full notice sent today would have), then a review of
    exactly what will be sent; only the second step sends."""
    session = _session()
    form = request.form if request.method == "POST" else request.args
    errors: dict[str, list[str]] = {}
    preview = None
    memberships = _memberships()
    selected = _selected(form.get("membership_id")) or (memberships[0].membership_id if memberships else None)
    if request.method == "POST":
        own_membership_or_404(session, _selected(form.get("membership_id")))
        data, errors = form_data(NoticeSchema())
        if data is not None:
            shares_given = data["shares"] if data["scope"] == "partial" else None
            try:
                if request.form.get("step") == "send" and request.form.get("confirm") == "1":
                    services.submit_notice(session, actor(), membership_id=data["membership_id"], shares=shares_given)
                    return see_other(rel_url_for("requests.index", sent="notice"))
                preview = services.preview_notice(session, membership_id=data["membership_id"], shares=shares_given,
                                                  today=_today())
                if request.form.get("step") == "send":
                    errors = {"confirm": [_("Please confirm that you want to send this notice.")]}
            except RuleViolation as exc:
                errors = _errors(exc)
                preview = None
    full = None
    if selected is not None and selected in {m.membership_id for m in memberships} and preview is None:
        try:
            full = services.preview_notice(session, membership_id=selected, shares=None, today=_today())
        except RuleViolation:
            full = None
    return render_template("requests/notice.html", errors=errors, form=form, preview=preview, full=full,
                           memberships=memberships, selected=selected, today=_today()), (422 if errors else 200)


# --- Transfer (§76) ---------------------------------------------------------------------------------

@bp.route("/requests/transfer", methods=["GET", "POST"])
def transfer() -> ResponseReturnValue:
    errors: dict[str, list[str]] = {}
    form = request.form if request.method == "POST" else request.args
    if request.method == "POST":
        own_membership_or_404(_session(), _selected(form.get("membership_id")))
        data, errors = form_data(TransferSchema(), euro_fields=("amount",))
        if data is not None:
            try:
                r = _submit_transfer(data)
            except RuleViolation as exc:
                errors = _errors(exc)
            else:
                _session().commit()  # the offer stands before anyone is told of it
                notify_offer(_session(), r)
                return see_other(rel_url_for("requests.index", sent="transfer"))
    return render_template("requests/transfer.html", errors=errors, form=form, memberships=_memberships()), \
        (422 if errors else 200)


def _submit_transfer(data: dict[str, Any]) -> Any:
    settings = current_app.config["NC_COOP_SETTINGS"]
    return services.submit_transfer(_session(), actor(), membership_id=data["membership_id"],
                                    to_member_no=data["to_member_no"], shares=data["shares"],
                                    amount_cents=data["amount_cents"], today=_today(),
                                    max_open=settings.max_open_transfers,
                                    notifications_per_hour=settings.offer_notifications_per_hour)


def transfer_offered_message() -> str:
    """The one answer to every accepted offer: it must not tell whether the number can receive it."""
    return _("The transfer was offered, if this member number can receive it. A member who can is asked to "
             "agree in their own account; you will be notified of their answer. Until then the offer waits "
             "on your Requests page, where you can withdraw it.")


@bp.post("/requests/<int:request_id>/withdraw")
def withdraw(request_id: int) -> ResponseReturnValue:
    """The giver takes back an offer that waits for the receiving member."""
    session = _session()
    r = _withdrawable_or_404(request_id)
    try:
        services.withdraw_transfer(session, actor(), r)
    except RuleViolation as exc:
        session.rollback()
        return render_template("requests/index.html", requests=my_requests(session, g.user_id),
                               memberships=_memberships(), member=services.is_member(session, g.user_id, _today()),
                               withdraw_error=exc.reason, sent=None, done=None), 422
    return see_other(rel_url_for("requests.index", done="withdrawn"))


def _withdrawable_or_404(request_id: int) -> Any:
    """A transfer offered from a membership the user acts for; else 404 (also for the receiver)."""
    r = request_for_user(_session(), g.user_id, request_id)
    if r is None or r.kind != Kind.TRANSFER.value or r.membership_id not in visible_membership_ids(_session(), g.user_id):
        abort(404)
    return r


@bp.post("/requests/<int:request_id>/consent")
def consent(request_id: int) -> ResponseReturnValue:
    """The receiving member agrees to (or declines) a transfer offered to them."""
    session = _session()
    r = _consentable_or_404(request_id)
    agree = request.form.get("consent") == "1"
    try:
        services.respond_transfer(session, actor(), r, consent=agree, today=_today())
    except RuleViolation as exc:
        session.rollback()
        return render_template("requests/index.html", requests=my_requests(session, g.user_id),
                               memberships=_memberships(), member=True, consent_error=exc.reason,
                               sent=None, done=None), 422
    session.commit()
    if r.status != "awaiting_consent" and r.status != "submitted":
        deliver_decision(session, r)
    return see_other(rel_url_for("requests.index", done="consent" if agree else "declined"))


def _consentable_or_404(request_id: int) -> Any:
    # Read under the writers' lock (held to the commit): of two answers at once, the second finds
    # the offer answered and gets the 404 a later click gets, and nothing is booked twice.
    lock_chain(_session())
    r = request_for_user(_session(), g.user_id, request_id)
    if r is None or not view_for_user(_session(), g.user_id, r).awaiting_my_consent:
        abort(404)
    return r


# --- Contact data and representatives ---------------------------------------------------------------

@bp.route("/requests/contact", methods=["GET", "POST"])
def contact() -> ResponseReturnValue:
    session = _session()
    form = request.form if request.method == "POST" else request.args
    membership = own_membership_or_404(session, _selected(form.get("membership_id")))
    party = session.get(Party, membership.party_id)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        data, errors = form_data(ContactSchema())
        if data is not None:
            services.change_contact(session, actor(), membership_id=membership.id,
                                    postal_address=data["postal_address"], email=data.get("email"), today=_today())
            return see_other(rel_url_for("requests.contact", membership_id=membership.id, saved=1))
    return _contact_page(membership, party, errors=errors, form=form if errors else
                         {"postal_address": party.postal_address, "email": party.email or "",
                          "membership_id": str(membership.id)})


def _contact_page(membership: Membership, party: Party, *, errors: dict[str, list[str]] | None = None,
                  form: Any = None, rep_errors: dict[str, list[str]] | None = None,
                  rep_form: Any = None) -> ResponseReturnValue:
    session = _session()
    organisation = party.kind != PartyKind.NATURAL.value
    status = 422 if (errors or rep_errors) else 200
    return render_template("requests/contact.html", membership=membership, party=party, errors=errors or {},
                           form=form or {}, rep_errors=rep_errors or {}, rep_form=rep_form or {},
                           organisation=organisation, saved=request.args.get("saved") == "1",
                           representatives=representatives_of(session, party.id) if organisation else []), status


@bp.post("/requests/contact/representatives")
def representatives() -> ResponseReturnValue:
    """An organisation's representatives, kept by the organisation itself: appoint or end."""
    session = _session()
    membership = own_membership_or_404(session, _selected(request.form.get("membership_id")))
    party = session.get(Party, membership.party_id)
    if party.kind == PartyKind.NATURAL.value:
        abort(404)
    ending = request.form.get("end") == "1"
    # Appointing takes a new person by name only; ending names a person of this organisation's
    # appointments (end_representation finds no running one for anybody else's).
    schema = EndRepresentationSchema() if ending else MemberAppointSchema()
    raw = form_fields(skip=("membership_id", "end"))
    try:
        data = schema.load(raw)
    except ValidationError as exc:
        errors = flat_errors(exc.normalized_messages())
        return _contact_page(membership, party, rep_errors=errors, rep_form=request.form,
                             form={"postal_address": party.postal_address, "email": party.email or ""})
    try:
        check_representation_date(data["effective_date"], _today())
        kwargs = {"organisation_party_id": party.id, "request_id": g.request_id, **data}
        (end_representation if ending else appoint_representative)(session, g.user_id, **kwargs)
    except RuleViolation as exc:
        session.rollback()
        return _contact_page(membership, party, rep_errors=_errors(exc), rep_form=request.form,
                             form={"postal_address": party.postal_address, "email": party.email or ""})
    return see_other(rel_url_for("requests.contact", membership_id=membership.id, saved=1))


# --- Letters ----------------------------------------------------------------------------------------

def _letter_dates() -> Dates:
    """The user's language, or ?lang= (a letter for the other language); the cooperative's zone."""
    wanted = request.args.get("lang", "")
    return Dates.for_user(wanted if wanted in LANGUAGES else str(get_locale() or "en")[:2])


def _letterhead() -> Letterhead:
    return current_app.config["NC_COOP_SETTINGS"].letterhead


def _pdf(body: bytes, name: str) -> Response:
    return Response(body, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/requests/<int:request_id>/letter.pdf")
def request_letter_pdf(request_id: int) -> ResponseReturnValue:
    session = _session()
    r = request_for_user(session, g.user_id, request_id)
    if r is None:
        if not current_roles().is_coop_admin:
            abort(404)
        r = admin_views.request_or_404(request_id)
    try:
        body = request_letter(session, r, _today(), _letter_dates(), _letterhead())
    except NoLetter:
        abort(404)
    return _pdf(body, f"{r.kind}-{r.id}.pdf")


@bp.get("/memberships/<int:membership_id>/letters/<any(membership, settlement):which>.pdf")
def membership_letter_pdf(membership_id: int, which: str) -> ResponseReturnValue:
    session = _session()
    if membership_id not in visible_membership_ids(session, g.user_id) and not current_roles().is_coop_admin:
        abort(404)
    membership = session.get(Membership, membership_id) if membership_id <= 2**63 - 1 else None
    if membership is None:
        abort(404)
    try:
        body = membership_letter(session, membership, which, _today(), _letter_dates(), _letterhead())
    except NoLetter:
        abort(404)
    return _pdf(body, f"{which}-{membership.member_no}.pdf")


# --- JSON API ---------------------------------------------------------------------------------------

def _out(r: Any) -> dict[str, Any]:
    return RequestOut().dump(view_for_user(_session(), g.user_id, r))


def _api_call(fn: Any) -> Any:
    try:
        return fn()
    except RuleViolation as exc:
        unprocessable(_errors(exc))


@bp.get("/api/v1/requests")
def api_requests() -> ResponseReturnValue:
    return jsonify(RequestsOut().dump({"requests": my_requests(_session(), g.user_id)}))


@bp.get("/api/v1/requests/<int:request_id>")
def api_request(request_id: int) -> ResponseReturnValue:
    r = request_for_user(_session(), g.user_id, request_id)
    if r is None:
        abort(404)
    return jsonify(_out(r))


@bp.post("/api/v1/requests/join")
def api_join() -> ResponseReturnValue:
    data = json_data(JoinSchema())
    r = _api_call(lambda: services.submit_join(_session(), actor(), data=data, acknowledged=set(data["acknowledged"]),
                                               render=acknowledgement_text, today=_today()))
    return jsonify(_out(r)), 201


@bp.post("/api/v1/requests/shares")
def api_shares() -> ResponseReturnValue:
    data = json_data(SharesSchema())
    own_membership_or_404(_session(), data["membership_id"])
    r = _api_call(lambda: services.submit_shares(_session(), actor(), membership_id=data["membership_id"],
                                                 shares=data["shares"], acknowledged=set(data["acknowledged"]),
                                                 render=acknowledgement_text, today=_today()))
    return jsonify(_out(r)), 201


@bp.get("/api/v1/requests/notice-preview")
def api_notice_preview() -> ResponseReturnValue:
    try:
        args = NoticePreviewQuerySchema().load(request.args.to_dict())
    except ValidationError as exc:
        unprocessable(flat_errors(exc.normalized_messages()))
    own_membership_or_404(_session(), args["membership_id"])
    preview = _api_call(lambda: services.preview_notice(_session(), membership_id=args["membership_id"],
                                                        shares=args["shares"], today=_today()))
    return jsonify(NoticePreviewOut().dump(preview))


@bp.post("/api/v1/requests/notice")
def api_notice() -> ResponseReturnValue:
    data = json_data(NoticeSchema())
    own_membership_or_404(_session(), data["membership_id"])
    shares_given = data["shares"] if data["scope"] == "partial" else None
    r = _api_call(lambda: services.submit_notice(_session(), actor(), membership_id=data["membership_id"],
                                                 shares=shares_given))
    return jsonify(_out(r)), 201


@bp.post("/api/v1/requests/transfer")
def api_transfer() -> ResponseReturnValue:
    data = json_data(TransferSchema())
    own_membership_or_404(_session(), data["membership_id"])
    r = _api_call(lambda: _submit_transfer(data))
    _session().commit()
    notify_offer(_session(), r)
    return jsonify({**_out(r), "message": transfer_offered_message()}), 201


@bp.post("/api/v1/requests/<int:request_id>/withdraw")
def api_withdraw(request_id: int) -> ResponseReturnValue:
    r = _withdrawable_or_404(request_id)
    json_data(WithdrawSchema())
    _api_call(lambda: services.withdraw_transfer(_session(), actor(), r))
    return jsonify(_out(r))


@bp.post("/api/v1/requests/<int:request_id>/consent")
def api_consent(request_id: int) -> ResponseReturnValue:
    r = _consentable_or_404(request_id)
    data = json_data(ConsentSchema())
    session = _session()
    _api_call(lambda: services.respond_transfer(session, actor(), r, consent=data["consent"], today=_today()))
    session.commit()
    if r.status not in ("awaiting_consent", "submitted"):
        deliver_decision(session, r)
    return jsonify(_out(r)), 201


@bp.post("/api/v1/requests/contact")
def api_contact() -> ResponseReturnValue:
    data = json_data(ContactSchema())
    membership = own_membership_or_404(_session(), data["membership_id"])
    r = services.change_contact(_session(), actor(), membership_id=membership.id,
                                postal_address=data["postal_address"], email=data.get("email"), today=_today())
    return jsonify({"changed": r is not None, "request": _out(r) if r is not None else None}), 201


@bp.get("/api/v1/privacy/export")
def api_export() -> ResponseReturnValue:
    """GDPR Art. 15/20: everything about the user, as a JSON download. The export is audited."""
    session = _session()
    data = user_data(session, g.user_id)
    record(session, actor=g.user_id, action="privacy.export", entity="nextcloud_user", entity_id=None,
           diff={"requests": len(data["requests"]), "memberships": len(data["memberships"])},
           request_id=g.request_id)
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    stamp = coop_today().strftime("%Y%m%d")
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="nc_coop-data-{stamp}.json"'})

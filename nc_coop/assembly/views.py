# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The members' side of the general assembly: the assemblies, one assembly with its agenda and
papers, proxies (§43 Abs. 5 GenG), the ballot with its receipt, and the results; as pages and
as a JSON API.

Every request checks what the user may do here and now: an assembly they may not see is a 404
(as one that does not exist), a membership they do not act for is a 404, and the frozen roll
decides whose votes they cast. The rules themselves stay in ``services``/``rules``."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Flask, Response, abort, g, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from marshmallow import ValidationError

from nc_coop.appapi.guard import current_roles
from nc_coop.assembly import admin_views, letters, queries, reminders, services
from nc_coop.assembly.common import (
    actor,
    check_receipt,
    field_errors,
    receipt_explanation,
    receipt_lists,
    results,
    session,
    today,
)
from nc_coop.assembly.models import Assembly
from nc_coop.assembly.rules import State, supporters_needed
from nc_coop.assembly.schemas import (
    GeneralAssembliesOut,
    AssemblyDetailOut,
    EmptySchema,
    AssemblyProxyOut,
    DemandOut,
    DemandSchema,
    DemandsOut,
    DemandSupportSchema,
    ProxySchema,
    ReceiptCheckOut,
    ReceiptCheckSchema,
    ReceiptOut,
    ReceiptsOut,
    ResultsOut,
    VoteSchema,
)
from nc_coop.documents.queries import user_memberships, visible_documents
from nc_coop.documents.rules import annual_documents_deadline
from nc_coop.register.rules import RuleViolation, agenda_deadline
from nc_coop.register.statutes import Statutes
from nc_coop.requests.common import flat_errors
from nc_coop.web.inputs import form_fields, json_data, unprocessable
from nc_coop.web.navigation import see_other
from nc_coop.web.urls import rel_url_for

bp = Blueprint("assembly", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(admin_views.bp)
    reminders.init_app(app)  # the "closing soon" timer; `nc-coop serve` starts it


# --- Access -----------------------------------------------------------------------------------------

def _visible_or_404(assembly_id: int) -> tuple[Assembly, queries.Access]:
    assembly = queries.assembly_or_none(session(), assembly_id)
    if assembly is None:
        abort(404)
    access = queries.access(session(), g.user_id, assembly)
    if not access.sees:
        abort(404)
    return assembly, access


def _voter_or_404(assembly: Assembly, membership_id: int | None) -> queries.VoterView:
    """A membership on the frozen roll whose votes this login may cast; else 404."""
    for voter in queries.my_voters(session(), g.user_id, assembly.id):
        if voter.membership_id == membership_id:
            return voter
    abort(404)


# --- Read models --------------------------------------------------------------------------------------

def _detail(assembly: Assembly, access: queries.Access) -> dict[str, Any]:
    s = session()
    mine = set(access.memberships)
    params = Statutes(s).by_id(assembly.statute_version_id).params
    before = State(assembly.state) in queries.BEFORE_VOTING
    entitled = len(services.preview_roll(s, assembly.id).entries) if before else None
    deadline = agenda_deadline(assembly.held_on, params)
    papers = [d for d in visible_documents(s, user_memberships(s, g.user_id), current_roles().is_coop_admin, today())
              if d.assembly_id == assembly.general_assembly_id]
    refs = queries.membership_refs(s, mine)
    invited = services.entitled_memberships(s, assembly.id)
    demand_open = State(assembly.state) in (State.CONVENED, State.DISCUSSION) and today() <= deadline
    return {
        "assembly": queries.summary(assembly),
        "items": queries.items_of(s, assembly),
        "papers": papers,
        "annual_documents_deadline": annual_documents_deadline(assembly.held_on),
        "my_memberships": [refs[m] for m in access.memberships if m in refs],
        "proxies_granted": queries.proxies(s, assembly.id, principals=mine) if mine else [],
        "proxies_held": queries.proxies(s, assembly.id, proxies_for=mine) if mine else [],
        "voters": queries.my_voters(s, g.user_id, assembly.id),
        "agenda_request": {"deadline": deadline,
                           "supporters_needed": supporters_needed(entitled, params) if entitled is not None else None,
                           "open": before and today() <= deadline},
        "demands": queries.demands(s, assembly, mine),
        # §45 GenG: members invited on the convening date file and support demands until the deadline.
        "demand_memberships": [refs[m] for m in access.memberships if m in refs and m in invited],
        "demand_open": demand_open,
    }


def _detail_out(detail: dict[str, Any]) -> dict[str, Any]:
    out = dict(detail)
    out["papers"] = [{"id": d.id, "category": d.category, "title": d.title, "published_on": d.published_on}
                     for d in detail["papers"]]
    out["voters"] = [{**v.__dict__, "voted_items": sorted(v.voted_items)} for v in detail["voters"]]
    out.pop("demand_memberships", None)
    out.pop("demand_open", None)
    return AssemblyDetailOut().dump(out)


# --- Pages --------------------------------------------------------------------------------------------

@bp.get("/assemblies")
def index() -> ResponseReturnValue:
    assemblies = queries.visible_assemblies(session(), g.user_id)
    day = today()
    return render_template("assembly/index.html",
                           upcoming=[a for a in assemblies if not a.closed and a.held_on >= day or a.voting_open],
                           past=[a for a in assemblies if not (not a.closed and a.held_on >= day or a.voting_open)])


@bp.get("/assemblies/<int:assembly_id>")
def detail(assembly_id: int) -> ResponseReturnValue:
    assembly, access = _visible_or_404(assembly_id)
    return _detail_page(assembly, access)


def _detail_page(assembly: Assembly, access: queries.Access, *, errors: dict[str, list[str]] | None = None,
                 form: Any = None, section: str | None = None) -> ResponseReturnValue:
    return render_template("assembly/detail.html", **_detail(assembly, access), errors=errors or {},
                           form=form or {}, done=request.args.get("done"), section=section), (422 if errors else 200)


def _grant(assembly: Assembly, access: queries.Access, data: dict[str, Any]) -> Any:
    """Authorise a proxy: the declaration made in the app is the text form (§126b BGB)."""
    if data["membership_id"] not in queries.visible_membership_ids(session(), g.user_id):
        abort(404)
    if data["membership_id"] not in access.memberships:
        raise RuleViolation("principal_membership_id", _("not entitled to vote in this assembly"))
    s = session()
    proxy_id = queries.membership_by_no(s, data["proxy_member_no"])
    principal = queries.membership_refs(s, [data["membership_id"]])[data["membership_id"]]
    if proxy_id is None:  # the service's answer for a non-entitled number: nothing about who exists
        raise RuleViolation("proxy_membership_id", _("a proxy must be a member entitled to vote"))
    declaration = (f"Declared in nc_coop by {g.user_id} on {datetime.now(UTC).isoformat(timespec='seconds')}: "
                   f"member no. {principal.member_no} authorises member no. {data['proxy_member_no']} "
                   f"for assembly {assembly.id} (§43 Abs. 5 GenG)")[:255]
    return services.grant_proxy(s, actor(), assembly_id=assembly.id, principal_membership_id=data["membership_id"],
                                proxy_membership_id=proxy_id, textform_reference=declaration)


@bp.post("/assemblies/<int:assembly_id>/proxy")
def grant_proxy(assembly_id: int) -> ResponseReturnValue:
    assembly, access = _visible_or_404(assembly_id)
    raw = form_fields()
    raw["declare"] = raw.get("declare", "false")
    try:
        data = ProxySchema().load(raw)
        _grant(assembly, access, data)
    except ValidationError as exc:
        return _detail_page(assembly, access, errors=flat_errors(exc.normalized_messages()), form=request.form)
    except RuleViolation as exc:
        session().rollback()
        return _detail_page(assembly, access, errors=field_errors(exc), form=request.form)
    return see_other(rel_url_for("assembly.detail", assembly_id=assembly.id, done="proxy", _anchor="proxy"))


def _revocable_or_404(assembly: Assembly, proxy_id: int) -> int:
    """A standing proxy of this assembly given by a membership the user acts for."""
    mine = set(queries.visible_membership_ids(session(), g.user_id))
    for p in queries.proxies(session(), assembly.id, principals=mine):
        if p.id == proxy_id:
            return p.id
    abort(404)


@bp.post("/assemblies/<int:assembly_id>/proxy/<int:proxy_id>/revoke")
def revoke_proxy(assembly_id: int, proxy_id: int) -> ResponseReturnValue:
    assembly, access = _visible_or_404(assembly_id)
    try:
        services.revoke_proxy(session(), actor(), proxy_id=_revocable_or_404(assembly, proxy_id))
    except RuleViolation as exc:
        session().rollback()
        return _detail_page(assembly, access, errors={"revoke": [str(exc.reason)]})
    return see_other(rel_url_for("assembly.detail", assembly_id=assembly.id, done="revoked", _anchor="proxy"))


# --- Demands for agenda items (§45 GenG) ----------------------------------------------------------------

def _acting_for_or_404(membership_id: int) -> int:
    """A membership the user acts for (own, or an organisation they represent); else 404."""
    if membership_id not in queries.visible_membership_ids(session(), g.user_id):
        abort(404)
    return membership_id


def _demand_or_404(assembly: Assembly, demand_id: int) -> int:
    demand = queries.demand_of(session(), assembly, demand_id)
    if demand is None:
        abort(404)
    return demand.id


def _demand_view(assembly: Assembly, demand_id: int) -> dict[str, Any]:
    mine = set(queries.visible_membership_ids(session(), g.user_id))
    (view,) = [d for d in queries.demands(session(), assembly, mine) if d.id == demand_id]
    return DemandOut().dump(view)


def _file(assembly: Assembly, data: dict[str, Any]) -> int:
    return services.file_demand(session(), actor(), assembly_id=assembly.id,
                                membership_id=_acting_for_or_404(data["membership_id"]), title=data["title"],
                                reasoning=data["reasoning"], today=today()).id


def _support(assembly: Assembly, demand_id: int, data: dict[str, Any], withdraw: bool) -> None:
    run = services.withdraw_support if withdraw else services.support_demand
    run(session(), actor(), demand_id=_demand_or_404(assembly, demand_id),
        membership_id=_acting_for_or_404(data["membership_id"]), today=today())


@bp.post("/assemblies/<int:assembly_id>/demands")
def file_demand(assembly_id: int) -> ResponseReturnValue:
    assembly, access = _visible_or_404(assembly_id)
    try:
        _file(assembly, DemandSchema().load(form_fields()))
    except ValidationError as exc:
        return _detail_page(assembly, access, errors=flat_errors(exc.normalized_messages()), form=request.form,
                            section="demand")
    except RuleViolation as exc:
        session().rollback()
        return _detail_page(assembly, access, errors=field_errors(exc), form=request.form, section="demand")
    return see_other(rel_url_for("assembly.detail", assembly_id=assembly.id, done="demand", _anchor="agenda-request"))


def _support_page(assembly_id: int, demand_id: int, withdraw: bool) -> ResponseReturnValue:
    assembly, access = _visible_or_404(assembly_id)
    try:
        _support(assembly, demand_id, DemandSupportSchema().load(form_fields()), withdraw)
    except ValidationError as exc:
        return _detail_page(assembly, access, errors=flat_errors(exc.normalized_messages()), section="support")
    except RuleViolation as exc:
        session().rollback()
        return _detail_page(assembly, access, errors=field_errors(exc), section="support")
    return see_other(rel_url_for("assembly.detail", assembly_id=assembly.id,
                                 done="withdrawn" if withdraw else "supported", _anchor=f"demand-{demand_id}"))


@bp.post("/assemblies/<int:assembly_id>/demands/<int:demand_id>/support")
def support_demand(assembly_id: int, demand_id: int) -> ResponseReturnValue:
    return _support_page(assembly_id, demand_id, withdraw=False)


@bp.post("/assemblies/<int:assembly_id>/demands/<int:demand_id>/withdraw")
def withdraw_support(assembly_id: int, demand_id: int) -> ResponseReturnValue:
    return _support_page(assembly_id, demand_id, withdraw=True)


def _form_choices(items: list[queries.ItemView]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The ballot form's choices per item (unanswered items are left out)."""
    choices: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for item in items:
        values = [v.strip() for v in request.form.getlist(f"item-{item.id}") if v.strip()]
        if not values:
            continue
        if item.resolution_type == "election":
            if "abstain" in values:
                choices[str(item.id)] = "abstain"
            elif all(v.isdigit() and len(v) < 4 for v in values):
                choices[str(item.id)] = [int(v) for v in values]
            else:
                errors[f"choices.{item.id}"] = [_("name candidates by their numbers, or abstain")]
        else:
            choices[str(item.id)] = values[0]
    return choices, errors


@bp.route("/assemblies/<int:assembly_id>/ballot", methods=["GET", "POST"])
def ballot(assembly_id: int) -> ResponseReturnValue:
    """The ballot. A cast is answered with its receipt at once (never stored, so shown only in
    this answer); sending the form again is refused by the service, nothing is counted twice."""
    assembly, access = _visible_or_404(assembly_id)
    s = session()
    items = queries.items_of(s, assembly)
    errors: dict[str, list[str]] = {}
    selected = None
    if request.method == "POST":
        try:
            selected = int(request.form.get("membership_id", ""))
        except ValueError:
            abort(404)
        voter = _voter_or_404(assembly, selected)
        choices, errors = _form_choices(items)
        if not errors:
            try:
                data = VoteSchema().load({"membership_id": selected, "choices": choices})
                receipt = services.cast(s, actor(), assembly_id=assembly.id, membership_id=voter.membership_id,
                                        choices=VoteSchema().item_choices(data), today=today())
            except ValidationError as exc:
                errors = {("choices" if k == "choices" else k): v
                          for k, v in flat_errors(exc.normalized_messages()).items()}
            except RuleViolation as exc:
                s.rollback()
                errors = {exc.field: [str(exc.reason)]}
            else:
                return render_template("assembly/receipt.html", assembly=queries.summary(assembly), receipt=receipt,
                                       voter=voter, items=[i for i in items if i.id in receipt.items],
                                       explanation=receipt_explanation())
    return render_template("assembly/ballot.html", assembly=queries.summary(assembly), items=items,
                           voters=queries.my_voters(s, g.user_id, assembly.id), errors=errors, form=request.form,
                           selected=selected), (422 if errors else 200)


@bp.route("/assemblies/<int:assembly_id>/results", methods=["GET", "POST"])
def results_page(assembly_id: int) -> ResponseReturnValue:
    """Results and the published receipts; POST checks a receipt code (writes nothing)."""
    assembly, _access = _visible_or_404(assembly_id)
    if State(assembly.state) not in queries.AFTER_CLOSE:
        abort(404)
    s = session()
    errors: dict[str, list[str]] = {}
    found = None
    if request.method == "POST":
        try:
            code = ReceiptCheckSchema().load(form_fields())["code"]
        except ValidationError as exc:
            errors = flat_errors(exc.normalized_messages())
        else:
            found = check_receipt(s, assembly.id, code)
    return render_template("assembly/results.html", assembly=queries.summary(assembly), results=results(s, assembly.id),
                           receipts=receipt_lists(s, assembly.id), found=found, errors=errors,
                           form=request.form), (422 if errors else 200)


@bp.get("/assemblies/<int:assembly_id>/invitation.pdf")
def invitation_pdf(assembly_id: int) -> ResponseReturnValue:
    """The member's own invitation letter (one of the memberships they act for)."""
    assembly, access = _visible_or_404(assembly_id)
    try:
        membership_id = int(request.args.get("membership_id", ""))
    except ValueError:
        abort(404)
    if membership_id not in access.memberships or assembly.convened_on is None:
        abort(404)
    body = letters.invitation_pdf(session(), assembly.id, membership_id, _language())
    return Response(body, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="invitation-{assembly.id}.pdf"'})


def _language() -> str:
    wanted = request.args.get("lang", "")
    return wanted if wanted in ("de", "en") else str(get_locale() or "en")[:2]


# --- JSON API -----------------------------------------------------------------------------------------

@bp.get("/api/v1/assemblies")
def api_assemblies() -> ResponseReturnValue:
    return jsonify(GeneralAssembliesOut().dump({"assemblies": queries.visible_assemblies(session(), g.user_id)}))


@bp.get("/api/v1/assemblies/<int:assembly_id>")
def api_assembly(assembly_id: int) -> ResponseReturnValue:
    assembly, access = _visible_or_404(assembly_id)
    return jsonify(_detail_out(_detail(assembly, access)))


@bp.post("/api/v1/assemblies/<int:assembly_id>/proxies")
def api_grant_proxy(assembly_id: int) -> ResponseReturnValue:
    assembly, access = _visible_or_404(assembly_id)
    data = json_data(ProxySchema(), flat_errors)
    try:
        proxy = _grant(assembly, access, data)
    except RuleViolation as exc:
        unprocessable(field_errors(exc))
    (view,) = [p for p in queries.proxies(session(), assembly.id) if p.id == proxy.id]
    return jsonify(AssemblyProxyOut().dump(view)), 201


@bp.post("/api/v1/assemblies/<int:assembly_id>/proxies/<int:proxy_id>/revoke")
def api_revoke_proxy(assembly_id: int, proxy_id: int) -> ResponseReturnValue:
    assembly, _access = _visible_or_404(assembly_id)
    json_data(EmptySchema(), flat_errors)
    try:
        services.revoke_proxy(session(), actor(), proxy_id=_revocable_or_404(assembly, proxy_id))
    except RuleViolation as exc:
        unprocessable(field_errors(exc))
    (view,) = [p for p in queries.proxies(session(), assembly.id, standing_only=False) if p.id == proxy_id]
    return jsonify(AssemblyProxyOut().dump(view))


@bp.get("/api/v1/assemblies/<int:assembly_id>/demands")
def api_demands(assembly_id: int) -> ResponseReturnValue:
    assembly, access = _visible_or_404(assembly_id)
    mine = set(queries.visible_membership_ids(session(), g.user_id))
    return jsonify(DemandsOut().dump({"demands": queries.demands(session(), assembly, mine)}))


@bp.post("/api/v1/assemblies/<int:assembly_id>/demands")
def api_file_demand(assembly_id: int) -> ResponseReturnValue:
    assembly, _access = _visible_or_404(assembly_id)
    data = json_data(DemandSchema(), flat_errors)
    try:
        demand_id = _file(assembly, data)
    except RuleViolation as exc:
        unprocessable(field_errors(exc))
    return jsonify(_demand_view(assembly, demand_id)), 201


def _api_support(assembly_id: int, demand_id: int, withdraw: bool) -> ResponseReturnValue:
    assembly, _access = _visible_or_404(assembly_id)
    data = json_data(DemandSupportSchema(), flat_errors)
    try:
        _support(assembly, demand_id, data, withdraw)
    except RuleViolation as exc:
        unprocessable(field_errors(exc))
    return jsonify(_demand_view(assembly, demand_id))


@bp.post("/api/v1/assemblies/<int:assembly_id>/demands/<int:demand_id>/support")
def api_support_demand(assembly_id: int, demand_id: int) -> ResponseReturnValue:
    return _api_support(assembly_id, demand_id, withdraw=False)


@bp.post("/api/v1/assemblies/<int:assembly_id>/demands/<int:demand_id>/withdraw")
def api_withdraw_support(assembly_id: int, demand_id: int) -> ResponseReturnValue:
    return _api_support(assembly_id, demand_id, withdraw=True)


@bp.post("/api/v1/assemblies/<int:assembly_id>/votes")
def api_vote(assembly_id: int) -> ResponseReturnValue:
    assembly, _access = _visible_or_404(assembly_id)
    schema = VoteSchema()
    data = json_data(schema, flat_errors)
    voter = _voter_or_404(assembly, data["membership_id"])
    try:
        receipt = services.cast(session(), actor(), assembly_id=assembly.id, membership_id=voter.membership_id,
                                choices=schema.item_choices(data), today=today())
    except RuleViolation as exc:
        unprocessable(field_errors(exc, {"membership_id": "membership_id"}))
    return jsonify(ReceiptOut().dump({"code": receipt.code, "member_no": receipt.member_no, "items": receipt.items,
                                      "explanation": receipt_explanation()})), 201


def _closed_or_404(assembly_id: int) -> Assembly:
    assembly, _access = _visible_or_404(assembly_id)
    if State(assembly.state) not in queries.AFTER_CLOSE:
        abort(404)
    return assembly


@bp.get("/api/v1/assemblies/<int:assembly_id>/results")
def api_results(assembly_id: int) -> ResponseReturnValue:
    assembly = _closed_or_404(assembly_id)
    return jsonify(ResultsOut().dump({"results": results(session(), assembly.id)}))


@bp.get("/api/v1/assemblies/<int:assembly_id>/receipts")
def api_receipts(assembly_id: int) -> ResponseReturnValue:
    assembly = _closed_or_404(assembly_id)
    return jsonify(ReceiptsOut().dump({"items": receipt_lists(session(), assembly.id)}))


@bp.post("/api/v1/assemblies/<int:assembly_id>/receipts/check")
def api_check_receipt(assembly_id: int) -> ResponseReturnValue:
    assembly = _closed_or_404(assembly_id)
    data = json_data(ReceiptCheckSchema(), flat_errors)
    return jsonify(ReceiptCheckOut().dump({"items": check_receipt(session(), assembly.id, data["code"])}))


# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The board's side of the general assembly (cooperative admins only): create, agenda, convene,
heirs' representative, discussion, voting with the attendance desk and room counts, close,
results, attendance list and minutes; as pages and as a JSON API.

State changes are committed first; then members are told (``outreach``, best effort) and what
that reported is kept in the audit log and shown on the assembly's page. The JSON API lives at
/api/v1/admin/general-assemblies: /api/v1/admin/assemblies is the documents' list of assemblies."""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError
from sqlalchemy import select

from nc_coop.appapi.guard import coop_admin_required
from nc_coop.assembly import letters, outreach, queries, services
from nc_coop.assembly.common import actor, field_errors, results, session, today
from nc_coop.assembly.models import Assembly, AssemblyItem
from nc_coop.assembly.rules import Form, State
from nc_coop.assembly.schemas import (
    FORMS,
    TYPES,
    AdminAssemblyOut,
    GeneralAssembliesOut,
    AssemblySchema,
    AssemblyAttendanceOut,
    AttendanceSchema,
    ConveneSchema,
    DemandAddSchema,
    DemandRefuseSchema,
    EmptySchema,
    HeirsSchema,
    ItemSchema,
    MinutesSchema,
    ResultsOut,
    RoomCountSchema,
    candidate_lines,
)
from nc_coop.audit.chain import record
from nc_coop.audit.models import AuditEvent
from nc_coop.nextcloud import NextcloudError
from nc_coop.register.rules import RuleViolation
from nc_coop.requests.common import flat_errors
from nc_coop.web.inputs import form_fields, json_data, unprocessable
from nc_coop.web.navigation import see_other
from nc_coop.web.urls import rel_url_for

bp = Blueprint("assembly_admin", __name__)
API = "/api/v1/admin/general-assemblies"


def _gateway() -> Any:
    return current_app.extensions["nc_coop.gateway"]


def _assembly_or_404(assembly_id: int) -> Assembly:
    assembly = queries.assembly_or_none(session(), assembly_id)
    if assembly is None:
        abort(404)
    return assembly


def _language() -> str:
    wanted = request.args.get("lang", "")
    return wanted if wanted in ("de", "en") else str(get_locale() or "en")[:2]


# --- Outreach (built separately: nc_coop.assembly.outreach / letters) ---------------------------------

def _report_notes(report: outreach.OutreachReport) -> list[str]:
    return [_("%(sent)s notification(s) sent, %(already)s sent before, %(failed)s failed.", sent=report.sent,
              already=report.already, failed=report.failed), *report.notes]


def _outreach(assembly_id: int, event: str) -> list[str]:
    """After the state change is committed: tell the members (and, on convening, create the
    meeting places); keep what this reported in the audit log. Never undoes the change."""
    s = session()
    s.commit()
    try:
        notes = _report_notes(outreach.announce(s, _gateway(), assembly_id, event))
        if event == "convened":
            notes += [str(n) for n in outreach.create_meeting_places(s, _gateway(), actor(), assembly_id)]
    except (NextcloudError, RuleViolation) as exc:
        s.rollback()
        notes = [_("Members were not told: %(error)s", error=str(getattr(exc, "reason", exc)) or type(exc).__name__)]
    record(s, actor=actor().user_id, action="assembly.outreach", entity="assembly", entity_id=str(assembly_id),
           diff={"event": event, "notes": notes}, request_id=actor().request_id)
    return notes


def _last_notes(assembly_id: int) -> list[tuple[str, list[str]]]:
    rows = session().scalars(select(AuditEvent).where(AuditEvent.entity == "assembly",
                                                      AuditEvent.entity_id == str(assembly_id),
                                                      AuditEvent.action == "assembly.outreach")
                             .order_by(AuditEvent.id.desc()).limit(4))
    result = []
    for row in rows:
        diff = json.loads(row.diff)
        result.append((diff.get("event", ""), list(diff.get("notes", []))))
    return result


# --- Pages --------------------------------------------------------------------------------------------

@bp.get("/admin/assemblies")
@coop_admin_required
def overview() -> ResponseReturnValue:
    return _overview_page()


def _overview_page(errors: dict[str, list[str]] | None = None) -> ResponseReturnValue:
    return render_template("assembly/admin_index.html", assemblies=queries.all_assemblies(session()), forms=FORMS,
                           errors=errors or {}, form=request.form), (422 if errors else 200)


def _load_form(schema: Schema, raw: dict[str, Any] | None = None) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    try:
        return schema.load(form_fields() if raw is None else raw), {}
    except ValidationError as exc:
        return None, flat_errors(exc.normalized_messages())


@bp.post("/admin/assemblies")
@coop_admin_required
def create() -> ResponseReturnValue:
    data, errors = _load_form(AssemblySchema())
    if data is not None:
        try:
            assembly = services.create_assembly(session(), actor(), **data)
        except RuleViolation as exc:
            session().rollback()
            errors = field_errors(exc)
        else:
            return see_other(rel_url_for("assembly_admin.detail", assembly_id=assembly.id, done="created"))
    return _overview_page(errors)


@bp.get("/admin/assemblies/<int:assembly_id>")
@coop_admin_required
def detail(assembly_id: int) -> ResponseReturnValue:
    return _detail_page(_assembly_or_404(assembly_id))


def _detail_page(assembly: Assembly, *, errors: dict[str, list[str]] | None = None,
                 section: str | None = None) -> ResponseReturnValue:
    s = session()
    closed = State(assembly.state) in queries.AFTER_CLOSE
    return render_template(
        "assembly/admin_detail.html", assembly=queries.summary(assembly), items=queries.items_of(s, assembly),
        facts=queries.board_facts(s, assembly, today()), proxies=queries.proxies(s, assembly.id),
        demands=queries.demands(s, assembly),
        results=results(s, assembly.id) if closed else None,
        attendees=services.attendance_list(s, assembly.id) if assembly.roll_frozen_at else [],
        notes=_last_notes(assembly.id), types=TYPES, errors=errors or {}, section=section, form=request.form,
        done=request.args.get("done"), room=Form(assembly.form) in (Form.PRESENCE, Form.HYBRID)), (422 if errors else 200)


def _action(assembly_id: int, section: str, run: Callable[[Assembly], Any], done: str,
            schema: Schema | None = None, raw: dict[str, Any] | None = None,
            event: str | None = None) -> ResponseReturnValue:
    """A board form: validate, run the service, then (on success) outreach and back to the page."""
    assembly = _assembly_or_404(assembly_id)
    data: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    if schema is not None:
        loaded, errors = _load_form(schema, raw)
        data = loaded or {}
    if not errors:
        try:
            run(assembly, data)
        except RuleViolation as exc:
            session().rollback()
            errors = field_errors(exc)
        else:
            if event is not None:
                _outreach(assembly.id, event)
            return see_other(rel_url_for("assembly_admin.detail", assembly_id=assembly.id, done=done,
                                         _anchor=section))
    return _detail_page(_assembly_or_404(assembly_id), errors=errors, section=section)


def _item_raw() -> dict[str, Any]:
    raw: dict[str, Any] = form_fields(skip=("candidates",))
    raw["secret"] = raw.get("secret", "false")
    raw["candidates"] = candidate_lines(request.form.get("candidates"))
    return raw


def _add_item(assembly: Assembly, data: dict[str, Any]) -> Any:
    announced = None if assembly.state == State.DRAFT.value else today()
    return services.add_item(session(), actor(), assembly_id=assembly.id, announced_on=announced, **data)


def _convene(assembly: Assembly, data: dict[str, Any]) -> Any:
    return services.convene(session(), actor(), assembly_id=assembly.id, convened_on=today(),
                            accept_warnings=data["accept_warnings"])


def _by_member_no(run: Callable[[], Any]) -> Any:
    """The board names members by number: the service's membership_id is the form's member_no."""
    try:
        return run()
    except RuleViolation as exc:
        if exc.field != "membership_id":
            raise
        raise RuleViolation("member_no", exc.reason) from None


def _heirs(assembly: Assembly, data: dict[str, Any]) -> Any:
    membership_id = queries.membership_by_no(session(), data["member_no"])
    if membership_id is None:
        raise RuleViolation("member_no", _("no member with this number"))
    return _by_member_no(lambda: services.name_heirs_representative(
        session(), actor(), assembly_id=assembly.id, membership_id=membership_id,
        nextcloud_user=data["nextcloud_user"], basis_document=data["basis_document"]))


def _attend(assembly: Assembly, data: dict[str, Any]) -> Any:
    membership_id = queries.membership_by_no(session(), data["member_no"])
    if membership_id is None:
        raise RuleViolation("member_no", _("not on the roll of this assembly"))
    return _by_member_no(lambda: services.record_attendance(session(), actor(), assembly_id=assembly.id,
                                                            membership_id=membership_id, today=today()))


def _item_of(assembly: Assembly, item_id: int) -> int:
    found = session().scalar(select(AssemblyItem.id).where(AssemblyItem.id == item_id,
                                                           AssemblyItem.assembly_id == assembly.id))
    if found is None:
        abort(404)
    return found


def _room_raw(assembly: Assembly, item_id: int) -> dict[str, Any]:
    raw: dict[str, Any] = {k: v for k, v in form_fields().items() if not k.startswith(("cv-", "icv-"))}
    item = session().get(AssemblyItem, item_id)
    if item is not None and item.resolution_type == "election":
        n = len(json.loads(item.candidates or "[]"))
        raw["candidate_votes"] = [request.form.get(f"cv-{i}", "").strip() or "0" for i in range(n)]
        raw["investing_candidate_votes"] = [request.form.get(f"icv-{i}", "").strip() or "0" for i in range(n)]
    return raw


def _demand_of(assembly: Assembly, demand_id: int) -> int:
    demand = queries.demand_of(session(), assembly, demand_id)
    if demand is None:
        abort(404)
    return demand.id


def _demand_raw() -> dict[str, Any]:
    raw: dict[str, Any] = form_fields(skip=("candidates",))
    raw["secret"] = raw.get("secret", "false")
    raw["candidates"] = candidate_lines(request.form.get("candidates"))
    return raw


def _add_demand(demand_id: int) -> Callable[[Assembly, dict[str, Any]], Any]:
    """§45 GenG: a demand with enough supporters goes on the agenda, announced today."""
    return lambda a, d: services.put_demand_on_agenda(session(), actor(), demand_id=demand_id, today=today(), **d)


def _refuse_demand(demand_id: int) -> Callable[[Assembly, dict[str, Any]], Any]:
    return lambda a, d: services.refuse_demand(session(), actor(), demand_id=demand_id, reason=d["reason"])


def _minutes(assembly: Assembly, data: dict[str, Any]) -> Any:
    return letters.publish_minutes(session(), _gateway(), actor(), assembly.id, data["language"])


@bp.post("/admin/assemblies/<int:assembly_id>/items")
@coop_admin_required
def add_item(assembly_id: int) -> ResponseReturnValue:
    return _action(assembly_id, "agenda", _add_item, "item", ItemSchema(), _item_raw())


@bp.post("/admin/assemblies/<int:assembly_id>/demands/<int:demand_id>/add")
@coop_admin_required
def add_demand(assembly_id: int, demand_id: int) -> ResponseReturnValue:
    demand = _demand_of(_assembly_or_404(assembly_id), demand_id)
    return _action(assembly_id, f"demand-{demand}", _add_demand(demand), "demand_added", DemandAddSchema(),
                   _demand_raw())


@bp.post("/admin/assemblies/<int:assembly_id>/demands/<int:demand_id>/refuse")
@coop_admin_required
def refuse_demand(assembly_id: int, demand_id: int) -> ResponseReturnValue:
    demand = _demand_of(_assembly_or_404(assembly_id), demand_id)
    return _action(assembly_id, f"demand-{demand}", _refuse_demand(demand), "demand_refused", DemandRefuseSchema())


@bp.post("/admin/assemblies/<int:assembly_id>/convene")
@coop_admin_required
def convene(assembly_id: int) -> ResponseReturnValue:
    raw = {"accept_warnings": request.form.get("accept_warnings", "false")}
    return _action(assembly_id, "convene", _convene, "convened", ConveneSchema(), raw, event="convened")


@bp.post("/admin/assemblies/<int:assembly_id>/heirs")
@coop_admin_required
def heirs(assembly_id: int) -> ResponseReturnValue:
    return _action(assembly_id, "heirs", _heirs, "heirs", HeirsSchema())


@bp.post("/admin/assemblies/<int:assembly_id>/discussion")
@coop_admin_required
def discussion(assembly_id: int) -> ResponseReturnValue:
    return _action(assembly_id, "state",
                   lambda a, d: services.start_discussion(session(), actor(), assembly_id=a.id), "discussion")


@bp.post("/admin/assemblies/<int:assembly_id>/voting")
@coop_admin_required
def open_voting(assembly_id: int) -> ResponseReturnValue:
    return _action(assembly_id, "state", lambda a, d: services.open_voting(session(), actor(), assembly_id=a.id),
                   "voting", event="voting_open")


@bp.post("/admin/assemblies/<int:assembly_id>/remind")
@coop_admin_required
def remind(assembly_id: int) -> ResponseReturnValue:
    """Tell the voters that voting closes soon (once per member: the outreach keeps who was told)."""
    assembly = _assembly_or_404(assembly_id)
    if assembly.state != State.VOTING_OPEN.value:
        return _detail_page(assembly, errors={"remind": [_("Voting is not open.")]}, section="state")
    _outreach(assembly.id, "closing_soon")
    return see_other(rel_url_for("assembly_admin.detail", assembly_id=assembly.id, done="reminded", _anchor="notes"))


@bp.post("/admin/assemblies/<int:assembly_id>/attendance")
@coop_admin_required
def attendance(assembly_id: int) -> ResponseReturnValue:
    return _action(assembly_id, "desk", _attend, "present", AttendanceSchema())


@bp.post("/admin/assemblies/<int:assembly_id>/items/<int:item_id>/room-count")
@coop_admin_required
def room_count(assembly_id: int, item_id: int) -> ResponseReturnValue:
    assembly = _assembly_or_404(assembly_id)
    item = _item_of(assembly, item_id)
    return _action(assembly_id, f"room-{item}",
                   lambda a, d: services.enter_room_count(session(), actor(), item_id=item, **d), "counted",
                   RoomCountSchema(), _room_raw(assembly, item))


@bp.post("/admin/assemblies/<int:assembly_id>/close")
@coop_admin_required
def close(assembly_id: int) -> ResponseReturnValue:
    return _action(assembly_id, "state",
                   lambda a, d: services.close_voting(session(), actor(), assembly_id=a.id, today=today()),
                   "closed", event="results")


@bp.post("/admin/assemblies/<int:assembly_id>/minutes")
@coop_admin_required
def minutes(assembly_id: int) -> ResponseReturnValue:
    return _action(assembly_id, "minutes", _minutes, "minutes", MinutesSchema())


# --- Downloads ----------------------------------------------------------------------------------------

def _download(body: bytes | str, mimetype: str, name: str) -> Response:
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/admin/assemblies/<int:assembly_id>/invitations.csv")
@coop_admin_required
def invitation_csv(assembly_id: int) -> ResponseReturnValue:
    assembly = _assembly_or_404(assembly_id)
    if assembly.convened_on is None:
        abort(404)
    body = letters.invitation_csv(session(), assembly.id, _language())
    return _download(body, "text/csv", f"invitations-{assembly.id}.csv")


@bp.get("/admin/assemblies/<int:assembly_id>/invitation.pdf")
@coop_admin_required
def invitation_pdf(assembly_id: int) -> ResponseReturnValue:
    assembly = _assembly_or_404(assembly_id)
    try:
        membership_id = queries.membership_by_no(session(), int(request.args.get("member_no", "")))
    except (ValueError, OverflowError):
        membership_id = None
    if assembly.convened_on is None or membership_id is None:
        abort(404)
    body = letters.invitation_pdf(session(), assembly.id, membership_id, _language())
    return _download(body, "application/pdf", f"invitation-{assembly.id}.pdf")


@bp.get("/admin/assemblies/<int:assembly_id>/minutes.pdf")
@coop_admin_required
def minutes_pdf(assembly_id: int) -> ResponseReturnValue:
    assembly = _assembly_or_404(assembly_id)
    if State(assembly.state) not in queries.AFTER_CLOSE:
        abort(404)
    body = letters.minutes_pdf(session(), assembly.id, _language())
    return _download(body, "application/pdf", f"minutes-{assembly.id}.pdf")


# --- JSON API -----------------------------------------------------------------------------------------

def _out(assembly: Assembly, notes: list[str] | None = None) -> dict[str, Any]:
    s = session()
    facts = queries.board_facts(s, assembly, today())
    return AdminAssemblyOut().dump({"assembly": queries.summary(assembly), "items": queries.items_of(s, assembly),
                                    "facts": facts, "proxies": queries.proxies(s, assembly.id),
                                    "demands": queries.demands(s, assembly),
                                    "notes": notes or []})


def _api(assembly_id: int, run: Callable[..., Any], schema: Schema, event: str | None = None,
         status: int = 201) -> ResponseReturnValue:
    assembly = _assembly_or_404(assembly_id)
    data = json_data(schema, flat_errors)
    try:
        run(assembly, data)
    except RuleViolation as exc:
        unprocessable(field_errors(exc))
    notes = _outreach(assembly.id, event) if event is not None else []
    return jsonify(_out(_assembly_or_404(assembly_id), notes)), status


@bp.get(API)
@coop_admin_required
def api_list() -> ResponseReturnValue:
    return jsonify(GeneralAssembliesOut().dump({"assemblies": queries.all_assemblies(session())}))


@bp.post(API)
@coop_admin_required
def api_create() -> ResponseReturnValue:
    data = json_data(AssemblySchema(), flat_errors)
    try:
        assembly = services.create_assembly(session(), actor(), **data)
    except RuleViolation as exc:
        unprocessable(field_errors(exc))
    return jsonify(_out(assembly)), 201


@bp.get(f"{API}/<int:assembly_id>")
@coop_admin_required
def api_detail(assembly_id: int) -> ResponseReturnValue:
    return jsonify(_out(_assembly_or_404(assembly_id), [n for _e, notes in _last_notes(assembly_id)[:1]
                                                        for n in notes]))


@bp.post(f"{API}/<int:assembly_id>/items")
@coop_admin_required
def api_add_item(assembly_id: int) -> ResponseReturnValue:
    return _api(assembly_id, _add_item, ItemSchema())


@bp.post(f"{API}/<int:assembly_id>/demands/<int:demand_id>/add")
@coop_admin_required
def api_add_demand(assembly_id: int, demand_id: int) -> ResponseReturnValue:
    demand = _demand_of(_assembly_or_404(assembly_id), demand_id)
    return _api(assembly_id, _add_demand(demand), DemandAddSchema())


@bp.post(f"{API}/<int:assembly_id>/demands/<int:demand_id>/refuse")
@coop_admin_required
def api_refuse_demand(assembly_id: int, demand_id: int) -> ResponseReturnValue:
    demand = _demand_of(_assembly_or_404(assembly_id), demand_id)
    return _api(assembly_id, _refuse_demand(demand), DemandRefuseSchema(), status=200)


@bp.post(f"{API}/<int:assembly_id>/convene")
@coop_admin_required
def api_convene(assembly_id: int) -> ResponseReturnValue:
    return _api(assembly_id, _convene, ConveneSchema(), event="convened")


@bp.post(f"{API}/<int:assembly_id>/heirs-representative")
@coop_admin_required
def api_heirs(assembly_id: int) -> ResponseReturnValue:
    return _api(assembly_id, _heirs, HeirsSchema())


@bp.post(f"{API}/<int:assembly_id>/discussion")
@coop_admin_required
def api_discussion(assembly_id: int) -> ResponseReturnValue:
    return _api(assembly_id, lambda a, d: services.start_discussion(session(), actor(), assembly_id=a.id),
                EmptySchema())


@bp.post(f"{API}/<int:assembly_id>/voting")
@coop_admin_required
def api_open_voting(assembly_id: int) -> ResponseReturnValue:
    return _api(assembly_id, lambda a, d: services.open_voting(session(), actor(), assembly_id=a.id),
                EmptySchema(), event="voting_open")


@bp.post(f"{API}/<int:assembly_id>/attendance")
@coop_admin_required
def api_attendance(assembly_id: int) -> ResponseReturnValue:
    return _api(assembly_id, _attend, AttendanceSchema())


@bp.post(f"{API}/<int:assembly_id>/items/<int:item_id>/room-count")
@coop_admin_required
def api_room_count(assembly_id: int, item_id: int) -> ResponseReturnValue:
    item = _item_of(_assembly_or_404(assembly_id), item_id)
    return _api(assembly_id, lambda a, d: services.enter_room_count(session(), actor(), item_id=item, **d),
                RoomCountSchema())


@bp.post(f"{API}/<int:assembly_id>/close")
@coop_admin_required
def api_close(assembly_id: int) -> ResponseReturnValue:
    return _api(assembly_id, lambda a, d: services.close_voting(session(), actor(), assembly_id=a.id, today=today()),
                EmptySchema(), event="results")


@bp.post(f"{API}/<int:assembly_id>/minutes")
@coop_admin_required
def api_minutes(assembly_id: int) -> ResponseReturnValue:
    return _api(assembly_id, _minutes, MinutesSchema())


@bp.get(f"{API}/<int:assembly_id>/results")
@coop_admin_required
def api_results(assembly_id: int) -> ResponseReturnValue:
    assembly = _assembly_or_404(assembly_id)
    if State(assembly.state) not in queries.AFTER_CLOSE:
        unprocessable({"_schema": [_("results exist only after voting has closed")]})
    return jsonify(ResultsOut().dump({"results": results(session(), assembly.id)}))


@bp.get(f"{API}/<int:assembly_id>/attendance")
@coop_admin_required
def api_attendance_list(assembly_id: int) -> ResponseReturnValue:
    assembly = _assembly_or_404(assembly_id)
    return jsonify(AssemblyAttendanceOut().dump({"attendees": services.attendance_list(session(), assembly.id)}))


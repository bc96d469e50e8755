# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The board's side (cooperative admins only): every user's quota and usage with filters and
sorting, quotas for a user or an organisation, allocations within a pool, the policy with a
preview of who changes, the change log and queue, requests for more storage; as pages and API.

Every change is planned, committed to the queue, then applied in the background (the page shows
the progress); an invalid form shows the error at the field and writes nothing.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, abort, current_app, g, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import select

from nc_coop.appapi.guard import coop_admin_required
from nc_coop.db import get_db
from nc_coop.nextcloud import NextcloudError
from nc_coop.quota.common import (
    actor,
    all_usage,
    filter_and_sort,
    flat_errors,
    gateway,
    json_data,
    query_data,
    quota_settings,
    runner,
    size_text,
    today,
    unprocessable,
)
from nc_coop.quota.facts import current_policy, load_facts, policy_to_params
from nc_coop.quota.models import OPEN_STATUSES, QuotaChange, QuotaOverride, QuotaRequest
from nc_coop.quota.policy import Policy, QuotaRuleError
from nc_coop.quota.schemas import (
    MEMBERSHIP_KINDS,
    PARTY_KINDS,
    AllocationSchema,
    ApplySchema,
    ApplyStateOut,
    ChangesOut,
    ChangesQuerySchema,
    DecisionSchema,
    NoFieldsSchema,
    OverrideOut,
    OverrideSchema,
    PlanOut,
    PolicyOut,
    PolicySchema,
    QueuedOut,
    RequestOut,
    RequestsOut,
    UsersOut,
    UsersQuerySchema,
)
from nc_coop.quota.services import (
    OPEN,
    QuotaPlan,
    build_plan,
    decide_request,
    desired_quotas,
    end_override,
    open_change_count,
    organisation_users,
    plan_and_queue,
    queue_changes,
    requeue_refused,
    set_allocation,
    set_override,
    set_policy,
    users_of_override,
)
from nc_coop.register.models import Party
from nc_coop.register.schemas import MAX_ID
from nc_coop.web.i18n import recipient_locale
from nc_coop.web.inputs import form_data
from nc_coop.web.navigation import see_other
from nc_coop.web.urls import rel_url_for

log = logging.getLogger(__name__)
bp = Blueprint("quota_admin", __name__)
PAGE_SIZE = 200


# --- Shared steps -----------------------------------------------------------------------------------------

def _users(query: dict[str, Any]) -> tuple[list[Any], int]:
    session = get_db().session
    facts = load_facts(session, today())
    rows = filter_and_sort(all_usage(session, facts, desired_quotas(session, facts, today())),
                           query["filter"], query["sort"], query["order"], query.get("q", ""))
    return rows[:PAGE_SIZE], len(rows)


def _check_target(scope: str, user_id: str | None, party_id: int | None) -> None:
    """The user or organisation an override or allocation is for must be one nc_coop knows."""
    session = get_db().session
    if scope == "user":
        if not user_id:
            raise QuotaRuleError("user_id", _("Enter the Nextcloud user."))
        if user_id not in load_facts(session, today(), only=[user_id]).current:
            raise QuotaRuleError("user_id", _("nc_coop knows no user %(user)s.", user=user_id))
        return
    if party_id is None:
        raise QuotaRuleError("party_id", _("Choose the organisation."))
    party = session.get(Party, party_id)
    if party is None or party.kind == "natural":
        raise QuotaRuleError("party_id", _("No member organisation has the id %(id)s.", id=party_id))


def _queue_for(users: list[str]) -> list[int]:
    """Plan the given users now and queue what changes; the runner applies it after the commit."""
    session = get_db().session
    return plan_and_queue(session, actor(), today(), provisioning_enabled=quota_settings().provisioning_enabled,
                          users=users)


def _start_apply(force: bool = False) -> bool:
    """Commit first: the background run reads the queue from the database. No thread when
    nothing is queued."""
    session = get_db().session
    session.commit()
    if not open_change_count(session):
        return False
    return runner().start(g.user_id, force=force, request_id=g.request_id)


def _override(data: dict[str, Any]) -> tuple[QuotaOverride, list[int]]:
    _check_target(data["scope"], data.get("user_id"), data.get("party_id"))
    session = get_db().session
    row = set_override(session, actor(), scope=data["scope"], amount=data["amount"], reason=data["reason"],
                       until=data.get("until"), user_id=data.get("user_id"), party_id=data.get("party_id"))
    return row, _queue_for(users_of_override(session, row))


def _allocation(data: dict[str, Any]) -> list[int]:
    _check_target("organisation", None, data["party_id"])
    session = get_db().session
    set_allocation(session, actor(), data["party_id"], data["user_id"], data.get("amount"), today())
    return _queue_for(organisation_users(session, data["party_id"]))


def _policy(data: dict[str, Any]) -> Policy:
    base = {tuple(key.split("/", 1)): amount for key, amount in data.get("base", {}).items()}
    try:
        return Policy(base=base, per_share=data.get("per_share") or 0, non_member=data.get("non_member"))
    except QuotaRuleError as exc:
        raise QuotaRuleError(exc.field, exc.reason) from None


def _preview(policy: Policy) -> QuotaPlan:
    return build_plan(get_db().session, today(), policy=policy,
                      provisioning_enabled=quota_settings().provisioning_enabled)


def _plan_out(quota_plan: QuotaPlan, queued: list[int]) -> dict[str, Any]:
    plan = quota_plan.plan
    return PlanOut().dump({
        "changes": [{"user_id": c.user_id, "backend": c.backend, "old": c.old, "new": c.new, "reason": c.reason}
                    for c in plan.changes],
        "unchanged": plan.unchanged, "unmanaged": plan.unmanaged, "unknown": plan.unknown,
        "already_queued": len(quota_plan.already_queued), "queued": queued})


def _apply_policy(data: dict[str, Any]) -> tuple[QuotaPlan, list[int]]:
    session = get_db().session
    policy = _policy(data)
    set_policy(session, actor(), policy, data.get("note", ""))
    quota_plan = _preview(policy)
    return quota_plan, queue_changes(session, actor(), quota_plan.plan.changes)


def _request_or_404(request_id: int) -> QuotaRequest:
    row = get_db().session.get(QuotaRequest, request_id) if request_id <= MAX_ID else None
    if row is None:
        abort(404)
    return row


def _decide(row: QuotaRequest, data: dict[str, Any]) -> list[int]:
    """Decide, commit, queue and apply; then tell the requester in Nextcloud (a failed
    notification is recorded, it never undoes the decision)."""
    session = get_db().session
    approve = data["decision"] == "approve"
    override = decide_request(session, actor(), row, approve=approve, note=data.get("note", ""),
                              until=data.get("until"), amount=data.get("amount"))
    queued = _queue_for(users_of_override(session, override)) if override is not None else []
    session.commit()
    nextcloud = current_app.config["NC_COOP_SETTINGS"]
    link = f"{nextcloud.nextcloud_url}/index.php/apps/app_api/proxy/{nextcloud.app_id}/quota"
    granted = override.amount if override is not None else row.amount
    with force_locale(recipient_locale(gateway(), row.requester, g.request_id)):  # theirs, not the admin's
        if approve:
            subject = _("Your request for more storage was approved")
            message = _("Your quota is now %(amount)s.", amount=size_text(granted))
        else:
            subject = _("Your request for more storage was declined")
            message = data.get("note") or _("The board has declined the request.")
    try:
        gateway().notify(row.requester, subject, message, link, g.request_id)
        row.notified = "ok"
    except NextcloudError as exc:
        log.warning("Notification about quota request %s to %s failed: %s", row.id, row.requester, exc)
        row.notified = str(exc)[:255]
    if queued:
        _start_apply()
    return queued


def _override_out(row: QuotaOverride, queued: list[int]) -> dict[str, Any]:
    fields = ("id", "scope", "nextcloud_user_id", "party_id", "amount", "reason", "until", "created_at", "actor")
    return OverrideOut().dump({**{name: getattr(row, name) for name in fields}, "queued": queued})


def _changes(status: str, limit: int) -> list[QuotaChange]:
    query = select(QuotaChange).order_by(QuotaChange.id.desc()).limit(limit)
    if status:
        query = query.where(QuotaChange.status == status)
    return list(get_db().session.scalars(query))


def _apply_state() -> dict[str, Any]:
    return ApplyStateOut().dump({"active": runner().active(), "open": open_change_count(get_db().session),
                                 "last": runner().last()})


# --- Pages ---------------------------------------------------------------------------------------------------

@bp.get("/admin/quota")
@coop_admin_required
def overview() -> ResponseReturnValue:
    return _overview()


def _overview(form: dict[str, str] | None = None, errors: dict[str, list[str]] | None = None,
              status: int = 200, which: str = "") -> ResponseReturnValue:
    raw = {k: v for k, v in request.args.items() if k in ("filter", "sort", "order", "q")}
    try:
        query = UsersQuerySchema().load(raw)
    except ValidationError:  # an odd query string shows the unfiltered list
        query = UsersQuerySchema().load({})
    users, total = _users(query)
    session = get_db().session
    requests_open = list(session.scalars(select(QuotaRequest).where(QuotaRequest.status == OPEN)
                                         .order_by(QuotaRequest.id)))
    organisations = list(session.scalars(select(Party).where(Party.kind != "natural").order_by(Party.legal_name)))
    overrides = list(session.scalars(select(QuotaOverride).where(QuotaOverride.ended_at.is_(None))
                                     .order_by(QuotaOverride.id.desc()).limit(100)))
    return render_template("quota/admin.html", users=users, total=total, query=query, changes=_changes("", 50),
                           requests=requests_open, organisations=organisations, overrides=overrides,
                           state=_apply_state(), settings=quota_settings(), form=form or {}, errors=errors or {},
                           which=which, size_text=size_text, open_statuses=OPEN_STATUSES), status


def _form() -> dict[str, str]:
    return {k: v for k, v in request.form.items() if k != "csrf_token"}


@bp.post("/admin/quota/overrides")
@coop_admin_required
def override_page() -> ResponseReturnValue:
    data, errors = form_data(OverrideSchema())
    which = request.form.get("scope", "user")
    if data is None:
        return _overview(_form(), errors, 422, which)
    try:
        _override(data)
    except QuotaRuleError as exc:
        return _overview(_form(), {exc.field: [exc.reason]}, 422, which)
    _start_apply()
    return see_other(rel_url_for("quota_admin.overview", saved=1))


@bp.post("/admin/quota/overrides/<int:override_id>/end")
@coop_admin_required
def end_override_page(override_id: int) -> ResponseReturnValue:
    session = get_db().session
    try:
        row = end_override(session, actor(), override_id) if override_id <= MAX_ID else None
    except QuotaRuleError as exc:  # removed already (a second click, or another admin)
        return _overview(_form(), {exc.field: [exc.reason]}, 422, "done")
    if row is None:
        abort(404)
    _queue_for(users_of_override(session, row))
    _start_apply()
    return see_other(rel_url_for("quota_admin.overview", saved=1))


@bp.post("/admin/quota/allocations")
@coop_admin_required
def allocation_page() -> ResponseReturnValue:
    data, errors = form_data(AllocationSchema())
    if data is None:
        return _overview(_form(), errors, 422, "allocation")
    try:
        _allocation(data)
    except QuotaRuleError as exc:
        return _overview(_form(), {exc.field: [exc.reason]}, 422, "allocation")
    _start_apply()
    return see_other(rel_url_for("quota_admin.overview", saved=1))


@bp.post("/admin/quota/apply")
@coop_admin_required
def apply_page() -> ResponseReturnValue:
    force = request.form.get("retry_now") == "1"
    if force:
        requeue_refused(get_db().session, actor())
    _start_apply(force)
    return see_other(rel_url_for("quota_admin.overview"))


@bp.post("/admin/quota/usage")
@coop_admin_required
def usage_page() -> ResponseReturnValue:
    if not quota_settings().admin_user:
        abort(409)
    runner().start_refresh(g.user_id)
    return see_other(rel_url_for("quota_admin.overview"))


@bp.post("/admin/quota/requests/<int:request_id>")
@coop_admin_required
def decide_page(request_id: int) -> ResponseReturnValue:
    row = _request_or_404(request_id)
    data, errors = form_data(DecisionSchema())
    if data is None:
        return _overview(_form(), {f"{k}-{request_id}": v for k, v in errors.items()}, 422, "decision")
    try:
        _decide(row, data)
    except QuotaRuleError as exc:
        if exc.field == "status":  # decided already: no longer listed, so the message goes on top
            return _overview(_form(), {exc.field: [exc.reason]}, 422, "done")
        return _overview(_form(), {f"{exc.field}-{request_id}": [exc.reason]}, 422, "decision")
    return see_other(rel_url_for("quota_admin.overview", saved=1))


def _policy_form(policy: Policy) -> dict[str, str]:
    form = {f"base-{p}/{m}": size_text(a) for (p, m), a in policy.base.items()}
    form["per_share"] = size_text(policy.per_share) if policy.per_share else ""
    form["non_member"] = size_text(policy.non_member) if policy.non_member is not None else ""
    return form


def _policy_data() -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    """The policy form: one field per party kind and membership kind (empty: nothing)."""
    raw: dict[str, Any] = {"base": {}}
    for party in PARTY_KINDS:
        for membership in MEMBERSHIP_KINDS:
            value = request.form.get(f"base-{party}/{membership}", "").strip()
            if value:
                raw["base"][f"{party}/{membership}"] = value
    for name in ("per_share", "non_member", "note"):
        value = request.form.get(name, "").strip()
        if value:
            raw[name] = value
    try:
        return PolicySchema().load(raw), {}
    except ValidationError as exc:
        return None, {k.replace("base.", "base-", 1): v for k, v in flat_errors(exc.normalized_messages()).items()}


@bp.route("/admin/quota/policy", methods=["GET", "POST"])
@coop_admin_required
def policy_page() -> ResponseReturnValue:
    session = get_db().session
    policy, version = current_policy(session)
    if request.method == "GET":
        return render_template("quota/policy.html", form=_policy_form(policy), errors={}, version=version,
                               preview=None, party_kinds=PARTY_KINDS, membership_kinds=MEMBERSHIP_KINDS,
                               size_text=size_text)
    data, errors = _policy_data()
    preview = None
    if data is not None:
        try:
            new_policy = _policy(data)
        except QuotaRuleError as exc:
            errors = {exc.field: [exc.reason]}
        else:
            if request.form.get("action") == "apply":
                _apply_policy(data)
                _start_apply()
                return see_other(rel_url_for("quota_admin.overview", saved=1))
            preview = _preview(new_policy)
    return render_template("quota/policy.html", form=_form(), errors=errors, version=version, preview=preview,
                           party_kinds=PARTY_KINDS, membership_kinds=MEMBERSHIP_KINDS,
                           size_text=size_text), 422 if errors else 200


# --- JSON API ------------------------------------------------------------------------------------------------

@bp.get("/api/v1/admin/quota/users")
@coop_admin_required
def api_users() -> ResponseReturnValue:
    users, total = _users(query_data(UsersQuerySchema()))
    return jsonify(UsersOut().dump({"users": [u.dump() for u in users], "total": total}))


@bp.post("/api/v1/admin/quota/overrides")
@coop_admin_required
def api_override() -> ResponseReturnValue:
    data = json_data(OverrideSchema())
    try:
        row, queued = _override(data)
    except QuotaRuleError as exc:
        unprocessable({exc.field: [exc.reason]})
    _start_apply()
    return jsonify(_override_out(row, queued)), 201


@bp.post("/api/v1/admin/quota/overrides/<int:override_id>/end")
@coop_admin_required
def api_end_override(override_id: int) -> ResponseReturnValue:
    json_data(NoFieldsSchema())
    session = get_db().session
    try:
        row = end_override(session, actor(), override_id) if override_id <= MAX_ID else None
    except QuotaRuleError as exc:
        unprocessable({exc.field: [exc.reason]})
    if row is None:
        abort(404)
    queued = _queue_for(users_of_override(session, row))
    _start_apply()
    return jsonify(_override_out(row, queued))


@bp.post("/api/v1/admin/quota/allocations")
@coop_admin_required
def api_allocation() -> ResponseReturnValue:
    data = json_data(AllocationSchema())
    try:
        queued = _allocation(data)
    except QuotaRuleError as exc:
        unprocessable({exc.field: [exc.reason]})
    _start_apply()
    return jsonify(QueuedOut().dump({"queued": queued}))


@bp.get("/api/v1/admin/quota/policy")
@coop_admin_required
def api_policy() -> ResponseReturnValue:
    policy, version = current_policy(get_db().session)
    return jsonify(PolicyOut().dump({**policy_to_params(policy), "version": version.id if version else None,
                                     "note": version.note if version else None}))


@bp.post("/api/v1/admin/quota/policy/preview")
@coop_admin_required
def api_policy_preview() -> ResponseReturnValue:
    data = json_data(PolicySchema())
    try:
        policy = _policy(data)
    except QuotaRuleError as exc:
        unprocessable({exc.field: [exc.reason]})
    return jsonify(_plan_out(_preview(policy), []))


@bp.post("/api/v1/admin/quota/policy")
@coop_admin_required
def api_set_policy() -> ResponseReturnValue:
    data = json_data(PolicySchema())
    try:
        quota_plan, queued = _apply_policy(data)
    except QuotaRuleError as exc:
        unprocessable({exc.field: [exc.reason]})
    _start_apply()
    return jsonify(_plan_out(quota_plan, queued)), 201


@bp.get("/api/v1/admin/quota/changes")
@coop_admin_required
def api_changes() -> ResponseReturnValue:
    query = query_data(ChangesQuerySchema())
    return jsonify(ChangesOut().dump({"changes": _changes(query["status"], query["limit"])}))


@bp.get("/api/v1/admin/quota/apply")
@coop_admin_required
def api_apply_state() -> ResponseReturnValue:
    return jsonify(_apply_state())


@bp.post("/api/v1/admin/quota/apply")
@coop_admin_required
def api_apply() -> ResponseReturnValue:
    data = json_data(ApplySchema())
    if data["retry_now"]:
        requeue_refused(get_db().session, actor())
    _start_apply(data["retry_now"])
    return jsonify(_apply_state())


@bp.post("/api/v1/admin/quota/usage")
@coop_admin_required
def api_usage() -> ResponseReturnValue:
    json_data(NoFieldsSchema())
    if not quota_settings().admin_user:
        response = jsonify({"error": _("Set NC_COOP_QUOTA_ADMIN_USER to read other users' usage.")})
        response.status_code = 409
        abort(response)
    runner().start_refresh(g.user_id)
    return jsonify(_apply_state())


@bp.get("/api/v1/admin/quota/requests")
@coop_admin_required
def api_requests() -> ResponseReturnValue:
    rows = get_db().session.scalars(select(QuotaRequest).order_by(QuotaRequest.id.desc()).limit(200))
    return jsonify(RequestsOut().dump({"requests": list(rows)}))


@bp.post("/api/v1/admin/quota/requests/<int:request_id>/decision")
@coop_admin_required
def api_decide(request_id: int) -> ResponseReturnValue:
    row = _request_or_404(request_id)
    data = json_data(DecisionSchema())
    try:
        _decide(row, data)
    except QuotaRuleError as exc:
        unprocessable({exc.field: [exc.reason]})
    return jsonify(RequestOut().dump(row))


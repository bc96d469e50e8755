# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""What the member and board views of requests share: input, access, statements, notifications."""
from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from flask import abort, current_app, g, request
from flask_babel import force_locale
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from nc_coop.dates import coop_today, day
from nc_coop.nextcloud import NextcloudError, NextcloudGateway
from nc_coop.register.links import account_grants
from nc_coop.register.models import Account, Membership
from nc_coop.register.queries import visible_membership_ids
from nc_coop.register.schemas import MAX_ID, parse_euro_cents
from nc_coop.register.services import Actor
from nc_coop.requests import limits, services
from nc_coop.requests.models import MemberRequest
from nc_coop.requests.rules import Acknowledgement, Kind, Status
from nc_coop.web import inputs
from nc_coop.web.i18n import recipient_locale
from nc_coop.web.views import money

log = logging.getLogger(__name__)


def actor() -> Actor:
    return Actor(g.user_id, g.request_id)


def gateway() -> NextcloudGateway:
    return current_app.extensions["nc_coop.gateway"]


def own_membership_or_404(session: Session, membership_id: int | None) -> Membership:
    """A membership the user acts for (as the member or a running representative); else 404,
    the same answer for "not yours" and "does not exist"."""
    if membership_id is None or membership_id > MAX_ID or membership_id not in visible_membership_ids(session, g.user_id):
        abort(404)
    return session.get(Membership, membership_id)


def form_data(schema: Schema, *, euro_fields: tuple[str, ...] = ()) -> tuple[dict[str, Any] | None,
                                                                               dict[str, list[str]]]:
    """A submitted form through ``schema``: empty fields count as absent, ticked ``ack_*`` boxes
    become ``acknowledged``, euro amounts (``amount``) become cents (``amount_cents``)."""
    raw: dict[str, Any] = {k: v for k, v in inputs.form_fields(skip=("step", "confirm")).items()
                           if not k.startswith("ack_")}
    acks = [k[4:] for k in request.form if k.startswith("ack_")]
    if acks or "acknowledged" in schema.fields:
        raw["acknowledged"] = acks
    errors: dict[str, list[str]] = {}
    for name in euro_fields:
        if name in raw:
            try:
                raw[f"{name}_cents"] = parse_euro_cents(raw.pop(name))
            except ValueError:
                errors[name] = [_("Enter an amount in euros, e.g. 250 or 1.234,56.")]
    try:
        data = schema.load(raw)
    except ValidationError as exc:
        for key, messages in exc.normalized_messages().items():
            field = key[:-6] if key.endswith("_cents") and key[:-6] in euro_fields else key
            if field == "acknowledged":
                continue  # the boxes come from our own form; an unknown one is not the user's fault
            errors[field] = flat_errors({field: messages})[field]
        return None, errors
    return (None, errors) if errors else (data, {})


def flat_errors(messages: dict[str, Any]) -> dict[str, list[str]]:
    """marshmallow's messages as {field: [text]}: a list field's per-item messages are nested."""
    def texts(value: Any) -> list[str]:
        if isinstance(value, dict):
            return [t for v in value.values() for t in texts(v)]
        if isinstance(value, list):
            return [t for v in value for t in texts(v)]
        return [str(value)]

    return {key: texts(value) for key, value in messages.items()}


def json_data(schema: Schema) -> dict[str, Any]:
    return inputs.json_data(schema, flat_errors)


# --- §15a statements as the member reads them --------------------------------------------------------

def acknowledgement_text(item: Acknowledgement) -> str:
    """The wording of one highlighted statement, in the current locale (hashed with the declaration)."""
    if item.key == "statute":
        return _("I have received the current statute of the cooperative and declare to join on its terms.")
    if item.key == "payment":
        return _("I undertake to pay the amounts due on my shares: %(nominal)s per share, at least %(minimum)s per "
                 "share at once as the statute requires.", nominal=money(int(item.value("nominal_cents"))),
                 minimum=money(int(item.value("minimum_cents"))))
    if item.key == "nachschuss":
        if item.value("kind") == "unlimited":
            return _("If the cooperative becomes insolvent, I am obliged to make additional contributions "
                     "(Nachschusspflicht) without limit.")
        return _("If the cooperative becomes insolvent, I am obliged to make additional contributions "
                 "(Nachschusspflicht) up to the liability sum of %(per_share)s per share.",
                 per_share=money(int(item.value("per_share_cents"))))
    if item.key == "entrance_fee":
        return _("I will pay an entrance fee of %(amount)s; it is not part of my capital.",
                 amount=money(int(item.value("amount_cents"))))
    if item.key == "notice_period":
        return _("I can give notice only to the end of a fiscal year and with a period of %(months)s months, "
                 "which is longer than one year.", months=item.value("months"))
    raise KeyError(item.key)


# --- Telling the member -------------------------------------------------------------------------------

def _decision_text(r: MemberRequest) -> tuple[str, str]:
    approved = r.status == Status.APPROVED.value
    kind = Kind(r.kind)
    reason = r.reason or ""
    if kind is Kind.JOIN:
        if approved:
            return _("You are now a member of the cooperative"), _("You were admitted on %(date)s.",
                                                                    date=day(r.decided_on or coop_today()))
        return _("Your application for membership was not accepted"), _(
            "Reason: %(reason)s. As the law requires, the data of your application has been deleted.", reason=reason)
    subjects = {
        Kind.SHARES: (_("Your further shares were admitted"), _("Your request for further shares was refused")),
        Kind.NOTICE: (_("Your notice was confirmed"), _("Your notice was not accepted")),
        Kind.TRANSFER: (_("Your transfer was booked"), _("Your transfer was refused")),
        Kind.CONTACT: (_("Your contact data was changed"), _("Your contact data was not changed")),
    }
    subject = subjects[kind][0 if approved else 1]
    if approved:
        if r.effective_date:
            return subject, _("Effective on %(date)s.", date=day(r.effective_date))
        return subject, subject
    if r.status == Status.DECLINED.value:
        return _("The receiving member declined your transfer"), _("Nothing was booked.")
    return subject, _("Reason: %(reason)s", reason=reason)


def notify_offer(session: Session, r: MemberRequest) -> None:
    """Send the notifications claimed with the offer (``limits.claim_notifications``: at most
    NC_COOP_OFFER_NOTIFICATIONS_PER_HOUR per user, the last one says so). Best effort: the offer
    stands without it and is on their Requests page; the outcome is kept in the log."""
    settings = current_app.config["NC_COOP_SETTINGS"]
    link = f"{settings.nextcloud_url}/index.php/apps/app_api/proxy/{settings.app_id}/requests"
    for row in limits.pending_notifications(session, r.id, limits.TRANSFER_OFFER):
        with force_locale(recipient_locale(gateway(), row.recipient, g.request_id)):
            subject = _("A member offers you a transfer")
            message = (_("Please agree or decline on your Requests page. Further offers within the next hour are "
                         "listed there without another notification.") if row.last_in_window
                       else _("Please agree or decline on your Requests page."))
        try:
            gateway().notify(row.recipient, subject, message, link, g.request_id)
            row.sent_at = datetime.now(UTC)
        except NextcloudError as exc:
            log.warning("Notification about transfer offer %s failed: %s", r.id, exc)
            row.error = (str(exc) or type(exc).__name__)[:500]
    session.flush()


def logins_of(session: Session, membership_id: int | None) -> list[str]:
    """Nextcloud users who act for a membership today (the member, running representatives)."""
    return limits.logins_of(session, membership_id, coop_today())


def deliver_decision(session: Session, r: MemberRequest, recipients: list[str] | None = None) -> bool:
    """Notify whoever sent the request, in their language, after the decision was committed.
    A failure is recorded on the request (and shown in the inbox); it never undoes the decision."""
    settings = current_app.config["NC_COOP_SETTINGS"]
    link = f"{settings.nextcloud_url}/index.php/apps/app_api/proxy/{settings.app_id}/requests"
    users = [u for u in (recipients if recipients is not None else [r.submitted_by]) if u]
    error = None if users else "no recipient"
    for user_id in users:
        with force_locale(recipient_locale(gateway(), user_id, g.request_id)):
            subject, message = _decision_text(r)
        try:
            gateway().notify(user_id, subject, message, link, g.request_id)
        except NextcloudError as exc:
            log.warning("Notification about request %s failed: %s", r.id, exc)
            error = str(exc) or type(exc).__name__
    services.after_notification(session, r, error)
    return error is None

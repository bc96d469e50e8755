# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""``nc-coop quota plan|apply|retry``: the quota plan and the change queue from the command line.

Only click is imported at module level, so that ``nc-coop --help`` stays fast."""
from __future__ import annotations

import getpass
import os
import uuid
from datetime import date

import click

from nc_coop.web.text import printable


def _actor() -> tuple[str, str]:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # a container user without a passwd entry
        user = os.environ.get("USER", "unknown")
    return f"quota:cli:{user}", f"cli-{uuid.uuid4().hex[:12]}"


@click.group()
def quota() -> None:
    """Storage quotas: plan the changes the policy makes, apply the queue, retry failed writes."""


def _print_plan(changes: list, unchanged: int, unmanaged: int, unknown: list[str], queued_same: int,
                limit: int) -> None:
    from nc_coop.quota.units import format_quota  # noqa: PLC0415

    for change in changes[:limit]:
        old = format_quota(change.old) if change.old is not None else "not known"
        click.echo(printable(f"{change.user_id}: {old} -> {format_quota(change.new)} ({change.backend}; {change.reason})"))
    if len(changes) > limit:
        click.echo(f"... and {len(changes) - limit} more")
    click.echo(f"{len(changes)} change(s), {unchanged} unchanged, {unmanaged} not managed, "
               f"{queued_same} already queued, {len(unknown)} cannot be written"
               + (printable(f" ({', '.join(unknown[:10])}{', ...' if len(unknown) > 10 else ''})") if unknown else ""))


@quota.command("plan")
@click.option("--queue", is_flag=True, help="Queue the changes (apply them with `nc-coop quota apply`).")
@click.option("--limit", default=50, show_default=True, help="How many changes to list.")
def plan_command(queue: bool, limit: int) -> None:
    """Show which users' quotas differ from what the policy and the overrides give."""
    from flask import current_app  # noqa: PLC0415

    from nc_coop.cli import _app_context  # noqa: PLC0415
    from nc_coop.db import get_db  # noqa: PLC0415
    from nc_coop.quota.services import Actor, build_plan, queue_changes  # noqa: PLC0415

    who, request_id = _actor()
    with _app_context():
        settings = current_app.extensions["nc_coop.quota"]
        with get_db().transaction() as session:
            quota_plan = build_plan(session, date.today(), provisioning_enabled=settings.provisioning_enabled)
            p = quota_plan.plan
            _print_plan(p.changes, p.unchanged, p.unmanaged, p.unknown, len(quota_plan.already_queued), limit)
            if queue:
                ids = queue_changes(session, Actor(who, request_id), p.changes)
                click.echo(f"queued {len(ids)} change(s)")


def _apply(force: bool) -> int:
    from flask import current_app  # noqa: PLC0415

    from nc_coop.cli import _app_context  # noqa: PLC0415
    from nc_coop.db import get_db  # noqa: PLC0415
    from nc_coop.quota.apply import Applier  # noqa: PLC0415
    from nc_coop.quota.services import Actor, requeue_refused  # noqa: PLC0415

    who, request_id = _actor()
    with _app_context():
        database = get_db()
        if force:
            with database.transaction() as session:
                requeued = requeue_refused(session, Actor(who, request_id))
            if requeued:
                click.echo(f"{requeued} refused change(s) queued again")
        applier = Applier(database.session_factory, current_app.extensions["nc_coop.gateway"],
                          current_app.extensions["nc_coop.quota"], current_app.extensions["nc_coop.ldapsync"].settings,
                          actor=who, request_id=request_id)
        report = applier.run(force=force)
    click.echo(f"{report.claimed} change(s) attempted: {report.done} applied ({report.confirmed} confirmed, "
               f"{report.not_yet_visible} not yet visible in Nextcloud), {report.failed} queued again, "
               f"{report.refused} refused")
    for error in report.errors:
        click.echo(f"  {printable(error)}", err=True)
    return 1 if report.failed or report.refused else 0


@quota.command("apply")
def apply_command() -> None:
    """Apply the queued changes that are due (failed ones wait for their backoff)."""
    raise SystemExit(_apply(force=False))


@quota.command("retry")
def retry_command() -> None:
    """Apply every queued change now, including those waiting for their backoff and refused ones."""
    raise SystemExit(_apply(force=True))

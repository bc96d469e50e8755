# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""``nc-coop assembly remind``: the "voting closes soon" notifications, for cron.

Only click is imported at module level, so that ``nc-coop --help`` stays fast."""
from __future__ import annotations

import click


@click.group()
def assembly() -> None:
    """The general assembly: reminders before voting closes."""


@assembly.command("remind")
def remind_command() -> None:
    """Notify, once, everyone who has not voted on every item of an assembly whose voting closes
    within the next 24 hours. Run it from cron, e.g. every hour."""
    from datetime import UTC, datetime  # noqa: PLC0415

    from flask import current_app  # noqa: PLC0415

    from nc_coop.assembly.outreach import send_due_reminders  # noqa: PLC0415
    from nc_coop.cli import _app_context  # noqa: PLC0415
    from nc_coop.db import get_db  # noqa: PLC0415

    with _app_context():
        session = get_db().session_factory()
        try:
            sent = send_due_reminders(session, current_app.extensions["nc_coop.gateway"], datetime.now(UTC))
        finally:
            session.close()
        click.echo(f"{sent} reminder(s) sent")

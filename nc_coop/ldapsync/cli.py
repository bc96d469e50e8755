# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""``nc-coop ldap``: run the sync, look a user up in the directory.

Exit codes of ``sync``: 0 ok, 1 failed (nothing applied), 2 configuration error, 3 refused (the
mass-disable guard, or another sync is running), 4 incomplete read (new and changed entries
applied, nothing disabled). Every refusal or failure ends with one line on stderr saying why."""
from __future__ import annotations

import getpass
import os
import sys
from typing import IO, TYPE_CHECKING

import click

from nc_coop.web.text import printable

if TYPE_CHECKING:
    from nc_coop.ldapsync.job import SyncReport
    from nc_coop.ldapsync.settings import LdapSettings

EXIT_CODES = {"ok": 0, "failed": 1, "refused": 3, "incomplete": 4}


class ProgressBar:
    """A plain-text progress bar on stderr: redrawn in place on a terminal, one line per phase
    otherwise (logs of cron jobs stay readable)."""

    WIDTH = 30

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.phase: str | None = None
        self.last = ""

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        if total:
            filled = min(self.WIDTH, self.WIDTH * done // total) if total else 0
            line = f"{phase:<7}[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done}/{total}"
        else:
            line = f"{phase:<7}{done} entries read"
        if self.tty:
            self.stream.write("\r" + line.ljust(len(self.last)))
        elif phase != self.phase and self.last:
            self.stream.write(self.last + "\n")
        self.stream.flush()
        self.phase, self.last = phase, line

    def close(self) -> None:
        if self.last:
            self.stream.write(("\n" if self.tty else self.last + "\n"))
            self.stream.flush()


def _actor() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # a container user without a passwd entry
        user = os.environ.get("USER", "unknown")
    return f"ldap-sync:cli:{user}"


def _settings() -> LdapSettings:
    from flask import current_app  # noqa: PLC0415

    from nc_coop.ldapsync.settings import URL_VARIABLE  # noqa: PLC0415

    settings = current_app.extensions["nc_coop.ldapsync"].settings
    if settings is None:
        click.echo(f"nc_coop: configuration error: {URL_VARIABLE}: is required and not set", err=True)
        sys.exit(2)
    return settings


def _print_report(report: SyncReport) -> None:
    c = report.counts
    what = "Dry run" if report.dry_run else "Run"
    click.echo(f"{what} {report.run_id} ({report.mode}): {report.status}; {c['users_read']} user(s) and "
               f"{c['groups_read']} group(s) read; {c['created']} new, {c['changed']} changed, {c['unchanged']} "
               f"unchanged, {c['missing']} missing, {c['disabled']} disabled, {c['restored']} restored, "
               f"{c['memberships_changed']} organisation membership change(s)"
               + ("" if report.applied else "; nothing was written"))
    if report.dry_run:
        for kind in ("users", "groups"):
            for category, names in report.plan.get(kind, {}).items():
                if names:
                    click.echo(f"  {kind} {category}: {printable(', '.join(names))}")
    for held in report.held_links:
        click.echo(printable(f"  link held for review: {held['uid']} -> member no. {held['member_no']} "
                             f"({held['reason']}); the board confirms or removes it on the member's page"))
    for error in report.errors:
        click.echo(f"  {printable(error)}", err=True)


@click.group()
def ldap() -> None:
    """The LDAP sync: directory accounts and member organisations into the register."""


@ldap.command("sync")
@click.option("--full", is_flag=True, help="Read every entry: finds deleted accounts and group moves.")
@click.option("--dry-run", is_flag=True, help="Compute and record the plan, print it, write nothing.")
@click.option("--force", is_flag=True, help="Pass the mass-disable guard (NC_COOP_LDAP_MAX_DISABLE[_PERCENT]).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def sync(full: bool, dry_run: bool, force: bool, quiet: bool) -> None:
    """Reconcile the directory into the register (incremental unless --full)."""
    from nc_coop.cli import _app_context  # noqa: PLC0415
    from nc_coop.db import get_db  # noqa: PLC0415
    from nc_coop.ldapsync.job import run_sync  # noqa: PLC0415

    with _app_context():
        settings = _settings()
        bar = None if quiet else ProgressBar(sys.stderr)
        try:
            report = run_sync(get_db(), settings, full=full, dry_run=dry_run, force=force, actor=_actor(),
                              progress=bar)
        finally:
            if bar is not None:
                bar.close()
    _print_report(report)
    code = EXIT_CODES.get(report.status, 1)
    if code:
        reason = report.errors[-1] if report.errors else report.status
        click.echo(f"nc_coop: LDAP sync {report.status}: {printable(reason)}", err=True)
        sys.exit(code)


@ldap.command("check-user")
@click.argument("uid")
def check_user(uid: str) -> None:
    """Look UID up in the directory (exactly: * and parentheses are plain characters)."""
    from nc_coop.cli import _app_context  # noqa: PLC0415
    from nc_coop.ldapsync.reader import DirectoryReader, LdapError  # noqa: PLC0415

    with _app_context():
        settings = _settings()
        try:
            with DirectoryReader(settings) as reader:
                users = reader.find_users(uid)
        except LdapError as exc:
            click.echo(f"nc_coop: {exc}", err=True)
            sys.exit(1)
    if not users:
        click.echo(f"No user with {settings.attributes.uid}={uid!r} under {settings.user_base}", err=True)
        sys.exit(1)
    for user in users:
        click.echo(printable(f"{user.dn}  entryUUID={user.entry_uuid}  member_no={user.member_no or '-'}"))

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""``nc-coop register``: import members from CSV, export the §30 member list.

Only click is imported at module level, so that ``nc-coop --help`` stays fast."""
from __future__ import annotations

import dataclasses
import getpass
import json
import os
import sys
import tempfile
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from nc_coop.web.text import printable, printable_stream

if TYPE_CHECKING:
    from nc_coop.register.services import Actor


def _actor() -> Actor:
    from nc_coop.register.services import Actor  # noqa: PLC0415

    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # a container user without a passwd entry
        user = os.environ.get("USER", "unknown")
    return Actor(f"cli:{user}", f"cli-{uuid.uuid4().hex[:12]}")


@click.group()
def register() -> None:
    """The member register: import members, export the member list (§30 GenG)."""


@register.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and book everything, then roll it back.")
def import_command(csv_file: Path, dry_run: bool) -> None:
    """Import members with opening balances from CSV_FILE: all rows or none.

    Columns: member_no, kind, family_name, given_names, legal_name, postal_address, email,
    admitted_on, shares, capital_eur, membership_kind, nextcloud_user (see the README)."""
    from nc_coop.cli import _app_context  # noqa: PLC0415
    from nc_coop.db import get_db  # noqa: PLC0415
    from nc_coop.register.importer import ImportErrors, import_members  # noqa: PLC0415

    actor = _actor()
    with _app_context():
        try:
            with get_db().transaction() as session, csv_file.open("rb") as stream:
                result = import_members(session, actor, stream, dry_run=dry_run, source_name=csv_file.name)
        except ImportErrors as exc:
            for error in exc.errors:
                click.echo(printable(error), err=True)
            click.echo(f"{len(exc.errors)} error(s); nothing was imported.", err=True)
            sys.exit(1)
    numbers = result.member_numbers
    if len(numbers) > 10:
        span = f" (member numbers {numbers[0]} to {numbers[-1]})"
    else:
        span = f" (member numbers {', '.join(map(str, numbers))})" if numbers else ""
    if dry_run:
        click.echo(f"Dry run: {result.imported} member(s) would be imported{span}; nothing was written.")
    else:
        click.echo(f"Imported {result.imported} member(s){span}.")


@register.command("export-list")
@click.option("--date", "reference", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Reference date, YYYY-MM-DD (default: today). Members leaving on it are listed.")
@click.option("--format", "fmt", type=click.Choice(["csv", "pdf"]), default="csv", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), default=None,
              help="File to write (default: standard output).")
def export_list(reference: datetime | None, fmt: str, output: Path | None) -> None:
    """Export the member list (§30 GenG) as of a reference date, as CSV or PDF."""
    from nc_coop.audit.chain import record  # noqa: PLC0415
    from nc_coop.cli import _app_context  # noqa: PLC0415
    from nc_coop.dates import Dates, coop_today, coop_zone  # noqa: PLC0415
    from nc_coop.db import get_db  # noqa: PLC0415
    from nc_coop.register.exports import member_list_csv, member_list_pdf  # noqa: PLC0415

    if output is None and fmt == "pdf" and click.get_binary_stream("stdout").isatty():
        # A PDF is binary: on a terminal its bytes would be read as control sequences.
        click.echo("nc_coop: a PDF is not written to a terminal; use --output FILE or redirect it.", err=True)
        sys.exit(2)
    actor = _actor()
    with _app_context() as app:
        on = reference.date() if reference else coop_today()
        db = get_db()
        # A read of the whole list is logged (§31 GenG inspections), in its own short transaction.
        with db.transaction() as session:
            record(session, actor=actor.user_id, action="member_list.export", entity="member_list",
                   entity_id=on.isoformat(), diff={"format": fmt, "output": "file" if output else "stdout"},
                   request_id=actor.request_id)
        with db.transaction() as session:
            if session.get_bind().dialect.name == "postgresql":  # one snapshot for every batch
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            chunks = member_list_csv(session, on) if fmt == "csv" else member_list_pdf(
                session, on, dates=Dates("de", coop_zone()),
                cooperative=app.config["NC_COOP_SETTINGS"].letterhead.name)
            if output is None:
                _write_stream(chunks, fmt)
            else:
                _write_file(chunks, output)
    if output is not None:
        click.echo(f"Member list as of {on.strftime('%d.%m.%Y')} written to {output}", err=True)


def _write_stream(chunks: Iterator[bytes], fmt: str) -> None:
    stream = click.get_binary_stream("stdout")
    if stream.isatty() and fmt == "csv":
        # A terminal interprets control bytes (ESC sequences, bidi overrides in a stored name).
        chunks = printable_stream(chunks)
    for chunk in chunks:
        stream.write(chunk)
    stream.flush()


def _write_file(chunks: Iterator[bytes], output: Path) -> None:
    """Written beside the target and renamed: a failed export never leaves half a file."""
    target = output.resolve()
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            for chunk in chunks:
                stream.write(chunk)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@register.group()
def statute() -> None:
    """Statute (Satzung) versions: the parameters the register computes with, by registration date."""


@statute.command("add")
@click.option("--version", "number", type=int, required=True, help="Version number, 1, 2, ... (unique).")
@click.option("--adopted", type=click.DateTime(formats=["%Y-%m-%d"]), required=True,
              help="Date the general assembly adopted it, YYYY-MM-DD.")
@click.option("--registered", type=click.DateTime(formats=["%Y-%m-%d"]), required=True,
              help="Date of entry in the cooperative register, YYYY-MM-DD: it is in force from then (§16 GenG).")
@click.option("--params", "params_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="JSON file with the parameters (see `statute show` of an existing version).")
@click.option("--document", default=None, help="Reference to the statute document.")
def statute_add(number: int, adopted: datetime, registered: datetime, params_file: Path, document: str | None) -> None:
    """Add a statute version; versions are never changed, a new one supersedes from its registration."""
    from nc_coop.cli import _app_context  # noqa: PLC0415
    from nc_coop.db import get_db  # noqa: PLC0415
    from nc_coop.register.statute import StatuteParams  # noqa: PLC0415
    from nc_coop.register.statutes import add_statute_version, params_from_json  # noqa: PLC0415

    try:
        text = params_file.read_text(encoding="utf-8")
        raw = json.loads(text)
        known = {f.name for f in dataclasses.fields(StatuteParams)}
        unknown = sorted(set(raw) - known) if isinstance(raw, dict) else []
        if unknown:
            raise ValueError(f"unknown parameter(s) {', '.join(unknown)}")
        params = params_from_json(text)
    except TypeError as exc:  # a required parameter is missing
        missing = str(exc).rpartition("argument")[2].strip(": ")
        raise click.ClickException(f"{params_file.name}: missing parameter {missing}") from None
    except (ValueError, KeyError, AttributeError) as exc:  # JSON syntax or an invalid value
        raise click.ClickException(f"{params_file.name}: {exc}") from None
    actor = _actor()
    with _app_context():
        try:
            with get_db().transaction() as session:
                from sqlalchemy import select  # noqa: PLC0415

                from nc_coop.register.models import StatuteVersionRow  # noqa: PLC0415

                if session.scalar(select(StatuteVersionRow.id).where(StatuteVersionRow.version == number)):
                    raise click.ClickException(f"--version: version {number} exists already; add version "
                                               f"{number + 1} instead (versions are never changed)")
                add_statute_version(session, actor=actor.user_id, version=number, adopted_at=adopted.date(),
                                    registered_at=registered.date(), params=params, document_ref=document,
                                    request_id=actor.request_id)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"Statute version {number} is in force from {registered.date().strftime('%d.%m.%Y')}.")


@statute.command("list")
def statute_list() -> None:
    """Every version with its dates."""
    from sqlalchemy import select  # noqa: PLC0415

    from nc_coop.cli import _app_context  # noqa: PLC0415
    from nc_coop.db import get_db  # noqa: PLC0415
    from nc_coop.register.models import StatuteVersionRow  # noqa: PLC0415

    with _app_context(), get_db().transaction() as session:
        for row in session.scalars(select(StatuteVersionRow).order_by(StatuteVersionRow.registered_at)):
            click.echo(f"{row.version}\tadopted {row.adopted_at.isoformat()}\tin force from "
                       f"{row.registered_at.isoformat()}\t{printable(row.document_ref or '')}")


@statute.command("show")
@click.argument("number", type=int)
def statute_show(number: int) -> None:
    """The parameters of version NUMBER as JSON (a starting point for the next version)."""
    from sqlalchemy import select  # noqa: PLC0415

    from nc_coop.cli import _app_context  # noqa: PLC0415
    from nc_coop.db import get_db  # noqa: PLC0415
    from nc_coop.register.models import StatuteVersionRow  # noqa: PLC0415

    with _app_context(), get_db().transaction() as session:
        params = session.scalar(select(StatuteVersionRow.params).where(StatuteVersionRow.version == number))
    if params is None:
        raise click.ClickException(f"no statute version {number}")
    click.echo(json.dumps(json.loads(params), indent=2, sort_keys=True))

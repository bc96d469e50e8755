# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The ``nc-coop`` command: one group per noun, each a thin wrapper over the services."""
from __future__ import annotations

import logging
import os
import secrets
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import click
from flask import Flask

from nc_coop.assembly.cli import assembly
from nc_coop.config import ConfigError
from nc_coop.ldapsync.cli import ldap
from nc_coop.quota.cli import quota
from nc_coop.register.cli import register

log = logging.getLogger("nc_coop")


def _app(**overrides: object) -> Flask:
    from nc_coop.app import create_app  # noqa: PLC0415  keeps `nc-coop --help` fast

    try:
        return create_app(overrides or None)
    except ConfigError as exc:
        # One line that names the setting, no traceback: this is an operator's mistake.
        click.echo(f"nc_coop: configuration error: {exc}", err=True)
        sys.exit(2)


@contextmanager
def _app_context() -> Iterator[Flask]:
    """The app with an app context; its database connections are closed when the command ends."""
    from nc_coop.db import get_db  # noqa: PLC0415

    app = _app()
    with app.app_context():
        try:
            yield app
        finally:
            get_db().engine.dispose()


@click.group()
def cli() -> None:
    """nc_coop: member self-service for a cooperative's Nextcloud."""


@cli.command()
def serve() -> None:
    """Serve the ExApp (threads; the Unix socket /tmp/exapp.sock under HaRP)."""
    from sqlalchemy.engine import make_url  # noqa: PLC0415

    from nc_coop.db import secure_storage  # noqa: PLC0415
    from nc_coop.logs import configure_logging  # noqa: PLC0415
    from nc_coop.serve import make_server  # noqa: PLC0415

    app = _app()
    settings = app.config["NC_COOP_SETTINGS"]
    ldap_settings = app.extensions["nc_coop.ldapsync"].settings
    quota_settings = app.extensions["nc_coop.quota"]
    redact = settings.secret_values() + (ldap_settings.secret_values() if ldap_settings else ()) \
        + quota_settings.secret_values()
    configure_logging(settings.log_level, redact)
    # At start-up: the data folder and a SQLite file become owner-only (a log line says when).
    sqlite = settings.database_url.startswith("sqlite")
    secure_storage(settings.persistent_storage, make_url(settings.database_url).database if sqlite else None)
    app.extensions["nc_coop.quota.runner"].start_schedule()  # retries due quota changes (serving only)
    reminders = app.extensions["nc_coop.assembly.reminders"]
    reminders.start()  # "voting closes in 24 h" (NC_COOP_ASSEMBLY_REMIND_MINUTES)
    server = make_server(app, settings)
    where = settings.unix_socket or f"{settings.app_host}:{settings.app_port}"
    log.info("nc_coop %s listening on %s with %d threads", settings.app_version, where, settings.threads)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        reminders.stop()
        server.close()


@cli.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations (as /init does)."""
    from nc_coop import migrate  # noqa: PLC0415
    from nc_coop.db import get_db  # noqa: PLC0415

    with _app_context():
        engine = get_db().engine
        applied = migrate.upgrade(engine, lambda done, total, rev: click.echo(f"[{done}/{total}] {rev}"))
        click.echo(f"Database at {migrate.current_revision(engine)} ({len(applied)} migration(s) applied)")


@db.command("current")
def db_current() -> None:
    """Show the schema revision and whether it is the newest."""
    from nc_coop import migrate  # noqa: PLC0415
    from nc_coop.db import get_db  # noqa: PLC0415

    with _app_context():
        current, head = migrate.current_revision(get_db().engine), migrate.head_revision()
        click.echo(f"{current or 'empty'} (newest: {head})")
        if current != head:
            sys.exit(1)


@cli.group()
def audit() -> None:
    """The hash-chained audit log."""


@audit.command("verify")
def audit_verify() -> None:
    """Check every link of the audit chain; name the first broken one."""
    from nc_coop.audit.chain import verify  # noqa: PLC0415
    from nc_coop.db import get_db  # noqa: PLC0415

    with _app_context(), get_db().transaction() as session:
        report = verify(session)
    if report.ok:
        click.echo(f"Audit chain intact: {report.checked} event(s) checked")
        return
    click.echo(f"Audit chain broken at event #{report.first_broken_id}: {report.reason} "
               f"({report.checked} event(s) before it are intact)", err=True)
    sys.exit(1)


@cli.command()
@click.option("--port", default=8080, show_default=True, help="Port of the Nextcloud stand-in (127.0.0.1 only).")
@click.option("--data", "data_dir", default="demo-data", show_default=True, type=click.Path(path_type=Path),
              help="Folder for the demo's SQLite database.")
def demo(port: int, data_dir: Path) -> None:
    """Run nc_coop behind a local stand-in of Nextcloud, to click through without a Nextcloud."""
    from nc_coop.logs import configure_logging  # noqa: PLC0415
    from nc_coop.serve import BackgroundServer, make_server  # noqa: PLC0415
    from nc_coop.standin import LifecycleError, NextcloudStandIn  # noqa: PLC0415
    from nc_coop.standin.state import StandInUser, default_users  # noqa: PLC0415

    from nc_coop.documents import demo as documents_demo  # noqa: PLC0415

    users = [*default_users(), StandInUser("bea", "Bea Vorstand", ["board"], "bea@example.org", language="de"),
             documents_demo.demo_reader()]
    standin = NextcloudStandIn(users=users, port=port).start()
    documents_demo.seed_demo_folder(standin.state)
    secret = secrets.token_urlsafe(48)  # a fresh secret each run: nothing to leak, nothing to configure
    app = _app(APP_SECRET=secret, NEXTCLOUD_URL=standin.url, APP_PERSISTENT_STORAGE=str(data_dir.resolve()),
               # The board (bea) and the office administer the cooperative, as in a real install.
               NC_COOP_ADMIN_GROUPS=f"admin,board,{documents_demo.OFFICE_GROUP}", NC_COOP_DEMO="true",
               APP_HOST="127.0.0.1",
               DATABASE_URL=os.environ.get("NC_COOP_DEMO_DATABASE_URL"),
               NC_COOP_DOCUMENTS_FOLDER=documents_demo.FOLDER, NC_COOP_DOCUMENTS_USER=documents_demo.READER)
    settings = app.config["NC_COOP_SETTINGS"]
    configure_logging("WARNING", settings.secret_values())
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the stand-in's access log is noise here
    server = BackgroundServer(make_server(app, settings, port=0)).start()
    standin.register(settings.app_id, secret, settings.app_version, server.url, _info_xml())
    try:
        standin.deploy(timeout=120)
    except LifecycleError as exc:
        click.echo(f"nc_coop demo: the app did not start: {exc}", err=True)
        sys.exit(1)
    from nc_coop.db import get_db  # noqa: PLC0415
    from nc_coop.register.demo import seed_demo_register  # noqa: PLC0415

    with app.app_context(), get_db().transaction() as session:
        seed_demo_register(session)  # after /init migrated the database, as in a real install
        documents_demo.publish_demo_documents(session, app.extensions["nc_coop.gateway"],
                                              app.extensions["nc_coop.documents"])
    click.echo(
        "\n  nc_coop DEMO: a stand-in replaces Nextcloud; nothing here is real member data.\n"
        f"  Open {standin.url}/ and log in as alice (member), bea (board), office or admin.\n"
        "  Press Ctrl+C to stop.\n"
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        click.echo("Stopping the demo.")
    finally:
        server.stop()
        standin.stop()


def _info_xml() -> Path:
    package = Path(__file__).resolve().parent
    for candidate in (package / "appinfo" / "info.xml", package.parent / "appinfo" / "info.xml"):
        if candidate.is_file():
            return candidate
    raise click.ClickException("appinfo/info.xml not found beside or inside the nc_coop package")


@cli.group()
def i18n() -> None:
    """Translations (German and English)."""


@i18n.command("compile")
def i18n_compile() -> None:
    """Compile translations/*/LC_MESSAGES/messages.po into .mo files."""
    from nc_coop.web.i18n import compile_catalogs  # noqa: PLC0415

    for path in compile_catalogs():
        click.echo(f"compiled {path}")


cli.add_command(register)
cli.add_command(ldap)
cli.add_command(quota)
cli.add_command(assembly)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="nc-coop", standalone_mode=False)
    except click.exceptions.Abort:
        return 1
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())

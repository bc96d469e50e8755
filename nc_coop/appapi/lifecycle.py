# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""What /init and /enabled do: migrate in the background, (un)register the top-menu entry."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from sqlalchemy import Engine

from nc_coop import migrate
from nc_coop.nextcloud import NextcloudError, NextcloudGateway

log = logging.getLogger(__name__)

MENU_NAME = "coop"
MENU_ICON = "img/app.svg"
EMBED_SCRIPT = "js/embed"  # AppAPI appends .js and loads it through the proxy
MENU_LABELS = {"de": "Genossenschaft", "en": "Cooperative"}


@dataclass
class InitState:
    """What the last /init did; shown to admins on the status page."""

    running: bool = False
    progress: int = 0
    error: str = ""
    applied: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


def start_init(state: InitState, engine: Engine, gateway: NextcloudGateway, request_id: str) -> bool:
    """Start the migrations in a thread and return at once; False if one is already running."""
    with state.lock:
        if state.running:
            return False
        state.running, state.progress, state.error, state.applied = True, 0, "", []
    thread = threading.Thread(target=_run_init, args=(state, engine, gateway, request_id),
                              name="nc_coop-init", daemon=True)
    thread.start()
    return True


def _run_init(state: InitState, engine: Engine, gateway: NextcloudGateway, request_id: str) -> None:
    def report(done: int, total: int, revision: str) -> None:
        state.applied.append(revision)
        # 100 is sent once at the very end: it makes Nextcloud enable the app.
        state.progress = min(99, 5 + int(90 * done / max(total, 1)))
        gateway.set_init_status(state.progress, request_id=request_id)
        log.info("Migration %s applied (%d of %d)", revision, done, total)

    try:
        gateway.set_init_status(1, request_id=request_id)
        migrate.upgrade(engine, progress=report)
        state.progress = 100
        gateway.set_init_status(100, request_id=request_id)
        log.info("Initialisation finished; %d migration(s) applied", len(state.applied))
    except NextcloudError as exc:
        state.error = f"Nextcloud did not take the progress report: {exc}"
        log.error("%s", state.error)
    except Exception as exc:  # noqa: BLE001  any failure must reach the admin, not only the log
        state.error = f"Database migration failed: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
        log.exception("Initialisation failed")
        try:
            gateway.set_init_status(state.progress, error=state.error, request_id=request_id)
        except NextcloudError as report_exc:
            log.error("Could not report the failure to Nextcloud: %s", report_exc)
    finally:
        state.running = False


def enable(gateway: NextcloudGateway, language: str, request_id: str) -> str:
    """Register the top-menu entry and the script that embeds our pages; "" on success."""
    label = MENU_LABELS["de" if language.lower().startswith("de") else "en"]
    try:
        gateway.register_top_menu(MENU_NAME, label, MENU_ICON, admin_required=False, request_id=request_id)
        gateway.set_top_menu_script(MENU_NAME, EMBED_SCRIPT, request_id=request_id)
    except NextcloudError as exc:
        log.error("Enabling failed: %s", exc)
        return f"Could not register the top-menu entry: {exc}"
    log.info("Enabled: top-menu entry %r registered as %r", MENU_NAME, label)
    return ""


def disable(gateway: NextcloudGateway, request_id: str) -> str:
    """Remove what ``enable`` registered; entries that are already gone are fine."""
    try:
        gateway.delete_top_menu_script(MENU_NAME, EMBED_SCRIPT, request_id=request_id)
        gateway.unregister_top_menu(MENU_NAME, request_id=request_id)
    except NextcloudError as exc:
        log.error("Disabling failed: %s", exc)
        return f"Could not remove the top-menu entry: {exc}"
    log.info("Disabled: top-menu entry %r removed", MENU_NAME)
    return ""

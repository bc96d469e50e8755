# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Serving with waitress: several threads, because AppAPI calls /heartbeat and /enabled back
while our own progress report is still open (APPAPI.md §1.4); a Unix socket under HaRP."""
from __future__ import annotations

from pathlib import Path
import threading
from typing import Any

from flask import Flask
from waitress.server import create_server

from nc_coop.config import Settings


def make_server(app: Flask, settings: Settings, *, port: int | None = None) -> Any:
    """A waitress server, not yet running: ``.run()`` serves, ``.close()`` stops."""
    options: dict[str, Any] = {"threads": settings.threads, "ident": "nc_coop", "clear_untrusted_proxy_headers": True}
    if settings.unix_socket:
        Path(settings.unix_socket).unlink(missing_ok=True)  # a stale socket from a crash
        return create_server(app, unix_socket=settings.unix_socket, unix_socket_perms="600", **options)
    return create_server(app, host=settings.app_host, port=settings.app_port if port is None else port, **options)


def bound_url(server: Any) -> str:
    """``http://host:port`` the server actually listens on (port 0 picks a free one)."""
    host, port = server.effective_host, server.effective_port
    return f"http://{host}:{port}"


class BackgroundServer:
    """Runs a waitress server in a thread (the demo and the tests) and stops it cleanly."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.url = bound_url(server)
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="nc_coop-server", daemon=True)

    def start(self) -> BackgroundServer:
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            self.server.run()
        except OSError:
            if not self._closing:  # closing the socket under the loop's select is expected
                raise

    def stop(self) -> None:
        self._closing = True
        self.server.close()
        self._thread.join(timeout=5)

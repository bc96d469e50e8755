# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""A real HTTP server that stands in for Nextcloud 34 + AppAPI, for the tests and ``nc-coop demo``.

It drives the ExApp lifecycle the way ``occ app_api:app:register --wait-finish`` does
(APPAPI.md part 1): heartbeat polling → ``POST /init`` → the ExApp reports progress → at 100,
inside that very request, ``GET /heartbeat`` and ``PUT /enabled?enabled=1`` are sent back.
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import requests
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from nc_coop.standin import dav, ocs, proxy, talk
from nc_coop.standin.userldap import LdapSource, computer_file_size
from nc_coop.standin.state import ExApp, Route, StandInState, StandInUser, default_users, routes_from_info_xml

log = logging.getLogger(__name__)


class LifecycleError(Exception):
    """The ExApp did not come up as AppAPI requires (no heartbeat, init error, /enabled error)."""


class NextcloudStandIn:
    def __init__(self, users: list[StandInUser] | None = None, aa_version: str = "34.0.0",
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = StandInState(users={u.user_id: u for u in (users or default_users())})
        self.aa_version = aa_version
        self.enabled_errors: list[str] = []
        self._init_finished = threading.Event()  # set once the 100-report (and its callbacks) ended
        app = Flask("nc_coop_standin")
        app.config["STANDIN"] = self
        app.register_blueprint(ocs.bp)
        app.register_blueprint(proxy.bp)
        app.register_blueprint(dav.bp)
        app.register_blueprint(talk.bp)
        self._server: BaseWSGIServer = make_server(host, port, app, threaded=True)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self._server.host}:{self._server.server_port}"

    def start(self) -> NextcloudStandIn:
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="nextcloud-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- user_ldap --------------------------------------------------------------------------------

    def connect_ldap(self, source: LdapSource) -> None:
        """Configure user_ldap: LDAP-backed users take their quota from this directory."""
        with self.state.lock:
            self.state.ldap = source

    def add_ldap_user(self, user_id: str, display_name: str, dn: str, used_bytes: int = 0) -> StandInUser:
        """Map an LDAP user, as user_ldap does on first sight: its quota attribute applies at once."""
        user = StandInUser(user_id, display_name, [], backend="LDAP", ldap_dn=dn, used_bytes=used_bytes)
        source = self.state.ldap
        text = source.quota_text(dn) if source is not None else None
        quota = computer_file_size(text) if text is not None else None
        if quota is not None:
            user.quota_bytes = quota
        with self.state.lock:
            self.state.users[user_id] = user
        return user

    # --- AppAPI's side of the lifecycle ------------------------------------------------------------

    def register(self, app_id: str, secret: str, version: str, exapp_url: str,
                 routes: list[Route] | Path) -> ExApp:
        """Like ``occ app_api:app:register`` without waiting: the record only."""
        parsed = routes_from_info_xml(routes) if isinstance(routes, Path) else routes
        with self.state.lock:
            self.state.exapp = ExApp(app_id, secret, version, exapp_url.rstrip("/"), parsed)
            return self.state.exapp

    def _exapp(self) -> ExApp:
        if self.state.exapp is None:
            raise LifecycleError("no ExApp is registered")
        return self.state.exapp

    def call_exapp(self, method: str, path: str, user: str = "", language: str = "en",
                   timeout: float = 60) -> requests.Response:
        """A request from AppAPI itself to the ExApp, with AppAPI's auth headers."""
        app = self._exapp()
        headers = {
            "AA-VERSION": self.aa_version, "EX-APP-ID": app.app_id, "EX-APP-VERSION": app.version,
            "AUTHORIZATION-APP-API": app.auth_header(user), "AA-REQUEST-ID": "CLI",
            "Accept-Language": language,
        }
        return requests.request(method, f"{app.url}{path}", headers=headers, timeout=timeout)

    def heartbeat(self) -> bool:
        """AppAPI sends the heartbeat without auth headers and wants exactly {"status": "ok"}."""
        try:
            answer = requests.get(f"{self._exapp().url}/heartbeat", timeout=3,
                                  headers={"Accept": "application/json", "Content-Type": "application/json"})
        except requests.RequestException:
            return False
        return answer.status_code == 200 and answer.json() == {"status": "ok"}

    def deploy(self, timeout: float = 30) -> None:
        """``--wait-finish``: heartbeat until ok, POST /init, wait for progress 100 or an error."""
        deadline = time.monotonic() + timeout
        while not self.heartbeat():
            if time.monotonic() > deadline:
                raise LifecycleError("the ExApp never answered the heartbeat")
            time.sleep(0.1)
        app = self._exapp()
        with self.state.lock:
            app.init_progress, app.init_error = 0, ""
            app.enabled = True  # AppAPI marks the app enabled before it sends /init
            self._init_finished.clear()
        answer = self.call_exapp("POST", "/init", timeout=30)
        if answer.status_code in (404, 501):  # "no init needed"
            self.report_init_progress(100, "")
        elif answer.status_code != 200:
            raise LifecycleError(f"/init answered HTTP {answer.status_code}")
        while not self._init_finished.wait(0.05):
            if time.monotonic() > deadline:
                raise LifecycleError(f"init stuck at {app.init_progress}%")
        if app.init_error:
            raise LifecycleError(f"init failed: {app.init_error}")
        if not app.enabled:
            raise LifecycleError(f"enabling failed: {self.enabled_errors[-1] if self.enabled_errors else '?'}")

    def report_init_progress(self, progress: int, error: str) -> None:
        """``setAppInitProgress``: an error fails the install; reaching 100 enables the app."""
        app = self._exapp()
        with self.state.lock:
            if error:
                app.init_error = error
                return
            if app.init_progress >= 100:
                return  # further reports after 100 are ignored
            app.init_progress = progress
        if progress == 100:
            self.enable()

    def mark_init_reported(self, progress: int, error: str) -> None:
        """Called after the status call's answer is recorded: ``deploy`` may return now."""
        if progress == 100 or error:
            self._init_finished.set()

    def enable(self) -> None:
        """``enableExApp``: heartbeat, then PUT /enabled?enabled=1; a non-empty error disables."""
        app = self._exapp()
        app.enabled = True  # the flag is set first: the ExApp registers its UI inside the call
        if not self.heartbeat():
            app.enabled = False
            self.enabled_errors.append("heartbeat failed")
            return
        answer = self.call_exapp("PUT", "/enabled?enabled=1")
        error = answer.json().get("error", "") if answer.status_code == 200 else f"HTTP {answer.status_code}"
        app.enabled = not error
        if error:
            self.enabled_errors.append(error)

    def disable(self) -> str:
        """``occ app_api:app:disable``: PUT /enabled?enabled=0, then the proxy answers 404."""
        answer = self.call_exapp("PUT", "/enabled?enabled=0")
        self._exapp().enabled = False
        return answer.json().get("error", "") if answer.status_code == 200 else f"HTTP {answer.status_code}"

    def unregister(self) -> None:
        """``occ app_api:app:unregister``: disable, then AppAPI drops the app's UI entries."""
        self.disable()
        with self.state.lock:
            self.state.top_menu.clear()
            self.state.scripts.clear()
            self.state.styles.clear()
            self.state.exapp = None

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The stand-in's proxy is as strict as the real Nextcloud 34 (APPAPI.md "Corrections").

Checked against a tiny ExApp of the test's own, so that each behaviour is the stand-in's and not
nc_coop's: a response without its own CSP gets Nextcloud's block-everything policy, one with a
CSP keeps it; redirects are followed on the server (the browser sees the final 200 at the URL it
asked for, the ExApp sees the same request id twice); the top-menu page may frame the proxy."""
from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import requests
from flask import Flask, Response, request
from werkzeug.serving import make_server

from nc_coop.standin import NextcloudStandIn
from nc_coop.standin.proxy import EMBEDDED_PAGE_CSP, PROXY_DEFAULT_CSP
from nc_coop.standin.state import ACCESS_LEVELS, Route

ALICE = ("alice", "alice-password")
OWN_CSP = "default-src 'self'; frame-ancestors 'self'"


def tiny_exapp(seen: list[tuple[str, str, str, bytes]]) -> Flask:
    app = Flask("tiny_exapp")

    @app.before_request
    def record() -> None:
        seen.append((request.method, request.full_path.rstrip("?"), request.headers.get("Aa-Request-Id", ""),
                     request.get_data()))

    @app.get("/plain")
    def plain() -> str:
        return "<p>no policy</p>"

    @app.get("/own-csp")
    def own_csp() -> Response:
        return Response("<p>own policy</p>", headers={"Content-Security-Policy": OWN_CSP})

    @app.post("/form")
    def form() -> Response:
        return Response(status=303, headers={"Location": "../done?x=1"})

    @app.post("/keep")
    def keep() -> Response:
        return Response(status=307, headers={"Location": "echo"})

    @app.post("/echo")
    def echo() -> str:
        return f"echo:{request.get_data(as_text=True)}"

    @app.get("/done")
    def done() -> str:
        return f"done at {request.path} {request.method} x={request.args.get('x')}"

    @app.get("/loop")
    def loop() -> Response:
        return Response(status=302, headers={"Location": "loop"})

    return app


@pytest.fixture
def tiny(standin: NextcloudStandIn) -> Iterator[tuple[str, list[tuple[str, str, str, bytes]]]]:
    seen: list[tuple[str, str, str, bytes]] = []
    server = make_server("127.0.0.1", 0, tiny_exapp(seen), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app = standin.register("tiny", "tiny-secret-0123456789abcdef", "1.0.0", f"http://127.0.0.1:{server.server_port}",
                           [Route("^/.*", "GET,POST", ACCESS_LEVELS["USER"])])
    app.enabled = True
    try:
        yield f"{standin.url}/index.php/apps/app_api/proxy/tiny", seen
    finally:
        server.shutdown()


def test_a_response_without_a_policy_gets_nextclouds_block_everything_policy(tiny: tuple[str, list]) -> None:
    answer = requests.get(f"{tiny[0]}/plain", auth=ALICE, timeout=10)
    assert answer.status_code == 200
    assert answer.headers["Content-Security-Policy"] == PROXY_DEFAULT_CSP
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]


def test_a_response_with_its_own_policy_keeps_it(tiny: tuple[str, list]) -> None:
    answer = requests.get(f"{tiny[0]}/own-csp", auth=ALICE, timeout=10)
    assert answer.headers["Content-Security-Policy"] == OWN_CSP


def test_a_303_is_followed_on_the_server_as_a_get_with_the_same_request_id(tiny: tuple[str, list]) -> None:
    base, seen = tiny
    answer = requests.post(f"{base}/form", data={"a": "1"}, auth=ALICE, timeout=10, allow_redirects=False)
    assert answer.status_code == 200  # the browser never sees the 303 ...
    assert answer.text == "done at /done GET x=1"  # ... but the target's page, at the POST's URL
    assert answer.url == f"{base}/form"
    (first, second) = seen
    assert (first[0], first[1], first[3]) == ("POST", "/form", b"a=1")
    assert (second[0], second[1], second[3]) == ("GET", "/done?x=1", b"")
    assert first[2] == second[2] != ""


def test_a_307_repeats_the_method_and_the_body(tiny: tuple[str, list]) -> None:
    answer = requests.post(f"{tiny[0]}/keep", data="payload", auth=ALICE, timeout=10, allow_redirects=False)
    assert (answer.status_code, answer.text) == (200, "echo:payload")


def test_after_five_redirects_the_browser_gets_the_sixth(tiny: tuple[str, list]) -> None:
    base, seen = tiny
    answer = requests.get(f"{base}/loop", auth=ALICE, timeout=10, allow_redirects=False)
    assert answer.status_code == 302 and len(seen) == 6


def test_the_top_menu_page_may_frame_only_its_own_host(standin: NextcloudStandIn, tiny: tuple[str, list]) -> None:
    standin.state.top_menu["t"] = {"appid": "tiny", "name": "t", "display_name": "Tiny", "icon": "",
                                   "admin_required": 0}
    page = requests.get(f"{standin.url}/index.php/apps/app_api/embedded/tiny/t", auth=ALICE, timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Security-Policy"] == EMBEDDED_PAGE_CSP.format(host=standin.url)
    assert f"frame-src 'self' {standin.url};" in page.headers["Content-Security-Policy"]

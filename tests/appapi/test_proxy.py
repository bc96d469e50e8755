# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The pages as a browser gets them through the stand-in's AppAPI proxy, over real HTTP.

The proxy (APPAPI.md part 1 A, §3.3) decides access from appinfo/info.xml's routes (PUBLIC
files, everything else USER) and answers every denial with its own 404; it forwards the
browser's Authorization and Cookie headers to us, replaces Accept-Language with the user's
Nextcloud language, and lets browsers cache for an hour any response that does not say
otherwise."""
from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from flask import Flask

from nc_coop.standin import NextcloudStandIn, StandInUser
from nc_coop.standin.state import ACCESS_LEVELS, Route

ALICE = ("alice", "alice-password")
ADMIN = ("admin", "admin-password")
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
# What a logged-in browser also sends; none of it may come back.
COOKIE_VALUES = ("oc_sessionPassphrase=passphrase-4f2b9c0d1e7a", "nc_session_id=session-9e8d7c6b5a")


@pytest.fixture
def reached(app: Flask) -> list[str]:
    """The paths that actually reached nc_coop (the proxy's denials never do)."""
    paths: list[str] = []
    inner = app.wsgi_app

    def recording(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        paths.append(environ.get("PATH_INFO", ""))
        return inner(environ, start_response)

    app.wsgi_app = recording  # type: ignore[method-assign]
    return paths


@pytest.fixture
def proxy(live_app: str, standin: NextcloudStandIn, reached: list[str]) -> Iterator[str]:
    """nc_coop installed in the stand-in as ``occ app_api:app:register --wait-finish`` does it."""
    standin.deploy(timeout=30)
    reached.clear()
    yield f"{standin.url}/index.php/apps/app_api/proxy/nc_coop/"


def browse(url: str, auth: tuple[str, str] | None = None, cookies: bool = False,
           language: str = "en") -> requests.Response:
    headers = {"Accept": BROWSER_ACCEPT, "Accept-Language": language}
    if cookies:
        headers["Cookie"] = "; ".join(COOKIE_VALUES)
    return requests.get(url, auth=auth, headers=headers, timeout=30, allow_redirects=False)


# --- Access, as the proxy decides it ----------------------------------------------------------

def test_alice_gets_her_membership_page(proxy: str, reached: list[str]) -> None:
    response = browse(proxy, ALICE)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<h1>My membership</h1>" in response.text
    assert "Signed in as Alice Normal." in response.text
    assert response.headers["X-User-Id"] == "alice"
    assert reached == ["/"]


def test_the_page_speaks_the_users_nextcloud_language(proxy: str, standin: NextcloudStandIn) -> None:
    """AppAPI sets Accept-Language from the user's Nextcloud language, over the browser's."""
    standin.state.users["alice"].language = "de"
    response = browse(proxy, ALICE, language="de")
    assert response.status_code == 200
    assert '<html lang="de">' in response.text
    assert "<h1>Meine Mitgliedschaft</h1>" in response.text
    response = browse(proxy, ALICE, language="en")
    assert "<h1>Meine Mitgliedschaft</h1>" in response.text


def test_alice_gets_nc_coops_403_for_admin_pages(proxy: str, reached: list[str]) -> None:
    """info.xml has no ADMIN route (the board are cooperative admins without being Nextcloud
    admins), so the request reaches nc_coop, which refuses it itself."""
    response = browse(proxy + "admin/", ALICE)
    assert response.status_code == 403
    assert "You are not allowed to see this page." in response.text
    assert "System status" not in response.text
    assert response.headers["Cache-Control"] == "no-store"
    assert reached == ["/admin/"]


def test_an_admin_route_would_be_denied_by_the_proxy_with_404(proxy: str, standin: NextcloudStandIn,
                                                              reached: list[str]) -> None:
    """The stand-in's proxy applies an ADMIN route as AppAPI does: 404 for anyone outside
    Nextcloud's admin group, and the request never reaches the ExApp."""
    assert standin.state.exapp is not None
    standin.state.exapp.routes.insert(0, Route("^/admin(/.*)?$", "GET,POST,PUT,DELETE", ACCESS_LEVELS["ADMIN"]))
    for path in ("admin/", "admin", "admin/anything", "ADMIN/"):
        response = browse(proxy + path, ALICE)
        assert response.status_code == 404, path
        assert "System status" not in response.text
    assert reached == []
    assert browse(proxy + "admin/", ADMIN).status_code == 200
    assert reached == ["/admin/"]


def test_admin_gets_the_system_status_page(proxy: str, reached: list[str]) -> None:
    response = browse(proxy + "admin/", ADMIN)
    assert response.status_code == 200
    assert "<h1>System status</h1>" in response.text
    assert reached == ["/admin/"]


@pytest.mark.parametrize("path", ["", "admin/", "no/such/page"])
def test_anonymous_visitors_get_the_proxys_404_for_pages(proxy: str, reached: list[str], path: str) -> None:
    response = browse(proxy + path)
    assert response.status_code == 404
    assert reached == []


@pytest.mark.parametrize(("path", "content_type"), [
    ("js/embed.js", "text/javascript; charset=utf-8"),
    ("css/app.css", "text/css; charset=utf-8"),
    ("img/app.svg", "image/svg+xml; charset=utf-8"),
])
def test_anonymous_visitors_get_the_public_files(proxy: str, reached: list[str], path: str,
                                                 content_type: str) -> None:
    """The top-menu icon and the embed script are fetched through the proxy's PUBLIC route."""
    response = browse(proxy + path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert response.content
    # Revalidated by ETag, so an upgrade shows at once, not after the proxy's hour.
    assert response.headers["Cache-Control"] == "no-cache"
    assert reached == ["/" + path]


def test_a_wrong_password_gets_401_and_never_reaches_the_app(proxy: str, reached: list[str]) -> None:
    for path in ("", "admin/", "js/embed.js"):
        response = browse(proxy + path, ("alice", "not-her-password"))
        assert response.status_code == 401
        assert response.json() == {"message": ""}
    assert reached == []


def test_a_disabled_app_is_a_404(proxy: str, standin: NextcloudStandIn, reached: list[str]) -> None:
    assert standin.disable() == ""
    reached.clear()
    assert browse(proxy, ALICE).status_code == 404
    assert browse(proxy + "js/embed.js").status_code == 404
    assert reached == []


# --- What comes back --------------------------------------------------------------------------

DYNAMIC = [  # (path, who, status) of responses nc_coop renders
    ("", ALICE, 200),
    ("?tab=x", ALICE, 200),
    ("admin/", ADMIN, 200),
    ("admin/", ALICE, 403),
    ("no/such/page", ALICE, 404),
    ("admin/no/such/page", ADMIN, 404),
]


@pytest.mark.parametrize(("path", "who", "status"), DYNAMIC)
def test_dynamic_responses_are_never_cached(proxy: str, reached: list[str], path: str,
                                            who: tuple[str, str], status: int) -> None:
    response = browse(proxy + path, who)
    assert response.status_code == status
    assert reached, "rendered by nc_coop, not by the proxy"
    assert response.headers["Cache-Control"] == "no-store"  # not the proxy's max-age=3600


def test_a_response_from_an_unknown_path_is_our_error_page(proxy: str) -> None:
    response = browse(proxy + "no/such/page", ALICE)
    assert response.status_code == 404
    assert "<h1>Error 404</h1>" in response.text
    assert "This page does not exist." in response.text


@pytest.mark.parametrize(("path", "who"), [
    ("", ALICE), ("admin/", ADMIN), ("admin/", ALICE), ("no/such/page", ALICE), ("js/embed.js", ALICE),
    ("css/app.css", ADMIN), ("", ("alice", "not-her-password")),
])
def test_the_browsers_credentials_never_come_back(proxy: str, path: str, who: tuple[str, str]) -> None:
    response = browse(proxy + path, who, cookies=True)
    user, password = who
    secrets = [password, base64.b64encode(f"{user}:{password}".encode()).decode(),
               *COOKIE_VALUES, *(c.split("=", 1)[1] for c in COOKIE_VALUES)]
    returned = [response.text, *response.headers.values(), *response.headers.keys()]
    for secret in secrets:
        assert not [part for part in returned if secret in part], secret
    assert "Set-Cookie" not in response.headers


# --- Links in pages work from the proxy URL ---------------------------------------------------

class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [v for k, v in attrs if k in ("href", "src", "action") and v and not v.startswith("#")]


def links(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.urls


@pytest.mark.parametrize(("path", "who"), [("", ALICE), ("admin/", ADMIN), ("no/such/page", ALICE)])
def test_every_link_in_a_page_works_from_the_proxy_url(proxy: str, path: str, who: tuple[str, str]) -> None:
    """Flask sees Nextcloud's Host and no proxy prefix; only relative links survive that."""
    page = browse(proxy + path, who)
    urls = links(page.text)
    assert len(urls) >= 6
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(proxy))
    for url in urls:
        target = urljoin(proxy + path, url)
        assert target.startswith(origin + "/index.php/apps/"), (url, target)
        response = browse(target, who)
        assert response.status_code == 200, (url, target)
    theming = browse(urljoin(proxy + path, next(u for u in urls if "theming/theme/default.css" in u)))
    assert theming.headers["Content-Type"].startswith("text/css")
    assert "--color-main-background" in theming.text and theming.text.startswith(":root")


def test_pages_work_without_index_php_too(proxy: str, standin: NextcloudStandIn) -> None:
    """Where the web server has pretty URLs, the proxy also answers without /index.php (part 1 A)."""
    pretty = proxy.replace("/index.php/", "/")
    for path in ("", "admin/"):
        page = browse(pretty + path, ADMIN)
        assert page.status_code == 200, path
        for url in links(page.text):
            target = urljoin(pretty + path, url)
            assert target.startswith(f"{standin.url}/apps/"), (url, target)
            assert browse(target, ADMIN).status_code == 200, (url, target)


def test_the_top_menu_page_loads_our_embed_script(proxy: str, standin: NextcloudStandIn) -> None:
    page = requests.get(f"{standin.url}/index.php/apps/app_api/embedded/nc_coop/coop", auth=ALICE, timeout=30)
    assert page.status_code == 200
    scripts = [u for u in links(page.text) if u.endswith(".js")]
    assert scripts == ["/index.php/apps/app_api/proxy/nc_coop/js/embed.js"]
    script = requests.get(standin.url + scripts[0], auth=ALICE, timeout=30)
    assert script.status_code == 200 and "iframe" in script.text


@pytest.mark.parametrize(("user", "sees_admin_link"), [("alice", False), ("bea", True), ("admin", True)])
def test_everyone_can_follow_every_link_shown_to_them(proxy: str, standin: NextcloudStandIn, user: str,
                                                      sees_admin_link: bool) -> None:
    """bea is on the board (NC_COOP_ADMIN_GROUPS) without being a Nextcloud admin."""
    standin.state.users["bea"] = StandInUser("bea", "Bea Vorstand", ["board"], "bea@example.org", language="de")
    who = (user, f"{user}-password")
    page = browse(proxy, who)
    assert page.status_code == 200
    assert ('href="admin/"' in page.text) is sees_admin_link
    for url in links(page.text):
        assert browse(urljoin(proxy, url), who).status_code == 200, url


@pytest.mark.parametrize(("path", "kind"), [("", "page"), ("no-such-page", "page"), ("admin/", "page"),
                                            ("css/app.css", "file"), ("js/embed.js", "file"),
                                            ("api/v1/memberships", "file")])
def test_every_answer_carries_nc_coops_own_policy_through_the_proxy(proxy: str, path: str, kind: str) -> None:
    """Nextcloud keeps an ExApp's own CSP and imposes a block-everything one otherwise
    (APPAPI.md "Corrections"): every page, error page and file must bring its own."""
    from nc_coop.standin.proxy import PROXY_DEFAULT_CSP  # noqa: PLC0415
    from nc_coop.web.hooks import FILE_CSP, PAGE_CSP  # noqa: PLC0415

    answer = browse(proxy + path, ALICE)
    policy = answer.headers["Content-Security-Policy"]
    assert policy != PROXY_DEFAULT_CSP
    assert policy == (PAGE_CSP if kind == "page" else FILE_CSP)
    assert "frame-ancestors 'self'" in policy and "'unsafe-inline'" not in policy

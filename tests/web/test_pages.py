# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The pages, directly against the app as AppAPI's proxy calls it: who may see what, the roles
cache, Nextcloud being down, and HTML that works under Nextcloud's proxy (relative URLs only,
no inline script under Nextcloud's CSP, theming from the instance, a skip link, the language)."""
from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
from flask import Flask
from flask.testing import FlaskClient

from nc_coop.appapi.roles import RoleCache
from nc_coop.standin import NextcloudStandIn, StandInUser
from tests.conftest import appapi_headers

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
NEXTCLOUD = "http://nc.example"
PROXY_ROOT = f"{NEXTCLOUD}/index.php/apps/app_api/proxy/nc_coop"
FOCUSABLE = {"a", "button", "input", "select", "textarea", "iframe", "summary"}


@dataclass
class Page:
    lang: str = ""
    elements: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    inline_scripts: list[str] = field(default_factory=list)
    h1: str = ""
    text: str = ""
    _in: list[str] = field(default_factory=list)

    def all(self, tag: str) -> list[dict[str, str]]:
        return [attrs for name, attrs in self.elements if name == tag]

    def first_focusable(self) -> tuple[str, dict[str, str]]:
        for name, attrs in self.elements:
            tabindex = attrs.get("tabindex")
            if tabindex is not None and int(tabindex) < 0:
                continue
            if (name in FOCUSABLE and (name != "a" or "href" in attrs)
                    and attrs.get("type") != "hidden") or tabindex is not None:
                return name, attrs
        raise AssertionError("no focusable element")


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.page.lang = values.get("lang", "")
        self.page.elements.append((tag, values))
        self.page._in.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.page._in:
            while self.page._in.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        current = self.page._in[-1] if self.page._in else ""
        if current == "script" and data.strip():
            self.page.inline_scripts.append(data)
        if current == "h1":
            self.page.h1 += data.strip()
        self.page.text += data


def parse(html: str) -> Page:
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.page


def get(client: FlaskClient, path: str, user: str, language: str = "en") -> tuple[int, Page, str]:
    """One request as AppAPI's proxy sends it for a browser.

    pytest-flask keeps a request context pushed during each test (and its ``client`` preserves
    each request's context), and a request made while an app context is active reuses it, ``g``
    included: the roles and the language of one request would leak into the next. A plain test
    client inside a fresh app context gives each request its own ``g``, as in production."""
    app = client.application
    with app.app_context():
        response = app.test_client().get(
            path, headers={**appapi_headers(user, language=language), "Accept": BROWSER_ACCEPT})
    assert response.content_type == "text/html; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    return response.status_code, parse(html), html


@pytest.fixture
def board_member(standin: NextcloudStandIn) -> str:
    """A cooperative board member: in NC_COOP_ADMIN_GROUPS ("admin,board"), not a Nextcloud admin."""
    standin.state.users["bea"] = StandInUser("bea", "Bea Vorstand", ["board"], "bea@example.org")
    return "bea"


def role_lookups(standin: NextcloudStandIn, user: str) -> int:
    return sum(1 for c in standin.state.calls if c.method == "GET" and c.path == f"/ocs/v1.php/cloud/users/{user}")


# --- Who sees what ----------------------------------------------------------------------------

def test_a_member_sees_her_membership_page(client: FlaskClient) -> None:
    status, page, _ = get(client, "/", "alice")
    assert status == 200
    assert page.h1 == "My membership"
    assert "Signed in as Alice Normal." in page.text


def test_a_member_sees_no_admin_link(client: FlaskClient) -> None:
    _, page, _ = get(client, "/", "alice")
    assert [a["href"] for a in page.all("a") if a.get("href") == "admin/"] == []
    _, page, _ = get(client, "/", "admin")
    assert [a["href"] for a in page.all("a") if a.get("href") == "admin/"] == ["admin/"]


def test_the_app_refuses_admin_pages_to_members_itself(client: FlaskClient) -> None:
    """info.xml has no ADMIN route (the board are not Nextcloud admins): nc_coop is the only check."""
    status, page, _ = get(client, "/admin/", "alice")
    assert status == 403
    assert page.h1 == "Error 403"
    assert "You are not allowed to see this page." in page.text
    assert "System status" not in page.text


@pytest.mark.parametrize("user", ["admin", "bea"])
def test_nextcloud_admins_and_the_board_see_the_system_status(client: FlaskClient, board_member: str,
                                                              user: str) -> None:
    status, page, _ = get(client, "/admin/", user)
    assert status == 200
    assert page.h1 == "System status"
    assert "admin, board" in page.text  # the configured admin groups


def test_roles_are_fetched_once_per_request_and_cached_across_requests(client: FlaskClient,
                                                                      standin: NextcloudStandIn) -> None:
    for _ in range(3):
        assert get(client, "/", "alice")[0] == 200
    assert role_lookups(standin, "alice") == 1
    assert get(client, "/", "admin")[0] == 200  # the cache is per user
    assert role_lookups(standin, "admin") == 1


def test_without_the_cache_each_request_still_asks_only_once(app: Flask, client: FlaskClient,
                                                            standin: NextcloudStandIn) -> None:
    """The view and the page header both need the roles; one lookup serves both."""
    app.extensions["nc_coop.roles"] = RoleCache(0)
    for expected in (1, 2):
        assert get(client, "/", "alice")[0] == 200
        assert role_lookups(standin, "alice") == expected
    assert get(client, "/admin/", "admin")[0] == 200
    assert role_lookups(standin, "admin") == 1


# --- Nextcloud down ---------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/admin/"])
def test_when_nextcloud_is_down_a_page_says_so_with_503(client: FlaskClient, standin: NextcloudStandIn,
                                                         path: str) -> None:
    standin.stop()
    status, page, _ = get(client, path, "alice")
    assert status == 503
    assert page.h1 == "Error 503"
    assert "Nextcloud cannot be reached right now. Please try again in a moment." in page.text
    status, page, _ = get(client, path, "alice", language="de")
    assert status == 503 and page.lang == "de"
    assert "Nextcloud ist gerade nicht erreichbar." in page.text


def test_when_nextcloud_is_down_an_unknown_path_is_still_a_404(client: FlaskClient,
                                                               standin: NextcloudStandIn) -> None:
    standin.stop()
    status, page, _ = get(client, "/no/such/page", "alice")
    assert status == 404
    assert "This page does not exist." in page.text


# --- Language and error pages -----------------------------------------------------------------

@pytest.mark.parametrize(("accept_language", "lang", "title"), [
    ("en", "en", "My membership"),
    ("de", "de", "Meine Mitgliedschaft"),
    ("de-DE,de;q=0.9,en;q=0.5", "de", "Meine Mitgliedschaft"),
    ("fr", "en", "My membership"),
])
def test_the_language_follows_accept_language(client: FlaskClient, accept_language: str, lang: str,
                                              title: str) -> None:
    _, page, _ = get(client, "/", "alice", language=accept_language)
    assert page.lang == lang
    assert page.h1 == title


@pytest.mark.parametrize(("language", "heading", "message"), [
    ("en", "Error 404", "This page does not exist."),
    ("de", "Fehler 404", "Diese Seite gibt es nicht."),
])
def test_an_unknown_path_is_a_proper_page_in_the_users_language(client: FlaskClient, language: str,
                                                                heading: str, message: str) -> None:
    status, page, _ = get(client, "/no/such/page", "alice", language=language)
    assert status == 404
    assert page.lang == language
    assert page.h1 == heading
    assert message in page.text
    assert page.all("link"), "the error page uses the normal layout and styles"


# --- HTML that works under Nextcloud's proxy --------------------------------------------------

PAGES = [  # (path, user, expected status)
    ("/", "alice", 200),
    ("/admin/", "admin", 200),
    ("/admin/", "alice", 403),
    ("/no/such/page", "alice", 404),
    ("/admin/no/such/page", "admin", 404),
]


def _urls(page: Page) -> list[str]:
    return [attrs[key] for _, attrs in page.elements for key in ("href", "src", "action") if key in attrs]


@pytest.mark.parametrize(("path", "user", "status"), PAGES)
def test_scripts_are_same_origin_files_and_nothing_is_inline(client: FlaskClient, path: str, user: str,
                                                            status: int) -> None:
    code, page, _ = get(client, path, user)
    assert code == status
    scripts = page.all("script")
    assert scripts, "theme.js is expected on every page"
    for script in scripts:
        src = script.get("src", "")
        assert src and "://" not in src and not src.startswith(("/", "//", "data:", "javascript:")), src
        assert urljoin(PROXY_ROOT + path, src).startswith(PROXY_ROOT + "/js/")
    assert page.inline_scripts == []
    handlers = [(tag, name) for tag, attrs in page.elements for name in attrs if name.startswith("on")]
    assert handlers == []
    assert not [u for u in _urls(page) if u.strip().lower().startswith("javascript:")]


@pytest.mark.parametrize(("path", "user", "status"), PAGES)
def test_every_link_is_relative(client: FlaskClient, path: str, user: str, status: int) -> None:
    code, page, _ = get(client, path, user)
    assert code == status
    urls = _urls(page)
    assert len(urls) >= 6  # theming sheets, app.css, theme.js, skip link, navigation
    for url in urls:
        assert ":" not in url.split("/")[0] and not url.startswith("/"), f"not relative: {url}"
        resolved = urljoin(PROXY_ROOT + path, url)
        assert resolved.startswith(f"{NEXTCLOUD}/index.php/apps/"), (url, resolved)


@pytest.mark.parametrize("path", ["/", "/admin/", "/admin/no/such/page"])
def test_theming_links_reach_nextclouds_theming_app(client: FlaskClient, path: str) -> None:
    _, page, _ = get(client, path, "admin")
    sheets = {urljoin(PROXY_ROOT + path, link["href"]): link for link in page.all("link")
              if link.get("rel") == "stylesheet"}
    theming = f"{NEXTCLOUD}/index.php/apps/theming/theme"
    assert f"{theming}/default.css?plain=1" in sheets
    assert "media" not in sheets[f"{theming}/default.css?plain=1"]
    assert sheets[f"{theming}/dark.css?plain=1"]["media"] == "(prefers-color-scheme: dark)"
    assert f"{PROXY_ROOT}/css/app.css" in sheets
    order = list(sheets)
    assert order.index(f"{theming}/default.css?plain=1") < order.index(f"{PROXY_ROOT}/css/app.css")


@pytest.mark.parametrize(("path", "user", "status"), PAGES)
def test_a_skip_link_to_main_comes_first(client: FlaskClient, path: str, user: str, status: int) -> None:
    code, page, _ = get(client, path, user)
    assert code == status
    tag, attrs = page.first_focusable()
    assert (tag, attrs.get("href")) == ("a", "#main")
    assert [a for _, a in page.elements if a.get("id") == "main"], "the skip link's target exists"


def test_the_skip_link_is_translated(client: FlaskClient) -> None:
    _, page, html = get(client, "/", "alice", language="de")
    assert "Zum Inhalt springen" in html
    assert page.lang == "de"


def test_the_page_names_the_app_and_the_section(client: FlaskClient) -> None:
    _, _, html = get(client, "/admin/", "admin")
    assert "<title>System status – Cooperative</title>" in html
    _, _, html = get(client, "/admin/", "admin", language="de")
    assert "<title>Systemstatus – Genossenschaft</title>" in html

# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The browser's side of the stand-in: AppAPI's proxy, the top-menu page, login, theming CSS.

The proxy behaves as APPAPI.md §3.3 describes AppAPI 34's ``ExAppProxyController``: the first
route matching path and verb decides; every denial is a 404; the browser's headers (Host,
Cookie, Authorization) are forwarded; responses without Cache-Control get an hour of caching.
Where a real Nextcloud 34 was observed to be stricter than its sources suggest (APPAPI.md
"Corrections"), the stand-in is as strict as the real one: it follows the ExApp's redirects on
the server, and a response without its own CSP gets Nextcloud's block-everything policy.
"""
from __future__ import annotations

import secrets
from typing import TYPE_CHECKING
from urllib.parse import urljoin

import requests
from flask import Blueprint, Response, current_app, redirect, render_template_string, request

from nc_coop.standin.state import ACCESS_LEVELS, StandInState, StandInUser
from nc_coop.standin.theming import theme_css

if TYPE_CHECKING:
    from nc_coop.standin.server import NextcloudStandIn

bp = Blueprint("proxy", __name__)
SESSION_COOKIE = "nc_standin_session"
_STRIPPED_REQUEST = {"content-length", "authorization-app-api", "x-origin-ip", "connection", "accept-encoding"}
_STRIPPED_RESPONSE = {"aa-version", "ex-app-id", "ex-app-version", "authorization-app-api", "aa-request-id",
                      "transfer-encoding", "content-length", "connection", "server", "date", "content-encoding"}
# Observed on Nextcloud 34.0.1 + AppAPI 34.0.0 (APPAPI.md "Corrections", CSP): a proxied response
# without its own Content-Security-Policy reaches the browser with exactly this policy; one that
# carries its own keeps it (ProxyResponse merges the ExApp's headers over Nextcloud's defaults).
PROXY_DEFAULT_CSP = "default-src 'none';base-uri 'none';manifest-src 'self';frame-ancestors 'none'"
# Nextcloud's policy for its own pages, with what AppAPI's TopMenuController adds for the
# top-menu page: 'unsafe-eval', 'unsafe-inline' and frame-src for its own host (APPAPI.md §4).
# Whether the framed ExApp page may show inside it is then up to that page's frame-ancestors.
EMBEDDED_PAGE_CSP = ("default-src 'none';base-uri 'none';manifest-src 'self';"
                     "script-src 'self' 'unsafe-eval' 'unsafe-inline';style-src 'self' 'unsafe-inline';"
                     "img-src 'self' data: blob:;font-src 'self' data:;connect-src 'self';media-src 'self';"
                     "frame-src 'self' {host};frame-ancestors 'self';form-action 'self'")
# Guzzle's default allow_redirects (AppAPI does not change it): at most 5 redirects.
MAX_REDIRECTS = 5


def _standin() -> NextcloudStandIn:
    return current_app.config["STANDIN"]


def _state() -> StandInState:
    return _standin().state


def _not_found() -> Response:
    return Response("<!DOCTYPE html><title>Not found</title><h1>Page not found</h1>", 404,
                    {"Content-Type": "text/html; charset=utf-8"})


def current_user() -> StandInUser | None | Response:
    """Basic auth (login or app password), else the stand-in's session cookie, else anonymous."""
    state = _state()
    auth = request.authorization
    if auth and auth.type == "basic":
        user = state.users.get(auth.username or "")
        if user and (auth.password == user.password or auth.password in user.app_passwords):
            return user
        return Response('{"message":""}', 401, {"Content-Type": "application/json"})
    user_id = state.sessions.get(request.cookies.get(SESSION_COOKIE, ""))
    return state.users.get(user_id) if user_id else None


# The roots have endpoints of their own: two rules of one endpoint that both provide the default
# path would make Werkzeug redirect one root to the other (redirect_defaults).
@bp.route("/index.php/apps/app_api/proxy/<app_id>/", defaults={"path": ""}, methods=["GET"], endpoint="proxy_root")
@bp.route("/apps/app_api/proxy/<app_id>/", defaults={"path": ""}, methods=["GET"], endpoint="proxy_pretty_root")
@bp.route("/index.php/apps/app_api/proxy/<app_id>/<path:path>", methods=["GET", "POST", "PUT", "DELETE"])
@bp.route("/apps/app_api/proxy/<app_id>/<path:path>", methods=["GET", "POST", "PUT", "DELETE"])
def proxy(app_id: str, path: str) -> Response:
    app = _state().exapp
    user = current_user()
    if isinstance(user, Response):
        return user
    if app is None or app.app_id != app_id or not app.enabled or ".." in path.split("/"):
        return _not_found()
    route = next((r for r in app.routes if r.matches("/" + path, request.method)), None)
    if route is None:
        return _not_found()
    if route.access_level >= ACCESS_LEVELS["USER"] and user is None:
        return _not_found()
    if route.access_level == ACCESS_LEVELS["ADMIN"] and not (user and user.is_admin):
        return _not_found()

    excluded = _STRIPPED_REQUEST | set(route.headers_to_exclude)
    headers = {k: v for k, v in request.headers.items() if k.lower() not in excluded}
    headers["X-Origin-IP"] = request.remote_addr or "127.0.0.1"
    headers.update({
        "AA-VERSION": _standin().aa_version, "EX-APP-ID": app.app_id, "EX-APP-VERSION": app.version,
        "AUTHORIZATION-APP-API": app.auth_header(user.user_id if user else ""),
        "AA-REQUEST-ID": secrets.token_urlsafe(15)[:20], "Accept-Language": user.language if user else "en",
    })
    upstream = _send_following_redirects(f"{app.url}/{path}", headers)
    response = Response(upstream.content, upstream.status_code)
    for key, value in upstream.headers.items():
        if key.lower() not in _STRIPPED_RESPONSE:
            response.headers[key] = value
    content_type = upstream.headers.get("Content-Type", "")
    if ("Cache-Control" not in upstream.headers and not path.endswith(".html")
            and content_type not in ("application/json", "application/x-tar")):
        response.headers["Cache-Control"] = "max-age=3600"  # AppAPI's cacheFor(3600)
    if "Content-Security-Policy" not in upstream.headers:
        response.headers["Content-Security-Policy"] = PROXY_DEFAULT_CSP
    if user:
        response.headers["X-User-Id"] = user.user_id
    return response


def _send_following_redirects(url: str, headers: dict[str, str]) -> requests.Response:
    """Send the browser's request on to the ExApp, and follow its redirects here, on the server.

    Observed on Nextcloud 34 (APPAPI.md "Corrections", Redirects): the proxy's Guzzle client
    follows a redirect itself, with the same headers (the ExApp sees the same AA-REQUEST-ID),
    and the browser gets the final answer at the URL it asked for. As Guzzle's default
    (``strict`` off): 301, 302 and 303 continue as GET without a body, 307 and 308 repeat the
    method and body. The browser never sees the 3xx, unless more than five follow each other.
    """
    method, body = request.method, request.get_data()
    params: list[tuple[str, str]] | None = list(request.args.items(multi=True))
    with requests.Session() as session:
        for _ in range(MAX_REDIRECTS + 1 if _state().proxy_follows_redirects else 1):
            upstream = session.request(method, url, params=params, headers=headers, data=body,
                                       allow_redirects=False, timeout=60)
            location = upstream.headers.get("Location")
            if upstream.status_code not in (301, 302, 303, 307, 308) or not location:
                return upstream
            url, params = urljoin(upstream.url, location), None  # the query now comes with the URL
            if upstream.status_code in (301, 302, 303):
                method, body = "GET", b""
                headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
    return upstream


_SHELL = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }} – Nextcloud stand-in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/index.php/apps/theming/theme/default.css?plain=1">
<link rel="stylesheet" media="(prefers-color-scheme: dark)" href="/index.php/apps/theming/theme/dark.css?plain=1">
<link rel="stylesheet" href="/index.php/apps/theming/theme/standin-shell.css">
{% for src in scripts %}<script src="{{ src }}" defer></script>{% endfor %}
</head><body>
<header id="header"><span class="brand">Nextcloud stand-in</span>
<nav>{% for entry in menu %}<a href="/index.php/apps/app_api/embedded/{{ entry.appid }}/{{ entry.name }}">{{ entry.display_name }}</a>{% endfor %}</nav>
<span class="who">{% if user %}{{ user.display_name }} · <a href="/index.php/login">switch user</a>{% endif %}</span></header>
<div id="content">{{ body|safe }}</div>
</body></html>"""

_LOGIN = """<main class="login"><h1>Log in (demo)</h1>
<p>This stand-in replaces Nextcloud for the demo. Choose who you are:</p>
<form method="post" action="/index.php/login">{% for u in users %}
<p><button name="user" value="{{ u.user_id }}">{{ u.display_name }} ({{ u.user_id }}{% if u.is_admin %}, admin{% endif %})</button></p>
{% endfor %}</form></main>"""


@bp.route("/index.php/login", methods=["GET", "POST"])
def login() -> Response:
    state = _state()
    if request.method == "POST":
        user = state.users.get(request.form.get("user", ""))
        if user is None:
            return _not_found()
        token = secrets.token_urlsafe(24)
        with state.lock:
            state.sessions[token] = user.user_id
        target = next(iter(state.top_menu.values()), None)
        response = redirect(f"/index.php/apps/app_api/embedded/{target['appid']}/{target['name']}"
                            if target else "/index.php/login", 303)
        response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="Lax")
        return response
    body = render_template_string(_LOGIN, users=sorted(state.users.values(), key=lambda u: u.user_id))
    return Response(render_template_string(_SHELL, title="Log in", scripts=[], menu=[], user=None, body=body))


@bp.get("/")
def root() -> Response:
    return redirect("/index.php/login", 302)


@bp.get("/index.php/apps/app_api/embedded/<app_id>/<name>")
def embedded(app_id: str, name: str) -> Response:
    """The top-menu page: Nextcloud's shell with ``<div id="content">`` and the ExApp's scripts."""
    state = _state()
    user = current_user()
    if isinstance(user, Response) or user is None:
        return redirect("/index.php/login", 303)
    entry = state.top_menu.get(name)
    if state.exapp is None or state.exapp.app_id != app_id or not state.exapp.enabled or entry is None:
        return _not_found()
    if entry["admin_required"] and not user.is_admin:
        return _not_found()
    menu = [e for e in state.top_menu.values() if user.is_admin or not e["admin_required"]]
    scripts = [f"/index.php/apps/app_api/proxy/{app_id}/{s['path']}.js"
               for s in state.scripts if s["type"] == "top_menu" and s["name"] == name]
    page = Response(render_template_string(_SHELL, title=entry["display_name"], scripts=scripts, menu=menu,
                                           user=user, body=""))
    page.headers["Content-Security-Policy"] = EMBEDDED_PAGE_CSP.format(host=request.host_url.rstrip("/"))
    return page


@bp.get("/index.php/apps/theming/theme/<theme>.css")
@bp.get("/apps/theming/theme/<theme>.css")
def theming(theme: str) -> Response:
    css = theme_css(theme, plain=request.args.get("plain") == "1")
    if css is None:
        return _not_found()
    return Response(css, 200, {"Content-Type": "text/css; charset=utf-8", "Cache-Control": "max-age=3600"})

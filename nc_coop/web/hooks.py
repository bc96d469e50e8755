# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Response headers, the access log line and error pages."""
from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from nc_coop.web import csrf
from nc_coop.web.text import printable

log = logging.getLogger("nc_coop.access")

# Our own policy on every response. Without one, Nextcloud 34's proxy imposes one that blocks all
# CSS, JS and framing (APPAPI.md "Corrections"). 'self' is Nextcloud's origin: our pages, the
# static files and Nextcloud's theming CSS all come through it. No inline script or style.
PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self' data:; "
            "connect-src 'self'; form-action 'self'; frame-ancestors 'self'; base-uri 'none'; object-src 'none'")
# Files (PDFs, CSV, documents): nothing may run in them; object-src 'self' lets Chromium's PDF
# viewer show a PDF opened in the browser (it counts as a plugin of the document itself).
FILE_CSP = "default-src 'none'; object-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'none'"

ERROR_TEXT = {
    400: _l("The request could not be understood."),
    403: _l("You are not allowed to see this page."),
    404: _l("This page does not exist."),
    405: _l("This action is not possible here."),
    413: _l("The upload is too large."),
    500: _l("Something went wrong on our side. The error has been logged."),
    502: _l("Nextcloud refused nc_coop's request. An administrator should check the app's registration."),
    503: _l("Nextcloud cannot be reached right now. Please try again in a moment."),
}


def init_app(app: Flask) -> None:
    app.before_request(_start_timer)
    app.before_request(csrf.protect)
    app.after_request(_headers_and_log)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)


def _start_timer() -> None:
    g.started = time.perf_counter()


def _headers_and_log(response: Response) -> Response:
    if request.endpoint != "web.static_file":
        # Without it Nextcloud's proxy lets browsers cache our pages for an hour (APPAPI.md §3.3).
        response.headers["Cache-Control"] = "no-store"
    response.headers.setdefault("Content-Security-Policy",
                                PAGE_CSP if response.mimetype == "text/html" else FILE_CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
    # Path only: no query string, no header. The user id and Nextcloud's request id correlate.
    # All three come from the request (the path URL-decoded): escaped, so a newline in them cannot
    # start a forged log line, and nothing is dropped.
    log.info("%s %s %s user=%s rid=%s %.1fms", request.method, printable(request.path), response.status_code,
             printable(g.get("user_id", "-") or "-"), printable(g.get("request_id", "-")), elapsed)
    return response


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return request.path.startswith("/api/") or best == "application/json"


def _error_response(code: int, message: str | None = None) -> Response | tuple[str, int]:
    if code == 401:  # generic on purpose: says nothing about what was wrong
        response = jsonify({"error": "Unauthorized"})
        response.status_code = 401
        return response
    text = message or str(ERROR_TEXT.get(code, _l("Error")))
    if _wants_json() or request.endpoint in ("appapi.init", "appapi.enabled") or "user_id" not in g:
        response = jsonify({"error": text})
        response.status_code = code
        return response
    g.error_code = code  # base.html then never lets a failing Nextcloud break the error page
    return render_template("errors/error.html", code=code, message=text), code


def _http_error(exc: HTTPException) -> Response | tuple[str, int]:
    if exc.response is not None:  # abort(response): the view already built the answer
        return exc.response
    if isinstance(exc, csrf.FormExpired):
        return _error_response(403, str(csrf.EXPIRED_TEXT))
    return _error_response(exc.code or 500)


def _unexpected_error(exc: Exception) -> Response | tuple[str, int]:
    log.exception("Unhandled error in %s %s (rid=%s)", request.method, request.path, g.get("request_id"))
    return _error_response(500)

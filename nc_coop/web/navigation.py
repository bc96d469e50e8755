# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Where the browser goes after a form: Post/Redirect/Get that survives Nextcloud's proxy.

A 303 is not enough behind AppAPI: its proxy follows redirects on the server and hands the
browser the target's page at the POST's URL (APPAPI.md "Corrections", Redirects). The page's
relative links then resolve against the wrong folder, and a reload sends the form again.

So a successful form is answered with a small 200 page that moves the browser to the target:
``location.replace`` (navigate.js) replaces the POST's history entry with the target, so a
reload or Back never resubmits, and ``<meta http-equiv="refresh">`` does the same without
JavaScript (the refresh replaces the entry too, per the HTML standard). A proxy that follows
redirects has nothing to follow, and one that does not (HaRP, a plain reverse proxy) passes the
page through unchanged: one answer for both.
"""
from __future__ import annotations

from flask import Response, render_template


def see_other(target: str) -> Response:
    """Move the browser to ``target``, a URL relative to the current request (``rel_url_for``)."""
    response = Response(render_template("web/see_other.html", target=target), 200,
                        {"Content-Type": "text/html; charset=utf-8"})
    # For scripts and tests: where this answer sends the browser (not a Location header, which
    # a redirect-following proxy would not act on for a 200 anyway).
    response.headers["X-NC-Coop-Continue"] = target
    return response

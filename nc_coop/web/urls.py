# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Relative URLs: the browser sees our pages under Nextcloud's proxy prefix, which we never know.

A page at ``/admin/`` is shown at ``<nextcloud>/index.php/apps/app_api/proxy/nc_coop/admin/``, so
every link is written relative to the current request path (APPAPI.md §3.3: never absolute).
"""
from __future__ import annotations

import posixpath
from typing import Any

from flask import request, url_for
from werkzeug.routing import IntegerConverter, Map

# The largest id the database holds (BIGINT); the same bound the schemas put on ids.
MAX_URL_INT = 2**63 - 1


def _at_most(limit: int) -> str:
    """A regular expression for the decimal numbers 0..``limit`` (leading zeros allowed)."""
    digits = str(limit)
    shorter = f"[0-9]{{1,{len(digits) - 1}}}"
    # The same length: equal to ``limit`` up to position i, smaller there, anything after.
    same = [f"{digits[:i]}[0-{int(d) - 1}][0-9]{{{len(digits) - i - 1}}}" for i, d in enumerate(digits) if d != "0"]
    return "0*(?:" + "|".join([shorter, *same, digits]) + ")"


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` in every route: ASCII digits up to the database's BIGINT. A larger number
    matches no route, so it is a 404 (for any method) instead of a query the database refuses
    (a 500). The bound is in the pattern: a value refused after matching would make werkzeug
    answer 405 when the path has a route for another method."""

    regex = _at_most(MAX_URL_INT)

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None,  # noqa: A002 - werkzeug's names
                 max: int | None = MAX_URL_INT, signed: bool = False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def relative_to_current(target: str, current: str | None = None) -> str:
    """``target`` (an app path like ``/admin/``) as a path relative to ``current``."""
    current = current if current is not None else request.path
    base = current if current.endswith("/") else posixpath.dirname(current) + "/"
    path, _, query = target.partition("?")
    # Relate the target's folder, then append its last segment: relpath("/admin", "/admin/")
    # would give ".", which the browser resolves to ".../admin/", not ".../admin".
    folder, _, name = path.rpartition("/")
    rel_folder = posixpath.relpath(folder + "/", base)
    rel = name if rel_folder == "." else f"{rel_folder}/{name}"
    if rel == "" or ":" in rel.split("/")[0]:
        rel = "./" + rel  # "" is the folder itself; "a:b" would read as a URL scheme
    return rel + ("?" + query if query else "")


def rel_url_for(endpoint: str, **values: Any) -> str:
    """``url_for`` made relative to the page being rendered."""
    return relative_to_current(url_for(endpoint, **values))


def nextcloud_apps_url(path: str) -> str:
    """A URL under Nextcloud's ``…/apps/`` (e.g. the theming CSS), relative to the page.

    The proxy root ``…/apps/app_api/proxy/<appid>/`` is three levels below ``…/apps/``, with
    and without ``index.php`` in the URL."""
    to_proxy_root = relative_to_current("/")
    prefix = "" if to_proxy_root == "./" else to_proxy_root
    return f"{prefix}../../../{path.lstrip('/')}"

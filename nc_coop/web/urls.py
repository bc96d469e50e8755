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

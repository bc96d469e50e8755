# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Relative URLs: the browser sees our pages under a proxy prefix we never know, so every link
must resolve correctly from wherever the page is, at any depth, with or without a trailing slash."""
from __future__ import annotations

from urllib.parse import urljoin

import pytest
from flask import Flask

from nc_coop.web.urls import nextcloud_apps_url, relative_to_current

# The proxy prefix as a browser sees it, with and without index.php and under a sub-path install.
PROXY_ROOTS = [
    "http://nc.example/index.php/apps/app_api/proxy/nc_coop",
    "http://nc.example/apps/app_api/proxy/nc_coop",
    "http://nc.example/cloud/index.php/apps/app_api/proxy/nc_coop",
]


@pytest.mark.parametrize(("current", "target", "expected"), [
    # depth 0: the proxy root itself
    ("/", "/", "./"),
    ("/", "/admin/", "admin/"),
    ("/", "/css/app.css", "css/app.css"),
    ("/", "/admin/?tab=db&x=1", "admin/?tab=db&x=1"),
    # depth 1, without and with a trailing slash
    ("/admin", "/", "./"),
    ("/admin", "/admin/", "admin/"),
    ("/admin", "/css/app.css", "css/app.css"),
    ("/admin/", "/", "../"),
    ("/admin/", "/admin/", "./"),
    ("/admin/", "/admin", "../admin"),
    ("/admin/", "/css/app.css", "../css/app.css"),
    ("/admin/", "/admin/members?page=2", "members?page=2"),
    # depth 2, without and with a trailing slash
    ("/admin/members", "/", "../"),
    ("/admin/members", "/admin/", "./"),
    ("/admin/members", "/admin", "../admin"),
    ("/admin/members", "/js/embed.js", "../js/embed.js"),
    ("/admin/members/", "/", "../../"),
    ("/admin/members/", "/admin/", "../"),
    ("/admin/members/", "/admin/members", "../members"),
    ("/admin/members/", "/admin/members/", "./"),
    ("/admin/members/", "/img/app.svg", "../../img/app.svg"),
    # a first segment with a colon would otherwise be read as a URL scheme
    ("/", "/a:b", "./a:b"),
])
def test_relative_to_current(current: str, target: str, expected: str) -> None:
    rel = relative_to_current(target, current)
    assert rel == expected
    assert not rel.startswith("/") and "://" not in rel
    for root in PROXY_ROOTS:
        assert urljoin(root + current, rel) == root + target, (root, current, target)


@pytest.mark.parametrize(("current", "expected"), [
    ("/", "../../../theming/theme/default.css?plain=1"),
    ("/admin", "../../../theming/theme/default.css?plain=1"),
    ("/admin/", "../../../../theming/theme/default.css?plain=1"),
    ("/admin/members", "../../../../theming/theme/default.css?plain=1"),
    ("/admin/members/", "../../../../../theming/theme/default.css?plain=1"),
])
def test_nextcloud_apps_url(current: str, expected: str) -> None:
    with Flask(__name__).test_request_context(current):
        rel = nextcloud_apps_url("theming/theme/default.css?plain=1")
        assert nextcloud_apps_url("/theming/theme/default.css?plain=1") == rel  # a leading / is tolerated
    assert rel == expected
    for root in PROXY_ROOTS:
        nextcloud = root.removesuffix("/apps/app_api/proxy/nc_coop")
        assert urljoin(root + current, rel) == f"{nextcloud}/apps/theming/theme/default.css?plain=1"

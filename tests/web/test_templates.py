# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Template mechanics a browser depends on: form attributes that are real attributes, and labels
imported so that they follow each request's language."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from markupsafe import Markup

from nc_coop.web.markup import html_attrs
from tests.conftest import appapi_headers
from tests.web.test_pages import parse

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def _page(client: FlaskClient, path: str, user: str = "admin") -> str:
    app = client.application
    with app.app_context():  # a fresh app context per request: each has its own g, as in production
        response = app.test_client().get(path, headers=appapi_headers(user))
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_a_number_input_carries_its_minimum_as_a_real_attribute(client: FlaskClient) -> None:
    html = _page(client, "/admin/members/new")
    assert '<input id="f-shares" name="shares" type="number" value="" min="1"' in html
    (shares,) = [attrs for attrs in parse(html).all("input") if attrs.get("name") == "shares"]
    assert shares["min"] == "1"


def test_html_attrs_escapes_values_and_refuses_names_that_are_not_plain() -> None:
    assert html_attrs({"min": 1, "max": 2999}) == Markup('min="1" max="2999"')
    assert html_attrs({"placeholder": '"><script>'}) == Markup('placeholder="&#34;&gt;&lt;script&gt;"')
    assert html_attrs({"required": True, "disabled": False, "step": None}) == Markup("required")
    assert html_attrs(None) == Markup("")
    for name in ('min="1" onfocus', "onclick", "style", "x y", "Min", "a>b", ""):
        with pytest.raises(ValueError, match="not an allowed attribute name"):
            html_attrs({name: "1"})


def test_no_template_passes_attributes_as_text() -> None:
    """A string would be escaped again (min=&#34;1&#34;): the macro takes a mapping."""
    offenders = [str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html")
                 if re.search(r"\battrs\s*=\s*['\"]", p.read_text(encoding="utf-8"))]
    assert offenders == []


# --- Labels in the language of each request ---------------------------------------------------------

def _translates_at_top_level(path: Path) -> bool:
    """A template that sets translated values outside any macro: importing it runs _() once."""
    text = re.sub(r"{%-?\s*macro\b.*?{%-?\s*endmacro\s*-?%}", "", path.read_text(encoding="utf-8"), flags=re.S)
    return bool(re.search(r"{%-?\s*set\b[^%]*\b_\(", text, flags=re.S))


def test_every_import_of_translated_labels_is_with_context() -> None:
    """Jinja caches a template imported without context: its labels would keep the language of
    the first page that imported it."""
    imports = re.compile(r"{%-?\s*(?:from\s+\"([^\"]+)\"\s+import|import\s+\"([^\"]+)\")([^%]*)%}")
    offenders = []
    for page in TEMPLATES.rglob("*.html"):
        for match in imports.finditer(page.read_text(encoding="utf-8")):
            imported = TEMPLATES / (match.group(1) or match.group(2))
            if _translates_at_top_level(imported) and "with context" not in match.group(3):
                offenders.append(f"{page.relative_to(TEMPLATES)} imports {imported.relative_to(TEMPLATES)}")
    assert offenders == []
    assert _translates_at_top_level(TEMPLATES / "documents" / "_labels.html")  # the check sees the labels

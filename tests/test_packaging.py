# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The manifest, the README's registration command and the translations are what AppAPI needs."""
from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from nc_coop.standin.state import routes_from_info_xml

ROOT = Path(__file__).resolve().parent.parent
INFO = ROOT / "appinfo" / "info.xml"
TRANSLATIONS = ROOT / "nc_coop" / "translations"


def test_info_xml_has_what_appapi_reads() -> None:
    root = ET.parse(INFO).getroot()
    assert root.tag == "info"
    for field in ("id", "name", "summary", "description", "version", "licence", "author", "namespace", "category"):
        assert (root.findtext(field) or "").strip(), field
    assert root.findtext("id") == "nc_coop" and root.findtext("licence") == "agpl"
    assert root.findtext("version") == _pyproject_version()
    assert root.find("./external-app/docker-install/image") is not None
    for route in root.iterfind("./external-app/routes/route"):
        assert route.findtext("url", "").startswith("^/"), "HaRP matches with re.match on /path"
        assert route.findtext("access_level") in {"PUBLIC", "USER", "ADMIN"}
        json.loads(route.findtext("headers_to_exclude", "[]"))


def test_specific_routes_come_before_the_catch_all() -> None:
    routes = routes_from_info_xml(INFO)
    assert routes[-1].url == "^/.*", "the catch-all must be last: the first match wins"
    for earlier in routes[:-1]:
        assert earlier.url != "^/.*"
    # The first match decides: static files PUBLIC, everything else USER. Admin pages are USER
    # on purpose (board members are not Nextcloud admins); nc_coop checks the role itself.
    first = {path: next(r for r in routes if r.matches(path, "GET")).access_level
             for path in ("/admin/", "/css/app.css", "/js/embed.js", "/", "/api/x", "/jsx")}
    assert first == {"/admin/": 1, "/css/app.css": 0, "/js/embed.js": 0, "/": 1, "/api/x": 1, "/jsx": 1}


def test_readme_json_info_uses_integer_access_levels_and_the_same_routes() -> None:
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"--json-info '(\{.*?\})'", readme)
    assert match, "README must show the manual-install registration"
    info = json.loads(match.group(1))
    assert info["id"] == "nc_coop" and info["version"] == _pyproject_version()
    assert all(isinstance(r["access_level"], int) for r in info["routes"])
    xml_routes = [(r.url, r.verb, r.access_level) for r in routes_from_info_xml(INFO)]
    assert [(r["url"], r["verb"], r["access_level"]) for r in info["routes"]] == xml_routes


def _pyproject_version() -> str:
    return re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M).group(1)


@pytest.mark.parametrize("po_path", sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")), ids=lambda p: p.parts[-3])
def test_translations_are_complete_and_compiled(po_path: Path) -> None:
    catalog = read_po(io.BytesIO(po_path.read_bytes()))
    template = read_po(io.BytesIO((TRANSLATIONS / "messages.pot").read_bytes()))
    untranslated = [m.id for m in template if m.id and not (
        catalog.get(m.id) and all(catalog.get(m.id).string if m.pluralizable else [catalog.get(m.id).string]))]
    assert untranslated == [], "run pybabel update and translate"
    committed = read_mo(io.BytesIO(po_path.with_suffix(".mo").read_bytes()))
    def plain(messages: object) -> dict[object, object]:
        """Plural ids and strings come as lists from .mo and tuples from .po."""
        as_key = (lambda v: tuple(v) if isinstance(v, (list, tuple)) else v)
        return {as_key(m.id): as_key(m.string) for m in messages if m.id}  # type: ignore[attr-defined]

    assert plain(committed) == plain(catalog), \
        "messages.mo is older than messages.po: run nc-coop i18n compile"


def test_every_source_file_has_an_spdx_header() -> None:
    missing = []
    for path in ROOT.glob("**/*"):
        if (path.suffix in {".py", ".html", ".css", ".js", ".sh", ".xml", ".toml", ".ldif"} and path.is_file()
                and not any(part in {".venv", "node_modules", "recordings", "fixtures"} for part in path.parts)
                and path.parent.name != "l10n"):
            if "SPDX-License-Identifier: AGPL-3.0-or-later" not in path.read_text(errors="replace")[:600]:
                missing.append(str(path.relative_to(ROOT)))
    assert missing == []

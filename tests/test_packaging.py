# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The manifest, the README's registration command and the translations are what AppAPI needs."""
from __future__ import annotations

import ast
import dataclasses
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from nc_coop.config import load_settings
from nc_coop.documents.settings import load_documents_settings
from nc_coop.ldapsync.settings import Attributes, load_ldap_settings
from nc_coop.quota.settings import load_quota_settings
from nc_coop.register.statute import MandatoryShares, StatuteParams
from nc_coop.register.statutes import params_from_json, params_to_json
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


# --- The settings AppAPI passes: info.xml declares every one the code reads ---------------------

# Set by AppAPI itself for every ExApp (never declared), or not an admin's setting at all.
SET_BY_APPAPI = {"APP_ID", "APP_SECRET", "APP_VERSION", "APP_HOST", "APP_PORT", "NEXTCLOUD_URL", "AA_VERSION",
                 "APP_PERSISTENT_STORAGE", "HP_SHARED_KEY"}
NOT_SETTINGS = {
    "NC_COOP_DEMO": "set by `nc-coop demo` only",
    "NC_COOP_DEMO_DATABASE_URL": "`nc-coop demo` only",
    "USER": "the operator's login, the actor of CLI changes",
}
# nc_coop.config's readers: the variable's name is their second argument (after environ);
# read_secret also reads NAME_FILE. ``environ.get(NAME)`` reads directly ("source": load_settings'
# copy of the environment with the factory's overrides).
_ENV_READERS = {"env_value": (1, ""), "env_setting": (1, ""), "read_secret": (1, "")}
_ENVIRONS = {"environ", "os.environ", "source"}
_SETTING_NAME = re.compile(r"^(?:NC_COOP_[A-Z0-9_]*[A-Z0-9]|DATABASE_URL)$")


def _declared_variables() -> dict[str, dict[str, str | None]]:
    declared: dict[str, dict[str, str | None]] = {}
    for node in ET.parse(INFO).getroot().iterfind("./external-app/environment-variables/variable"):
        name = (node.findtext("name") or "").strip()
        assert name not in declared, f"{name} is declared twice"
        declared[name] = {field: node.findtext(field) for field in ("display-name", "description", "default")}
    return declared


class _EnvReads:
    """The environment variables one module reads, from its source: the names given to the
    environment readers and to the module's own helpers around them (``get("ADMIN_USER")`` in a
    loader whose ``get(suffix)`` reads ``PREFIX + suffix``), resolved through its string constants."""

    def __init__(self, tree: ast.Module) -> None:
        self.constants = {t.id: n.value.value for n in tree.body if isinstance(n, ast.Assign)
                          and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)
                          for t in n.targets if isinstance(t, ast.Name)}
        self.readers = dict(_ENV_READERS)  # function name → (index of the name argument, prefix it adds)
        self.names: set[str] = set()
        self.unresolved: list[str] = []
        functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
        self._find_helpers(functions)
        self._collect(tree, ())

    def _name_argument(self, call: ast.Call) -> tuple[ast.expr, str] | None:
        """The expression naming the variable a call reads, and the prefix the callee adds."""
        func = call.func
        if isinstance(func, ast.Name) and func.id in self.readers:
            index, prefix = self.readers[func.id]
            return (call.args[index], prefix) if len(call.args) > index else None
        if isinstance(func, ast.Attribute) and func.attr == "get" and call.args \
                and ast.unparse(func.value) in _ENVIRONS:
            return call.args[0], ""
        return None

    def _resolve(self, node: ast.expr, params: dict[str, str] | None = None) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            return (params or {}).get(node.id, self.constants.get(node.id))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self._resolve(node.left, params), self._resolve(node.right, params)
            return left + right if left is not None and right is not None else None
        return None

    def _find_helpers(self, functions: list[ast.FunctionDef]) -> None:
        """A function that passes one of its parameters on as a variable name is a reader too."""
        changed = True
        while changed:
            changed = False
            for fn in functions:
                params = [a.arg for a in fn.args.args]
                if fn.name in self.readers or not params:
                    continue
                for call in (n for n in ast.walk(fn) if isinstance(n, ast.Call)):
                    found = self._name_argument(call)
                    used = {n.id for n in ast.walk(found[0]) if isinstance(n, ast.Name)} if found else set()
                    forwarded = [p for p in params if p in used]
                    if found and forwarded:
                        added = self._resolve(found[0], {forwarded[0]: ""})
                        self.readers[fn.name] = (params.index(forwarded[0]), found[1] + (added or ""))
                        changed = True
                        break

    def _collect(self, node: ast.AST, params: tuple[str, ...]) -> None:
        if isinstance(node, ast.FunctionDef):
            params = tuple(a.arg for a in node.args.args + node.args.kwonlyargs)
        if isinstance(node, ast.Call) and (found := self._name_argument(node)) is not None:
            expr, prefix = found
            if not any(isinstance(n, ast.Name) and n.id in params for n in ast.walk(expr)):  # not a helper's body
                value = self._resolve(expr)
                if value is None:
                    self.unresolved.append(ast.unparse(expr))
                else:
                    self.names.add(prefix + value)
                    if isinstance(node.func, ast.Name) and node.func.id == "read_secret":
                        self.names.add(prefix + value + "_FILE")
        for child in ast.iter_child_nodes(node):
            self._collect(child, params)


def _variables_the_code_reads() -> tuple[set[str], dict[str, list[str]], set[str]]:
    """(names read, names built at run time per file, NC_COOP_* constants anywhere in the code)."""
    names: set[str] = set()
    unresolved: dict[str, list[str]] = {}
    constants: set[str] = set()
    for path in sorted((ROOT / "nc_coop").rglob("*.py")):
        if "standin" in path.parts:  # the Nextcloud stand-in of the tests and the demo reads nothing
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        reads = _EnvReads(tree)
        names |= reads.names
        if reads.unresolved:
            unresolved[str(path.relative_to(ROOT))] = reads.unresolved
        constants |= {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
                      and _SETTING_NAME.match(n.value)}
    return names, unresolved, constants


def test_the_scan_finds_the_settings_of_each_kind_of_reader() -> None:
    """The scanner itself: a full name, PREFIX + suffix, a secret and its _FILE, a name constant."""
    names, _, _ = _variables_the_code_reads()
    assert {"DATABASE_URL", "NC_COOP_ADMIN_GROUPS", "NC_COOP_QUOTA_CONCURRENCY", "NC_COOP_LDAP_BIND_PASSWORD",
            "NC_COOP_LDAP_BIND_PASSWORD_FILE", "NC_COOP_DOCUMENTS_USER", "NC_COOP_LDAP_URL", "APP_SECRET"} <= names


def test_info_xml_declares_every_setting_the_code_reads_and_nothing_else() -> None:
    names, unresolved, constants = _variables_the_code_reads()
    # The one name built at run time: NC_COOP_LDAP_ATTR_<field> for each attribute of the mapping.
    assert unresolved == {"nc_coop/ldapsync/settings.py": ["'ATTR_' + key.upper()"]}, \
        "a variable name the scan cannot resolve: add its expansion here"
    names |= {f"NC_COOP_LDAP_ATTR_{key.upper()}" for key in Attributes.__dataclass_fields__}
    assert constants - names <= {"NC_COOP_SETTINGS"}, "an NC_COOP_* name the scan missed (app.config keys aside)"
    expected = names - SET_BY_APPAPI - set(NOT_SETTINGS)
    declared = set(_declared_variables())
    assert sorted(expected - declared) == [], "read by nc_coop but not declared in appinfo/info.xml"
    assert sorted(declared - expected) == [], "declared in appinfo/info.xml but read nowhere"


def test_each_declared_setting_is_described_and_its_default_is_the_codes() -> None:
    declared = _declared_variables()
    for name, fields in declared.items():
        assert (fields["display-name"] or "").strip() and (fields["description"] or "").strip(), name
    for secret in ("NC_COOP_LDAP_BIND_PASSWORD", "NC_COOP_QUOTA_ADMIN_PASSWORD"):
        assert "no sensitive flag" in (declared[secret]["description"] or ""), secret
    defaults = {name: f["default"] for name, f in declared.items() if f["default"] is not None}
    # AppAPI passes a declared default as the value: nc_coop must read it as its own default.
    base = {"APP_SECRET": "x" * 32, "NEXTCLOUD_URL": "https://cloud.example.org", "APP_PERSISTENT_STORAGE": "/data"}
    assert load_settings({**base, **defaults}) == load_settings(base)
    assert load_quota_settings(defaults) == load_quota_settings({})
    ldap = {"NC_COOP_LDAP_URL": "ldap://ldap.example.org", "NC_COOP_LDAP_BIND_DN": "cn=sync,dc=example,dc=org",
            "NC_COOP_LDAP_BIND_PASSWORD": "x", "NC_COOP_LDAP_USER_BASE": "ou=people,dc=example,dc=org"}
    assert load_ldap_settings({**defaults, **ldap}) == load_ldap_settings(ldap)
    assert load_documents_settings(defaults) is None  # documents have no defaults: both or neither


def test_the_readmes_statute_parameters_file_is_complete_and_accepted() -> None:
    """The example a fresh install starts from: every parameter, in the form `statute show` prints."""
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"`statute-1\.json` holds the parameters.*?```json\n(.*?)```", readme, re.S)
    assert match, "README must show the statute parameters file"
    text = match.group(1)
    params = params_from_json(text)  # what `nc-coop register statute add --params` parses
    assert set(json.loads(text)) == {f.name for f in dataclasses.fields(StatuteParams)}
    assert set(json.loads(text)["mandatory_shares"]) == {f.name for f in dataclasses.fields(MandatoryShares)}
    assert json.loads(params_to_json(params)) == json.loads(text)
    assert "--params statute-1.json" in readme

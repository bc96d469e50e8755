# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Every message the source marks for translation has a German translation.

The messages are extracted from the source itself, the way ``pybabel extract -F babel.cfg -k _l``
does, so a new ``_l(...)`` shows up here even when nobody re-extracted ``messages.pot``: German
users would otherwise see the English text (error messages of the assembly reach members and the
board as field errors). No app and no database: reading the source and the catalogue only."""
from __future__ import annotations

import io
from collections import defaultdict
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "nc_coop" / "translations" / "de" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {**DEFAULT_KEYWORDS, **parse_keywords(["_l"])}  # as `pybabel extract -k _l`

Key = tuple[str, str | None]  # (msgid, msgctxt)


def extracted() -> dict[Key, list[str]]:
    """The msgids (with their context) of the source, with where they occur."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, filename=str(ROOT / "babel.cfg"))
    found: dict[Key, list[str]] = defaultdict(list)
    for filename, lineno, message, _comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        msgid = message[0] if isinstance(message, (list, tuple)) else message
        if msgid:
            found[(msgid, context)].append(f"{filename}:{lineno}")
    return found


def test_extraction_finds_the_source_messages() -> None:
    """Guards the test below against passing vacuously (a wrong path or method map finds nothing)."""
    found = extracted()
    files = {location.split(":")[0] for locations in found.values() for location in locations}
    assert len(found) > 500
    assert any(f.startswith("templates/") for f in files), "the jinja2 templates were not extracted"
    assert any(f.startswith("nc_coop/assembly/") for f in files), "_l() in nc_coop/ was not extracted"


def test_every_source_message_has_a_german_translation() -> None:
    catalog = read_po(io.BytesIO(CATALOG.read_bytes()))
    missing = []
    for (msgid, context), locations in sorted(extracted().items(), key=lambda kv: kv[1][0]):
        message = catalog.get(msgid, context)
        strings = () if message is None else (
            message.string if isinstance(message.string, (list, tuple)) else (message.string,))
        if message is None or message.fuzzy or not strings or not all(strings):
            state = "missing" if message is None else "fuzzy" if message.fuzzy else "empty"
            where = ", ".join(locations)
            missing.append(f"  {msgid!r}" + (f" (context {context!r})" if context else "") + f" [{state}]: {where}")
    assert not missing, (
        f"{len(missing)} message(s) without a German translation in {CATALOG.relative_to(ROOT)} "
        "(run `pybabel extract -F babel.cfg -k _l -o nc_coop/translations/messages.pot .`, translate, "
        "then `nc-coop i18n compile`):\n" + "\n".join(missing))

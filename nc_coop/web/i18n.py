# SPDX-FileCopyrightText: 2026 nc_coop contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""German and English. The language comes from Accept-Language, which Nextcloud sets per user."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, request
from flask_babel import Babel

LANGUAGES = ("en", "de")
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def select_locale() -> str:
    return request.accept_languages.best_match(LANGUAGES) or "en"


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=select_locale, default_translation_directories=str(TRANSLATIONS))


def compile_catalogs() -> list[Path]:
    """Write ``messages.mo`` next to every ``messages.po`` (``nc-coop i18n compile``)."""
    from babel.messages.mofile import write_mo  # noqa: PLC0415
    from babel.messages.pofile import read_po  # noqa: PLC0415

    written = []
    for po_path in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")):
        with po_path.open("rb") as po:
            catalog = read_po(po)
        mo_path = po_path.with_suffix(".mo")
        with mo_path.open("wb") as mo:
            write_mo(mo, catalog)
        written.append(mo_path)
    return written
